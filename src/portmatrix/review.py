"""What a reviewer would raise about a deployment beyond its flows: the pieces that are missing.

Resolution can only make the flows the documents describe. Some deployments are incomplete in
ways no row reveals: a CCE deployment whose Windows servers have no domain controller to
authenticate against, or a Router and a Logger placed on separate servers, between which the
documents give no row at all (so the matrix is silent about traffic the two certainly exchange).
A PG that does not say which PIMs it runs gets every PIM row of table 6. Each of these is one
warning, grouped, never one per flow; they travel with the matrix like the unbound-role
warnings and never change a flow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from portmatrix.catalog import Catalog
from portmatrix.inventory import Deployment, unmet

#: Roles the CCE checks look for; a catalog without them (no CCE pack) skips those checks.
CCE_ROUTER, CCE_LOGGER = "cce.router", "cce.logger"
DOMAIN_CONTROLLER = "domain-controller"
#: Shown host names per warning, so a large site still gets one short line.
SHOWN = 4


def deployment_warnings(deployment: Deployment, catalog: Catalog) -> list[str]:
    """Every missing-piece warning for ``deployment``, in a stable order."""
    return [
        *_assumed_lists(deployment),
        *_switched_off(deployment, catalog),
        *_cce_pieces(deployment, catalog),
    ]


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _assumed_lists(deployment: Deployment) -> Iterator[str]:
    """One warning per role and list parameter left out, naming the hosts (PGs without pims)."""
    hosts: dict[tuple[str, str], list[str]] = defaultdict(list)
    values: dict[tuple[str, str], tuple[str, ...]] = {}
    for host in deployment.hosts:
        for role in host.roles:
            for key in role.assumed:
                hosts[(role.role, key)].append(host.name)
                value = role.params[key]
                values[(role.role, key)] = value if isinstance(value, tuple) else ()
    for (role_id, key), names in sorted(hosts.items()):
        every = values[(role_id, key)]
        yield (
            f"{role_id} on {_names(names)} gives no {key!r}: every one was assumed "
            f"({', '.join(every)}), so each of their rows applies; "
            f"list the ones the host runs, e.g. {key}: [{every[0] if every else ''}]"
        )


def _switched_off(deployment: Deployment, catalog: Catalog) -> Iterator[str]:
    """A role some host holds whose every row an option turns off (CAD hosts with cad: false):
    the host would get no port at all, which is rarely what its author meant."""
    owned: dict[str, list[str]] = defaultdict(list)
    for entry in catalog.entries:
        owned[entry.role.role].append(entry.id)
    hosts: dict[str, list[str]] = defaultdict(list)
    for host in deployment.hosts:
        for role in host.roles:
            hosts[role.role].append(host.name)
    for role_id, names in sorted(hosts.items()):
        reasons = [unmet(catalog.by_id[i].when, deployment.options) for i in owned.get(role_id, ())]
        if reasons and all(reasons):
            first = next(reason for reason in reasons if reason)
            yield (
                f"{role_id} on {_names(list(dict.fromkeys(names)))}: every row it listens on is "
                f"off by an option ({first}); set the option or drop the role"
            )


def _cce_pieces(deployment: Deployment, catalog: Catalog) -> Iterator[str]:
    if CCE_ROUTER not in catalog.roles:
        return
    holders: dict[str, set[str]] = defaultdict(set)
    for host in deployment.hosts:
        for role in host.roles:
            holders[role.role].add(host.name)
    cce = set().union(*(names for role, names in holders.items() if role.startswith("cce.")))
    if not cce:
        return
    if DOMAIN_CONTROLLER in catalog.roles and not holders.get(DOMAIN_CONTROLLER):
        yield (
            "no host holds domain-controller: the CCE servers are Windows domain members and "
            "authenticate against Active Directory (table 7: Kerberos, LDAP, DNS, RPC), so "
            "the matrix lacks those flows; add the domain controllers with role domain-controller"
        )
    bare_cuic = sorted(holders.get("cuic", set()) - holders.get("cce.livedata", set()))
    if deployment.options.get("livedata") == "coresident" and bare_cuic:
        yield (
            f"livedata is coresident but {_names(bare_cuic)} hold cuic without cce.livedata: they "
            "reach the TIP/TOS ports, yet Live Data's own ports (Socket.IO, Cassandra, ...) "
            "open only on hosts with role cce.livedata; give them that role too"
        )
    routers, loggers = holders.get(CCE_ROUTER, set()), holders.get(CCE_LOGGER, set())
    apart = sorted((routers | loggers) - (routers & loggers))
    if routers and loggers and apart:
        yield (
            f"the Router and the Logger are on separate servers ({_names(apart)}): the "
            "documents give no Router-Logger row, so the matrix has no flow between them; "
            "add the ports your release uses with --catalog or place them on one server"
        )

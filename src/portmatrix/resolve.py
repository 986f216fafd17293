"""Resolution: a deployment plus the catalog becomes the concrete flow matrix.

For each catalog entry, every endpoint holding the entry's role is an *owner*; every endpoint
holding one of its peer roles, and related to the owner as the entry demands (same instance, the
other side, the same cluster, a site it may reach), is a *peer*. Ports listed ``at: self`` let
peers connect to the owner; ports ``at: peer`` let the owner connect to the peer. Formulas are
evaluated with the owner's parameters (or the peer's, for the peer's ports).

Every decision can be traced: :func:`explain` replays resolution for two endpoints and reports
why each applicable entry did or did not produce a flow.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from portmatrix import portspec
from portmatrix.catalog import Catalog, load_catalog
from portmatrix.errors import InventoryError, PortExpressionError
from portmatrix.gcpause import without_gc
from portmatrix.inventory import BoundRole, DeployedHost, Deployment, load_inventory
from portmatrix.inventory import has_value as _has_value
from portmatrix.inventory import unmet as _unmet
from portmatrix.model import (
    CatalogEntry,
    Endpoint,
    Exposure,
    Flow,
    Matrix,
    OptionValue,
    PeerSelector,
    PortItem,
    PortsAt,
    Protocol,
    Selector,
)
from portmatrix.review import deployment_warnings
from portmatrix.site import Binding, Excluded

Holder = tuple[DeployedHost, BoundRole]


@dataclass(frozen=True, slots=True)
class Decision:
    """One step of resolution, recorded for ``resolve --explain``."""

    rule: str
    owner: str
    peer: str | None
    made: bool
    reason: str


Tracer = Callable[[Decision], None]


def resolve_file(
    path: str | Path, *, catalogs: Sequence[str | Path] = (), strict: bool = False
) -> Matrix:
    """Load the catalog (bundled plus ``catalogs``) and an inventory file, and resolve it."""
    catalog = load_catalog(catalogs)
    return resolve(load_inventory(path, catalog), catalog, strict=strict)


def resolve(deployment: Deployment, catalog: Catalog, *, strict: bool = False) -> Matrix:
    with without_gc():
        return _resolve(deployment, catalog, strict=strict)


def _resolve(deployment: Deployment, catalog: Catalog, *, strict: bool) -> Matrix:
    resolver = _Resolver(deployment, catalog)
    flows = resolver.run()
    resolver.check_conflicts()
    warnings = resolver.unbound_warnings()
    if strict and warnings:
        raise InventoryError(
            f"--strict: {len(warnings)} catalog role(s) have no endpoint: " + "; ".join(warnings),
            file=deployment.file,
        )
    warnings += [*resolver.notes.values(), *deployment_warnings(deployment, catalog)]
    endpoints = {
        host.name: Endpoint(
            host.name,
            host.address,
            zone=host.zone,
            site=host.site,
            roles=tuple(dict.fromkeys(role.role for role in host.roles)),
            probe_address=host.probe_address,
            platform=host_platform(catalog, host),
            addresses=tuple((name, str(net)) for name, net in host.networks.items()),
            interfaces=tuple(host.interfaces.items()),
        )
        for host in deployment.hosts
    }
    return Matrix(
        deployment.name,
        endpoints,
        tuple(flows),
        dict(deployment.zones),
        tuple(warnings),
        host_firewall=deployment.host_firewall,
        zone_ends=dict(deployment.zone_ends),
        site_rules=tuple(str(change) for change in deployment.site.changes(catalog)),
    )


def host_platform(catalog: Catalog, host: DeployedHost) -> str:
    """What a host runs on: the platforms its roles name, ``any`` aside."""
    named = {catalog.roles[role.role].platform for role in host.roles} - {None, "any"}
    return "+".join(sorted(p for p in named if p)) or "any"


def explain(deployment: Deployment, catalog: Catalog, src: str, dst: str) -> list[Decision]:
    """Why each entry that could apply between ``src`` and ``dst`` did or did not make a flow."""
    pair = {deployment.host(src).name, deployment.host(dst).name}
    decisions: list[Decision] = []

    def keep(decision: Decision) -> None:
        if decision.peer == decision.owner and len(pair) > 1:
            return  # the entry's other holders on the same host are not what was asked
        if decision.owner in pair and (decision.peer is None or decision.peer in pair):
            decisions.append(decision)

    resolver = _Resolver(deployment, catalog, tracer=keep, only=pair)
    resolver.run()
    return decisions


@dataclass(frozen=True, slots=True)
class _Claim:
    """One port item of one entry on one owning endpoint: the unit resolution works through."""

    entry: CatalogEntry
    host: DeployedHost
    role: BoundRole
    item: PortItem
    exposure: Exposure


class _Resolver:
    def __init__(
        self,
        deployment: Deployment,
        catalog: Catalog,
        *,
        tracer: Tracer | None = None,
        only: set[str] | None = None,
    ):
        self.deployment = deployment
        self.catalog = catalog
        self.tracer = tracer
        self.only = only
        self.holders: dict[str, list[Holder]] = defaultdict(list)
        for host in deployment.hosts:
            if only is None or host.name in only:
                for role in host.roles:
                    self.holders[role.role].append((host, role))
        self.all_roles = {role.role for host in deployment.hosts for role in host.roles}
        # A product is deployed when some endpoint holds one of the roles its pack declares; the
        # rows of an absent product (CCE's Windows rows in a Unity-Connection-only site) do not apply.
        self.products = {catalog.role_products.get(role) for role in self.all_roles}
        self.any_bound: set[str] = set()  # bound to ``any``: the address follows the peer's family
        for binding in deployment.site.bindings.values():
            bound = self.bound_holder(binding)
            self.all_roles.add(binding.role)
            if only is None:
                self.holders[binding.role].append(bound)
        self.host_peers: dict[str, list[DeployedHost]] = {
            entry_id: [deployment.host(name) for name in change.peer_hosts]
            for entry_id, change in deployment.site.overrides.items()
            if change.peer_hosts
        }
        self.unbound: dict[str, set[str]] = defaultdict(set)  # missing role -> entry ids
        self.listening: dict[str, list[tuple[Protocol, int, int, BoundRole, str]]] = defaultdict(
            list
        )
        self.ranges: dict[tuple[str, str, Protocol, str], list[tuple[int, int]]] = defaultdict(list)
        self.meta: dict[
            tuple[str, str, Protocol, str], tuple[CatalogEntry, BoundRole, bool, Exposure]
        ] = {}
        self.addresses: dict[tuple[str, str | None], str | None] = {}  # (name, network) ->
        self.peer_indexes: dict[tuple[object, ...], PeerIndex] = {}
        self.notes: dict[tuple[str, ...], str] = {}  # warnings beyond unbound roles, deduplicated

    def bound_holder(self, binding: Binding) -> Holder:
        """A role the inventory binds to a network, held by a stand-in for that network.

        It takes the name ``role:<id>`` the role's unbound flows had, so a matrix reads the
        same with or without the binding except that the flows now have an address.
        """
        spec = self.catalog.roles[binding.role]
        params = {key: p.default for key, p in spec.params.items() if p.default is not None}
        name = f"role:{binding.role}"
        network = binding.network or ipaddress.ip_network("0.0.0.0/0")
        if binding.network is None:
            self.any_bound.add(name)
        role = BoundRole(binding.role, params)
        return DeployedHost(name, network, (role,), None, None, -1), role

    # ------------------------------------------------------------------ driving
    def run(self) -> list[Flow]:
        site = self.deployment.site
        for entry in self.catalog.entries:
            if entry.product not in self.products:
                continue
            excluded = site.exclusion(entry.id)
            if excluded is not None:
                self.trace_excluded(entry, excluded)
                continue
            change = site.overrides.get(entry.id)
            if change is not None:
                entry = change.apply(entry)
            for host, role in self.holders.get(entry.role.role, ()):
                if _selects(entry.role, role):
                    self.entry_for_owner(entry, host, role)
        return self.flows()

    def trace_excluded(self, entry: CatalogEntry, excluded: Excluded) -> None:
        if self.tracer is None:
            return
        by = f" ({excluded.pattern})" if excluded.pattern != entry.id else ""
        why = f"excluded by the site{by}" + (f": {excluded.reason}" if excluded.reason else "")
        for host, role in self.holders.get(entry.role.role, ()):
            if _selects(entry.role, role):
                self.trace(entry, host.name, None, False, why)

    def trace(
        self,
        entry: CatalogEntry,
        owner: str,
        peer: str | None,
        made: bool,
        reason: str | Callable[[], str],
    ) -> None:
        """Record a decision for ``--explain``; a reason that costs work to word is a callable,
        called only when somebody is listening."""
        if self.tracer is not None:
            text = reason if isinstance(reason, str) else reason()
            self.tracer(Decision(entry.id, owner, peer, made, text))

    def entry_for_owner(self, entry: CatalogEntry, host: DeployedHost, role: BoundRole) -> None:
        unmet = _unmet(entry.when, self.deployment.options)
        if unmet:
            self.trace(entry, host.name, None, False, f"condition not met: {unmet}")
            return
        for index, item in enumerate(entry.ports):
            self.port_item(entry, host, role, item, index)

    def port_item(
        self, entry: CatalogEntry, host: DeployedHost, role: BoundRole, item: PortItem, index: int
    ) -> None:
        label = f"{item.protocol}/{item.ports}"
        if (
            item.at is PortsAt.SELF
            and item.side is not None
            and role.params.get("side") != item.side
        ):
            self.trace(entry, host.name, None, False, f"{label} is for side {item.side} only")
            return
        unmet = _unmet(item.when, self.deployment.options)
        if unmet:
            self.trace(entry, host.name, None, False, f"{label}: condition not met: {unmet}")
            return
        claim = _Claim(entry, host, role, item, item.exposure or entry.exposure)
        own_ranges = self.evaluate(claim, host, role) if item.at is PortsAt.SELF else []
        if claim.exposure is Exposure.LOCAL_ONLY:
            if item.at is PortsAt.SELF:
                self.add(host.name, host, host, role, claim, own_ranges)
                self.trace(
                    entry, host.name, None, True, f"{label} is local only: blocked from the network"
                )
            return
        named = self.host_peers.get(entry.id, ())
        if not entry.peers and not named:
            self.trace(entry, host.name, None, False, "the document names no client for this port")
            return
        if item.at is PortsAt.SELF:
            self.record_listening(claim, own_ranges)
        for peer in entry.peers:
            self.peer_flows(claim, peer, own_ranges)
        for peer_host in named:
            self.named_peer_flow(claim, peer_host, own_ranges)

    def named_peer_flow(
        self, claim: _Claim, peer_host: DeployedHost, own_ranges: list[tuple[int, int]]
    ) -> None:
        """A peer the site's override names by host: it connects whatever roles it holds."""
        host, role = claim.host, claim.role
        if peer_host.name == host.name:
            self.trace(claim.entry, host.name, host.name, False, "same endpoint")
            return
        if claim.item.at is PortsAt.SELF:
            self.add(peer_host.name, peer_host, host, role, claim, own_ranges)
        else:
            ranges = self.evaluate(claim, peer_host, BoundRole(f"host:{peer_host.name}", {}))
            self.add(host.name, host, peer_host, role, claim, ranges)
        why = f"{peer_host.name} is a peer the site's override names"
        self.trace(claim.entry, host.name, peer_host.name, True, why)

    def peer_flows(
        self, claim: _Claim, peer: PeerSelector, own_ranges: list[tuple[int, int]]
    ) -> None:
        entry, host, role, item = claim.entry, claim.host, claim.role, claim.item
        if peer.when:
            unmet = _unmet(peer.when, self.deployment.options)
            if unmet:
                self.trace(entry, host.name, None, False, f"peer {peer.role}: {unmet}")
                return
        if peer.role not in self.all_roles:
            if peer.optional:
                self.trace(
                    entry, host.name, None, False, f"optional client {peer.role} is not deployed"
                )
                return
            self.unbound[peer.role].add(entry.id)
            self.unbound_flow(claim, peer, own_ranges)
            return
        for peer_host, peer_role in self.peer_index(peer).candidates(host, role):
            reason = self.refusal(claim, peer_host, peer_role, peer, selected=True)
            if reason:
                self.trace(entry, host.name, peer_host.name, False, reason)
                continue
            if item.at is PortsAt.SELF:
                ranges = own_ranges
                self.add(peer_host.name, peer_host, host, role, claim, ranges)
            else:
                if item.side is not None and peer_role.params.get("side") != item.side:
                    self.trace(
                        entry, host.name, peer_host.name, False, f"ports for side {item.side} only"
                    )
                    continue
                ranges = self.evaluate(claim, peer_host, peer_role)
                self.add(host.name, host, peer_host, peer_role, claim, ranges)
            if self.tracer is not None:
                direction = "to" if item.at is PortsAt.SELF else "from"
                self.trace(
                    entry,
                    host.name,
                    peer_host.name,
                    True,
                    f"{peer_role.describe()} connects {direction} {role.describe()} on "
                    f"{item.protocol}/{portspec.format_ranges(ranges)}",
                )
        if self.tracer is not None:
            self.trace_unlisted(claim, peer)

    def peer_index(self, peer: PeerSelector) -> PeerIndex:
        """The holders of a peer role, indexed by the parameters the entry relates (built once)."""
        key = (peer.role, tuple(sorted(peer.where.items())), peer.same)
        index = self.peer_indexes.get(key)
        if index is None:
            holders = [h for h in self.holders.get(peer.role, ()) if _selects(peer, h[1])]
            index = self.peer_indexes[key] = PeerIndex(holders, peer.same)
        return index

    def trace_unlisted(self, claim: _Claim, peer: PeerSelector) -> None:
        """For ``--explain``: the holders the index never offered, refused for the record."""
        offered = {id(role) for _, role in self.peer_index(peer).candidates(claim.host, claim.role)}
        for peer_host, peer_role in self.holders.get(peer.role, ()):
            if id(peer_role) not in offered:
                reason = self.refusal(claim, peer_host, peer_role, peer)
                self.trace(claim.entry, claim.host.name, peer_host.name, False, reason or "")

    def refusal(
        self,
        claim: _Claim,
        peer_host: DeployedHost,
        peer_role: BoundRole,
        peer: PeerSelector,
        *,
        selected: bool = False,
    ) -> str | None:
        """Why this peer gets no flow from this owner, or None when it does.

        ``selected``: the peer index already checked the peer's ``where`` parameters.
        """
        host, role = claim.host, claim.role
        if peer_host.name == host.name:
            return "same endpoint: traffic does not leave the host"
        if not selected and not _selects(peer, peer_role):
            return f"peer role parameters do not match {peer.where}"
        for key in (*peer.same, *peer.other):
            if key not in role.params or key not in peer_role.params:
                continue
            equal = role.params[key] == peer_role.params[key]
            if key in peer.same and not equal:
                return f"{key} differs ({role.params[key]} vs {peer_role.params[key]})"
            if key in peer.other and equal:
                return f"{key} is the same ({role.params[key]}); the entry needs the other one"
        if claim.exposure is Exposure.CLUSTER_ONLY:
            mine, theirs = role.params.get("cluster"), peer_role.params.get("cluster")
            if mine is None or mine != theirs:
                return f"cluster-only port: {peer_host.name} is not in cluster {mine}"
        return _site_refusal(host, role, peer_host, peer_role)

    def unbound_flow(
        self, claim: _Claim, peer: PeerSelector, own_ranges: list[tuple[int, int]]
    ) -> None:
        placeholder = f"role:{peer.role}"
        host, role = claim.host, claim.role
        if claim.item.at is PortsAt.SELF:
            self.add(placeholder, None, host, role, claim, own_ranges)
        else:
            try:
                ranges = self.evaluate(claim, host, role)
            except InventoryError:
                return  # the peer's own parameters would be needed; nothing to show
            self.add(host.name, host, None, role, claim, ranges, dst_name=placeholder)
        self.trace(
            claim.entry, host.name, None, False, f"no endpoint holds {peer.role}: unbound flow"
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, claim: _Claim, host: DeployedHost, role: BoundRole) -> list[tuple[int, int]]:
        """The claim's ports for the endpoint whose ports they are (owner, or peer for ``at: peer``)."""
        # List values never reach a formula: the catalog refuses a list option in one.
        env: dict[str, portspec.Value] = {**self.deployment.options, **role.params}  # type: ignore[dict-item]
        try:
            ranges = portspec.evaluate(self.catalog.expression(claim.item.ports), env)
        except PortExpressionError as exc:
            line = (
                self.deployment.lines.line(("bind", role.role))
                if host.index < 0
                else self.deployment.line_of(host, "roles", role.index)
            )
            raise InventoryError(
                f"host {host.name!r}, {role.role}: catalog entry {claim.entry.id}: {exc}",
                file=self.deployment.file,
                line=line,
            ) from exc
        override = claim.item.override
        if override is None or override not in self.deployment.options:
            return ranges
        return [self.overridden(claim, host, role, ranges, override)]

    def overridden(
        self,
        claim: _Claim,
        host: DeployedHost,
        role: BoundRole,
        ranges: list[tuple[int, int]],
        option: str,
    ) -> tuple[int, int]:
        """The configured port a client uses instead of the documented one, noting a mismatch
        (the client would knock on a port nobody listens on)."""
        port = int(self.deployment.options[option])  # type: ignore[arg-type]
        if not any(lo <= port <= hi for lo, hi in ranges):
            self.notes.setdefault(
                (claim.entry.id, option, host.name),
                f"{claim.entry.id}: option {option} = {port}, but {host.name} "
                f"({role.describe()}) listens on {portspec.format_ranges(ranges)}; "
                "fix the client's configuration or the option",
            )
        return (port, port)

    def add(
        self,
        src_name: str,
        src: DeployedHost | None,
        dst: DeployedHost | None,
        dst_role: BoundRole,
        claim: _Claim,
        ranges: Iterable[tuple[int, int]],
        *,
        dst_name: str | None = None,
    ) -> None:
        """Record ports from ``src`` to ``dst``; flows are merged per (src, dst, proto, rule) later."""
        target = dst.name if dst is not None else (dst_name or "")
        key = (src_name, target, claim.item.protocol, claim.entry.id)
        self.ranges[key].extend(ranges)
        if key not in self.meta:
            self.meta[key] = (claim.entry, dst_role, claim.item.ephemeral, claim.exposure)
        network = claim.entry.network
        self.addresses[src_name, network] = self.address_on(src, network)
        self.addresses[target, network] = self.address_on(dst, network)

    def address_on(self, host: DeployedHost | None, network: str | None) -> str | None:
        """The host's address on ``network``; an inventory error when it has none."""
        if host is None:
            return None
        address = host.address_on(network)
        if address is None:
            named = ", ".join(host.networks)
            raise InventoryError(
                f"host {host.name!r} has no address on the {network} network, which "
                f"catalog traffic needs (it names {named}); add {network}: to its addresses "
                "or give it address:",
                file=self.deployment.file,
                line=self.deployment.line_of(host, "addresses"),
            )
        return address

    def flows(self) -> list[Flow]:
        result = []
        words: dict[str, tuple[str, str]] = {}  # entry id -> (purpose, document reference)
        for key, ranges in self.ranges.items():
            src, dst, protocol, rule = key
            entry, role, ephemeral, exposure = self.meta[key]
            purpose, source = words.get(rule) or words.setdefault(
                rule, (_purpose(entry), str(entry.source))
            )
            instance = _int_or_none(role.params.get("instance"))
            side = _str_or_none(role.params.get("side"))
            network = entry.network
            src_address = self.addresses.get((src, network))
            dst_address = self.addresses.get((dst, network))
            if self.any_bound:
                src_address = _any_like(dst_address) if src in self.any_bound else src_address
                dst_address = _any_like(src_address) if dst in self.any_bound else dst_address
            merged = portspec.merge_ranges(ranges) if len(ranges) > 1 else ranges
            for lo, hi in merged:
                result.append(
                    Flow(
                        src,
                        dst,
                        protocol,
                        lo,
                        hi,
                        rule,
                        src_address,
                        dst_address,
                        purpose,
                        source,
                        exposure,
                        instance,
                        side,
                        ephemeral,
                        network,
                    )
                )
        result.sort(
            key=lambda flow: (flow.dst, flow.src, flow.protocol, flow.port_start, flow.rule)
        )
        return result

    # ------------------------------------------------------------------ checks
    def record_listening(self, claim: _Claim, ranges: list[tuple[int, int]]) -> None:
        if claim.item.ephemeral:
            return
        for lo, hi in ranges:
            self.listening[claim.host.name].append(
                (claim.item.protocol, lo, hi, claim.role, claim.entry.id)
            )

    def check_conflicts(self) -> None:
        """Two different roles (or role instances) on one endpoint wanting the same port."""
        by_name = {host.name: host for host in self.deployment.hosts}
        for name, claims in self.listening.items():
            reach: dict[Protocol, tuple[Protocol, int, int, BoundRole, str]] = {}
            for claim in sorted(set(claims), key=lambda claim: (claim[0], claim[1], claim[2])):
                widest = reach.get(claim[0])
                clash = _clash(widest, claim) if widest else None
                if clash:
                    host = by_name[name]
                    raise InventoryError(
                        f"host {name!r}: {clash}",
                        file=self.deployment.file,
                        line=self.deployment.line_of(host, "roles", claim[3].index),
                    )
                if widest is None or claim[2] > widest[2]:
                    reach[claim[0]] = claim

    def unbound_warnings(self) -> list[str]:
        return [
            f"no endpoint holds role {role!r} (needed by {', '.join(sorted(entries)[:4])}"
            + (f" and {len(entries) - 4} more" if len(entries) > 4 else "")
            + "); bind it to its network under bind:, or add a host holding it"
            for role, entries in sorted(self.unbound.items())
        ]


class PeerIndex:
    """The holders of one peer role, bucketed by the parameters an entry requires them to share.

    Without it every owner would scan every holder of the peer role (every phone network for
    every Unity Connection node), which made resolution quadratic. Buckets only narrow the
    candidates: :meth:`_Resolver.refusal` still judges each one, so the index can never add a
    flow, only avoid looking at holders that cannot match. Holders that lack one of the shared
    parameters match any owner (parameters either side lacks are not compared), so they sit in
    a list every query reads; an owner that lacks one reads every holder.
    """

    def __init__(self, holders: Sequence[Holder], same: Sequence[str]):
        self.same = tuple(same)
        self.everyone = list(holders)
        self.buckets: dict[tuple[object, ...], _SiteBuckets] = defaultdict(_SiteBuckets)
        self.loose = _SiteBuckets()
        for holder in holders:
            params = holder[1].params
            if all(key in params for key in self.same):
                self.buckets[tuple(str(params[key]) for key in self.same)].add(holder)
            else:
                self.loose.add(holder)

    def candidates(self, host: DeployedHost, role: BoundRole) -> list[Holder]:
        if not all(key in role.params for key in self.same):
            return self.everyone
        key = tuple(str(role.params[k]) for k in self.same)
        found = self.buckets[key].near(host, role) if key in self.buckets else []
        return found + self.loose.near(host, role) if self.loose.holders else found


class _SiteBuckets:
    """Holders by site, so an owner meets only peers of sites it may reach."""

    def __init__(self) -> None:
        self.holders: list[Holder] = []
        self.by_site: dict[str | None, list[Holder]] = defaultdict(list)
        self.serving: list[Holder] = []  # holders whose role serves other sites

    def add(self, holder: Holder) -> None:
        self.holders.append(holder)
        self.by_site[holder[0].site].append(holder)
        if holder[1].serves:
            self.serving.append(holder)

    def near(self, host: DeployedHost, role: BoundRole) -> list[Holder]:
        """Every holder :func:`_site_refusal` could let through (flows are sorted later)."""
        if host.site is None or (len(self.by_site) == 1 and None in self.by_site):
            return self.holders
        sites = dict.fromkeys((host.site, None, *role.serves))
        picked = [h for site in sites for h in self.by_site.get(site, ())]
        picked += [h for h in self.serving if host.site in h[1].served and h[0].site not in sites]
        return picked


def _clash(
    first: tuple[Protocol, int, int, BoundRole, str],
    second: tuple[Protocol, int, int, BoundRole, str],
) -> str | None:
    proto_a, lo_a, hi_a, role_a, rule_a = first
    proto_b, lo_b, hi_b, role_b, rule_b = second
    if proto_a != proto_b or lo_b > hi_a or role_a is role_b:
        return None
    if (lo_a, hi_a) == (lo_b, hi_b) and hi_a > lo_a:
        return None  # the same range named twice is a shared pool (the MDS UDP heartbeat range)
    same_instance = role_a.params.get("instance") == role_b.params.get("instance")
    if rule_a == rule_b and (lo_a, hi_a) == (lo_b, hi_b) and same_instance:
        return (
            None  # one host-wide service both roles of one instance use (PG1 and PG2 on a server)
        )
    overlap = (
        f"{max(lo_a, lo_b)}"
        if min(hi_a, hi_b) == max(lo_a, lo_b)
        else f"{max(lo_a, lo_b)}-{min(hi_a, hi_b)}"
    )
    return (
        f"{role_a.describe()} ({rule_a}) and {role_b.describe()} ({rule_b}) both need "
        f"{proto_a}/{overlap}; move one role to another host or change its instance"
    )


def _selects(selector: Selector, role: BoundRole) -> bool:
    return all(_has_value(role.params.get(key), value) for key, value in selector.where.items())


def _site_refusal(
    host: DeployedHost, role: BoundRole, peer_host: DeployedHost, peer_role: BoundRole
) -> str | None:
    if host.site is None or peer_host.site is None or host.site == peer_host.site:
        return None
    if peer_host.site in role.served or host.site in peer_role.served:
        return None
    return f"different sites ({host.site} vs {peer_host.site}) and neither role serves the other"


def _purpose(entry: CatalogEntry) -> str:
    return (
        entry.component
        if not entry.notes.en
        else f"{entry.component}: {entry.notes.en.split('. ')[0].rstrip('.')}"
    )


def _any_like(address: str | None) -> str:
    """``bind: {role: any}`` as an address of the family of the flow's other end."""
    return "::/0" if address is not None and ":" in address else "0.0.0.0/0"


def _int_or_none(value: OptionValue | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: OptionValue | None) -> str | None:
    return None if value is None or isinstance(value, tuple) else str(value)

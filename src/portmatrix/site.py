"""Site rules: what one site changes in the catalog without forking a pack.

A change board signs the matrix for *its* site: it leaves out rows it forbids (clear-text
Telnet), moves a port (RDP on 3390), narrows who may connect (RDP only from the jump host), and
says where the clients the inventory has no host for live (the agents' workstations are
10.50.0.0/16). An inventory says so under ``exclude:``, ``override:`` and ``bind:``; this module
checks each against the catalog and the hosts when the inventory is loaded (a rule naming
nothing is an error at its line, never a silent no-op) and keeps them for resolution and for
every output, which records them so nobody reads a site's choice as the vendor's.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from portmatrix import portspec
from portmatrix.catalog import Catalog
from portmatrix.errors import InventoryError, PortExpressionError
from portmatrix.model import CatalogEntry, Exclusion, Override, PeerSelector, Protocol
from portmatrix.suggest import close_matches, hint

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``bind: {role: any}``: the role's flows come from (or go to) any address of the peer's family.
ANY = "any"
Fail = Callable[..., InventoryError]  # (message, *path) -> the error at that inventory line
_GLOB = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Excluded:
    """One ``exclude:`` item and the entries it matched."""

    pattern: str
    entries: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Replaced:
    """One ``override:`` item, checked: the new ports per protocol and the new peers."""

    entry: str
    ports: Mapping[Protocol, str] | None = None
    peers: tuple[str, ...] | None = None  # as written, for the record
    peer_roles: tuple[PeerSelector, ...] = ()
    peer_hosts: tuple[str, ...] = ()
    reason: str = ""

    def apply(self, entry: CatalogEntry) -> CatalogEntry:
        """The entry as the site runs it (host peers are the resolver's: they hold no role).

        The site's ports are final: an option that would replace the item's ports (a client's
        configured port) no longer applies to them.
        """
        ports = self.ports or {}
        items = tuple(
            replace(item, ports=ports[item.protocol], override=None)
            if item.protocol in ports
            else item
            for item in entry.ports
        )
        peers = self.peer_roles if self.peers is not None else entry.peers
        return replace(entry, ports=items, peers=peers)


@dataclass(frozen=True, slots=True)
class Binding:
    """A role no host holds, bound to a network (``network is None``: any address)."""

    role: str
    network: IPNetwork | None

    @property
    def text(self) -> str:
        return ANY if self.network is None else str(self.network)


@dataclass(frozen=True, slots=True)
class SiteChange:
    """One line of the record a workbook's cover and a table's footer print."""

    kind: str  # excluded | overridden | bound
    entry: str  # the entry id (the role, for a binding)
    detail: str
    reason: str = ""

    def __str__(self) -> str:
        why = f"; reason: {self.reason}" if self.reason else ""
        return f"{self.kind} by the site: {self.entry} ({self.detail}){why}"


@dataclass(frozen=True)
class SiteRules:
    """A deployment's exclusions, overrides and bindings, checked."""

    exclusions: tuple[Excluded, ...] = ()
    overrides: Mapping[str, Replaced] = field(default_factory=dict)
    bindings: Mapping[str, Binding] = field(default_factory=dict)
    _excluded_by: dict[str, Excluded] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for excluded in self.exclusions:
            for entry in excluded.entries:
                self._excluded_by.setdefault(entry, excluded)

    def exclusion(self, entry_id: str) -> Excluded | None:
        """The ``exclude:`` item that leaves ``entry_id`` out, if any."""
        return self._excluded_by.get(entry_id)

    def changes(self, catalog: Catalog) -> list[SiteChange]:
        """Every rule, worded with the ports it concerns (``23/tcp``), for human readers."""
        out = []
        for excluded in self.exclusions:
            for entry_id in excluded.entries:
                entry = catalog.by_id[entry_id]
                by = f", by {excluded.pattern}" if excluded.pattern != entry_id else ""
                detail = f"{_ports(entry)} {entry.component}{by}"
                out.append(SiteChange("excluded", entry_id, detail, excluded.reason))
        for entry_id, change in self.overrides.items():
            out.append(
                SiteChange("overridden", entry_id, _override_detail(catalog, change), change.reason)
            )
        for role, binding in self.bindings.items():
            out.append(SiteChange("bound", role, f"its flows use {binding.text}"))
        return out

    def scope(self) -> dict[str, Any]:
        """The rules as JSON data for a result's ``scope`` (only the kinds the site has)."""
        scope: dict[str, Any] = {}
        if self.exclusions:
            scope["exclusions"] = [
                {"id": item.pattern, "entries": list(item.entries), "reason": item.reason}
                for item in self.exclusions
            ]
        if self.overrides:
            scope["overrides"] = [
                {
                    "id": change.entry,
                    "ports": None
                    if change.ports is None
                    else {str(proto): text for proto, text in change.ports.items()},
                    "peers": None if change.peers is None else list(change.peers),
                    "reason": change.reason,
                }
                for change in self.overrides.values()
            ]
        if self.bindings:
            scope["bindings"] = {role: b.text for role, b in self.bindings.items()}
        return scope


def _ports(entry: CatalogEntry, only: Mapping[Protocol, str] | None = None) -> str:
    shown = [
        f"{item.ports}/{item.protocol}"
        for item in entry.ports
        if only is None or item.protocol in only
    ]
    return ", ".join(dict.fromkeys(shown))


def _override_detail(catalog: Catalog, change: Replaced) -> str:
    entry = catalog.by_id[change.entry]
    parts = []
    if change.ports is not None:
        new = ", ".join(f"{text}/{proto}" for proto, text in change.ports.items())
        parts.append(f"ports {_ports(entry, change.ports)} -> {new}")
    if change.peers is not None:
        old = ", ".join(dict.fromkeys(peer.role for peer in entry.peers)) or "none"
        parts.append(f"peers {old} -> {', '.join(change.peers)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- checking


def check_site_rules(
    *,
    exclude: Sequence[Exclusion],
    override: Mapping[str, Override],
    bind: Mapping[str, str],
    catalog: Catalog,
    hosts: Mapping[str, Sequence[str]],
    fail: Fail,
) -> SiteRules:
    """The inventory's site rules checked against the catalog and ``hosts`` (name -> roles)."""
    exclusions = tuple(_exclusion(item, i, catalog, fail) for i, item in enumerate(exclude))
    excluded = {entry for item in exclusions for entry in item.entries}
    overrides = {
        entry_id: _override(entry_id, change, catalog, hosts, excluded, fail)
        for entry_id, change in override.items()
    }
    bindings = {role: _binding(role, value, catalog, hosts, fail) for role, value in bind.items()}
    return SiteRules(exclusions, overrides, bindings)


def _exclusion(item: Exclusion, index: int, catalog: Catalog, fail: Fail) -> Excluded:
    pattern = item.id
    ids = [entry.id for entry in catalog.entries]
    if _GLOB & set(pattern):
        matched = tuple(entry for entry in ids if fnmatch.fnmatchcase(entry, pattern))
        what = f"exclude: {pattern!r} matches no catalog entry"
    else:
        matched = (pattern,) if pattern in catalog.by_id else ()
        what = f"exclude: no catalog entry {pattern!r}"
    if not matched:
        word = "".join(char for char in pattern if char not in _GLOB)
        raise fail(f"{what}{hint(close_matches(word, ids))}", "exclude", index, "id")
    return Excluded(pattern, matched, item.reason)


def _override(
    entry_id: str,
    change: Override,
    catalog: Catalog,
    hosts: Mapping[str, Sequence[str]],
    excluded: set[str],
    fail: Fail,
) -> Replaced:
    entry = catalog.by_id.get(entry_id)
    if entry is None:
        raise fail(
            f"override: no catalog entry {entry_id!r}{hint(close_matches(entry_id, catalog.by_id))}",
            "override",
            entry_id,
        )
    if entry_id in excluded:
        raise fail(
            f"override: {entry_id} is also excluded; keep one of the two", "override", entry_id
        )
    if change.ports is None and change.peers is None:
        raise fail(
            f"override: {entry_id} changes nothing; give ports, peers or both", "override", entry_id
        )
    ports = None if change.ports is None else _override_ports(entry, change.ports, catalog, fail)
    roles: list[PeerSelector] = []
    named: list[str] = []
    if change.peers is not None:
        if not change.peers:
            raise fail(
                f"override: {entry_id} with no peers opens nothing; exclude it instead",
                "override",
                entry_id,
                "peers",
            )
        for index, name in enumerate(change.peers):
            where = ("override", entry_id, "peers", index)
            kind, value = _peer(name, catalog, hosts, fail, where)
            if kind == "host":
                named.append(value)
            else:
                own = next((peer for peer in entry.peers if peer.role == value), None)
                roles.append(own or PeerSelector(role=value))
    return Replaced(entry_id, ports, change.peers, tuple(roles), tuple(named), change.reason)


def _override_ports(
    entry: CatalogEntry, given: str | Mapping[Protocol, str], catalog: Catalog, fail: Fail
) -> dict[Protocol, str]:
    protocols = list(dict.fromkeys(item.protocol for item in entry.ports))
    where = ("override", entry.id, "ports")
    if isinstance(given, str):
        if len(protocols) > 1:
            both = ", ".join(f"{proto}: ..." for proto in protocols)
            raise fail(
                f"override: {entry.id} has {' and '.join(protocols)} ports; give them per "
                f"protocol ({{{both}}})",
                *where,
            )
        given = {protocols[0]: given}
    for proto, text in given.items():
        if proto not in protocols:
            raise fail(
                f"override: {entry.id} has no {proto} ports (it has {', '.join(protocols)})",
                *where,
                str(proto),
            )
        _check_expression(entry, text, catalog, lambda m: fail(m, *where))
    return dict(given)


def _check_expression(
    entry: CatalogEntry, text: str, catalog: Catalog, fail: Callable[[str], InventoryError]
) -> None:
    """The checks a pack's port expression gets: it parses, names only options (and the
    instance where the role has one), and a literal one is a valid port list."""
    label = f"override: {entry.id} ports {text!r}"
    try:
        expression = portspec.parse(text)
    except PortExpressionError as exc:
        raise fail(f"{label}: {exc}") from exc
    for variable in sorted(expression.variables - portspec.INSTANCE_ALIASES):
        if variable not in catalog.options:
            known = hint(close_matches(variable, catalog.options))
            raise fail(f"{label}: {variable!r} is not a catalog option{known}")
    role = catalog.roles[entry.role.role]
    if expression.variables & portspec.INSTANCE_ALIASES and "instance" not in role.params:
        raise fail(f"{label}: depends on the instance, but role {role.name!r} has none")
    if expression.is_constant:
        try:
            portspec.evaluate(expression)
        except PortExpressionError as exc:
            raise fail(f"{label}: {exc}") from exc


def _peer(
    name: str,
    catalog: Catalog,
    hosts: Mapping[str, Sequence[str]],
    fail: Fail,
    where: tuple[str | int, ...],
) -> tuple[str, str]:
    """``("role", id)`` or ``("host", name)`` for one name of an override's ``peers``."""
    kind, _, rest = name.partition(":")
    if kind in ("role", "host") and rest:
        known = catalog.roles if kind == "role" else hosts
        if rest not in known:
            raise fail(
                f"override peers: no {kind} {rest!r}{hint(close_matches(rest, known))}", *where
            )
        return kind, rest
    is_role, is_host = name in catalog.roles, name in hosts
    if is_role and is_host:
        raise fail(
            f"override peers: {name!r} is both a role and a host; write role:{name} or host:{name}",
            *where,
        )
    if not (is_role or is_host):
        close = close_matches(name, [*catalog.roles, *hosts])
        raise fail(
            f"override peers: {name!r} is neither a catalog role nor a host{hint(close)}", *where
        )
    return ("role" if is_role else "host"), name


def _binding(
    role: str, value: str, catalog: Catalog, hosts: Mapping[str, Sequence[str]], fail: Fail
) -> Binding:
    where = ("bind", role)
    spec = catalog.roles.get(role)
    if spec is None:
        raise fail(f"bind: no role {role!r}{hint(close_matches(role, catalog.roles))}", *where)
    needed = [key for key, param in spec.params.items() if param.required]
    if needed:
        raise fail(
            f"bind: role {role} needs {', '.join(needed)}, which a binding cannot give; "
            "add a host for it instead",
            *where,
        )
    holders = [host for host, roles in hosts.items() if role in roles]
    if holders:
        raise fail(
            f"bind: role {role} is held by host {holders[0]!r}; bind is for roles no host holds",
            *where,
        )
    if str(value).strip().casefold() == ANY:
        return Binding(role, None)
    try:
        return Binding(role, ipaddress.ip_network(str(value), strict=True))
    except ValueError as exc:
        raise fail(
            f"bind: {role}: {value!r} is not an IP address, a network or 'any' ({exc})", *where
        ) from exc

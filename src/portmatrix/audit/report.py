"""What an audit reports, as plain records whose field names are the JSON contract.

``unexpected``: observed tuples no matrix flow explains, with the endpoint names the inventory
knows and, where the catalog recognises the port, a suggestion of what the traffic might be.
``unused``: matrix flows no record touched in the period. ``flows``: every audited matrix flow
with its hits (allowed records), replies, attempts, bytes and when it was seen. ``attempts``:
denied or unanswered tuples, and which matrix flows would have admitted them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from portmatrix.audit.address import Address
from portmatrix.audit.canonical import Counts, protocol_name
from portmatrix.audit.engines import Row
from portmatrix.audit.rules import RuleTables
from portmatrix.catalog import Catalog
from portmatrix.lookup import PortFinder, PortMatch
from portmatrix.model import CatalogEntry, Flow, Matrix

SCHEMA_VERSION = 1
CLASSES = ("allowed", "reply", "attempt", "unexpected")


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    inventory: str
    sources: tuple[str, ...]
    engine: str
    since: str | None = None
    until: str | None = None
    flows_audited: int = 0
    flows_unbound: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    records: int
    allowed: int
    reply: int
    attempt: int
    unexpected: int
    malformed: int
    ignored: int
    coverage: float | None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Unexpected:
    src_address: str
    dst_address: str
    protocol: str
    port: int | None
    count: int
    bytes: int
    first_seen: str | None
    last_seen: str | None
    src: str | None
    dst: str | None
    suggestion: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    src_address: str
    dst_address: str
    protocol: str
    port: int | None
    count: int
    first_seen: str | None
    last_seen: str | None
    src: str | None
    dst: str | None
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Unused:
    rule: str
    src: str
    dst: str
    protocol: str
    port_start: int
    port_end: int
    src_address: str | None
    dst_address: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowUsage:
    rule: str
    src: str
    dst: str
    protocol: str
    port_start: int
    port_end: int
    hits: int
    replies: int
    attempts: int
    bytes: int
    first_seen: str | None
    last_seen: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    schema_version: Literal[1] = 1
    scope: Scope
    summary: Summary
    unexpected: tuple[Unexpected, ...] = ()
    unused: tuple[Unused, ...] = ()
    flows: tuple[FlowUsage, ...] = ()
    attempts: tuple[Attempt, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def iso(micros: int | None) -> str | None:
    if micros is None:
        return None
    return (
        datetime.fromtimestamp(micros // 1_000_000, tz=UTC)
        .replace(microsecond=micros % 1_000_000)
        .isoformat()
        .replace("+00:00", "Z")
    )


class AddressBook:
    """Endpoint names by address: the host itself, else the smallest inventory network."""

    def __init__(self, matrix: Matrix):
        self._by_prefix: dict[tuple[int, int], dict[int, str]] = {}
        for endpoint in sorted(matrix.endpoints.values(), key=lambda e: e.name):
            for address in endpoint.all_addresses():  # every network's address names the host
                net = ipaddress.ip_network(address, strict=False)
                table = self._by_prefix.setdefault((net.version, net.prefixlen), {})
                table.setdefault(int(net.network_address), endpoint.name)
        self._order = sorted(self._by_prefix, key=lambda key: -key[1])

    def name(self, address: Address) -> str | None:
        value, bits = (address.lo, 32) if address.family == 4 else (int(address.ip), 128)
        for family, prefix in self._order:
            if family != address.family:
                continue
            mask = ((1 << prefix) - 1) << (bits - prefix)
            found = self._by_prefix[(family, prefix)].get(value & mask)
            if found is not None:
                return found
        return None


@dataclass
class _Usage:
    hits: int = 0
    replies: int = 0
    attempts: int = 0
    bytes: int = 0
    first: int | None = None
    last: int | None = None

    def add(self, kind: str, count: int, size: int, first: int | None, last: int | None) -> None:
        setattr(self, kind, getattr(self, kind) + count)
        self.bytes += size if kind != "attempts" else 0
        if first is not None:
            self.first = first if self.first is None else min(self.first, first)
        if last is not None:
            self.last = last if self.last is None else max(self.last, last)


@dataclass
class Builder:
    """Turns the engine's grouped rows into the report."""

    matrix: Matrix
    catalog: Catalog
    tables: RuleTables
    book: AddressBook = field(init=False)
    _suggestions: dict[tuple[str, int, str | None, str | None], str | None] = field(
        default_factory=dict
    )
    _listeners: dict[tuple[str, int], list[PortMatch]] = field(default_factory=dict)
    _finder: PortFinder | None = None
    _entries: dict[str, CatalogEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.book = AddressBook(self.matrix)
        self._entries = {entry.id: entry for entry in self.catalog.entries}

    def build(self, rows: Sequence[Row], *, scope: Scope, counts: Counts) -> AuditReport:
        classes = dict.fromkeys(CLASSES, 0)
        usage = [_Usage() for _ in self.tables.flows]
        unexpected: list[Unexpected] = []
        attempts: list[Attempt] = []
        kinds = {"allowed": "hits", "reply": "replies", "attempt": "attempts"}
        for row in rows:
            kind, fset, count, size, first, last = row[0], row[1], row[9], row[10], row[11], row[12]
            classes[kind] += int(count)
            if fset is not None:
                for index in self.tables.flowsets[fset]:
                    usage[index].add(kinds[kind], int(count), int(size or 0), first, last)
            if kind == "unexpected":
                unexpected.append(self._unexpected(row))
            elif kind == "attempt":
                attempts.append(self._attempt(row))
        explained = classes["allowed"] + classes["reply"]
        observed = explained + classes["unexpected"]
        summary = Summary(
            records=sum(classes.values()),
            **classes,
            malformed=counts.malformed,
            ignored=counts.ignored,
            coverage=round(explained / observed, 6) if observed else None,
            problems=tuple(str(problem) for problem in counts.problems),
        )
        flows = tuple(
            _flow_usage(flow, use) for flow, use in zip(self.tables.flows, usage, strict=True)
        )
        unused = tuple(
            Unused(
                rule=flow.rule,
                src=flow.src,
                dst=flow.dst,
                protocol=flow.protocol.value,
                port_start=flow.port_start,
                port_end=flow.port_end,
                src_address=flow.src_address,
                dst_address=flow.dst_address,
            )
            for flow, use in zip(self.tables.flows, usage, strict=True)
            if not (use.hits or use.replies or use.attempts)
        )
        return AuditReport(
            scope=scope,
            summary=summary,
            unexpected=tuple(sorted(unexpected, key=_tuple_order)),
            unused=unused,
            flows=flows,
            attempts=tuple(sorted(attempts, key=_tuple_order)),
        )

    def _addresses(self, row: Row) -> tuple[Address, Address]:
        family = int(row[2])
        return Address(family, int(row[3]), int(row[4])), Address(family, int(row[5]), int(row[6]))

    def _unexpected(self, row: Row) -> Unexpected:
        src, dst = self._addresses(row)
        src_name, dst_name = self.book.name(src), self.book.name(dst)
        proto = protocol_name(row[7])
        port = None if row[8] is None else int(row[8])
        return Unexpected(
            src_address=str(src),
            dst_address=str(dst),
            protocol=proto,
            port=port,
            count=int(row[9]),
            bytes=int(row[10] or 0),
            first_seen=iso(row[11]),
            last_seen=iso(row[12]),
            src=src_name,
            dst=dst_name,
            suggestion=self.suggest(proto, port, src_name or str(src), dst_name or str(dst)),
        )

    def _attempt(self, row: Row) -> Attempt:
        src, dst = self._addresses(row)
        rules: tuple[str, ...] = ()
        if row[1] is not None:
            rules = tuple(sorted({self.tables.flows[i].rule for i in self.tables.flowsets[row[1]]}))
        return Attempt(
            src_address=str(src),
            dst_address=str(dst),
            protocol=protocol_name(row[7]),
            port=None if row[8] is None else int(row[8]),
            count=int(row[9]),
            first_seen=iso(row[11]),
            last_seen=iso(row[12]),
            src=self.book.name(src),
            dst=self.book.name(dst),
            rules=rules,
        )

    def suggest(self, proto: str, port: int | None, src: str, dst: str) -> str | None:
        """What the catalog says the port is, and the inventory question that would explain it."""
        if port is None or proto not in ("tcp", "udp"):
            return None
        key = (proto, port, src, dst)
        if key not in self._suggestions:
            self._suggestions[key] = self._suggest(proto, port, src, dst)
        return self._suggestions[key]

    def _suggest(self, proto: str, port: int, src: str, dst: str) -> str | None:
        from portmatrix.model import Protocol

        ports = (proto, port)
        if ports not in self._listeners:
            if self._finder is None:
                self._finder = PortFinder(self.catalog)
            found = self._finder.find(port, protocol=Protocol(proto))
            self._listeners[ports] = [m for m in found if m.at == "listener"]
        matches = self._listeners[ports]
        if not matches:
            return None
        endpoint = self.matrix.endpoints.get(dst)
        held = set(endpoint.roles) if endpoint is not None else set()
        entries = self._entries
        owned = [m for m in matches if entries[m.id].role.role in held]
        match = (owned or matches)[0]
        entry = entries[match.id]
        what = match.description.split(": ", 1)[0]
        at = f" at instance {match.instance}" if match.instance is not None else ""
        head = f"{src} -> {dst} {proto}/{port} is {what}{at}"
        if not owned:
            return f"{head}: is {dst} {_a(entry.role.role)}{at.replace(' at', ' in')}?"
        if match.instance is not None:
            return f"{head}: is {src} in instance {match.instance}?"
        peers = " or ".join(_a(role) for role in sorted({peer.role for peer in entry.peers}))
        return f"{head}: should {src} be {peers}?" if peers else f"{head} ({entry.id})"


def _a(role: str) -> str:
    return f"{'an' if role[:1] in 'aeiou' else 'a'} {role}"


def _tuple_order(item: Unexpected | Attempt) -> tuple[int, str, str, str, int]:
    """Most frequent first; ties in a total order, so both engines list them alike."""
    return (-item.count, item.src_address, item.dst_address, item.protocol, item.port or -1)


def _flow_usage(flow: Flow, use: _Usage) -> FlowUsage:
    return FlowUsage(
        rule=flow.rule,
        src=flow.src,
        dst=flow.dst,
        protocol=flow.protocol.value,
        port_start=flow.port_start,
        port_end=flow.port_end,
        hits=use.hits,
        replies=use.replies,
        attempts=use.attempts,
        bytes=use.bytes,
        first_seen=iso(use.first),
        last_seen=iso(use.last),
    )

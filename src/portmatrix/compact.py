"""The one compaction layer every renderer stands on.

Flows arrive one per (source, destination, catalog row, port range); firewalls want as few rules
and set elements as will say the same thing. Compaction happens here, once, before any renderer
sees the flows, so that every target says exactly the same thing and renderers only print:

* ports of one (source, destination, protocol) are merged into ranges where they touch or overlap;
* sources with identical allowances become one group, then destinations with identical groups;
* each group's addresses are collapsed into the fewest prefixes.

Addresses that nest (a /24 phone network and a host inside it) are first cut into disjoint
blocks, so no two grants overlap. nftables rejects overlapping elements in an interval set, and a
reviewer should never have to ask which of two overlapping lines applies.

Every port block keeps the catalog rows (:class:`Reason`) it came from, so each printed line can
carry the catalog id and the document reference of the rows behind it.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from portmatrix.model import Flow, Protocol
from portmatrix.traffic import Interval, address_value, family_of, network_interval
from portmatrix.traffic import prefixes as _prefixes

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Reason(NamedTuple):
    """A catalog row behind a rule: its id and the document reference, as printed in comments.

    A named tuple rather than a dataclass: reasons are hashed into sets millions of times.
    """

    rule: str
    source: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.source})" if self.source else self.rule


@dataclass(frozen=True, slots=True)
class PortBlock:
    """An inclusive port range and the catalog rows that asked for any port in it."""

    start: int
    end: int
    reasons: tuple[Reason, ...]

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    @property
    def width(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Grant:
    """Sources that may reach destinations on a set of ports: one compacted permission.

    ``sources`` or ``destinations`` is empty when that side is "any" (local-only ports are
    blocked from every source). ``family`` is 4 or 6; every address in a grant shares it.
    """

    family: int
    protocol: Protocol
    sources: tuple[str, ...]
    destinations: tuple[str, ...]
    ports: tuple[PortBlock, ...]
    source_names: tuple[str, ...]
    destination_names: tuple[str, ...]
    flows: int

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(sorted({reason for block in self.ports for reason in block.reasons}))

    @property
    def rules(self) -> tuple[str, ...]:
        """The catalog ids behind this grant, sorted and without repeats."""
        return tuple(sorted({reason.rule for reason in self.reasons}))


@lru_cache(maxsize=65536)
def parse_network(text: str) -> Network:
    """An address or CIDR as a network; cached because the same hosts recur in every flow."""
    return ipaddress.ip_network(text, strict=False)


def merge_port_blocks(items: Iterable[tuple[int, int, Iterable[Reason]]]) -> tuple[PortBlock, ...]:
    """Sort ranges and merge those that overlap or touch, keeping the union of their reasons."""
    return tuple(
        PortBlock(start, end, tuple(sorted(reasons))) for start, end, reasons in _merge(items)
    )


def _merge(
    items: Iterable[tuple[int, int, Iterable[Reason]]],
) -> list[tuple[int, int, set[Reason]]]:
    items = list(items)
    if len(items) == 1:
        start, end, reasons = items[0]
        return [(start, end, set(reasons))]
    merged: list[tuple[int, int, set[Reason]]] = []
    for start, end, reasons in sorted(items, key=lambda item: (item[0], item[1])):
        if merged and start <= merged[-1][1] + 1:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] | set(reasons))
        else:
            merged.append((start, end, set(reasons)))
    return merged


def collapse(networks: Iterable[Network]) -> tuple[str, ...]:
    """The fewest prefixes covering exactly these networks, IPv4 before IPv6, as CIDR text."""
    return prefixes(
        (address_value(net.network_address), address_value(net.broadcast_address))
        for net in networks
    )


def prefixes(intervals: Iterable[Interval]) -> tuple[str, ...]:
    """The fewest CIDR prefixes covering exactly these address intervals, IPv4 first."""
    return tuple(text for _, text in _prefixes(intervals, bare_hosts=False))


def disjoint_blocks(intervals: Iterable[Interval]) -> dict[Interval, tuple[Interval, ...]]:
    """Cut overlapping address blocks apart: each block -> the disjoint pieces that make it.

    Every boundary of every block cuts the address line; a block is the run of pieces between
    its own boundaries. Pieces of different blocks are equal or disjoint, never partly shared,
    so a permission given to a network is exactly the union of its pieces' permissions. Both
    families share the line (IPv4 above IPv6), so no block crosses from one to the other.
    """
    items = set(intervals)
    cuts = sorted({lo for lo, _ in items} | {hi + 1 for _, hi in items})
    blocks: dict[Interval, tuple[Interval, ...]] = {}
    for item in items:
        lo, hi = bisect_left(cuts, item[0]), bisect_left(cuts, item[1] + 1)
        blocks[item] = tuple((cuts[k], cuts[k + 1] - 1) for k in range(lo, hi))
    return blocks


@dataclass(slots=True)
class _Cell:
    """What one (source block, destination block, protocol) is allowed, before grouping."""

    ranges: list[tuple[int, int, tuple[Reason, ...]]]
    source_names: set[str]
    destination_names: set[str]
    flows: int = 0


Side = Interval | None
CellKey = tuple[int, Protocol, Side, Side]


def compact_flows(
    flows: Iterable[Flow], *, any_source: bool = False, any_destination: bool = False
) -> tuple[Grant, ...]:
    """Compact flows into the fewest non-overlapping grants that admit exactly the same traffic.

    ``any_source`` ignores the flows' sources (local-only ports are blocked from everyone);
    ``any_destination`` likewise. Flows must carry the addresses that are not ignored.
    """
    flows = list(flows)
    sources = _blocks_by_address(flows, "src_address", skip=any_source)
    destinations = _blocks_by_address(flows, "dst_address", skip=any_destination)
    cells = _fill_cells(flows, sources, destinations)
    return _group(cells)


def _blocks_by_address(
    flows: Sequence[Flow], attribute: str, *, skip: bool
) -> Callable[[str | None], Sequence[Side]]:
    """How to find the disjoint blocks of one side of a flow (just ``None`` if ignored)."""
    if skip:
        return lambda _address: (None,)
    texts = {getattr(flow, attribute) for flow in flows}
    if None in texts:
        raise ValueError(f"compact_flows needs every flow's {attribute}")
    intervals = {text: network_interval(text) for text in texts}
    blocks = disjoint_blocks(intervals.values())
    by_text: dict[str | None, Sequence[Side]] = {
        text: blocks[interval] for text, interval in intervals.items()
    }
    return by_text.__getitem__


def _fill_cells(
    flows: Sequence[Flow],
    source_blocks: Callable[[str | None], Sequence[Side]],
    destination_blocks: Callable[[str | None], Sequence[Side]],
) -> dict[CellKey, _Cell]:
    cells: dict[CellKey, _Cell] = {}
    reasons: dict[tuple[str, str], tuple[Reason, ...]] = {}
    for flow in flows:
        row = (flow.rule, flow.source)
        reason = reasons.get(row) or reasons.setdefault(row, (Reason(*row),))
        family = _family(flow)
        for src in source_blocks(flow.src_address):
            for dst in destination_blocks(flow.dst_address):
                key = (family, flow.protocol, src, dst)
                cell = cells.get(key) or cells.setdefault(key, _Cell([], set(), set()))
                cell.ranges.append((flow.port_start, flow.port_end, reason))
                cell.source_names.add(flow.src)
                cell.destination_names.add(flow.dst)
                cell.flows += 1
    return cells


def _family(flow: Flow) -> int:
    address = flow.dst_address or flow.src_address
    return family_of(network_interval(address)[0]) if address else 4


Shape = tuple[tuple[int, int], ...]


@dataclass(slots=True)
class _Group:
    """Members (address blocks) sharing one allowance, with the reasons of each port block."""

    members: set[Side]
    reasons: list[set[Reason]]
    source_names: set[str]
    destination_names: set[str]
    flows: int = 0

    @classmethod
    def empty(cls, blocks: int) -> _Group:
        return cls(set(), [set() for _ in range(blocks)], set(), set())

    def absorb(
        self, member: Side, reasons: Sequence[Iterable[Reason]], other: _Cell | _Group
    ) -> None:
        self.members.add(member)
        for held, more in zip(self.reasons, reasons, strict=True):
            held.update(more)
        self.source_names |= other.source_names
        self.destination_names |= other.destination_names
        self.flows += other.flows


def _group(cells: dict[CellKey, _Cell]) -> tuple[Grant, ...]:
    """Group sources with identical allowances, then destinations with identical source groups."""
    by_destination: dict[tuple[int, Protocol, Side, Shape], _Group] = {}
    for (family, protocol, src, dst), cell in cells.items():
        merged = _merge(cell.ranges)
        key = (family, protocol, dst, tuple((start, end) for start, end, _ in merged))
        group = by_destination.get(key) or by_destination.setdefault(key, _Group.empty(len(merged)))
        group.absorb(src, [reasons for _, _, reasons in merged], cell)
    by_sources: dict[tuple[int, Protocol, Shape, frozenset[Side]], _Group] = {}
    for (family, protocol, dst, shape), sources in by_destination.items():
        key2 = (family, protocol, shape, frozenset(sources.members))
        group = by_sources.get(key2) or by_sources.setdefault(key2, _Group.empty(len(shape)))
        group.absorb(dst, sources.reasons, sources)
    return tuple(
        sorted((_grant(key, group) for key, group in by_sources.items()), key=_grant_order)
    )


def _grant(key: tuple[int, Protocol, Shape, frozenset[Side]], group: _Group) -> Grant:
    family, protocol, shape, sources = key
    ports = tuple(
        PortBlock(start, end, tuple(sorted(reasons)))
        for (start, end), reasons in zip(shape, group.reasons, strict=True)
    )
    return Grant(
        family=family,
        protocol=protocol,
        sources=prefixes(block for block in sources if block is not None),
        destinations=prefixes(block for block in group.members if block is not None),
        ports=ports,
        source_names=tuple(sorted(group.source_names)),
        destination_names=tuple(sorted(group.destination_names)),
        flows=group.flows,
    )


def _grant_order(grant: Grant) -> tuple[object, ...]:
    def address_key(texts: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(network_interval(text)[0] for text in texts[:1])

    return (
        grant.family,
        grant.protocol.value,
        address_key(grant.destinations),
        address_key(grant.sources),
        grant.ports[0].start if grant.ports else 0,
    )

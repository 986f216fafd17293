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
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from portmatrix.model import Flow, Protocol

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True, order=True)
class Reason:
    """A catalog row behind a rule: its id and the document reference, as printed in comments."""

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
    merged: list[tuple[int, int, set[Reason]]] = []
    for start, end, reasons in sorted(items, key=lambda item: (item[0], item[1])):
        if merged and start <= merged[-1][1] + 1:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2] | set(reasons))
        else:
            merged.append((start, end, set(reasons)))
    return tuple(PortBlock(start, end, tuple(sorted(reasons))) for start, end, reasons in merged)


def collapse(networks: Iterable[Network]) -> tuple[str, ...]:
    """The fewest prefixes covering exactly these networks, IPv4 before IPv6, as CIDR text."""
    by_version: dict[int, list[Network]] = defaultdict(list)
    for network in networks:
        by_version[network.version].append(network)
    out: list[str] = []
    for version in sorted(by_version):
        out.extend(str(net) for net in ipaddress.collapse_addresses(by_version[version]))  # type: ignore[type-var]
    return tuple(out)


def disjoint_blocks(networks: Iterable[Network]) -> dict[Network, tuple[Network, ...]]:
    """Cut nesting networks apart: each network -> the disjoint blocks that together make it.

    A network that contains others keeps only what lies outside them; the inner ones stand for
    themselves. Blocks of different networks never overlap, and every block of a network lies
    inside it, so a permission given to a network is the union of its blocks' permissions.
    """
    ordered = sorted(
        set(networks), key=lambda net: (net.version, net.network_address, net.prefixlen)
    )
    children: dict[Network, list[Network]] = defaultdict(list)
    stack: list[Network] = []
    for network in ordered:
        while stack and not _inside(network, stack[-1]):
            stack.pop()
        if stack:
            children[stack[-1]].append(network)
        stack.append(network)
    blocks: dict[Network, tuple[Network, ...]] = {}
    for network in reversed(ordered):
        inner = children.get(network, [])
        own = _exclude(network, inner)
        blocks[network] = (*own, *(block for child in inner for block in blocks[child]))
    return blocks


def _inside(network: Network, container: Network) -> bool:
    return network.version == container.version and network.subnet_of(container)  # type: ignore[arg-type]


def _exclude(network: Network, holes: Sequence[Network]) -> list[Network]:
    parts = [network]
    for hole in holes:
        parts = [
            piece
            for part in parts
            for piece in (part.address_exclude(hole) if _inside(hole, part) else (part,))  # type: ignore[arg-type]
        ]
    return parts


@dataclass(slots=True)
class _Cell:
    """What one (source block, destination block, protocol) is allowed, before grouping."""

    ranges: list[tuple[int, int, tuple[Reason, ...]]]
    source_names: set[str]
    destination_names: set[str]
    flows: int = 0


Side = Network | None
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
    networks = {text: parse_network(text) for text in texts}
    blocks = disjoint_blocks(networks.values())
    by_text: dict[str | None, Sequence[Side]] = {
        text: blocks[net] for text, net in networks.items()
    }
    return by_text.__getitem__


def _fill_cells(
    flows: Sequence[Flow],
    source_blocks: Callable[[str | None], Sequence[Side]],
    destination_blocks: Callable[[str | None], Sequence[Side]],
) -> dict[CellKey, _Cell]:
    cells: dict[CellKey, _Cell] = {}
    for flow in flows:
        reason = (Reason(flow.rule, flow.source),)
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
    return parse_network(address).version if address else 4


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
        blocks = merge_port_blocks(cell.ranges)
        key = (family, protocol, dst, tuple((block.start, block.end) for block in blocks))
        group = by_destination.get(key) or by_destination.setdefault(key, _Group.empty(len(blocks)))
        group.absorb(src, [block.reasons for block in blocks], cell)
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
        sources=collapse(net for net in sources if net is not None),
        destinations=collapse(net for net in group.members if net is not None),
        ports=ports,
        source_names=tuple(sorted(group.source_names)),
        destination_names=tuple(sorted(group.destination_names)),
        flows=group.flows,
    )


def _grant_order(grant: Grant) -> tuple[object, ...]:
    def address_key(texts: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(int(parse_network(text).network_address) for text in texts[:1])

    return (
        grant.family,
        grant.protocol.value,
        address_key(grant.destinations),
        address_key(grant.sources),
        grant.ports[0].start if grant.ports else 0,
    )

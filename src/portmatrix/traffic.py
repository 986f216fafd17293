"""The traffic layer: port ranges, address sets and boxes of traffic, on integer lines.

Everything that reasons about which packets a rule or a flow admits stands on this module:
compaction (merging ports and addresses before rendering), the ruleset checker (first-match
evaluation over regions of traffic) and the audit (which flows admit an observed connection).

* An :data:`Interval` is an inclusive pair of integers, the one type for a run of addresses,
  of ports or of protocol numbers; :data:`Intervals` is a sorted, disjoint tuple of them.
* Addresses of both families share one line. An IPv6 address is its own 128-bit value; an IPv4
  address lives at ``2**128 + int(v4)``, *outside* the IPv6 space. An IPv6 prefix such as
  ``::/3`` or ``::ffff:0:0/96`` therefore never covers an IPv4 address, and a ruleset's IPv6
  bogon list is read as the IPv6 it is.
* A :data:`Box` holds, per dimension, an :data:`Intervals`: source address, destination
  address, IP protocol, source port, destination port. Intersection and difference of boxes
  are interval arithmetic, so a rule that opens tcp/1-65535 costs the same as one port.
* :class:`AdmitIndex` answers "which flows admit this connection?" through hash look-ups, fast
  enough for the millions of tuples of a flow log.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portmatrix.model import Flow

Interval = tuple[int, int]
Intervals = tuple[Interval, ...]
Box = tuple[Intervals, Intervals, Intervals, Intervals, Intervals]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SRC, DST, PROTO, SPORT, DPORT = range(5)
DIMENSIONS = ("src", "dst", "protocol", "sport", "dport")

#: Dimensions in the order that most often proves two boxes disjoint, tested first for speed.
_ORDER = (DPORT, DST, SRC, PROTO, SPORT)

V6_SIZE = 2**128
V4_BASE = V6_SIZE  # IPv4 sits above the whole IPv6 space
MAX_ADDRESS = V4_BASE + 2**32 - 1
V4: Intervals = ((V4_BASE, MAX_ADDRESS),)
V6: Intervals = ((0, V6_SIZE - 1),)
ALL_ADDRESSES: Intervals = ((0, MAX_ADDRESS),)
ALL_PROTOCOLS: Intervals = ((0, 255),)
MAX_PORT = 65535
ALL_PORTS: Intervals = ((0, MAX_PORT),)

TCP, UDP = 6, 17
PROTOCOL_NUMBERS = {
    "icmp": 1,
    "igmp": 2,
    "ipip": 4,
    "ipinip": 4,
    "tcp": 6,
    "egp": 8,
    "udp": 17,
    "ipv6": 41,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "ahp": 51,
    "icmpv6": 58,
    "ipv6-icmp": 58,
    "icmp6": 58,
    "eigrp": 88,
    "ospf": 89,
    "pim": 103,
    "pcp": 108,
    "vrrp": 112,
    "sctp": 132,
    "udplite": 136,
    "dccp": 33,
    "nos": 94,
}
PROTOCOL_NAMES = {TCP: "tcp", UDP: "udp"}

#: Transport protocols that carry ports in the first four bytes of their header (nft's ``th``).
PORT_PROTOCOLS: Intervals = ((TCP, TCP), (UDP, UDP), (33, 33), (132, 132), (136, 136))

FULL: Box = (ALL_ADDRESSES, ALL_ADDRESSES, ALL_PROTOCOLS, ALL_PORTS, ALL_PORTS)


# --------------------------------------------------------------------------- interval sets


def span(lo: int, hi: int) -> Intervals:
    return ((lo, hi),) if lo <= hi else ()


def normalise(pairs: Iterable[Interval]) -> Intervals:
    """Sort and merge overlapping or adjacent intervals into canonical form."""
    ordered = sorted(pairs)
    if len(ordered) == 1:
        return (ordered[0],)
    merged: list[Interval] = []
    for lo, hi in ordered:
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _window(a: Intervals, lo: int, hi: int) -> tuple[int, int]:
    """The index range of ``a``'s intervals that overlap ``lo..hi`` (found by bisection)."""
    first = bisect.bisect_left(a, (lo,))
    if first and a[first - 1][1] >= lo:
        first -= 1
    return first, bisect.bisect_right(a, (hi, _AFTER), first)


_AFTER = 2**200  # sorts after every interval's end on any line


def intersect(a: Intervals, b: Intervals) -> Intervals:
    if len(a) == 1 and len(b) == 1:
        (alo, ahi), (blo, bhi) = a[0], b[0]
        lo = alo if alo > blo else blo
        hi = ahi if ahi < bhi else bhi
        if lo > hi:
            return ()
        if lo == alo and hi == ahi:
            return a  # the same object back, so later steps can skip it by identity
        if lo == blo and hi == bhi:
            return b
        return ((lo, hi),)
    if len(b) > len(a):
        a, b = b, a
    if len(b) == 1:
        lo, hi = b[0]
        first, last = _window(a, lo, hi)
        if first >= last:
            return ()
        inside = list(a[first:last])
        inside[0] = (max(inside[0][0], lo), inside[0][1])
        inside[-1] = (inside[-1][0], min(inside[-1][1], hi))
        return tuple(inside)
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: Intervals, b: Intervals) -> Intervals:
    if len(b) == 1 and a:
        lo, hi = b[0]
        first, last = _window(a, lo, hi)
        if first >= last:
            return a
        left, right = a[first][0], a[last - 1][1]
        middle: Intervals = ((left, lo - 1),) if left < lo else ()
        if right > hi:
            middle += ((hi + 1, right),)
        return a[:first] + middle + a[last:]
    out: list[Interval] = []
    j = 0
    for lo, hi in a:
        while j < len(b) and b[j][1] < lo:
            j += 1
        k, start = j, lo
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > start:
                out.append((start, b[k][0] - 1))
            start = max(start, b[k][1] + 1)
            k += 1
        if start <= hi:
            out.append((start, hi))
    return tuple(out)


def union(a: Intervals, b: Intervals) -> Intervals:
    return normalise((*a, *b)) if b else a


def overlaps(a: Intervals, b: Intervals) -> bool:
    if len(b) > len(a):
        a, b = b, a
    if len(b) == 1:
        lo, hi = b[0]
        if len(a) == 1:
            return a[0][0] <= hi and lo <= a[0][1]
        first, last = _window(a, lo, hi)
        return first < last
    return bool(intersect(a, b))


def size(a: Intervals) -> int:
    return sum(hi - lo + 1 for lo, hi in a)


def hull(a: Intervals) -> Interval:
    return (a[0][0], a[-1][1])


def contains(a: Intervals, value: int) -> bool:
    """Whether ``value`` lies in the sorted set ``a`` (a bisection, not a scan)."""
    at = bisect.bisect_right(a, (value, MAX_ADDRESS + 1)) - 1
    return at >= 0 and a[at][0] <= value <= a[at][1]


# --------------------------------------------------------------------------- boxes


def with_dims(base: Box = FULL, **dims: Intervals) -> Box:
    """A box equal to ``base`` except for the named dimensions (``src=``, ``dport=``, ...)."""
    values = list(base)
    for name, value in dims.items():
        values[DIMENSIONS.index(name)] = value
    return (values[0], values[1], values[2], values[3], values[4])


def box_intersect(a: Box, b: Box) -> Box | None:
    # In the order that most often proves two boxes disjoint (destination port, protocol,
    # destination, source): this is the innermost step of every evaluation, where the ports
    # always overlap and the region is one box per protocol. Most dimensions are one interval
    # on each side, met here without a call.
    met: list[Intervals] = [(), (), (), (), ()]
    for dim in _MEET_ORDER:
        x, y = a[dim], b[dim]
        if x is y:
            met[dim] = x
        elif len(x) == 1 and len(y) == 1:
            (xlo, xhi), (ylo, yhi) = x[0], y[0]
            if ylo <= xlo and xhi <= yhi:
                met[dim] = x  # the same object back, so later steps can skip it by identity
            elif xlo <= ylo and yhi <= xhi:
                met[dim] = y
            else:
                lo = xlo if xlo > ylo else ylo
                hi = xhi if xhi < yhi else yhi
                if lo > hi:
                    return None
                met[dim] = ((lo, hi),)
        else:
            found = intersect(x, y)
            if not found:
                return None
            met[dim] = found
    return (met[0], met[1], met[2], met[3], met[4])


_MEET_ORDER = (DPORT, PROTO, DST, SRC, SPORT)


def box_covers(outer: Box, inner: Box) -> bool:
    """Whether ``inner`` lies wholly inside ``outer``."""
    return all(not subtract(inner[dim], outer[dim]) for dim in _ORDER)


def box_overlaps(a: Box, b: Box) -> bool:
    return all(overlaps(a[dim], b[dim]) for dim in _ORDER)


def box_subtract(a: Box, b: Box) -> list[Box]:
    """``a`` minus ``b`` as at most five disjoint boxes."""
    inter = box_intersect(a, b)
    if inter is None:
        return [a]
    return _outside(a, b, inter)


def _outside(a: Box, b: Box, inter: Box) -> list[Box]:
    """``a`` minus ``b`` when their intersection ``inter`` is known (and not empty)."""
    pieces: list[Box] = []
    current = list(a)
    for dim in _ORDER:
        if inter[dim] is current[dim]:
            continue  # ``b`` covers ``a`` along this dimension: nothing lies outside it
        outside = subtract(current[dim], b[dim])
        if outside:
            piece = list(current)
            piece[dim] = outside
            pieces.append((piece[0], piece[1], piece[2], piece[3], piece[4]))
        current[dim] = inter[dim]
    return pieces


# --------------------------------------------------------------------------- regions


def split(region: Sequence[Box], match: Sequence[Box]) -> tuple[list[Box], list[Box]]:
    """The parts of ``region`` inside ``match`` and the parts outside, both disjoint."""
    hit: list[Box] = []
    rest = list(region)
    for term in match:
        outside: list[Box] = []
        for piece in rest:
            inter = box_intersect(piece, term)
            if inter is None:
                outside.append(piece)
                continue
            hit.append(inter)
            outside.extend(_outside(piece, term, inter))
        rest = outside
        if not rest:
            break
    return hit, rest


def region_subtract(region: Sequence[Box], holes: Sequence[Box]) -> list[Box]:
    return split(region, holes)[1]


def region_intersect(region: Sequence[Box], match: Sequence[Box]) -> list[Box]:
    return split(region, match)[0]


def region_overlaps(region: Sequence[Box], match: Sequence[Box]) -> bool:
    return any(box_overlaps(piece, term) for piece in region for term in match)


def conjoin(a: Sequence[Box], b: Sequence[Box]) -> list[Box]:
    """Intersection of two unions of boxes (both sides may overlap internally)."""
    out: list[Box] = []
    for left in a:
        for right in b:
            inter = box_intersect(left, right)
            if inter is not None:
                out.append(inter)
    return out


def complement(match: Sequence[Box]) -> list[Box]:
    return region_subtract([FULL], match)


def dim_union(region: Iterable[Box], dim: int) -> Intervals:
    pairs: list[Interval] = []
    for piece in region:
        pairs.extend(piece[dim])
    return normalise(pairs)


# --------------------------------------------------------------------------- addresses


def address_value(address: Address) -> int:
    """An address's place on the shared line (IPv4 above the IPv6 space)."""
    return V4_BASE + int(address) if address.version == 4 else int(address)


def _dotted_quad(text: str) -> int | None:
    """``a.b.c.d`` as an integer, or None for anything else (left to :mod:`ipaddress`).

    Rulesets of tens of thousands of rules are mostly IPv4 hosts; reading those here is ten
    times quicker than building an :mod:`ipaddress` object for each.
    """
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3 or part[:1] == "0" != part:
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


@functools.lru_cache(maxsize=65536)
def network_interval(text: str) -> Interval:
    """``"10.0.0.0/24"`` or ``"10.0.0.1"`` as an interval on the shared line; ValueError if bad."""
    address, slash, length = text.partition("/")
    quad = _dotted_quad(address)
    if quad is not None and (not slash or (length.isascii() and length.isdigit())):
        bits = int(length) if slash else 32
        if bits <= 32 and (not slash or length[:1] != "0" or length == "0"):
            host = (1 << (32 - bits)) - 1
            lo = V4_BASE + (quad & ~host)
            return lo, lo + host
    network = ipaddress.ip_network(text, strict=False)
    lo = address_value(network.network_address)
    return lo, lo + network.num_addresses - 1


@functools.lru_cache(maxsize=65536)
def parse_address(text: str) -> int:
    """One address (no prefix) on the shared line; ValueError if it is not one."""
    quad = _dotted_quad(text)
    if quad is not None:
        return V4_BASE + quad
    return address_value(ipaddress.ip_address(text))


def address_interval(first: str, last: str) -> Interval:
    lo, hi = parse_address(first), parse_address(last)
    if family_of(lo) != family_of(hi):
        raise ValueError(f"address range {first}-{last} mixes IPv4 and IPv6")
    if hi < lo:
        raise ValueError(f"address range {first}-{last} is empty")
    return lo, hi


def family_of(value: int) -> int:
    """4 or 6: which family an address on the shared line belongs to."""
    return 4 if value >= V4_BASE else 6


def network_family(text: str) -> int:
    """4 or 6 for an address or CIDR text."""
    return family_of(network_interval(text)[0])


def family_space(family: int) -> Intervals:
    return V4 if family == 4 else V6


def family_bits(family: int) -> int:
    return 32 if family == 4 else 128


def to_address(value: int) -> Address:
    if family_of(value) == 4:
        return ipaddress.IPv4Address(value - V4_BASE)
    return ipaddress.IPv6Address(value)


@functools.lru_cache(maxsize=65536)
def address_text(value: int) -> str:
    return str(to_address(value))


def cidr_blocks(lo: int, hi: int) -> Iterator[tuple[Interval, int]]:
    """``lo..hi`` (one family) as the fewest CIDR blocks, each with its prefix length."""
    family = family_of(lo)
    base, bits = (V4_BASE, 32) if family == 4 else (0, 128)
    first, last = lo - base, hi - base
    while first <= last:
        aligned = (first & -first).bit_length() - 1 if first else bits
        step = min(aligned, (last - first + 1).bit_length() - 1)
        yield (first + base, first + base + (1 << step) - 1), bits - step
        first += 1 << step


def prefixes(
    intervals: Iterable[Interval], *, bare_hosts: bool = True
) -> list[tuple[Interval, str]]:
    """Addresses as the fewest CIDR prefixes, each with its text, IPv4 before IPv6.

    ``bare_hosts`` prints a lone host without ``/32`` (how findings name it); renderers want
    every prefix with its length.
    """
    return list(iter_prefixes(intervals, bare_hosts=bare_hosts))


def iter_prefixes(
    intervals: Iterable[Interval], *, bare_hosts: bool = True
) -> Iterator[tuple[Interval, str]]:
    """:func:`prefixes` one at a time, for a caller that may stop early (a text too long)."""
    merged = normalise(intervals)
    ordered = [*(i for i in merged if i[0] >= V4_BASE), *(i for i in merged if i[0] < V4_BASE)]
    for lo, hi in ordered:
        full = family_bits(family_of(lo))
        for block, length in cidr_blocks(lo, hi):
            text = address_text(block[0])
            yield block, text if bare_hosts and length == full else f"{text}/{length}"


def format_addresses(intervals: Intervals) -> str:
    return ",".join(text for _, text in prefixes(intervals))


def covering_prefix(lo: int, hi: int) -> Interval:
    """The smallest CIDR prefix that holds ``lo..hi`` (within one address family)."""
    base, width = (V4_BASE, 32) if family_of(lo) == 4 else (0, 128)
    bits = ((lo - base) ^ (hi - base)).bit_length()
    if bits >= width:
        return (base, base + 2**width - 1)
    start = ((lo - base) >> bits << bits) + base
    return start, start + 2**bits - 1


# --------------------------------------------------------------------------- ports, protocols


def format_ports(intervals: Intervals) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals)


def protocol_name(number: int) -> str:
    return PROTOCOL_NAMES.get(number, str(number))


def protocol_number(protocol: str | int) -> int | None:
    """``"tcp"``, ``Protocol.UDP``, ``"6"`` or ``17`` as a protocol number; None if unknown."""
    if isinstance(protocol, int):
        return protocol if 0 <= protocol <= 255 else None
    text = str(protocol).strip().lower()
    if text.isdigit():
        return int(text) if int(text) <= 255 else None
    return PROTOCOL_NUMBERS.get(text)


# --------------------------------------------------------------------------- admitting flows


class _PrefixMap:
    """Values keyed by CIDR blocks; a look-up returns those whose block holds a point.

    One dictionary per prefix size: a point is masked to each size present (a handful: hosts,
    /24s, a few wider networks) and looked up, so the cost does not grow with the entries.
    """

    __slots__ = ("_by_size",)

    def __init__(self) -> None:
        self._by_size: dict[int, dict[int, list[int]]] = {}

    def add(self, block: Interval, value: int) -> None:
        shift = (block[1] - block[0] + 1).bit_length() - 1
        self._by_size.setdefault(shift, {}).setdefault(block[0], []).append(value)

    def freeze(self) -> list[tuple[int, dict[int, tuple[int, ...]]]]:
        return [
            (shift, {start: tuple(values) for start, values in table.items()})
            for shift, table in sorted(self._by_size.items())
        ]


class _PortCuts:
    """The flows of one (protocol, destination block), cut at every port boundary they draw.

    Each elementary port range maps to a source look-up over the flows that cover it, so a
    query bisects once and then only meets flows that admit its port.
    """

    __slots__ = ("sources", "starts", "stop")

    def __init__(self, entries: Sequence[tuple[int, int, Interval, int]]):
        points = sorted({p for start, end, _, _ in entries for p in (start, end + 1)})
        self.starts, self.stop = points[:-1], points[-1]
        maps = [_PrefixMap() for _ in self.starts]
        for start, end, src, position in entries:
            first = bisect.bisect_left(self.starts, start)
            for segment in range(first, bisect.bisect_left(self.starts, end + 1)):
                maps[segment].add(src, position)
        self.sources = [found.freeze() for found in maps]

    def at(self, port: int) -> list[tuple[int, dict[int, tuple[int, ...]]]]:
        at = bisect.bisect_right(self.starts, port) - 1
        return self.sources[at] if at >= 0 and port < self.stop else []


def _lookup(table: list[tuple[int, dict[int, tuple[int, ...]]]], point: int) -> Iterator[int]:
    for shift, blocks in table:
        found = blocks.get(point >> shift << shift)
        if found is not None:
            yield from found


class AdmitIndex:
    """Which flows admit a connection, answered by look-ups instead of a scan of the flows.

    Only flows that leave a host count: bound (both ends have addresses), not local-only. A flow
    admits (src, dst, protocol, port) when the source lies in the flow's source network, the
    destination in its destination network and the port in its range. Destinations are found
    by hashing on the exact host or the masked network (one table per prefix size), ports by
    bisecting that destination's port cuts, and sources by the same per-size hashing.

    Addresses are text (``"10.0.0.1"``), :mod:`ipaddress` objects, or integers on the shared
    line of this module (IPv4 at ``2**128 + int(v4)``). The protocol is ``"tcp"``, ``"udp"``,
    a :class:`~portmatrix.model.Protocol` or a number.
    """

    def __init__(self, flows: Iterable[Flow]):
        self.flows: tuple[Flow, ...] = tuple(
            flow for flow in flows if not flow.unbound and not flow.local_only
        )
        grouped: dict[tuple[int, Interval], list[tuple[int, int, Interval, int]]] = {}
        for position, flow in enumerate(self.flows):
            protocol = PROTOCOL_NUMBERS[flow.protocol.value]
            dst = network_interval(flow.dst_address or "")
            src = network_interval(flow.src_address or "")
            grouped.setdefault((protocol, dst), []).append(
                (flow.port_start, flow.port_end, src, position)
            )
        self._cuts: list[_PortCuts] = []
        destinations: dict[int, _PrefixMap] = {}
        for (protocol, dst), entries in grouped.items():
            destinations.setdefault(protocol, _PrefixMap()).add(dst, len(self._cuts))
            self._cuts.append(_PortCuts(entries))
        self._destinations = {protocol: table.freeze() for protocol, table in destinations.items()}

    def admits(
        self,
        src_address: str | int | Address,
        dst_address: str | int | Address,
        protocol: str | int,
        port: int,
    ) -> tuple[Flow, ...]:
        """Every flow that admits the connection, in the order of the flows given."""
        number = protocol_number(protocol)
        table = self._destinations.get(number) if number is not None else None
        if table is None:
            return ()
        src, dst = _point(src_address), _point(dst_address)
        found: list[int] = []
        for cut in _lookup(table, dst):
            found.extend(_lookup(self._cuts[cut].at(port), src))
        if not found:
            return ()
        if len(found) > 1:
            found.sort()
        return tuple(self.flows[i] for i in found)


def _point(address: str | int | Address) -> int:
    if isinstance(address, int):
        return address
    if isinstance(address, str):
        return parse_address(address)
    return address_value(address)

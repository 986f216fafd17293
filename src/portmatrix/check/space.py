"""The traffic space the checker reasons in: boxes over addresses, protocol and ports.

A firewall rule admits a region of packets and a matrix flow needs one. Rather than enumerate
ports or addresses, both are unions of *boxes*. A box holds, per dimension, a set of inclusive
integer intervals: source address, destination address, IP protocol, source port, destination
port. Intersection and difference of boxes are interval arithmetic, so a rule that opens
tcp/1-65535 from any costs the same as one that opens a single port.

IPv4 addresses live in their IPv4-mapped IPv6 form (``::ffff:a.b.c.d``), so one integer line
holds both families and "IPv4 only" is just an interval.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

Interval = tuple[int, int]
Intervals = tuple[Interval, ...]
Box = tuple[Intervals, Intervals, Intervals, Intervals, Intervals]

SRC, DST, PROTO, SPORT, DPORT = range(5)
DIMENSIONS = ("src", "dst", "protocol", "sport", "dport")

#: Dimensions in the order that most often proves two boxes disjoint, tested first for speed.
_ORDER = (DPORT, DST, SRC, PROTO, SPORT)

MAX_ADDRESS = 2**128 - 1
V4_BASE = 0xFFFF << 32
V4: Intervals = ((V4_BASE, V4_BASE + 2**32 - 1),)
ALL_ADDRESSES: Intervals = ((0, MAX_ADDRESS),)
V6: Intervals = ((0, V4_BASE - 1), (V4_BASE + 2**32, MAX_ADDRESS))
ALL_PROTOCOLS: Intervals = ((0, 255),)
ALL_PORTS: Intervals = ((0, 65535),)

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
    merged: list[Interval] = []
    for lo, hi in sorted(pairs):
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def intersect(a: Intervals, b: Intervals) -> Intervals:
    if len(a) == 1 and len(b) == 1:
        lo, hi = max(a[0][0], b[0][0]), min(a[0][1], b[0][1])
        return ((lo, hi),) if lo <= hi else ()
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
    if len(a) == 1 and len(b) == 1:
        return a[0][0] <= b[0][1] and b[0][0] <= a[0][1]
    return bool(intersect(a, b))


def size(a: Intervals) -> int:
    return sum(hi - lo + 1 for lo, hi in a)


def hull(a: Intervals) -> Interval:
    return (a[0][0], a[-1][1])


# --------------------------------------------------------------------------- boxes


def with_dims(base: Box = FULL, **dims: Intervals) -> Box:
    """A box equal to ``base`` except for the named dimensions (``src=``, ``dport=``, ...)."""
    values = list(base)
    for name, value in dims.items():
        values[DIMENSIONS.index(name)] = value
    return (values[0], values[1], values[2], values[3], values[4])


def box_intersect(a: Box, b: Box) -> Box | None:
    for dim in _ORDER:
        if not overlaps(a[dim], b[dim]):
            return None
    return (
        intersect(a[0], b[0]),
        intersect(a[1], b[1]),
        intersect(a[2], b[2]),
        intersect(a[3], b[3]),
        intersect(a[4], b[4]),
    )


def box_overlaps(a: Box, b: Box) -> bool:
    return all(overlaps(a[dim], b[dim]) for dim in _ORDER)


def box_subtract(a: Box, b: Box) -> list[Box]:
    """``a`` minus ``b`` as at most five disjoint boxes."""
    inter = box_intersect(a, b)
    if inter is None:
        return [a]
    pieces: list[Box] = []
    current = list(a)
    for dim in _ORDER:
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
            outside.extend(box_subtract(piece, term))
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


def address_value(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
    return V4_BASE + int(address) if address.version == 4 else int(address)


@functools.lru_cache(maxsize=65536)
def network_interval(text: str) -> Interval:
    """``"10.0.0.0/24"`` or ``"10.0.0.1"`` as an interval on the shared line; ValueError if bad."""
    network = ipaddress.ip_network(text, strict=False)
    lo = address_value(network.network_address)
    return lo, lo + network.num_addresses - 1


def address_interval(first: str, last: str) -> Interval:
    lo = address_value(ipaddress.ip_address(first))
    hi = address_value(ipaddress.ip_address(last))
    if hi < lo:
        raise ValueError(f"address range {first}-{last} is empty")
    return lo, hi


def family_of(value: int) -> int:
    return 4 if V4_BASE <= value <= V4[0][1] else 6


def family_space(family: int) -> Intervals:
    return V4 if family == 4 else V6


def _to_address(value: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if family_of(value) == 4:
        return ipaddress.IPv4Address(value - V4_BASE)
    return ipaddress.IPv6Address(value)


def prefixes(intervals: Intervals) -> list[tuple[Interval, str]]:
    """Addresses as the fewest CIDR prefixes, each with its text (a lone host without ``/32``)."""
    parts: list[tuple[Interval, str]] = []
    for lo, hi in intervals:
        for network in ipaddress.summarize_address_range(_to_address(lo), _to_address(hi)):
            start = address_value(network.network_address)
            single = network.num_addresses == 1
            text = str(network.network_address) if single else str(network)
            parts.append(((start, start + network.num_addresses - 1), text))
    return parts


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


def format_ports(intervals: Intervals) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals)


def protocol_name(number: int) -> str:
    return PROTOCOL_NAMES.get(number, str(number))

"""The matrix as the engines join it: disjoint cells keyed for an equi-join.

Each cell says "records from these sources to this destination on these ports are admitted by
this *flow set*" (the matrix flows that admit them; usually one, several where two catalog
entries need the same port). Cells are made disjoint first (:func:`atomize`), so a record
meets at most one cell and the engines never count it twice, while each flow of its set still
gets its hit.

Cells are then keyed for an equi-join on ``(protocol, family, destination host, source
bucket)``: destination networks are expanded to their hosts (up to :data:`MAX_HOSTS`), and
sources to their buckets (a /24 of IPv4, a /64 of IPv6, up to :data:`MAX_BUCKETS`); what
remains to compare are ranges on the port and on the source within its bucket. A cell wider
than those limits goes to a small *wide* table matched by ranges alone.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from portmatrix.audit.address import MAX_HALF, MIN_HALF, signed
from portmatrix.model import Flow, Matrix

MAX_HOSTS = 1024
MAX_BUCKETS = 64
_PROTOCOLS = {"tcp": 6, "udp": 17}
_HALF = 1 << 64
_SIGN = 1 << 63
_V4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")

Interval = tuple[int, int]  # inclusive, unsigned, within one family


@dataclass(frozen=True, slots=True)
class Cell:
    protocol: int
    family: int
    dst: Interval
    src: Interval
    ports: Interval
    fset: int


@dataclass
class RuleTables:
    """What the engines load: keyed rows, wide rows and the flows of each flow set."""

    flows: tuple[Flow, ...]
    flowsets: list[tuple[int, ...]] = field(default_factory=list)
    keyed: list[tuple[int, ...]] = field(default_factory=list)
    wide: list[tuple[int, ...]] = field(default_factory=list)
    spans: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def keyed_rows(self) -> int:
        """Rows of the keyed table the engines join: IPv6 rows, and IPv4 spans once expanded."""
        return len(self.keyed) + sum(
            (d1 - d0 + 1) * ((s1 >> 8) - (s0 >> 8) + 1) for _, _, d0, d1, s0, s1, _, _ in self.spans
        )


KEYED_COLUMNS = {
    "fset": "INTEGER",
    "protocol": "SMALLINT",
    "family": "TINYINT",
    "dst_hi": "BIGINT",
    "dst_lo": "BIGINT",
    "src_key": "BIGINT",
    "src_lo_min": "BIGINT",
    "src_lo_max": "BIGINT",
    "port_lo": "INTEGER",
    "port_hi": "INTEGER",
}
#: An IPv4 cell before expansion: the engines expand it to keyed rows themselves (one row per
#: destination host and source /24), which is far cheaper than sending them the rows.
SPAN_COLUMNS = {
    "fset": "INTEGER",
    "protocol": "SMALLINT",
    "dst_first": "BIGINT",
    "dst_last": "BIGINT",
    "src_first": "BIGINT",
    "src_last": "BIGINT",
    "port_lo": "INTEGER",
    "port_hi": "INTEGER",
}
WIDE_COLUMNS = {
    "fset": "INTEGER",
    "protocol": "SMALLINT",
    "family": "TINYINT",
    "dst_hi_min": "BIGINT",
    "dst_hi_max": "BIGINT",
    "dst_lo_min": "BIGINT",
    "dst_lo_max": "BIGINT",
    "src_hi_min": "BIGINT",
    "src_hi_max": "BIGINT",
    "src_lo_min": "BIGINT",
    "src_lo_max": "BIGINT",
    "port_lo": "INTEGER",
    "port_hi": "INTEGER",
}


def audited_flows(matrix: Matrix) -> tuple[Flow, ...]:
    """Flows traffic can show: bound to addresses of one family, crossing the network, TCP or UDP."""
    return tuple(
        sorted(
            flow
            for flow in matrix.flows
            if not flow.unbound
            and not flow.local_only
            and flow.protocol.value in _PROTOCOLS
            and _interval(flow.src_address or "")[0] == _interval(flow.dst_address or "")[0]
        )
    )


def _interval(network: str) -> tuple[int, Interval]:
    net = ipaddress.ip_network(network, strict=False)
    if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_V4_MAPPED):
        low = int(net.network_address) & 0xFFFFFFFF
        return 4, (low, low + net.num_addresses - 1)
    return net.version, (int(net.network_address), int(net.broadcast_address))


def build(matrix: Matrix) -> RuleTables:
    flows = audited_flows(matrix)
    tables = RuleTables(flows=flows)
    groups: dict[tuple[int, int], list[tuple[Interval, Interval, Interval, int]]] = {}
    for index, flow in enumerate(flows):
        family, src = _interval(flow.src_address or "")
        _, dst = _interval(flow.dst_address or "")
        key = (_PROTOCOLS[flow.protocol.value], family)
        groups.setdefault(key, []).append((dst, src, (flow.port_start, flow.port_end), index))
    sets: dict[tuple[int, ...], int] = {}
    for (protocol, family), boxes in sorted(groups.items()):
        for dst, src, ports, members in atomize(boxes):
            fset = sets.setdefault(members, len(sets))
            _emit(tables, Cell(protocol, family, dst, src, ports, fset))
    tables.flowsets = list(sets)
    return tables


Box3 = tuple[Interval, Interval, Interval, int]  # dst, src, ports, flow index


def _elementary(intervals: Iterable[Interval]) -> list[Interval]:
    bounds = sorted({b for lo, hi in intervals for b in (lo, hi + 1)})
    return list(zip(bounds, [b - 1 for b in bounds[1:]], strict=False))


def atomize(boxes: Sequence[Box3]) -> list[tuple[Interval, Interval, Interval, tuple[int, ...]]]:
    """Disjoint boxes covering exactly the union of ``boxes``, each with the flows covering it.

    A sweep along the destination axis keeps the boxes active at each elementary interval; the
    source-by-port plane of each distinct active set is cut once and reused.
    """
    events: dict[int, list[tuple[int, int]]] = {}
    for number, box in enumerate(boxes):
        events.setdefault(box[0][0], []).append((1, number))
        events.setdefault(box[0][1] + 1, []).append((-1, number))
    points = sorted(events)
    active: set[int] = set()
    out: list[tuple[Interval, Interval, Interval, tuple[int, ...]]] = []
    cache: dict[frozenset[int], list[tuple[Interval, Interval, tuple[int, ...]]]] = {}
    for point, following in itertools.pairwise(points):
        for change, number in events[point]:
            if change > 0:
                active.add(number)
            else:
                active.discard(number)
        if not active:
            continue
        key = frozenset(active)
        if key not in cache:
            cache[key] = _atomize_plane([(boxes[n][1], boxes[n][2], boxes[n][3]) for n in key])
        dst = (point, following - 1)
        out.extend((dst, src, ports, members) for src, ports, members in cache[key])
    return _merge_dst(out)


def _atomize_plane(
    boxes: Sequence[tuple[Interval, Interval, int]],
) -> list[tuple[Interval, Interval, tuple[int, ...]]]:
    rows: list[tuple[Interval, list[tuple[Interval, tuple[int, ...]]]]] = []
    for src in _elementary(box[0] for box in boxes):
        active = [box for box in boxes if box[0][0] <= src[0] <= box[0][1]]
        cells: list[tuple[Interval, tuple[int, ...]]] = []
        for ports in _elementary(box[1] for box in active):
            members = tuple(sorted({b[2] for b in active if b[1][0] <= ports[0] <= b[1][1]}))
            if not members:
                continue
            if cells and cells[-1][1] == members and cells[-1][0][1] + 1 == ports[0]:
                cells[-1] = ((cells[-1][0][0], ports[1]), members)
            else:
                cells.append((ports, members))
        if not cells:
            continue
        if rows and rows[-1][1] == cells and rows[-1][0][1] + 1 == src[0]:
            rows[-1] = ((rows[-1][0][0], src[1]), cells)
        else:
            rows.append((src, cells))
    return [(src, ports, members) for src, cells in rows for ports, members in cells]


def _merge_dst(
    cells: list[tuple[Interval, Interval, Interval, tuple[int, ...]]],
) -> list[tuple[Interval, Interval, Interval, tuple[int, ...]]]:
    """Join destination neighbours that carry the same cell (whole networks stay whole)."""
    merged: dict[tuple[Interval, Interval, tuple[int, ...]], list[Interval]] = {}
    for dst, src, ports, members in cells:
        runs = merged.setdefault((src, ports, members), [])
        if runs and runs[-1][1] + 1 == dst[0]:
            runs[-1] = (runs[-1][0], dst[1])
        else:
            runs.append(dst)
    return [
        (dst, src, ports, members) for (src, ports, members), runs in merged.items() for dst in runs
    ]


def _emit(tables: RuleTables, cell: Cell) -> None:
    shift = 8 if cell.family == 4 else 64
    first_bucket, last_bucket = cell.src[0] >> shift, cell.src[1] >> shift
    hosts = cell.dst[1] - cell.dst[0] + 1
    if hosts > MAX_HOSTS or last_bucket - first_bucket + 1 > MAX_BUCKETS:
        _emit_wide(tables, cell)
        return
    if cell.family == 4:
        tables.spans.append((cell.fset, cell.protocol, *cell.dst, *cell.src, *cell.ports))
        return
    for host in range(cell.dst[0], cell.dst[1] + 1):
        dst_hi, dst_lo = _halves(cell.family, host)
        for bucket in range(first_bucket, last_bucket + 1):
            start = max(cell.src[0], bucket << shift)
            end = min(cell.src[1], ((bucket + 1) << shift) - 1)
            key = bucket if cell.family == 4 else signed(bucket)
            for lo_min, lo_max in _signed_ranges(cell.family, start, end):
                tables.keyed.append(
                    (
                        cell.fset,
                        cell.protocol,
                        cell.family,
                        dst_hi,
                        dst_lo,
                        key,
                        lo_min,
                        lo_max,
                        *cell.ports,
                    )
                )


def _emit_wide(tables: RuleTables, cell: Cell) -> None:
    for dst in interval_boxes(cell.family, *cell.dst):
        for src in interval_boxes(cell.family, *cell.src):
            tables.wide.append((cell.fset, cell.protocol, cell.family, *dst, *src, *cell.ports))


def _halves(family: int, value: int) -> tuple[int, int]:
    if family == 4:
        return 0, value
    return signed(value >> 64), signed(value & (_HALF - 1))


def _signed_ranges(family: int, start: int, end: int) -> list[Interval]:
    """An unsigned range of low halves as one or two signed ranges (split at 2**63)."""
    if family == 4:
        return [(start, end)]
    lo, hi = start & (_HALF - 1), end & (_HALF - 1)
    if lo < _SIGN <= hi:
        return [(lo, _SIGN - 1), (signed(_SIGN), signed(hi))]
    return [(signed(lo), signed(hi))]


def interval_boxes(family: int, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """``[start, end]`` as boxes ``(hi_min, hi_max, lo_min, lo_max)`` of signed halves."""
    if family == 4:
        return [(0, 0, start, end)]
    first, last = start >> 64, end >> 64
    pieces: list[tuple[int, int, int, int]] = []
    if first == last:
        spans = [(first, first, start & (_HALF - 1), end & (_HALF - 1))]
    else:
        spans = [(first, first, start & (_HALF - 1), _HALF - 1)]
        if last - first > 1:
            spans.append((first + 1, last - 1, 0, _HALF - 1))
        spans.append((last, last, 0, end & (_HALF - 1)))
    for hi_a, hi_b, lo_a, lo_b in spans:
        for h_min, h_max in _signed_ranges(6, hi_a, hi_b):
            for l_min, l_max in _signed_ranges(6, lo_a, lo_b):
                pieces.append((h_min, h_max, l_min, l_max))
    return pieces


__all__ = ["MAX_HALF", "MIN_HALF", "RuleTables", "audited_flows", "build"]

"""What changes between two deployments: the flows to open and the flows to close.

Compared port by port within each (source, destination, protocol, rule), so renumbering an
instance shows exactly the shifted ports and nothing else, and a widened range shows only the
ports it adds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from portmatrix.model import Flow, Matrix, Protocol

Key = tuple[str, str, Protocol, str]


@dataclass(frozen=True, slots=True)
class MatrixDiff:
    to_open: tuple[Flow, ...]
    to_close: tuple[Flow, ...]

    @property
    def empty(self) -> bool:
        return not self.to_open and not self.to_close


def diff_matrices(old: Matrix, new: Matrix) -> MatrixDiff:
    old_index, new_index = _index(old.flows), _index(new.flows)
    to_open = [
        f for key, flows in new_index.items() for f in _subtract(flows, old_index.get(key, []))
    ]
    to_close = [
        f for key, flows in old_index.items() for f in _subtract(flows, new_index.get(key, []))
    ]
    order = lambda flow: (flow.dst, flow.src, flow.protocol, flow.port_start, flow.rule)  # noqa: E731
    return MatrixDiff(tuple(sorted(to_open, key=order)), tuple(sorted(to_close, key=order)))


def _index(flows: tuple[Flow, ...]) -> dict[Key, list[Flow]]:
    index: dict[Key, list[Flow]] = defaultdict(list)
    for flow in flows:
        index[(flow.src, flow.dst, flow.protocol, flow.rule)].append(flow)
    return index


def _subtract(flows: list[Flow], others: list[Flow]) -> list[Flow]:
    """Parts of ``flows`` whose ports no flow in ``others`` covers (same addresses required)."""
    result = []
    for flow in flows:
        covering = sorted(
            (o.port_start, o.port_end)
            for o in others
            if o.src_address == flow.src_address and o.dst_address == flow.dst_address
        )
        for lo, hi in _interval_minus((flow.port_start, flow.port_end), covering):
            result.append(flow._replace(port_start=lo, port_end=hi))
    return result


def _interval_minus(span: tuple[int, int], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    lo, hi = span
    pieces = []
    for hole_lo, hole_hi in holes:
        if hole_hi < lo or hole_lo > hi:
            continue
        if hole_lo > lo:
            pieces.append((lo, hole_lo - 1))
        lo = max(lo, hole_hi + 1)
        if lo > hi:
            return pieces
    pieces.append((lo, hi))
    return pieces

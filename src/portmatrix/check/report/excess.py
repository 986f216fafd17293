"""Openings no flow needs: for each accepting rule, what it admits minus what the matrix needs.

Findings are grouped per rule, destination endpoint and protocol, and say exactly what the rule
opens and what, inside that, the matrix needs: "line 14 opens tcp/1-65535 from any to pg1-a;
the matrix needs tcp/43006,43046 from pg1-b". The exact excess, source by source, is in the
finding's ``excess`` list.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field

from portmatrix.check.engine.evaluate import Decision
from portmatrix.check.engine.index import IntervalIndex
from portmatrix.check.report.findings import Finding, FindingKind
from portmatrix.check.report.labels import Endpoints
from portmatrix.check.ruleset import Origin
from portmatrix.model import Flow
from portmatrix.traffic import (
    DPORT,
    PROTO,
    SRC,
    Box,
    Intervals,
    box_intersect,
    dim_union,
    format_ports,
    hull,
    intersect,
    normalise,
    protocol_name,
    region_subtract,
    span,
    union,
)

Need = tuple[Flow, Box]


@dataclass
class _Opening:
    origin: Origin
    dst: str
    protocol: int
    scope_src: Intervals
    admitted: list[Box] = field(default_factory=list)
    excess: list[Box] = field(default_factory=list)
    needed: dict[str, Intervals] = field(default_factory=dict)  # flow source -> ports inside


@dataclass
class ExcessCollector:
    endpoints: Endpoints
    openings: dict[tuple[Origin, str, int], _Opening] = field(default_factory=dict)

    def add(
        self, dst: str, scope_src: Intervals, accepted: list[Decision], needs: list[Need]
    ) -> None:
        """Record what one destination slice admits, against the flows that slice must carry."""
        by_source = IntervalIndex(
            (lo, hi, i) for i, (_, box) in enumerate(needs) for lo, hi in box[SRC]
        )
        for decision in accepted:
            for protocol in (6, 17):
                box = _with_protocol(decision.box, protocol)
                if box is None:
                    continue
                key = (decision.rule.origin, dst, protocol)
                opening = self.openings.get(key)
                if opening is None:
                    opening = self.openings[key] = _Opening(
                        decision.rule.origin, dst, protocol, scope_src
                    )
                inside = [needs[i] for i in by_source.query(*hull(box[SRC]))]
                self._add_box(opening, box, inside)

    @staticmethod
    def _add_box(opening: _Opening, box: Box, needs: list[Need]) -> None:
        opening.admitted.append(box)
        # Needs that differ only in their source are one hole: subtracting them one by one
        # would cut the box into a piece per source, and each later hole would meet them all.
        holes: dict[tuple[Intervals, ...], Intervals] = {}
        for flow, need in needs:
            part = box_intersect(need, box)
            if part is not None:
                rest = (need[1], need[2], need[3], need[4])
                holes[rest] = union(holes.get(rest, ()), need[0])
                opening.needed[flow.src] = union(opening.needed.get(flow.src, ()), part[DPORT])
        merged = [
            (src, dst, protocol, sport, dport)
            for (dst, protocol, sport, dport), src in holes.items()
        ]
        opening.excess.extend(region_subtract([box], merged))

    def findings(self) -> list[Finding]:
        return [
            finding
            for opening in self.openings.values()
            if (finding := self._finding(opening)) is not None
        ]

    def _finding(self, opening: _Opening) -> Finding | None:
        if not opening.excess:
            return None
        ports = dim_union(opening.admitted, DPORT)
        protocol = protocol_name(opening.protocol)
        src = self.endpoints.label(
            dim_union(opening.admitted, SRC), opening.scope_src, exceptions=True
        )
        needed = [
            {"src": name, "ports": format_ports(found)}
            for name, found in sorted(opening.needed.items())
        ]
        excess_list = self._by_source(opening.excess, opening.scope_src)
        wants = ", ".join(f"{protocol}/{item['ports']} from {item['src']}" for item in needed)
        message = (
            f"{opening.origin.where()} opens {protocol}/{format_ports(ports)} from {src} to {opening.dst}; "
            + (f"the matrix needs {wants}" if wants else "the matrix needs none of it")
        )
        start, end = hull(ports)
        details = {"ports": format_ports(ports), "needed": needed, "excess": excess_list}
        return Finding.at(
            FindingKind.EXCESS,
            opening.origin,
            message,
            src=src,
            dst=opening.dst,
            protocol=protocol,
            port_start=start,
            port_end=end,
            details=details,
        )

    def _by_source(self, excess: list[Box], scope_src: Intervals) -> list[dict[str, str]]:
        """The excess as (sources, ports) pairs, cut at port boundaries so each pair is exact."""
        if len(excess) == 1:  # most often: one box, already exact
            (box,) = excess
            if not box[SRC]:
                return []
            label = self.endpoints.label(box[SRC], scope_src, exceptions=True)
            return [{"src": label, "ports": format_ports(box[DPORT])}]
        points = sorted(
            {point for box in excess for lo, hi in box[DPORT] for point in (lo, hi + 1)}
        )
        # Each box hands its sources to the port segments it spans (found by bisection), so
        # the cost is what the boxes cover, not segments times boxes.
        segments: list[list[tuple[int, int]]] = [[] for _ in points]
        for box in excess:
            for lo, hi in box[DPORT]:
                for segment in range(
                    bisect.bisect_left(points, lo), bisect.bisect_left(points, hi + 1)
                ):
                    segments[segment].extend(box[SRC])
        by_sources: dict[Intervals, list[tuple[int, int]]] = {}
        for (lo, stop), pairs in zip(itertools.pairwise(points), segments, strict=False):
            sources = normalise(pairs)
            if sources:
                by_sources.setdefault(sources, []).append((lo, stop - 1))
        merged: dict[str, Intervals] = {}
        for sources, ports in by_sources.items():
            label = self.endpoints.label(sources, scope_src, exceptions=True)
            merged[label] = union(merged.get(label, ()), normalise(ports))
        return [
            {"src": label, "ports": format_ports(ports)} for label, ports in sorted(merged.items())
        ]


def _with_protocol(box: Box, protocol: int) -> Box | None:
    if not intersect(box[PROTO], span(protocol, protocol)):
        return None
    return (box[0], box[1], span(protocol, protocol), box[3], box[4])

"""The check itself: every required flow and the whole scope through the ruleset, into a report.

For each destination slice of each lane, the whole scope of that slice (any allowed source,
TCP and UDP, every port) is evaluated once. Its decided pieces partition the slice: the accepted
ones are what the ruleset opens, each required flow's verdict is the pieces it overlaps (found
through an index on destination port), and what the rules reached or could have reached feeds
the shadow analysis.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from pathlib import Path

from portmatrix.check.engine.evaluate import Decision, Evaluator, RulesetIndex, SliceRules, Tracker
from portmatrix.check.engine.index import IntervalIndex
from portmatrix.check.engine.scope import (
    CLIENT_PORTS,
    SCOPE_PORTS,
    Lane,
    Slice,
    build_scope,
    slices,
)
from portmatrix.check.engine.shadow import shadowed_findings
from portmatrix.check.readers import load_ruleset
from portmatrix.check.report.blocked import BlockedCollector
from portmatrix.check.report.excess import ExcessCollector, Need
from portmatrix.check.report.findings import Report, unsupported_findings
from portmatrix.check.report.labels import Endpoints
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.gcpause import without_gc
from portmatrix.model import Flow, Matrix
from portmatrix.traffic import (
    DPORT,
    PROTO,
    SRC,
    Box,
    Intervals,
    box_intersect,
    hull,
    intersect,
    network_interval,
    region_overlaps,
    span,
)


def check_ruleset(
    matrix: Matrix,
    ruleset: Ruleset,
    *,
    host: str | None = None,
    between: tuple[str, str] | None = None,
    acl: str | None = None,
) -> Report:
    """Judge ``ruleset`` against the flows ``matrix`` requires, for a host, two zones, or all flows.

    For a host whose ruleset tests the arrival interface (``-i eth1``, ``iifname``), each of
    the host's addresses is checked as read for the interface that address is reached on
    (:mod:`portmatrix.check.engine.arrival`).
    """
    with without_gc():
        if host is not None and between is None:
            from portmatrix.check.engine.arrival import check_by_arrival, plan

            arrivals = plan(matrix, ruleset, host)
            if arrivals is not None:
                return check_by_arrival(matrix, ruleset, host, acl, arrivals, check_once)
        return check_once(matrix, ruleset, host=host, between=between, acl=acl)


def check_once(
    matrix: Matrix,
    ruleset: Ruleset,
    *,
    host: str | None = None,
    between: tuple[str, str] | None = None,
    acl: str | None = None,
    address: str | None = None,
) -> Report:
    """One evaluation of the ruleset as read, over the scope (one address of a host, with
    ``address``)."""
    scope = build_scope(matrix, ruleset, host=host, between=between, acl=acl, address=address)
    run = _Run(matrix, ruleset)
    for number, lane in enumerate(scope.lanes):
        run.lane(number, lane)
    results, blocked = run.blocked.results()
    findings = [
        *blocked,
        *run.excess.findings(),
        *shadowed_findings(run.index, run.tracker, scope.lanes),
    ]
    findings.extend(unsupported_findings(ruleset))
    findings.sort(key=lambda finding: finding.sort_key())
    return Report(ruleset.file, ruleset.type, scope.description, findings, results, scope.skipped)


def check_files(
    inventory: str | Path,
    ruleset: str | Path,
    *,
    ruleset_type: RulesetType | str,
    catalogs: Sequence[str | Path] = (),
    host: str | None = None,
    between: tuple[str, str] | None = None,
    acl: str | None = None,
) -> Report:
    """Resolve an inventory, read a ruleset file, and check one against the other."""
    from portmatrix.resolve import resolve_file

    matrix = resolve_file(inventory, catalogs=catalogs)
    loaded = load_ruleset(ruleset, ruleset_type=RulesetType(ruleset_type))
    return check_ruleset(matrix, loaded, host=host, between=between, acl=acl)


class _Run:
    def __init__(self, matrix: Matrix, ruleset: Ruleset):
        self.ruleset = ruleset
        self.endpoints = Endpoints(matrix)
        self.index = RulesetIndex(ruleset)
        self.tracker = Tracker()
        self.blocked = BlockedCollector()
        self.excess = ExcessCollector(self.endpoints)

    def lane(self, number: int, lane: Lane) -> None:
        flows = IntervalIndex(
            (*network_interval(flow.dst_address or ""), position)
            for position, flow in enumerate(lane.flows)
        )
        for piece in slices(lane, self.endpoints, self.ruleset.families):
            here = [lane.flows[position] for position in flows.query(*piece.window)]
            self._slice(number, lane, piece, here)

    def _slice(self, number: int, lane: Lane, piece: Slice, flows: list[Flow]) -> None:
        scope = lane.box(piece.family)
        scope = (scope[0], span(*piece.window), scope[2], scope[3], scope[4])
        rules = SliceRules(self.index, piece.window)
        pipeline = lane.pipelines[piece.family]
        decided = _Decided()
        entered: set[str] = set(pipeline)
        for ports, cut in rules.cut_groups(pipeline, hull(scope[DPORT])):
            evaluator = Evaluator(rules, pipeline, ports=cut, tracker=self.tracker)
            # One box per protocol: a rule for one protocol then leaves the rest in one piece
            # instead of splitting off the other protocol each time, so pieces do not pile up.
            region: list[Box] = [
                (scope[0], scope[1], (protocol,), scope[3], ports) for protocol in scope[PROTO]
            ]
            decided.add(ports, evaluator.decide(region))
            entered |= evaluator.entered
        self._mark_in_scope(number, rules, entered, scope)
        needs: list[Need] = []
        for flow in flows:
            box = _flow_box(flow, scope, CLIENT_PORTS)
            if box is None:
                continue
            needs.append((flow, (box[0], box[1], box[2], SCOPE_PORTS, box[4])))
            self.blocked.add(flow, box[SRC], decided.within(box))
        accepted = [decision for group in decided.groups for decision in group if decision.accepted]
        self.excess.add(piece.label, scope[0], accepted, needs)

    def _mark_in_scope(self, number: int, rules: SliceRules, entered: set[str], scope: Box) -> None:
        for chain in entered:
            for rule in rules.rules(chain):
                lanes = self.tracker.in_scope.get(rule)
                if lanes is not None and number in lanes:
                    continue
                if rule not in self.tracker.reached and region_overlaps([scope], rule.match):
                    self.tracker.in_scope.setdefault(rule, set()).add(number)


class _Decided:
    """A slice's decided pieces, grouped by the ports they were evaluated for, indexed by source.

    The pieces partition the slice and first match decides point by point, so a flow's verdict
    is the pieces it overlaps: found by bisecting the port runs of the groups and querying each
    group's source index, instead of walking the rules again for every flow.
    """

    def __init__(self) -> None:
        self.groups: list[list[Decision]] = []
        self._runs: list[tuple[int, int, int]] = []  # (first port, last port, group)
        self._starts: list[int] | None = None
        self._by_source: dict[int, IntervalIndex] = {}

    def add(self, ports: Intervals, decisions: list[Decision]) -> None:
        self._runs.extend((lo, hi, len(self.groups)) for lo, hi in ports)
        self.groups.append(decisions)
        self._starts = None

    def within(self, box: Box) -> list[Decision]:
        lo, hi = hull(box[DPORT])
        src_lo, src_hi = hull(box[SRC])
        if self._starts is None:
            self._runs.sort()
            self._starts = [start for start, _, _ in self._runs]
        touched: dict[int, None] = {}
        for run in range(
            max(0, bisect.bisect_right(self._starts, lo) - 1), bisect.bisect_right(self._starts, hi)
        ):
            if self._runs[run][1] >= lo:
                touched[self._runs[run][2]] = None
        found = []
        for group in touched:
            decisions = self.groups[group]
            for position in self._index(group).query(src_lo, src_hi):
                inter = box_intersect(decisions[position].box, box)
                if inter is not None:
                    found.append(
                        Decision(inter, decisions[position].accepted, decisions[position].rule)
                    )
        return found

    def _index(self, group: int) -> IntervalIndex:
        index = self._by_source.get(group)
        if index is None:
            entries = (
                (lo, hi, i)
                for i, decision in enumerate(self.groups[group])
                for lo, hi in decision.box[SRC]
            )
            index = self._by_source[group] = IntervalIndex(entries)
        return index


def _flow_box(flow: Flow, scope: Box, source_ports: Intervals) -> Box | None:
    """The traffic a flow needs inside one slice, or None if none of it falls there."""
    if flow.src_address is None or flow.dst_address is None:
        return None
    src = intersect(span(*network_interval(flow.src_address)), scope[0])
    dst = intersect(span(*network_interval(flow.dst_address)), scope[1])
    if not src or not dst:
        return None
    protocol = 6 if flow.protocol.value == "tcp" else 17
    return (src, dst, span(protocol, protocol), source_ports, span(flow.port_start, flow.port_end))

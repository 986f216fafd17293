"""The check itself: every required flow and the whole scope through the ruleset, into a report.

For each destination slice of each lane, the whole scope of that slice (any allowed source,
TCP and UDP, every port) is evaluated once: its accepted parts are what the ruleset opens, and
what the rules reached or could have reached feeds the shadow analysis. Each required flow is
then evaluated on its own, so a blocked flow names the rule that blocks exactly it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from portmatrix.check.blocked import BlockedCollector
from portmatrix.check.evaluate import Decision, Evaluator, RulesetIndex, Tracker
from portmatrix.check.excess import ExcessCollector, Need
from portmatrix.check.findings import Report, unsupported_findings
from portmatrix.check.index import IntervalIndex
from portmatrix.check.labels import Endpoints
from portmatrix.check.load import load_ruleset
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.check.scope import CLIENT_PORTS, SCOPE_PORTS, Lane, Slice, build_scope, slices
from portmatrix.check.shadow import shadowed_findings
from portmatrix.check.space import (
    SRC,
    Box,
    Intervals,
    intersect,
    network_interval,
    region_overlaps,
    span,
)
from portmatrix.model import Flow, Matrix


def check_ruleset(
    matrix: Matrix,
    ruleset: Ruleset,
    *,
    host: str | None = None,
    between: tuple[str, str] | None = None,
    acl: str | None = None,
) -> Report:
    """Judge ``ruleset`` against the flows ``matrix`` requires, for a host, two zones, or all flows."""
    scope = build_scope(matrix, ruleset, host=host, between=between, acl=acl)
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
        evaluator = Evaluator(
            self.index, lane.pipelines[piece.family], piece.window, tracker=self.tracker
        )
        decisions = evaluator.decide([scope])
        self._mark_in_scope(number, evaluator, scope)
        needs: list[Need] = []
        cache: dict[Box, list[Decision]] = {}  # flows that differ only in their catalog entry
        for flow in flows:
            box = _flow_box(flow, scope, CLIENT_PORTS)
            if box is None:
                continue
            needs.append((flow, (box[0], box[1], box[2], SCOPE_PORTS, box[4])))
            if box not in cache:
                cache[box] = evaluator.decide([box])
            self.blocked.add(flow, box[SRC], cache[box])
        accepted = [decision for decision in decisions if decision.accepted]
        self.excess.add(piece.label, scope[0], accepted, needs)

    def _mark_in_scope(self, number: int, evaluator: Evaluator, scope: Box) -> None:
        for chain in evaluator.entered:
            for rule in evaluator.candidates(chain):
                lanes = self.tracker.in_scope.get(rule)
                if lanes is not None and number in lanes:
                    continue
                if rule not in self.tracker.reached and region_overlaps([scope], rule.match):
                    self.tracker.in_scope.setdefault(rule, set()).add(number)


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

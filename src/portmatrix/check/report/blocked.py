"""Required flows the ruleset denies, attributed to the rule (or policy) that denies them.

A flow may be denied only in part (some ports of its range, some addresses of a source network)
and by more than one rule; each denying rule gets its own finding with the exact ports. When
other rules accept the rest of the flow, the finding names them too: a range narrowed by
mistake shows up at the narrowed rule's line, not only at the policy that drops the remainder.
Flows that differ only in the catalog entry that asks for them share one finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portmatrix.check.engine.evaluate import Decision
from portmatrix.check.report.findings import Finding, FindingKind, FlowResult
from portmatrix.check.ruleset import Origin
from portmatrix.model import Flow
from portmatrix.traffic import (
    DPORT,
    SRC,
    Box,
    Intervals,
    dim_union,
    format_addresses,
    format_ports,
)


@dataclass
class BlockedCollector:
    decisions: dict[Flow, list[Decision]] = field(default_factory=dict)
    sources: dict[Flow, Intervals] = field(default_factory=dict)

    def add(self, flow: Flow, source: Intervals, decisions: list[Decision]) -> None:
        self.sources[flow] = source
        self.decisions.setdefault(flow, []).extend(decisions)

    def results(self) -> tuple[list[FlowResult], list[Finding]]:
        """Every flow's result, and the findings merged across flows that ask for the same traffic."""
        merged: dict[tuple[object, ...], Finding] = {}
        results = []
        for flow, decisions in self.decisions.items():
            own = _flow_findings(flow, self.sources[flow], decisions)
            results.append(FlowResult(flow, tuple(own)))
            for finding in own:
                key = (
                    flow.src,
                    flow.dst,
                    flow.protocol.value,
                    finding.port_start,
                    finding.port_end,
                    finding.line,
                    finding.handle,
                    finding.chain,
                    finding.rule_text,
                )
                if key not in merged:
                    merged[key] = finding
                elif flow.rule not in merged[key].details["rules"]:
                    merged[key].details["rules"].append(flow.rule)
        return results, list(merged.values())


def _group(decisions: list[Decision], *, accepted: bool) -> dict[Origin, list[Box]]:
    groups: dict[Origin, list[Box]] = {}
    for decision in decisions:
        if decision.accepted == accepted:
            groups.setdefault(decision.rule.origin, []).append(decision.box)
    return groups


def _flow_findings(flow: Flow, source: Intervals, decisions: list[Decision]) -> list[Finding]:
    partial = _partial(flow, _group(decisions, accepted=True))
    findings = []
    for origin, boxes in _group(decisions, accepted=False).items():
        sources = dim_union(boxes, SRC)
        part = "" if sources == source else f" (from {format_addresses(sources)} of it)"
        for lo, hi in dim_union(boxes, DPORT):
            message = (
                f"{flow.protocol.value}/{format_ports(((lo, hi),))} from {flow.src} to {flow.dst}{part} is needed by "
                f"{flow.rule} but denied by {origin.where()}{_quoted(origin)}"
            )
            message += "".join(
                f"; {item['where']} accepts only {flow.protocol.value}/{item['ports']} of it"
                for item in partial
            )
            details = {
                "rules": [flow.rule],
                "accepted_in_part_by": [_public(item) for item in partial],
            }
            findings.append(
                Finding.at(
                    FindingKind.BLOCKED,
                    origin,
                    message,
                    src=flow.src,
                    dst=flow.dst,
                    protocol=flow.protocol.value,
                    port_start=lo,
                    port_end=hi,
                    details=details,
                )
            )
    return findings


def _quoted(origin: Origin) -> str:
    """A rule's own text after its position; a policy is named well enough by its position."""
    return f": {origin.text}" if origin.what == "rule" else ""


def _partial(flow: Flow, accepted: dict[Origin, list[Box]]) -> list[dict[str, Any]]:
    """The rules that accept some of the flow, with the ports they accept."""
    return [
        {
            "where": origin.where(),
            "line": origin.line,
            "handle": origin.handle,
            "rule_text": origin.text,
            "ports": format_ports(dim_union(boxes, DPORT)),
        }
        for origin, boxes in accepted.items()
        if origin.what == "rule"
    ]


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "where"}

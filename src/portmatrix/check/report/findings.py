"""What a check reports: findings, each pointing at a place in the ruleset, and the report.

Five kinds: ``blocked`` (a flow the matrix requires is denied), ``excess`` (a rule admits traffic
no flow needs), ``shadowed`` (a rule no traffic in scope ever reaches), ``unsupported`` (a
construct the parser read but cannot model, so its rule was left out of the evaluation) and
``interface-unknown`` (a flow whose verdict depends on the interface it arrives on, which the
inventory does not name: judged neither allowed nor blocked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portmatrix.check.ruleset import Origin, Ruleset
from portmatrix.model import Flow


class FindingKind(StrEnum):
    BLOCKED = "blocked"
    EXCESS = "excess"
    SHADOWED = "shadowed"
    UNSUPPORTED = "unsupported"
    INTERFACE_UNKNOWN = "interface-unknown"


_ORDER = {kind: rank for rank, kind in enumerate(FindingKind)}


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    line: int | None
    rule_text: str
    message: str
    chain: str | None = None
    handle: int | None = None  # nftables: the rule handle
    src: str | None = None
    dst: str | None = None
    protocol: str | None = None
    port_start: int | None = None
    port_end: int | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def at(cls, kind: FindingKind, origin: Origin, message: str, **fields: Any) -> Finding:
        return cls(kind, origin.line, origin.text, message, origin.chain, origin.handle, **fields)

    @property
    def has_traffic(self) -> bool:
        return self.kind in (FindingKind.BLOCKED, FindingKind.EXCESS, FindingKind.INTERFACE_UNKNOWN)

    def sort_key(self) -> tuple[int, int, str, str, int]:
        return (
            _ORDER[self.kind],
            self.line or 0,
            self.dst or "",
            self.src or "",
            self.port_start or 0,
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind.value,
            "line": self.line,
            "rule_text": self.rule_text,
        }
        if self.has_traffic:
            data.update(
                src=self.src,
                dst=self.dst,
                protocol=self.protocol,
                port_start=self.port_start,
                port_end=self.port_end,
            )
        data.update(message=self.message, chain=self.chain, handle=self.handle, **self.details)
        return data


@dataclass(frozen=True)
class FlowResult:
    """One required flow and whether the ruleset lets all of it through."""

    flow: Flow
    blocked_by: tuple[Finding, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.blocked_by


@dataclass
class Report:
    ruleset: str
    type: str  # the ruleset format
    scope: str
    findings: list[Finding]
    flows: list[FlowResult]
    skipped: dict[str, int]

    def count(self, kind: FindingKind) -> int:
        return sum(1 for finding in self.findings if finding.kind is kind)

    @property
    def blocked_flows(self) -> int:
        return sum(1 for result in self.flows if not result.allowed)

    @property
    def has_findings(self) -> bool:
        """A required flow is blocked or could not be judged, or a rule opens traffic no flow
        needs."""
        return bool(
            self.blocked_flows
            or self.count(FindingKind.BLOCKED)
            or self.count(FindingKind.EXCESS)
            or self.count(FindingKind.INTERFACE_UNKNOWN)
        )

    def warnings(self) -> list[str]:
        """What makes the verdict less than complete: nothing judged, parts not modelled."""
        found = []
        if not self.flows:
            found.append(
                f"no required flow in scope ({self.scope}): nothing was judged; "
                "check the host or zone names against the inventory"
            )
        for kind in (FindingKind.SHADOWED, FindingKind.UNSUPPORTED):
            if self.count(kind):
                found.append(f"{self.count(kind)} {kind.value} rule(s) in {self.ruleset}")
        found.extend(
            f"not checked: {count} flow(s) {reason}"
            for reason, count in sorted(self.skipped.items())
        )
        return found

    def exit_status(self, *, strict: bool = False) -> int:
        """1 on blocked or excess traffic, and under ``strict`` on any warning; else 0."""
        from portmatrix.exitcodes import status

        return int(
            status(findings=self.has_findings, warnings=bool(self.warnings()), strict=strict)
        )

    def counts(self) -> dict[str, Any]:
        """The summary as numbers: required flows, allowed, blocked, findings by kind."""
        return {
            "flows": len(self.flows),
            "allowed": len(self.flows) - self.blocked_flows,
            "blocked_flows": self.blocked_flows,
            "findings": {kind.value: self.count(kind) for kind in FindingKind},
            "not_checked": dict(sorted(self.skipped.items())),
        }

    def summary(self) -> str:
        allowed = len(self.flows) - self.blocked_flows
        if not self.flows:
            return (
                f"0 required flows ({self.scope}) against {self.ruleset} ({self.type}): "
                "nothing was judged"
            )
        text = (
            f"{len(self.flows)} required flows ({self.scope}) against {self.ruleset} ({self.type}): "
            f"{allowed} allowed, {self.blocked_flows} blocked; {self.count(FindingKind.EXCESS)} excess, "
            f"{self.count(FindingKind.SHADOWED)} shadowed, {self.count(FindingKind.UNSUPPORTED)} unsupported"
        )
        if self.count(FindingKind.INTERFACE_UNKNOWN):
            text += f", {self.count(FindingKind.INTERFACE_UNKNOWN)} interface-unknown"
        for reason, count in sorted(self.skipped.items()):
            text += f"\nnot checked: {count} flow{'s' if count != 1 else ''} {reason}"
        return text


def unsupported_findings(ruleset: Ruleset) -> list[Finding]:
    return [
        Finding(
            FindingKind.UNSUPPORTED,
            item.line,
            item.text,
            f"not modelled, left out of the check: {item.reason}",
            handle=item.handle,
        )
        for item in ruleset.unsupported
    ]

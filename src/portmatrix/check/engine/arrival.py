"""Host checks by arrival interface: a rule that tests ``-i``/``iifname`` judged for the
interface each flow really arrives on.

A host with two networks receives its public traffic on one interface and its private traffic
on another (the inventory's ``interfaces:``); firewalld dispatches each interface to its own
zone's chain. So when the ruleset tests the input interface at all, each of the host's
addresses is checked on its own, with the ruleset read again for the interface that address is
reached on (:func:`portmatrix.check.readers.for_arrival`). Where the inventory names no
interface for an address, the flows to it are judged once per interface the ruleset names (and
once for an interface it names nowhere): a flow all of them judge alike gets that verdict; a
flow they disagree on is an ``interface-unknown`` finding, neither allowed nor blocked, because
the verdict would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from portmatrix.check.readers import for_arrival
from portmatrix.check.report.findings import Finding, FindingKind, FlowResult, Report
from portmatrix.check.ruleset import Ruleset
from portmatrix.model import Flow, Matrix

#: An interface no rule names, standing for "any other interface" when the arrival is unknown.
OTHER = "portmatrix-other0"
UNKNOWN_REASON = "arriving on an interface the inventory does not name (see interface-unknown)"

CheckOnce = Callable[..., Report]


@dataclass(frozen=True, slots=True)
class Arrival:
    address: str
    interface: str | None  # None: the inventory does not say


def plan(matrix: Matrix, ruleset: Ruleset, host: str) -> list[Arrival] | None:
    """Each address of ``host`` with its interface, or None when no rule tests the interface
    (or the ruleset cannot be read again): then the one evaluation is exact."""
    endpoint = matrix.endpoints.get(host)
    if endpoint is None or ruleset.text is None or not (ruleset.input_interfaces - {"lo"}):
        return None
    return [
        Arrival(address, endpoint.interface_at(address)) for address in endpoint.all_addresses()
    ]


def check_by_arrival(
    matrix: Matrix,
    ruleset: Ruleset,
    host: str,
    acl: str | None,
    arrivals: Sequence[Arrival],
    check_once: CheckOnce,
) -> Report:
    reports = []
    for arrival in arrivals:
        if arrival.interface is not None:
            read = for_arrival(ruleset, arrival.interface) or ruleset
            reports.append(check_once(matrix, read, host=host, acl=acl, address=arrival.address))
        else:
            reports.append(_unknown(matrix, ruleset, host, acl, arrival.address, check_once))
    shown = ", ".join(f"{a.address} on {a.interface or 'an unnamed interface'}" for a in arrivals)
    return _merge(reports, f"traffic to {host} by arrival interface ({shown})")


def _unknown(
    matrix: Matrix,
    ruleset: Ruleset,
    host: str,
    acl: str | None,
    address: str,
    check_once: CheckOnce,
) -> Report:
    """One address whose interface is unknown: every candidate interface, verdicts compared.

    What the rules open and which rules nothing reaches are taken over every candidate too:
    excess found on any interface, shadowed only where no interface reaches the rule.
    """
    candidates = [*sorted(ruleset.input_interfaces - {"lo"}), OTHER]
    runs = {
        name: check_once(
            matrix,
            for_arrival(ruleset, _as_name(name)) or ruleset,
            host=host,
            acl=acl,
            address=address,
        )
        for name in candidates
    }
    verdicts: dict[Flow, dict[str, FlowResult]] = {}
    for name, run in runs.items():
        for result in run.flows:
            verdicts.setdefault(result.flow, {})[name] = result
    first = runs[candidates[0]]
    agreed: list[FlowResult] = []
    findings: list[Finding] = []
    for flow, by_name in verdicts.items():
        if len({_signature(result) for result in by_name.values()}) == 1:
            agreed.append(by_name[candidates[0]])
        else:
            findings.append(_finding(flow, address, by_name))
    keep = {(r.flow.src, r.flow.dst, r.flow.protocol.value, r.flow.rule) for r in agreed}
    findings += [f for f in first.findings if f.kind is FindingKind.BLOCKED and _about(f, keep)]
    rest = [_without_blocked(run) for run in runs.values()]
    findings += _distinct(_merge(rest, first.scope).findings)
    skipped = dict(first.skipped)
    undecided = len(verdicts) - len(agreed)
    if undecided:
        skipped[UNKNOWN_REASON] = skipped.get(UNKNOWN_REASON, 0) + undecided
    return Report(first.ruleset, first.type, first.scope, findings, agreed, skipped)


def _without_blocked(report: Report) -> Report:
    kept = [f for f in report.findings if f.kind is not FindingKind.BLOCKED]
    return Report(report.ruleset, report.type, report.scope, kept, [], {})


def _distinct(findings: Sequence[Finding]) -> list[Finding]:
    """One of each finding several candidate interfaces made alike."""
    seen: dict[tuple[object, ...], Finding] = {}
    for f in findings:
        seen.setdefault((f.kind, f.line, f.handle, f.chain, f.dst, f.protocol, f.message), f)
    return list(seen.values())


def _as_name(candidate: str) -> str:
    """A wildcard (``eth+``, ``eth*``) stands for an interface it matches."""
    return candidate[:-1] + "0" if candidate.endswith(("+", "*")) else candidate


def _signature(result: FlowResult) -> tuple[object, ...]:
    return tuple(sorted((f.port_start or 0, f.port_end or 0) for f in result.blocked_by))


def _about(finding: Finding, keep: set[tuple[str, str, str, str]]) -> bool:
    rules = finding.details.get("rules", [])
    return any((finding.src, finding.dst, finding.protocol, rule) in keep for rule in rules)


def _finding(flow: Flow, address: str, by_name: dict[str, FlowResult]) -> Finding:
    said = []
    line = None
    for name, result in by_name.items():
        shown = "another interface" if name == OTHER else name
        if result.allowed:
            said.append(f"allowed on {shown}")
        else:
            blocker = result.blocked_by[0]
            line = line if line is not None else blocker.line
            said.append(f"denied on {shown} ({blocker.message.split(' denied by ', 1)[-1]})")
    message = (
        f"{flow.protocol.value}/{flow.ports} from {flow.src} to {flow.dst} ({address}) is needed "
        f"by {flow.rule}, and its verdict depends on the interface it arrives on: "
        + "; ".join(said)
        + f". Name the interface in the inventory (interfaces: {{{flow.network or 'NETWORK'}: "
        "IFACE}} on the host) to have it judged"
    )
    return Finding(
        FindingKind.INTERFACE_UNKNOWN,
        line,
        "",
        message,
        src=flow.src,
        dst=flow.dst,
        protocol=flow.protocol.value,
        port_start=flow.port_start,
        port_end=flow.port_end,
        details={"rules": [flow.rule], "network": flow.network, "address": address},
    )


def _merge(reports: Sequence[Report], scope: str) -> Report:
    """One report from one per address: traffic findings add up, a rule is shadowed only if
    no address reaches it, unsupported constructs are reported once."""
    findings: list[Finding] = []
    shadowed: dict[tuple[object, ...], list[Finding]] = {}
    for report in reports:
        for finding in report.findings:
            if finding.kind is FindingKind.SHADOWED:
                key = (finding.line, finding.handle, finding.chain, finding.rule_text)
                shadowed.setdefault(key, []).append(finding)
            elif finding.kind is not FindingKind.UNSUPPORTED:
                findings.append(finding)
    findings += [found[0] for found in shadowed.values() if len(found) == len(reports)]
    findings += [f for f in reports[0].findings if f.kind is FindingKind.UNSUPPORTED]
    findings.sort(key=lambda finding: finding.sort_key())
    skipped: dict[str, int] = {}
    for report in reports:
        for reason, count in report.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
    flows = [result for report in reports for result in report.flows]
    first = reports[0]
    return Report(first.ruleset, first.type, scope, findings, flows, skipped)

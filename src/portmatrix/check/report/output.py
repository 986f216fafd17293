"""A check report as a terminal table, as JSON (a list of findings), or as JUnit XML for CI.

In JUnit every required flow is a test case that fails when the ruleset blocks it, and every
other finding is a case of its own: excess openings always fail; shadowed and unsupported rules
fail under ``--strict`` and are reported as output otherwise.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from portmatrix.check.report.findings import Finding, FindingKind, Report
from portmatrix.envelope import Envelope
from portmatrix.options import CHECK_FORMATS
from portmatrix.table import format_table

FORMATS = CHECK_FORMATS
HEADERS = {
    "en": ("KIND", "LINE", "SRC", "DST", "PROTO", "PORTS", "PURPOSE", "MESSAGE"),
    "ja": ("種別", "行", "送信元", "宛先", "プロトコル", "ポート", "用途", "内容"),
}


def format_report(
    report: Report,
    *,
    fmt: str = "table",
    strict: bool = False,
    lang: str = "en",
    purposes: Mapping[str, str] | None = None,
    scope: Mapping[str, Any] | None = None,
) -> str:
    """The report as text; ``purposes`` (rule id -> purpose in ``lang``) words blocked flows."""
    if fmt == "json":
        envelope = report_envelope(report, scope=scope or {}, purposes=purposes or {})
        return json.dumps(envelope.as_dict(), indent=2, ensure_ascii=False)
    if fmt == "junit":
        return report_junit(report, strict=strict)
    return report_table(report, lang=lang, purposes=purposes or {})


def report_json(report: Report, purposes: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    return [_finding_dict(finding, purposes or {}) for finding in report.findings]


def report_envelope(
    report: Report, *, scope: Mapping[str, Any], purposes: Mapping[str, str]
) -> Envelope:
    """The check as a result envelope: what was checked, the counts, every finding."""
    where = {"ruleset": report.ruleset, "type": report.type, "checked": report.scope}
    return Envelope(
        "check", {**scope, **where}, report.counts(), {"findings": report_json(report, purposes)}
    )


def _finding_dict(finding: Finding, purposes: Mapping[str, str]) -> dict[str, Any]:
    data = finding.as_dict()
    words = [purposes[rule] for rule in data.get("rules", ()) if rule in purposes]
    if words:
        data["purpose"] = "; ".join(words)
    return data


def report_table(
    report: Report, *, lang: str = "en", purposes: Mapping[str, str] | None = None
) -> str:
    if not report.findings:
        return f"{'no findings' if lang == 'en' else '指摘なし'}\n{report.summary()}"
    known = purposes or {}
    rows = [
        [
            finding.kind.value,
            _position(finding),
            _cut(finding.src or ""),
            _cut(finding.dst or ""),
            finding.protocol or "",
            _ports(finding),
            "; ".join(known[r] for r in finding.details.get("rules", ()) if r in known),
            finding.message,
        ]
        for finding in report.findings
    ]
    table = format_table(HEADERS.get(lang, HEADERS["en"]), rows, max_width=160)
    return f"{table}\n\n{report.summary()}"


def _cut(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _position(finding: Finding) -> str:
    line = "" if finding.line is None else str(finding.line)
    return f"{line} (handle {finding.handle})".strip() if finding.handle is not None else line


def _ports(finding: Finding) -> str:
    if finding.port_start is None:
        return ""
    return (
        str(finding.port_start)
        if finding.port_start == finding.port_end
        else f"{finding.port_start}-{finding.port_end}"
    )


def report_junit(report: Report, *, strict: bool = False) -> str:
    suites = ET.Element("testsuites", name="portmatrix check")
    flows = ET.SubElement(suites, "testsuite", name=f"required flows ({report.scope})")
    for result in report.flows:
        flow = result.flow
        name = f"{flow.src} -> {flow.dst} {flow.protocol.value}/{flow.ports} ({flow.rule})"
        case = ET.SubElement(flows, "testcase", classname=f"flows.{flow.dst}", name=name)
        if not result.allowed:
            failure = ET.SubElement(
                case, "failure", message=result.blocked_by[0].message, type="blocked"
            )
            failure.text = "\n".join(finding.message for finding in result.blocked_by)
    _counts(flows)
    rules = ET.SubElement(suites, "testsuite", name=f"ruleset {report.ruleset}")
    for finding in report.findings:
        if finding.kind is FindingKind.BLOCKED:
            continue
        case = ET.SubElement(
            rules,
            "testcase",
            classname=f"ruleset.{finding.kind.value}",
            name=f"{finding.kind.value} at {_position(finding) or '-'}",
        )
        if finding.kind in (FindingKind.EXCESS, FindingKind.INTERFACE_UNKNOWN) or strict:
            ET.SubElement(
                case, "failure", message=finding.message, type=finding.kind.value
            ).text = finding.rule_text
        else:
            ET.SubElement(case, "system-out").text = f"{finding.message}\n{finding.rule_text}"
    _counts(rules)
    suites.set("tests", str(sum(int(suite.get("tests", "0")) for suite in suites)))
    suites.set("failures", str(sum(int(suite.get("failures", "0")) for suite in suites)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _counts(suite: ET.Element) -> None:
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))

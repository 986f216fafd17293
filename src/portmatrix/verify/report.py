"""Probe results for people (tables), for programs (JSON) and for CI gates (JUnit XML).

Every format carries the same facts per check: who probed whom at which address, the port,
what the matrix expected, what the wire showed, whether that is ok, and the catalog entry the
port traces back to.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from portmatrix.envelope import Envelope, counts
from portmatrix.options import VERIFY_FORMATS, VerifyFormat
from portmatrix.table import format_table
from portmatrix.verify.probe import Result

Format = VerifyFormat
FORMATS = VERIFY_FORMATS

_HEADERS = (
    "src",
    "dst",
    "address",
    "proto",
    "port",
    "expected",
    "observed",
    "ok",
    "rule",
    "detail",
)


def results_json(results: Sequence[Result]) -> list[dict[str, object]]:
    return [result.as_dict() for result in results]


def results_envelope(results: Sequence[Result], *, scope: Mapping[str, Any]) -> Envelope:
    """The checks as a result envelope: counts of passed, failed and each verdict seen."""
    failed = sum(1 for result in results if not result.ok)
    summary = {
        "checks": len(results),
        "passed": len(results) - failed,
        "failed": failed,
        "observed": counts(result.observed.value for result in results),
    }
    return Envelope("probe", scope, summary, {"results": results_json(results)})


def results_table(results: Sequence[Result]) -> str:
    """Every check, one line each, then a count; failures are marked FAIL."""
    return f"{_detail_table(results)}\n\n{tally(results)}"


def failures_table(results: Sequence[Result]) -> str:
    failed = [result for result in results if not result.ok]
    return _detail_table(failed) if failed else "no failures"


def _detail_table(results: Sequence[Result]) -> str:
    rows = [
        (
            result.probe.src,
            result.probe.dst,
            result.probe.dst_address,
            result.probe.protocol.value,
            result.probe.port,
            result.probe.expected.value,
            result.observed.value,
            "ok" if result.ok else "FAIL",
            result.probe.rule,
            result.detail,
        )
        for result in results
    ]
    return format_table(_HEADERS, rows)


def summary_table(results: Sequence[Result]) -> str:
    """One line per (source, destination) pair: checks, passed, failed."""
    checks: Counter[tuple[str, str]] = Counter()
    failed: Counter[tuple[str, str]] = Counter()
    for result in results:
        pair = (result.probe.src, result.probe.dst)
        checks[pair] += 1
        failed[pair] += not result.ok
    rows = [
        (src, dst, count, count - failed[(src, dst)], failed[(src, dst)])
        for (src, dst), count in sorted(checks.items())
    ]
    return format_table(("src", "dst", "checks", "passed", "failed"), rows)


def tally(results: Sequence[Result]) -> str:
    failed = sum(not result.ok for result in results)
    return f"{len(results)} checks, {len(results) - failed} passed, {failed} failed"


def results_junit(results: Sequence[Result], *, name: str = "portmatrix") -> str:
    """JUnit XML: a test suite per (source, destination) pair, a test case per check."""
    root = ET.Element(
        "testsuites", name=name, tests=str(len(results)), failures=str(_failures(results))
    )
    pairs: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        pairs.setdefault((result.probe.src, result.probe.dst), []).append(result)
    for (src, dst), members in pairs.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{src} -> {dst}",
            tests=str(len(members)),
            failures=str(_failures(members)),
        )
        for result in members:
            _testcase(suite, result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(suite: ET.Element, result: Result) -> None:
    probe = result.probe
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"{probe.src}.{probe.dst}",
        name=f"{probe.protocol.value}/{probe.port} {probe.expected.value} ({probe.rule})",
    )
    if not result.ok:
        failure = ET.SubElement(
            case,
            "failure",
            message=f"expected {probe.expected.value}, observed {result.observed.value}",
            type=result.observed.value,
        )
        failure.text = f"{probe.dst_address} {result.detail}".strip()


def _failures(results: Sequence[Result]) -> int:
    return sum(not result.ok for result in results)

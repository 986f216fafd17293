"""Mutations of rendered rule sets, each caught and attributed to the right line.

Starting from rules portmatrix renders for the example deployment (which check clean), one
change at a time: a deleted rule, a narrowed port range, an extra any-any accept, and a rule
shadowed by an earlier deny. Each must produce exactly the findings it causes, at its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from portmatrix.check import Finding, FindingKind, Report, RulesetType, check_ruleset, parse_ruleset
from portmatrix.model import Matrix
from portmatrix.render import render
from portmatrix.resolve import resolve_file

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"
HOST = "rtr-a"


@dataclass(frozen=True)
class Format:
    """How to find and rewrite rules in one rendered format."""

    target: str
    type: RulesetType
    accept: re.Pattern[str]  # an accepting rule from a single host
    ranged: re.Pattern[
        str
    ]  # an accepting rule with a port range (group 1..3: before, lo-hi, after)
    any_any: str
    to_deny: Callable[[str], str]
    policy_line: Callable[[list[str]], int]  # the line that denies what no rule accepts
    end_of_rules: Callable[[list[str]], int]  # index before which an appended rule goes
    closing_deny: bool  # the rendered list ends in an explicit catch-all deny


def _iptables_policy(lines: list[str]) -> int | None:
    return next(i for i, line in enumerate(lines, start=1) if line.startswith(":INPUT DROP"))


def _iptables_end(lines: list[str]) -> int:
    return max(i for i, line in enumerate(lines) if line == "COMMIT")


def _ios_closing_deny(lines: list[str]) -> int:
    return max(i for i, line in enumerate(lines, start=1) if line.startswith(" deny ip any"))


FORMATS = [
    Format(
        "iptables",
        RulesetType.IPTABLES_SAVE,
        re.compile(r"^-A INPUT -s \S+/32 (?:-d \S+ )?-p tcp .*-j ACCEPT$"),
        re.compile(
            r"^(-A INPUT -s \S+ (?:-d \S+ )?-p udp .*--dports \S*,)(\d+):(\d+)( .*-j ACCEPT)$"
        ),
        "-A INPUT -j ACCEPT",
        lambda line: line.replace("-j ACCEPT", "-j DROP"),
        _iptables_policy,
        _iptables_end,
        False,
    ),
    Format(
        "ios",
        RulesetType.IOS,
        re.compile(r"^ permit tcp host \S+ host \S+ eq \d+$"),
        re.compile(r"^( permit \w+ host \S+ host \S+ range )(\d+) (\d+)()$"),
        " permit ip any any",
        lambda line: line.replace(" permit", " deny", 1),
        _ios_closing_deny,
        lambda lines: _ios_closing_deny(lines) - 1,
        True,
    ),
]


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return resolve_file(EXAMPLE)


def rendered_lines(matrix: Matrix, fmt: Format) -> list[str]:
    return render(matrix, fmt.target, host=HOST, skip_unbound=True, force=True).text.splitlines()


def check(matrix: Matrix, fmt: Format, lines: list[str]) -> Report:
    ruleset = parse_ruleset(
        "\n".join(lines) + "\n", ruleset_type=fmt.type, name=f"{fmt.target}.rules"
    )
    return check_ruleset(matrix, ruleset, host=HOST)


def kinds(report: Report) -> set[FindingKind]:
    return {finding.kind for finding in report.findings}


def first(lines: list[str], pattern: re.Pattern[str]) -> int:
    return next(i for i, line in enumerate(lines) if pattern.match(line))


def source_of(matrix: Matrix, line: str) -> str:
    address = re.search(r"(?:-s |host )(\d+\.\d+\.\d+\.\d+)", line)
    assert address is not None
    return next(name for name, ep in matrix.endpoints.items() if ep.ip == address.group(1))


@pytest.fixture(params=FORMATS, ids=lambda fmt: fmt.target)
def fmt(request: pytest.FixtureRequest) -> Format:
    return request.param  # type: ignore[no-any-return]


def test_the_unmutated_rules_check_clean(matrix: Matrix, fmt: Format) -> None:
    assert check(matrix, fmt, rendered_lines(matrix, fmt)).findings == []


def test_a_deleted_rule_blocks_its_flows_at_the_policy(matrix: Matrix, fmt: Format) -> None:
    lines = rendered_lines(matrix, fmt)
    index = first(lines, fmt.accept)
    source = source_of(matrix, lines[index])
    del lines[index]
    report = check(matrix, fmt, lines)
    assert kinds(report) == {FindingKind.BLOCKED}
    assert {finding.src for finding in report.findings} == {source}
    assert {finding.line for finding in report.findings} == {fmt.policy_line(lines)}
    assert report.exit_status() == 1


def test_a_narrowed_range_is_attributed_to_the_narrowed_rule(matrix: Matrix, fmt: Format) -> None:
    lines = rendered_lines(matrix, fmt)
    index = first(lines, fmt.ranged)
    found = fmt.ranged.match(lines[index])
    assert found is not None
    lo, hi = int(found.group(2)), int(found.group(3))
    cut = (lo + hi) // 2
    separator = ":" if fmt.target == "iptables" else " "
    lines[index] = f"{found.group(1)}{lo}{separator}{cut}{found.group(4)}"
    report = check(matrix, fmt, lines)
    assert kinds(report) == {FindingKind.BLOCKED}
    (finding,) = report.findings
    assert (finding.port_start, finding.port_end) == (cut + 1, hi)
    assert finding.src == source_of(matrix, lines[index])
    assert finding.line == fmt.policy_line(lines)
    assert [item["line"] for item in finding.details["accepted_in_part_by"]] == [index + 1]


def test_an_extra_any_any_accept_is_excess_at_its_line(matrix: Matrix, fmt: Format) -> None:
    lines = rendered_lines(matrix, fmt)
    index = fmt.end_of_rules(lines)
    lines.insert(index, fmt.any_any)
    report = check(matrix, fmt, lines)
    excess = [finding for finding in report.findings if finding.kind is FindingKind.EXCESS]
    others = [finding for finding in report.findings if finding.kind is not FindingKind.EXCESS]
    assert {finding.line for finding in excess} == {index + 1}
    assert {finding.protocol for finding in excess} == {"tcp", "udp"}
    assert all(finding.src == "any" and finding.dst == HOST for finding in excess)
    if fmt.closing_deny:  # the list's own closing deny can no longer be reached
        (shadowed,) = others
        assert shadowed.kind is FindingKind.SHADOWED and shadowed.line == fmt.policy_line(lines)
        assert shadowed.details["shadowed_by"] == [{"line": index + 1, "handle": None}]
    else:
        assert others == []
    assert report.exit_status() == 1  # excess traffic is a finding, --strict or not


def test_a_rule_shadowed_by_an_earlier_deny(matrix: Matrix, fmt: Format) -> None:
    lines = rendered_lines(matrix, fmt)
    index = first(lines, fmt.accept)
    lines.insert(index, fmt.to_deny(lines[index]))
    report = check(matrix, fmt, lines)
    by_kind: dict[FindingKind, list[Finding]] = {}
    for finding in report.findings:
        by_kind.setdefault(finding.kind, []).append(finding)
    assert set(by_kind) == {FindingKind.BLOCKED, FindingKind.SHADOWED}
    assert {finding.line for finding in by_kind[FindingKind.BLOCKED]} == {index + 1}
    (shadowed,) = by_kind[FindingKind.SHADOWED]
    assert shadowed.line == index + 2
    assert shadowed.details["shadowed_by"] == [{"line": index + 1, "handle": None}]

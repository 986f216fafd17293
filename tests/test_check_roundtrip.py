"""Round trip: the rules portmatrix renders check clean, for every example deployment.

nftables output is checked through the kernel (loaded and dumped as JSON) in
``test_check_kernel.py``; the text targets are parsed here directly.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from portmatrix.check import RulesetType, check_ruleset, format_report, parse_ruleset
from portmatrix.model import Matrix
from portmatrix.render import render, render_hosts
from portmatrix.resolve import resolve_file

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
TARGETS = {"iptables": RulesetType.IPTABLES_SAVE, "asa": RulesetType.ASA, "ios": RulesetType.IOS}


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda path: path.stem)
def matrix(request: pytest.FixtureRequest) -> Matrix:
    return resolve_file(request.param)


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("target", TARGETS)
def test_every_host_firewall_checks_clean(matrix: Matrix, target: str) -> None:
    hosts = render_hosts(matrix, target, skip_unbound=True)
    assert hosts
    checked = 0
    for name, rendered in hosts.items():
        ruleset = parse_ruleset(
            rendered.text, ruleset_type=TARGETS[target], name=f"{target}:{name}"
        )
        report = check_ruleset(matrix, ruleset, host=name)
        assert report.findings == [], format_report(report)
        # a host nobody connects to is judged on nothing, which --strict reports as a warning
        assert report.exit_status(strict=True) == (0 if report.flows else 1)
        assert report.exit_status() == 0
        checked += len(report.flows)
    assert checked > 0


@pytest.mark.parametrize("target", TARGETS)
def test_every_zone_pair_acl_checks_clean(matrix: Matrix, target: str) -> None:
    # A pair no flow crosses (private-a and the services zone) renders an explicit deny, which
    # checks clean too: it opens nothing and nothing is needed.
    pairs = list(itertools.combinations(sorted(matrix.zones), 2))
    checked = 0
    for pair in pairs:
        rendered = render(matrix, target, between=pair, skip_unbound=True)
        ruleset = parse_ruleset(
            rendered.text, ruleset_type=TARGETS[target], name=f"{target}:{pair}"
        )
        report = check_ruleset(matrix, ruleset, between=pair)
        assert report.findings == [], format_report(report)
        checked += len(report.flows)
    assert checked > 0

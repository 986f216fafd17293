"""Held-out style rule sets with known defects: every defect at its line, and nothing else.

``tests/data/rulesets/db-host.*`` protect a database host. Their defects, by design:

* app2's source address mistyped (10.1.0.12): app2 is blocked, and 10.1.0.12 gets in;
* the backup range narrowed from 8000-8010 to 8000-8005;
* a deny for the monitoring network placed before the SNMP accept (the accept is shadowed);
* a duplicate of an accept (shadowed: redundant);
* a port nobody needs opened to everyone (9200);
* the admin chain opens every port, not only SSH.

Everything else in them is correct and must not be reported: negated sources, ICMP,
loopback and connection-state rules, logging, user chains with return and goto, and (nft)
verdict maps, concatenated interval sets, and a later base chain that drops a port the
first one accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix.check import RulesetType, check_ruleset, load_ruleset
from portmatrix.model import Matrix
from rulesets_sample import db_matrix

DATA = Path(__file__).resolve().parent / "data" / "rulesets"


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return db_matrix()


Row = tuple[str, int | None, int | None, str | None, str | None, int | None, int | None]

IPTABLES: set[Row] = {
    # kind, line, handle, src, protocol, port_start, port_end
    ("blocked", 7, None, "app2", "tcp", 5432, 5432),  # the mistyped source: the policy drops app2
    ("blocked", 7, None, "backup", "tcp", 8006, 8010),  # the narrowed range (line 30, see below)
    ("blocked", 21, None, "mon", "udp", 161, 161),  # the misplaced deny
    ("excess", 25, None, "10.0.0.0/8 except backup,admin-net", "tcp", 9200, 9200),
    ("excess", 28, None, "10.1.0.12", "tcp", 5432, 5432),  # the mistyped source lets 10.1.0.12 in
    ("excess", 32, None, "admin-net", "tcp", 1, 65535),  # the admin chain opens every port
    ("shadowed", 23, None, None, None, None, None),  # behind the misplaced deny
    ("shadowed", 24, None, None, None, None, None),  # a duplicate
}

NFT: set[Row] = {
    ("blocked", 75, None, "app2", "tcp", 5432, 5432),
    ("blocked", 75, None, "backup", "tcp", 8006, 8010),
    ("blocked", 436, 21, "mon", "udp", 161, 161),
    ("excess", 147, 10, "admin-net", "tcp", 1, 65535),
    ("excess", 147, 10, "admin-net", "udp", 1, 65535),
    ("excess", 331, 18, "app1,10.1.0.12", "tcp", 5432, 5432),
    ("excess", 589, 26, "10.0.0.0/8 except backup,admin-net", "tcp", 9200, 9200),
    ("shadowed", 515, 23, None, None, None, None),
    ("shadowed", 552, 24, None, None, None, None),
}


@pytest.mark.parametrize(
    ("name", "ruleset_type", "expected", "narrowed"),
    [
        ("db-host.iptables-save", RulesetType.IPTABLES_SAVE, IPTABLES, (30, None)),
        ("db-host.nft.json", RulesetType.NFT_JSON, NFT, (177, 11)),
    ],
)
def test_every_defect_at_its_line_and_nothing_else(
    matrix: Matrix,
    name: str,
    ruleset_type: RulesetType,
    expected: set[Row],
    narrowed: tuple[int, int | None],
) -> None:
    report = check_ruleset(matrix, load_ruleset(DATA / name, ruleset_type=ruleset_type), host="db")
    got = {
        (f.kind.value, f.line, f.handle, f.src, f.protocol, f.port_start, f.port_end)
        for f in report.findings
    }
    assert got == expected
    assert len(report.findings) == len(expected)
    (backup,) = [f for f in report.findings if f.src == "backup"]
    assert [(item["line"], item["handle"]) for item in backup.details["accepted_in_part_by"]] == [
        narrowed
    ]
    assert report.blocked_flows == 3 and report.exit_status() == 1


def test_excess_messages_carry_exact_numbers(matrix: Matrix) -> None:
    report = check_ruleset(
        matrix,
        load_ruleset(DATA / "db-host.nft.json", ruleset_type=RulesetType.NFT_JSON),
        host="db",
    )
    admin_tcp = next(
        f
        for f in report.findings
        if f.kind.value == "excess" and f.protocol == "tcp" and f.handle == 10
    )
    assert admin_tcp.message == (
        "handle 10 at line 147 opens tcp/1-6,8-21,24-9299,9301-65535 from admin-net to db; the matrix needs none of it"
    )
    app = next(f for f in report.findings if f.handle == 18)
    assert app.message.endswith("the matrix needs tcp/5432 from app1")
    assert app.details["excess"] == [{"src": "10.1.0.12", "ports": "5432"}]

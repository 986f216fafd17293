"""Probe reports: the table, the JSON contract, JUnit XML, and the per-pair summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from portmatrix.model import Protocol
from portmatrix.verify import Expected, Observed, Probe, Result
from portmatrix.verify.report import (
    failures_table,
    results_json,
    results_junit,
    results_table,
    summary_table,
)

RESULTS = [
    Result(
        Probe("rtr-b", "rtr-a", "10.61.1.11", Protocol.TCP, 41004, Expected.OPEN, "cce.router.mds"),
        Observed.OPEN,
        "connected",
    ),
    Result(
        Probe("rtr-b", "rtr-a", "10.61.1.11", Protocol.UDP, 39500, Expected.OPEN, "cce.router.mds"),
        Observed.FILTERED,
        "no answer to 2 tries of 0.5s",
    ),
    Result(
        Probe("outside", "cuc-pub", "10.62.1.11", Protocol.TCP, 20500, Expected.BLOCKED, "cuc.cm"),
        Observed.OPEN,
        "connected",
    ),
    Result(
        Probe("outside", "cuc-pub", "10.62.1.11", Protocol.TCP, 20055, Expected.BLOCKED, "cuc.lic"),
        Observed.FILTERED,
    ),
]


def test_json_is_a_list_with_the_contract_fields() -> None:
    records = json.loads(json.dumps(results_json(RESULTS)))
    assert [set(record) for record in records] == [
        {
            "src",
            "dst",
            "src_address",
            "dst_address",
            "protocol",
            "port",
            "expected",
            "observed",
            "ok",
            "rule",
        }
    ] * len(RESULTS)
    assert [record["ok"] for record in records] == [True, False, False, True]
    assert records[1]["observed"] == "filtered" and records[1]["protocol"] == "udp"


def test_junit_has_a_suite_per_pair_and_a_failure_per_bad_check() -> None:
    root = ET.fromstring(results_junit(RESULTS, name="lab"))
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "4", "2")
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {"rtr-b -> rtr-a", "outside -> cuc-pub"}
    failures = [case.find("failure") for case in root.iter("testcase")]
    messages = [failure.get("message") for failure in failures if failure is not None]
    assert messages == ["expected open, observed filtered", "expected blocked, observed open"]
    names = [case.get("name") for case in root.iter("testcase")]
    assert names[0] == "tcp/41004 open (cce.router.mds)"


def test_table_marks_failures_and_counts() -> None:
    text = results_table(RESULTS)
    assert text.count("FAIL") == 2
    assert text.rstrip().endswith("4 checks, 2 passed, 2 failed")


def test_summary_counts_per_host_pair() -> None:
    lines = summary_table(RESULTS).splitlines()
    assert lines[0].split() == ["src", "dst", "checks", "passed", "failed"]
    assert lines[2].split() == ["outside", "cuc-pub", "2", "1", "1"]
    assert lines[3].split() == ["rtr-b", "rtr-a", "2", "1", "1"]


def test_failures_table_lists_only_failures() -> None:
    text = failures_table(RESULTS)
    assert "20500" in text and "39500" in text and "41004" not in text
    assert failures_table(RESULTS[:1]) == "no failures"

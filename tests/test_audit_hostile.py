"""Flow logs that are damaged or hostile: each bad line is one cited malformed line, and the
rest of the file is read. Found by ``make fuzz`` (tests/fuzz/mutations.py, flow-log targets)
or written after what it found: values Python's ``int`` and ``datetime`` refuse although a
regular expression let them through, and header names that are no SQL identifier."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_helpers import staged
from portmatrix.audit.canonical import ReaderOptions

ASA_GOOD = (
    "Feb 13 2023 02:31:56: %ASA-6-302013: Built inbound TCP connection 1 for "
    "outside:10.0.0.1/1234 (10.0.0.1/1234) to inside:10.0.0.2/80 (10.0.0.2/80)"
)
TEARDOWN = (
    "Feb 13 2023 02:31:57: %ASA-6-302014: Teardown TCP connection 1 for outside:10.0.0.1/1234 "
    "to inside:10.0.0.2/80 duration 0:00:01 bytes {count} TCP FINs"
)
CONNTRACK = (
    "[{stamp}]\t    [NEW] tcp      6 120 SYN_SENT src=10.10.1.21 dst=10.10.1.11 sport=58152 "
    "dport=40042 bytes={count} [UNREPLIED] src=10.10.1.11 dst=10.10.1.21 sport=40042 dport=58152"
)
NETFILTER = (
    "[ 8585.346758] pm-accept IN=eth0 OUT= SRC=10.10.1.21 DST=10.10.1.11 LEN=60 "
    "PROTO={proto} SPT={sport} DPT=40042"
)
NFDUMP = (
    "2025-12-01 10:00:00.000     0.100 TCP        10.10.1.21:58152 ->       10.10.1.11:40042 "
    "       {packets}     {bytes}     1"
)


@pytest.mark.parametrize(
    ("kind", "good", "bad", "message"),
    [
        ("asa", ASA_GOOD, ASA_GOOD.replace("Feb 13", "Feb 31"), "is not a date"),
        ("asa", ASA_GOOD, ASA_GOOD.replace("/1234 (", "/1²3 ("), "in an unknown form"),
        ("asa", TEARDOWN.format(count=10), TEARDOWN.format(count="9" * 30), "is not a count"),
        ("asa", TEARDOWN.format(count=10), TEARDOWN.format(count="9" * 5000), "is not a count"),
        (
            "conntrack",
            CONNTRACK.format(stamp="1796167381.776002", count=10),
            CONNTRACK.format(stamp="9" * 400 + ".5", count=10),
            "is not understood",
        ),
        (
            "conntrack",
            CONNTRACK.format(stamp="1796167381.776002", count=10),
            CONNTRACK.format(stamp="1796167381.776002", count="²"),
            "is not a count",
        ),
        (
            "netfilter",
            NETFILTER.format(proto="TCP", sport=58152),
            NETFILTER.format(proto="9" * 5000, sport=58152),
            "is not a protocol",
        ),
        (
            "netfilter",
            NETFILTER.format(proto="TCP", sport=58152),
            NETFILTER.format(proto="TCP", sport="٥٨١٥٢"),
            "is not a port number",
        ),
        (
            "nfdump-text",
            NFDUMP.format(packets=3, bytes=180),
            NFDUMP.format(packets=3, bytes="1e400"),
            "is not a count",
        ),
        (
            "nfdump-text",
            NFDUMP.format(packets=3, bytes=180),
            NFDUMP.format(packets=3, bytes=180).replace("2025-12-01", "2025-13-45"),
            "is not a date",
        ),
    ],
)
def test_a_value_python_cannot_hold_is_one_malformed_line(
    tmp_path: Path, kind: str, good: str, bad: str, message: str
) -> None:
    path = tmp_path / "log.txt"
    path.write_text("\n".join([good, bad, good]) + "\n", encoding="utf-8")
    records, counts = staged(path, kind=kind, options=ReaderOptions(year=2025))
    assert counts.malformed == 1 and counts.problems[0].line == 2
    assert message in counts.problems[0].message
    assert [record["line"] for record in records] == [1, 3]
    assert all(len(problem.message) < 200 for problem in counts.problems)


PFIREWALL_HEAD = "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"
PFIREWALL_ROW = "2025-12-01 10:00:00 ALLOW TCP 10.10.1.21 10.10.1.11 51000 40042 52 {extra}"


@pytest.mark.parametrize(
    "extra_field", ["size", "dé-port", "x');DROP", "f0", 'a"b', "path(1)", "SELECT"]
)
def test_header_names_are_data_not_sql(tmp_path: Path, extra_field: str) -> None:
    """pfirewall and VPC name their columns in the file; a duplicated or odd name is read as
    a column like any other."""
    path = tmp_path / "pfirewall.log"
    fields = f"date time action protocol src-ip dst-ip src-port dst-port size {extra_field}"
    rows = [PFIREWALL_ROW.format(extra=n) for n in range(3)]
    path.write_text(PFIREWALL_HEAD + f"#Fields: {fields}\n" + "\n".join(rows) + "\n", "utf-8")
    records, counts = staged(path, kind="pfirewall")
    assert counts.malformed == 0 and len(records) == 3
    assert {record["dport"] for record in records} == {40042}


def test_a_vpc_header_naming_a_field_twice_is_read(tmp_path: Path) -> None:
    path = tmp_path / "vpc.log"
    header = "version srcaddr dstaddr srcport dstport protocol packets bytes action action"
    row = "2 10.0.0.1 10.1.0.1 1024 443 6 1 60 ACCEPT ACCEPT"
    path.write_text(f"{header}\n{row}\n{row}\n", encoding="utf-8")
    records, counts = staged(path, kind="vpc")
    assert counts.malformed == 0 and [record["action"] for record in records] == ["allowed"] * 2


ZEEK_HEAD = (
    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
)


@pytest.mark.parametrize(
    ("kind", "head", "row"),
    [
        ("zeek", ZEEK_HEAD, "{t}\tC1\t10.0.0.1\t1024\t10.1.0.1\t443\ttcp"),
        (
            "vpc",
            "version srcaddr dstaddr srcport dstport protocol start action\n",
            "2 10.0.0.1 10.1.0.1 1024 443 6 {t} ACCEPT",
        ),
    ],
)
def test_an_epoch_past_any_timestamp_is_a_bad_time(
    tmp_path: Path, kind: str, head: str, row: str
) -> None:
    path = tmp_path / "log.txt"
    rows = [row.format(t=1764583200), row.format(t="176456553583201"), row.format(t="9" * 30)]
    path.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    records, counts = staged(path, kind=kind)
    assert len(records) == 1 and counts.malformed == 2
    assert all("is not understood" in problem.message for problem in counts.problems)

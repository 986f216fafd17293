"""The compiled fast path of the delimited readers must give exactly what their SQL gives.

Each test stages the same file twice, once with the fast path off and once with it forced on
(tiny blocks, so lines meet block edges and numbers pass from block to block), and compares
every record, every count and every cited problem. The files mix the spellings the scanner
reads with those it must hand back: leading zeros, overflowing numbers, IPv6, words in odd
case, impossible dates, fields missing or extra, bytes that are not ASCII.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_helpers import MAPPED_CSV, staged
from portmatrix.audit import canonical
from portmatrix.audit.canonical import ReaderOptions
from portmatrix.audit.readers import _fast
from portmatrix.audit.readers.vpc import V2_FIELDS

pytestmark = pytest.mark.skipif(
    not _fast.available(), reason="the extra 'fast' (numba, numpy, pyarrow) is not installed"
)

Outcomes = list[_fast.Outcome | None]
Field = tuple[st.SearchStrategy[str], st.SearchStrategy[str]]  # (plain, tricky)


def stage_both(
    path: Path,
    kind: str,
    options: ReaderOptions | None = None,
    *,
    block: int = 256,
    guess: int | None = None,
    mostly: float = 2.0,
) -> tuple[Any, Any, Outcomes]:
    """(SQL alone, fast path forced, what the fast path did with each file)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "available", lambda: False)
        sql = staged(path, kind=kind, options=options)
    outcomes: Outcomes = []
    real = _fast.stage

    def spy(*args: Any, **kwargs: Any) -> _fast.Outcome | None:
        outcome = real(*args, **kwargs)
        outcomes.append(outcome)
        return outcome

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "stage", spy)
        patch.setattr(_fast, "FAST_MIN", 1)
        patch.setattr(_fast, "BLOCK", block)
        patch.setattr(_fast, "MOSTLY_HANDED", mostly)
        if guess is not None:
            patch.setattr(_fast, "BYTES_PER_LINE", guess)
        patch.setattr(canonical.Staging, "parallel", property(lambda self: 2))
        fast = staged(path, kind=kind, options=options)
    return sql, fast, outcomes


T_V4 = ["010.0.0.1", "1.2.3.256", "1.2.3", "1.2.3.4.5", "2001:db8::1", "::ffff:10.0.0.1", "-"]
T_V4 += ["0.0.0.0", "255.255.255.255", "1..2.3", "é", "01.2.3.4", "1.2.3.4x", "1.2.3.4."]
T_PORT = ["65536", "00080", "-", "x", "80.0", "0", "99999", "443.0.0", "+80", "65535", "(empty)"]
T_PROTO = ["1", "58", "06", "Tcp", "icmp", "ICMP", "icmpv6", "gre", "300", "-", "0", "255"]
T_PROTO += ["256", "UDP"]
T_COUNT = ["-", "0", "9999999999999999999", "999999999999999999", "12a", "007", "1e3", "-5"]
T_EPOCH = ["-", "123456789012", "1.5", "x", "0", "00000000001", "99999999999"]
T_FRACTION = [*T_EPOCH, "1700000000.", ".5", "1700000000.5.5", "1700000000.0000005"]
T_FRACTION += ["1.9999999", "1e9", "1700000000.123456", "0.0000015", "99999999999.99999"]


V4: Field = (
    st.builds(lambda v: str(ipaddress.IPv4Address(v)), st.integers(0, 2**32 - 1)),
    st.sampled_from(T_V4),
)
PORT: Field = (st.integers(0, 65535).map(str), st.sampled_from(T_PORT))
PROTO: Field = (st.sampled_from(["6", "17", "tcp", "udp", "TCP"]), st.sampled_from(T_PROTO))
COUNT: Field = (st.integers(0, 10**12).map(str), st.sampled_from(T_COUNT))
EPOCH: Field = (st.integers(0, 99_999_999_999).map(str), st.sampled_from(T_EPOCH))
EPOCH_FRACTION: Field = (
    st.one_of(
        EPOCH[0],
        st.builds(
            lambda s, f: f"{s}.{f}",
            st.integers(0, 99_999_999_999),
            st.integers(0, 10**12).map(str),
        ),
        st.builds(
            lambda s, f: f"{s}.{f:06d}",
            st.integers(1_600_000_000, 1_800_000_000),
            st.integers(0, 999999),
        ),
    ),
    st.sampled_from(T_FRACTION),
)
DATES = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
BAD_DATES = ["2024-02-30", "2023-02-29", "1900-02-29", "2100-02-29", "2024-13-01", "2024-1-02"]
BAD_DATES += ["0000-01-01", "2024-00-10", "2024-04-31"]
BAD_CLOCKS = ["24:00:00", "23:60:00", "23:59:60", "1:02:03", "12:3:45", "ab:cd:ef"]


def stamp(*, joints: str, fraction: bool, zone: bool) -> Field:
    def spell(when: datetime, joint: str, digits: int, z: bool) -> str:
        text = when.strftime(f"%Y-%m-%d{joint}%H:%M:%S").rjust(19, "0")
        if digits:
            text += "." + f"{when.microsecond:06d}{when.microsecond % 10}"[:digits]
        return text + ("Z" if z else "")

    good = st.builds(
        spell,
        DATES,
        st.sampled_from(joints),
        st.integers(0, 6) if fraction else st.just(0),
        st.booleans() if zone else st.just(False),
    )
    bad = st.builds(
        lambda d, c, j: f"{d}{j}{c}",
        st.sampled_from([*BAD_DATES, "2024-02-29"]),
        st.sampled_from([*BAD_CLOCKS, "01:02:03"]),
        st.sampled_from(joints),
    )
    seven = st.builds(spell, DATES, st.sampled_from(joints), st.just(7), st.just(False))
    return good, st.one_of(bad, seven, st.sampled_from(["-", "2024-01-02", "yesterday"]))


def cased(words: list[str]) -> st.SearchStrategy[str]:
    def spell(word: str, style: int) -> str:
        return (word.lower(), word.upper(), word.title(), word)[style]

    return st.builds(spell, st.sampled_from(words), st.integers(0, 3))


def either(one: Field, other: Field) -> Field:
    return st.one_of(one[0], other[0]), st.one_of(one[1], other[1])


def fixed(text: str) -> Field:
    return st.just(text), st.sampled_from([text, "é", "-"])


def line_of(fields: dict[str, Field], delimiter: str) -> st.SearchStrategy[str]:
    """A line of ``fields`` in order, each plainly spelled but for up to two tricky ones (so
    a wrong acceptance shows: the rest of the line is good), now and then with a field
    missing or one too many, or something that is no record at all."""
    names = list(fields)

    def join(plain: dict[str, str], tricky: dict[str, str], swapped: set[str], shape: int) -> str:
        texts = [tricky[name] if name in swapped else plain[name] for name in names]
        if shape == 1:
            texts = texts[:-1]
        elif shape == 2:
            texts.append("extra")
        elif shape == 3:
            texts[0] = ""
        return delimiter.join(texts)

    record = st.builds(
        join,
        st.fixed_dictionaries({name: pair[0] for name, pair in fields.items()}),
        st.fixed_dictionaries({name: pair[1] for name, pair in fields.items()}),
        st.sets(st.sampled_from(names), max_size=2),
        st.sampled_from([0] * 20 + [1, 2, 3]),
    )
    return st.one_of(
        record, record, record, record, record, record, st.sampled_from(["", "#c", "é"])
    )


def write(path: Path, header: str, lines: list[str], crlf: bool) -> Path:
    ending = "\r\n" if crlf else "\n"
    text = "".join(line + ending for line in [*header.splitlines(), *lines])
    path.write_bytes(text.encode("utf-8"))
    return path


def compare(sql: Any, fast: Any, outcomes: Outcomes) -> None:
    assert outcomes and all(outcome is not None for outcome in outcomes)
    assert fast[0] == sql[0]
    assert fast[1] == sql[1]


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VPC_FIELDS = [*V2_FIELDS, "flow-direction"]


def vpc_line() -> st.SearchStrategy[str]:
    return line_of(
        {
            "version": (st.sampled_from(["2", "5"]), st.sampled_from(["-", "x"])),
            "account": fixed("123456789010"),
            "eni": fixed("eni-1"),
            "src": V4,
            "dst": V4,
            "sport": PORT,
            "dport": PORT,
            "protocol": PROTO,
            "packets": COUNT,
            "bytes": COUNT,
            "start": EPOCH,
            "end": fixed("1700000060"),
            "action": (cased(["ACCEPT", "REJECT"]), st.sampled_from(["-", "OK", "x"])),
            "status": (cased(["OK"]), st.sampled_from(["-", "NODATA", "SkipData", "x"])),
            "direction": (cased(["ingress", "egress"]), st.sampled_from(["-", "in"])),
        },
        " ",
    )


@SETTINGS
@given(lines=st.lists(vpc_line(), min_size=1, max_size=60), crlf=st.booleans())
def test_vpc_fast_path_reads_what_the_sql_reads(
    tmp_path: Path, lines: list[str], crlf: bool
) -> None:
    path = write(tmp_path / "vpc.log", " ".join(VPC_FIELDS), lines, crlf)
    compare(*stage_both(path, "vpc"))


PFIREWALL_HEADER = (
    "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"
    "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
    "tcpack tcpwin icmptype icmpcode info path\n"
)


def pfirewall_line() -> st.SearchStrategy[str]:
    return line_of(
        {
            "date": (
                DATES.map(lambda d: d.strftime("%Y-%m-%d").rjust(10, "0")),
                st.sampled_from([*BAD_DATES, "-", "#x"]),
            ),
            "time": (DATES.map(lambda d: d.strftime("%H:%M:%S")), st.sampled_from(BAD_CLOCKS)),
            "action": (
                cased(["ALLOW", "DROP"]),
                st.sampled_from(["-", "INFO-EVENTS-LOST", "SKIP"]),
            ),
            "protocol": PROTO,
            "src": V4,
            "dst": V4,
            "sport": PORT,
            "dport": PORT,
            "size": COUNT,
            "rest": fixed("S 1 0 8192 - - -"),
            "path": (cased(["SEND", "RECEIVE"]), st.sampled_from(["-", "FORWARD"])),
        },
        " ",
    )


@SETTINGS
@given(lines=st.lists(pfirewall_line(), min_size=1, max_size=60), crlf=st.booleans())
def test_pfirewall_fast_path_reads_what_the_sql_reads(
    tmp_path: Path, lines: list[str], crlf: bool
) -> None:
    path = write(tmp_path / "pfirewall.log", PFIREWALL_HEADER + "\n", lines, crlf)
    compare(*stage_both(path, "pfirewall"))


NFDUMP_HEADER = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt"


def nfdump_line() -> st.SearchStrategy[str]:
    return line_of(
        {
            "ts": stamp(joints=" T", fraction=True, zone=False),
            "te": fixed("2024-01-02 03:04:05"),
            "td": fixed("0.100"),
            "sa": V4,
            "da": V4,
            "sp": PORT,
            "dp": PORT,
            "pr": PROTO,
            "flg": (
                st.sampled_from(["...AP.SF", "....S.", "......", ".A....", "SSSS"]),
                st.sampled_from(["-", "x", "a"]),
            ),
            "fwd": fixed("0"),
            "stos": fixed("0"),
            "ipkt": COUNT,
            "ibyt": COUNT,
            "opkt": fixed("0"),
            "obyt": fixed("0"),
        },
        ",",
    )


@SETTINGS
@given(lines=st.lists(nfdump_line(), min_size=1, max_size=60), crlf=st.booleans())
def test_nfdump_csv_fast_path_reads_what_the_sql_reads(
    tmp_path: Path, lines: list[str], crlf: bool
) -> None:
    summary = ["Summary", "flows,bytes,packets", "1,2,3"]
    path = write(tmp_path / "nfdump.csv", NFDUMP_HEADER, [*lines, *summary], crlf)
    compare(*stage_both(path, "nfdump-csv"))


ZEEK_NAMES = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "conn_state",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
]
ZEEK_HEADER = "#separator \\x09\n#path\tconn\n#fields\t" + "\t".join(ZEEK_NAMES) + "\n"
STATES = ["S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"]


def zeek_line() -> st.SearchStrategy[str]:
    return line_of(
        {
            "ts": either(EPOCH_FRACTION, stamp(joints="T", fraction=True, zone=True)),
            "uid": fixed("C1"),
            "orig_h": V4,
            "orig_p": (PORT[0], st.one_of(PORT[1], st.just("(empty)"))),
            "resp_h": V4,
            "resp_p": PORT,
            "proto": (st.sampled_from(["tcp", "udp"]), st.one_of(PROTO[1], st.just("icmp"))),
            "state": (
                st.sampled_from(STATES),
                st.sampled_from(["OTH", "-", "(empty)", "s0", "XX"]),
            ),
            "orig_pkts": COUNT,
            "orig_bytes": (COUNT[0], st.one_of(COUNT[1], st.just("(empty)"))),
            "resp_pkts": COUNT,
            "resp_bytes": COUNT,
        },
        "\t",
    )


@SETTINGS
@given(lines=st.lists(zeek_line(), min_size=1, max_size=60), crlf=st.booleans())
def test_zeek_fast_path_reads_what_the_sql_reads(
    tmp_path: Path, lines: list[str], crlf: bool
) -> None:
    path = write(tmp_path / "conn.log", ZEEK_HEADER, [*lines, "#close\t2024-01-02"], crlf)
    compare(*stage_both(path, "zeek"))


CSV_COLUMNS = ["When", "Source", "Destination", "Proto", "SrcPort", "DstPort", "Verdict"]
CSV_COLUMNS += ["Octets", "Pkts", "Dir", "Answered", "Note"]
CSV_MAP = ReaderOptions(
    mapping=(*MAPPED_CSV, ("packets", "Pkts"), ("direction", "Dir"), ("answered", "Answered"))
)


def csv_line() -> st.SearchStrategy[str]:
    words = ["allow", "permit", "pass", "deny", "drop", "blocked", "accepted"]
    return line_of(
        {
            "time": either(EPOCH_FRACTION, stamp(joints=" T", fraction=True, zone=True)),
            "src": V4,
            "dst": V4,
            "proto": PROTO,
            "sport": (PORT[0], st.one_of(PORT[1], st.just(" 80"))),
            "dport": PORT,
            "verdict": (cased(words), st.sampled_from(["-", "maybe", " allow"])),
            "octets": COUNT,
            "pkts": COUNT,
            "dir": (cased(["in", "out", "inbound", "outbound"]), st.just("sideways")),
            "answered": (cased(["true", "false"]), st.sampled_from(["t", "1", "-"])),
            "note": (st.sampled_from(["", "x"]), st.sampled_from(["é", "-"])),
        },
        ",",
    )


@SETTINGS
@given(lines=st.lists(csv_line(), min_size=1, max_size=60), crlf=st.booleans())
def test_mapped_csv_fast_path_reads_what_the_sql_reads(
    tmp_path: Path, lines: list[str], crlf: bool
) -> None:
    path = write(tmp_path / "flows.csv", ",".join(CSV_COLUMNS), lines, crlf)
    compare(*stage_both(path, "csv", CSV_MAP))


def clean_vpc(path: Path, count: int, *, every: int = 0, spoil: Callable[[int], str] = str) -> Path:
    """``count`` plain VPC lines; with ``every``, each ``every``-th one spelled by ``spoil``."""
    lines = [" ".join(VPC_FIELDS)]
    for n in range(count):
        line = (
            f"2 123456789010 eni-1 10.{n % 250}.{n % 7}.{n % 13} 192.0.2.{n % 200} "
            f"{1024 + n % 60000} 443 6 {n % 50} {n * 7} {1_700_000_000 + n} "
            f"{1_700_000_060 + n} ACCEPT OK ingress"
        )
        if every and n % every == 0:
            line = spoil(n)
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_clean_lines_are_all_read_by_the_scanner_with_their_numbers(tmp_path: Path) -> None:
    path = clean_vpc(
        tmp_path / "vpc.log",
        3000,
        every=100,
        spoil=lambda n: f"2 x eni-1 2001:db8::{n} ::1 1 2 6 1 1 1 1 ACCEPT OK -",
    )
    sql, fast, outcomes = stage_both(path, "vpc", block=4096)
    compare(sql, fast, outcomes)
    outcome = outcomes[0]
    assert outcome is not None and outcome.rows == 2970 and outcome.rest is not None
    assert len(fast[0]) == 3000 and fast[0][-1]["line"] == 3001
    assert {record["line"] for record in fast[0] if record["src"].startswith("2001:")} == set(
        range(2, 3002, 100)
    )


def test_output_buffers_grow_when_lines_are_shorter_than_guessed(tmp_path: Path) -> None:
    path = clean_vpc(tmp_path / "vpc.log", 2000)
    compare(*stage_both(path, "vpc", block=1 << 16, guess=1 << 20))


def test_a_lone_carriage_return_leaves_the_file_to_the_sql(tmp_path: Path) -> None:
    path = clean_vpc(tmp_path / "vpc.log", 500)
    data = path.read_bytes()
    cut = len(data) * 3 // 4
    cut = data.index(b" ", cut)
    path.write_bytes(data[:cut] + b"\r" + data[cut + 1 :])
    sql, fast, outcomes = stage_both(path, "vpc", block=1024)
    assert outcomes == [None]
    assert fast == sql and sql[1].malformed + len(sql[0]) >= 499


def test_a_file_mostly_handed_back_is_left_to_the_sql(tmp_path: Path) -> None:
    path = clean_vpc(
        tmp_path / "vpc.log",
        400,
        every=2,
        spoil=lambda n: f"2 x eni-1 ::{n} ::1 1 2 6 1 1 1 1 ACCEPT OK -",
    )
    sql, fast, outcomes = stage_both(path, "vpc", block=4096, mostly=0.4)
    assert outcomes == [None] and fast == sql


def test_a_quoted_csv_is_left_to_the_sql(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    lines = [",".join(CSV_COLUMNS)]
    lines += ["1700000000,10.0.0.1,10.0.0.2,6,1,2,allow,1,1,in,true,x"] * 50
    lines.append('1700000000,10.0.0.1,10.0.0.2,6,1,2,allow,1,1,in,true,"a, b"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sql, fast, outcomes = stage_both(path, "csv", CSV_MAP)
    assert outcomes == [None] and fast == sql and len(sql[0]) == 51


def test_parts_written_by_the_scanner_are_canonical_parquet(tmp_path: Path) -> None:
    """The same column names and types as DuckDB's parts, so every reader of the dataset
    (DuckDB, Spark) sees one table."""
    import duckdb

    from portmatrix.audit import ingest

    path = clean_vpc(tmp_path / "vpc.log", 1000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_fast, "FAST_MIN", 1)
        patch.setattr(_fast, "BLOCK", 8192)
        ingest([path], tmp_path / "fast", kind="vpc")
        patch.setattr(_fast, "available", lambda: False)
        ingest([path], tmp_path / "sql", kind="vpc")
    con = duckdb.connect()

    def described(folder: str) -> list[Any]:
        return con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{tmp_path / folder}/*.parquet')"
        ).fetchall()

    assert len(list((tmp_path / "fast").glob("*.parquet"))) > 1
    assert described("fast") == described("sql")
    assert [row[1] for row in described("fast")] == list(canonical.COLUMNS.values())
    rows = "SELECT * FROM read_parquet('{}/*.parquet') ORDER BY source_line"
    assert (
        con.execute(rows.format(tmp_path / "fast")).fetchall()
        == con.execute(rows.format(tmp_path / "sql")).fetchall()
    )


def t_stamps(joint: str) -> list[str]:
    texts = [f"{day}{joint}01:02:03" for day in [*BAD_DATES, "2024-02-29", "1600-02-29"]]
    texts += [f"2024-06-30{joint}{clock}" for clock in BAD_CLOCKS]
    texts += [f"2024-06-30{joint}01:02:03{tail}" for tail in [".5", ".1234567", ".", "Z", ".5Z"]]
    return [*texts, "-", "2024-01-02", "yesterday", f"9999-12-31{joint}23:59:59"]


# Per reader: the header, the delimiter, a good line, and spellings to try one field at a time.
ONE_AT_A_TIME: dict[str, tuple[str, str, str, dict[int, list[str]], ReaderOptions | None]] = {
    "vpc": (
        " ".join(VPC_FIELDS),
        " ",
        "2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 3 300 1700000000 1700000060 ACCEPT OK ingress",
        {
            0: ["-", "x"],
            3: T_V4,
            4: T_V4,
            5: T_PORT,
            6: T_PORT,
            7: T_PROTO,
            8: T_COUNT,
            9: T_COUNT,
            10: T_EPOCH,
            12: ["-", "accept", "Reject", "OK", "x"],
            13: ["-", "ok", "NODATA", "SkipData", "x"],
            14: ["-", "INGRESS", "Egress", "in"],
        },
        None,
    ),
    "pfirewall": (
        PFIREWALL_HEADER,
        " ",
        "2024-06-30 01:02:03 ALLOW TCP 10.0.0.1 10.0.0.2 40000 443 60 S 1 0 8192 - - - SEND",
        {
            0: [*BAD_DATES, "-", "#x", "2024-02-29", "1600-02-29"],
            1: BAD_CLOCKS,
            2: ["-", "allow", "Drop", "INFO-EVENTS-LOST", "SKIP"],
            3: T_PROTO,
            4: T_V4,
            5: T_V4,
            6: T_PORT,
            7: T_PORT,
            8: T_COUNT,
            16: ["-", "receive", "Send", "FORWARD"],
        },
        None,
    ),
    "nfdump-csv": (
        NFDUMP_HEADER,
        ",",
        "2024-06-30 01:02:03,2024-06-30 01:02:04,0.1,10.0.0.1,10.0.0.2,40000,443,TCP,...AP.SF,"
        "0,0,3,300,0,0",
        {
            0: [*t_stamps(" "), *t_stamps("T")],
            3: T_V4,
            4: T_V4,
            5: T_PORT,
            6: T_PORT,
            7: T_PROTO,
            8: ["-", "x", "....S.", "......", ".A...."],
            11: T_COUNT,
            12: T_COUNT,
        },
        None,
    ),
    "zeek": (
        ZEEK_HEADER,
        "\t",
        "1700000000.5\tC1\t10.0.0.1\t40000\t10.0.0.2\t443\ttcp\tSF\t3\t300\t2\t200",
        {
            0: [*T_FRACTION, *t_stamps("T")],
            2: T_V4,
            3: T_PORT,
            4: T_V4,
            5: T_PORT,
            6: T_PROTO,
            7: [*STATES, "OTH", "-", "(empty)", "s0", "XX"],
            8: T_COUNT,
            9: [*T_COUNT, "(empty)"],
            10: T_COUNT,
            11: T_COUNT,
        },
        None,
    ),
    "csv": (
        ",".join(CSV_COLUMNS),
        ",",
        "1700000000,10.0.0.1,10.0.0.2,6,40000,443,permit,300,3,in,true,x",
        {
            0: [*T_FRACTION, *t_stamps(" "), *t_stamps("T")],
            1: T_V4,
            2: T_V4,
            3: T_PROTO,
            4: [*T_PORT, " 80"],
            5: T_PORT,
            6: ["-", "maybe", " allow", "ALLOW", "Blocked", "pass"],
            7: T_COUNT,
            8: T_COUNT,
            9: ["IN", "Outbound", "sideways", "-"],
            10: ["FALSE", "t", "1", "-"],
            11: ["", "é", "-"],
        },
        CSV_MAP,
    ),
}


@pytest.mark.parametrize("kind", list(ONE_AT_A_TIME))
def test_each_spelling_alone_in_a_good_line_reads_as_the_sql_reads(
    tmp_path: Path, kind: str
) -> None:
    """Every tricky spelling of every field, each in a line that is otherwise good, so that
    accepting one the SQL refuses (or reading it otherwise) cannot hide behind another."""
    header, delimiter, line, tricky, options = ONE_AT_A_TIME[kind]
    base = line.split(delimiter)
    lines = [delimiter.join(base)]
    for index, spellings in tricky.items():
        for spelling in spellings:
            lines.append(delimiter.join([*base[:index], spelling, *base[index + 1 :]]))
    path = write(tmp_path / f"{kind}.log", header, lines, crlf=False)
    sql, fast, outcomes = stage_both(path, kind, options, block=1 << 20)
    compare(sql, fast, outcomes)
    outcome = outcomes[0]
    assert outcome is not None and outcome.rows >= len(tricky)  # the good spellings were read

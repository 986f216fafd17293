"""Every flow-log reader on its samples: real captures from the namespace lab where the format can
be produced here (netfilter, conntrack, nfdump; see tests/data/flowlogs/README.md) and
hand-written edge cases from the formats' documentation for the rest."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_helpers import FLOWLOGS, MAPPED_CSV, brief, staged
from fuzz.mutations import FLOWLOG_SEEDS
from portmatrix.audit import readers, sources
from portmatrix.audit.address import Address
from portmatrix.audit.canonical import ReaderOptions
from portmatrix.audit.readers._lines import _known_address
from portmatrix.errors import InputError

PG, RTR = "10.10.1.21", "10.10.1.11"


def lines_of(problems: list[object]) -> list[int | None]:
    return [problem.line for problem in problems]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "kind"), sorted(FLOWLOG_SEEDS.items()))
def test_auto_detects_every_sample(name: str, kind: str) -> None:
    assert sources.detect(FLOWLOGS / name) == kind


def test_asa_connections_denies_and_directions() -> None:
    records, counts = staged(FLOWLOGS / "asa.log", options=ReaderOptions(year=2025))
    keys = ("line", "src", "dst", "protocol", "sport", "dport", "action", "answered", "bytes")
    assert brief(records, *keys) == [
        (1, PG, RTR, 6, 51000, 40042, "allowed", None, None),
        (2, PG, RTR, 6, 51000, 40042, "allowed", True, 2436),  # TCP FINs: answered
        (3, PG, RTR, 6, 50001, 445, "allowed", None, None),  # outbound: responder written first
        (4, PG, RTR, 6, 50001, 445, "allowed", False, 0),  # teardown follows its built line
        (5, PG, RTR, 17, 50003, 137, "allowed", None, None),  # (LOCAL\alice) user groups
        (6, PG, RTR, 17, 50003, 137, "allowed", None, 96),
        (7, PG, RTR, 6, 50009, 40042, "allowed", None, 512),  # built never seen: as written
        (8, "10.99.0.5", RTR, 6, 40804, 23, "denied", None, None),  # 106023
        (9, "10.99.0.5", RTR, 1, None, None, "denied", None, None),  # 106023 ICMP
        (10, "10.99.0.6", RTR, 6, 1234, 3389, "denied", None, None),  # 106001
        (11, "10.99.0.7", RTR, 17, 5000, 161, "denied", None, None),  # 106006
        (12, "10.99.0.8", RTR, 17, 53, 5353, "denied", None, None),  # 106007
        (13, PG, RTR, 6, 50002, 40042, "denied", None, None),  # 106015
        (14, PG, RTR, 17, 50004, 137, "allowed", None, None),  # 106100 permitted
        (15, "2001:db8::5", "2001:db8::11", 6, 1025, 22, "denied", None, None),  # 106100 denied
        (16, "2001:db8::5", "2001:db8::11", 6, 1025, 22, "allowed", None, None),  # %FTD-
        (17, "10.1.1.2", "10.1.1.1", 6, 12523, 22, "allowed", None, None),  # "NP Identity Ifc"
    ]
    # line 1 names no firewall and line 2 names fw01: not the same firewall's connection 101
    assert [r["direction"] for r in records[:4]] == ["in", None, "out", "out"]
    times = [r["time"] for r in records[:6]] + [records[9]["time"], records[6]["time"]]
    assert times == [
        "2025-12-01T10:00:00.000000",  # <pri>Mmm dd yyyy HH:MM:SS:
        "2025-12-01T10:00:53.000000",  # with a device id
        "2025-12-01T10:01:00.000000",  # RFC 5424
        "2025-12-01T10:01:30.250000",
        "2025-12-01T10:02:00.000000",  # syslog server stamp without a year (--year)
        "2025-12-01T10:02:02.000000",
        "2025-12-01T10:03:00.000000",
        None,  # no time stamp at all
    ]
    assert counts.ignored == 2  # 305011 and a non-ASA line
    assert lines_of(counts.problems) == [20, 21]
    assert "10.0.0.999" in str(counts.problems[0])


def test_asa_connection_ids_are_per_firewall(tmp_path: Path) -> None:
    """Two firewalls logging to one syslog server number their connections alike: each
    teardown takes the direction of its own firewall's built message."""
    log = tmp_path / "asa.log"
    log.write_text(
        "Dec  1 10:00:00 fw01 : %ASA-6-302013: Built outbound TCP connection 7 for "
        "outside:10.0.0.9/445 (10.0.0.9/445) to inside:10.0.1.5/50000 (10.0.1.5/50000)\n"
        "Dec  1 10:00:01 fw02 : %ASA-6-302013: Built inbound TCP connection 7 for "
        "outside:10.0.2.7/51000 (10.0.2.7/51000) to inside:10.0.3.4/443 (10.0.3.4/443)\n"
        "Dec  1 10:00:02 fw01 : Dec 01 2025 10:00:02: %ASA-6-302014: Teardown TCP connection 7 "
        "for outside:10.0.0.9/445 to inside:10.0.1.5/50000 duration 0:00:02 bytes 10 TCP FINs\n"
        "<166>1 2025-12-01T10:00:03Z fw02 : %ASA-6-302014: Teardown TCP connection 7 "
        "for outside:10.0.2.7/51000 to inside:10.0.3.4/443 duration 0:00:02 bytes 20 TCP FINs\n"
    )
    records, _ = staged(log, options=ReaderOptions(year=2025))
    assert brief(records, "line", "src", "dst", "dport", "direction") == [
        (1, "10.0.1.5", "10.0.0.9", 445, "out"),
        (2, "10.0.2.7", "10.0.3.4", 443, "in"),
        (3, "10.0.1.5", "10.0.0.9", 445, "out"),
        (4, "10.0.2.7", "10.0.3.4", 443, "in"),
    ]


def test_syslog_year_comes_from_the_file_time_and_never_lies_in_the_future(tmp_path: Path) -> None:
    log = tmp_path / "asa.log"
    log.write_text(
        "Dec 31 23:59:00 fw %ASA-4-106023: Deny tcp src a:10.0.0.1/1 dst b:10.0.0.2/2 "
        'by access-group "x" [0x0, 0x0]\n'
    )
    moment = datetime(2026, 1, 2, tzinfo=UTC).timestamp()
    os.utime(log, (moment, moment))
    records, _ = staged(log)
    assert records[0]["time"] == "2025-12-31T23:59:00.000000"


def test_pfirewall_reads_by_its_fields_header() -> None:
    records, counts = staged(FLOWLOGS / "pfirewall.log")
    assert brief(records, "line", "src", "dst", "protocol", "dport", "action", "direction") == [
        (6, PG, RTR, 6, 40042, "allowed", "in"),
        (7, RTR, "10.10.3.61", 6, 53, "allowed", "out"),
        (8, "10.99.0.5", RTR, 6, 3389, "denied", "in"),
        (9, PG, RTR, 17, 137, "allowed", "in"),
        (10, "10.99.0.5", RTR, 1, None, "denied", "in"),
        (11, "fe80::1", "fe80::2", 6, 445, "allowed", "in"),
    ]
    assert records[0]["bytes"] == 52 and records[0]["packets"] == 1
    assert counts.ignored == 1  # INFO-EVENTS-LOST
    assert lines_of(counts.problems) == [13, 14]


@pytest.mark.parametrize("name", ["zeek-conn.log", "zeek-conn.json"])
def test_zeek_conn_states_and_both_directions(name: str) -> None:
    records, counts = staged(FLOWLOGS / name)
    by_port = {r["dport"]: r for r in records}
    assert by_port[40042]["answered"] is True  # SF
    assert by_port[445]["answered"] is False  # S0: never answered
    assert by_port[137]["answered"] is True
    assert by_port[40042]["bytes"] == 368 + 408  # IP bytes of both sides
    assert by_port[40042]["time"] == "2025-12-01T10:00:00.123456"
    icmp = [r for r in records if r["protocol"] == 1]
    assert icmp[0]["sport"] is None and icmp[0]["answered"] is None  # OTH; type/code dropped
    assert all(r["action"] == "unknown" for r in records)
    assert counts.malformed == 1


def test_zeek_tsv_rejected_connection_was_never_answered() -> None:
    records, counts = staged(FLOWLOGS / "zeek-conn.log")
    assert [r["line"] for r in records] == [9, 10, 11, 12, 13]
    assert records[2]["dport"] == 9999 and records[2]["answered"] is False  # REJ
    assert counts.ignored == 1  # #close
    assert lines_of(counts.problems) == [14]


def test_zeek_json_cites_the_broken_line_past_an_empty_one() -> None:
    records, counts = staged(FLOWLOGS / "zeek-conn.json")
    assert [r["line"] for r in records] == [1, 2, 4, 5]
    assert records[1]["time"] == "2025-12-01T10:00:01.000000"  # ISO 8601 stamps too
    assert lines_of(counts.problems) == [6]


def test_vpc_v2_default_fields_and_skipped_windows() -> None:
    records, counts = staged(FLOWLOGS / "vpc-v2.log")
    assert brief(records, "line", "src", "dst", "sport", "dport", "action", "bytes") == [
        (2, PG, RTR, 51000, 40042, "allowed", 840),
        (3, RTR, PG, 40042, 51000, "allowed", 1200),  # the reply direction, its own record
        (4, "10.99.0.5", RTR, 40804, 23, "denied", 40),
    ]
    assert records[0]["time"] == "2025-12-01T10:00:00.000000"
    assert counts.ignored == 2  # NODATA and SKIPDATA
    assert "protocol 256" in str(counts.problems[0])


def test_vpc_v5_custom_order_ipv6_and_flow_direction() -> None:
    records, counts = staged(FLOWLOGS / "vpc-v5.log")
    assert brief(records, "src", "dst", "sport", "dport", "bytes", "packets", "direction") == [
        (PG, RTR, 51000, 40042, 840, 10, "in"),
        ("2001:db8::11", "2001:db8::5", 22, 1025, 1200, 8, "out"),
    ]
    assert counts.ignored == 1


def test_vpc_without_header_is_version_2(tmp_path: Path) -> None:
    log = tmp_path / "flows.log"
    lines = (FLOWLOGS / "vpc-v2.log").read_text().splitlines()[1:3]
    log.write_text("\n".join(lines) + "\n")
    records, _ = staged(log, kind="vpc")
    assert [(r["line"], r["dport"]) for r in records] == [(1, 40042), (2, 51000)]


def test_mapped_csv_follows_the_command_line_mapping() -> None:
    records, counts = staged(
        FLOWLOGS / "mapped.csv", kind="csv", options=ReaderOptions(mapping=MAPPED_CSV)
    )
    assert brief(records, "line", "protocol", "dport", "action", "bytes", "time") == [
        (2, 6, 40042, "allowed", 840, "2025-12-01T10:00:00.000000"),
        (3, 6, 445, "denied", 0, "2025-12-01T10:00:01.000000"),  # epoch seconds
        (4, 17, 137, "allowed", 68, "2025-12-01T10:00:02.000000"),  # quoted field
    ]
    assert lines_of(counts.problems) == [5]


def test_mapped_csv_refuses_a_mapping_to_a_missing_column() -> None:
    with pytest.raises(InputError, match="no column 'Nope'"):
        staged(
            FLOWLOGS / "mapped.csv",
            kind="csv",
            options=ReaderOptions(
                mapping=(("src", "Nope"), ("dst", "Source"), ("protocol", "Proto"))
            ),
        )


def test_netfilter_lines_as_the_kernel_wrote_them() -> None:
    """Captured from /dev/kmsg and dmesg in the namespace lab (tests/data/flowlogs/capture.py)."""
    for name in ("netfilter-kmsg.log", "netfilter-dmesg.log"):
        records, counts = staged(FLOWLOGS / name)
        assert counts.malformed == 0
        by_port = {r["dport"]: r for r in records}
        assert by_port[40042]["action"] == "allowed"  # prefix pm-accept
        assert by_port[23]["action"] == "denied"  # prefix pm-drop
        assert by_port[137]["protocol"] == 17
        assert all((r["src"], r["dst"], r["direction"]) == (PG, RTR, "in") for r in records)
        assert all(r["time"] is None for r in records)  # boot-relative stamps


def test_netfilter_journal_and_syslog_stamps(tmp_path: Path) -> None:
    captured = (FLOWLOGS / "netfilter-kmsg.log").read_text().splitlines()[0].split(";", 1)[1]
    log = tmp_path / "kern.log"
    log.write_text(
        f"2025-12-01T10:00:00.500000+00:00 rtr-a kernel: {captured}\n"
        f"Dec  1 10:00:01 rtr-a kernel: [ 8469.549553] {captured}\n"
        "Dec  1 10:00:02 rtr-a kernel: pm-accept IN=eth0 OUT= SRC=10.10.1.21 LEN=60\n"
    )
    records, counts = staged(log, options=ReaderOptions(year=2025))
    assert [r["time"] for r in records] == [
        "2025-12-01T10:00:00.500000",
        "2025-12-01T10:00:01.000000",
    ]
    assert lines_of(counts.problems) == [3]


def test_conntrack_events_new_and_destroy() -> None:
    """``conntrack -E -o timestamp`` as it ran in the lab: NEW and DESTROY, UPDATEs ignored."""
    records, counts = staged(FLOWLOGS / "conntrack-events.txt")
    text = (FLOWLOGS / "conntrack-events.txt").read_text().splitlines()
    assert counts.ignored == sum("[UPDATE]" in line for line in text)
    assert len(records) == sum(("[NEW]" in line or "[DESTROY]" in line) for line in text)
    kept = [line for line in text if "[UPDATE]" not in line]
    new = [r for r, line in zip(records, kept, strict=True) if "[NEW]" in line]
    assert all(r["answered"] is None for r in new)
    destroyed = {r["dport"]: r for r in records if r["bytes"] is not None}
    assert destroyed[40042]["answered"] is True
    assert destroyed[5555]["answered"] is False  # [UNREPLIED]: nobody listened
    assert records[0]["time"] is not None


def test_conntrack_table_counters() -> None:
    records, _ = staged(FLOWLOGS / "conntrack-table.txt")
    by_port = {r["dport"]: r for r in records}
    assert set(by_port) == {40042, 445, 9999, 137, 5555}
    assert by_port[5555]["answered"] is False and by_port[445]["answered"] is True
    table = (FLOWLOGS / "conntrack-table.txt").read_text().splitlines()
    line = next(text for text in table if "dport=40042" in text)
    counters = re.findall(r"(packets|bytes)=(\d+)", line)
    assert by_port[40042]["packets"] == sum(int(v) for k, v in counters if k == "packets")
    assert by_port[40042]["bytes"] == sum(int(v) for k, v in counters if k == "bytes")


def test_nfdump_csv_and_text_agree_on_the_captured_flows() -> None:
    """NetFlow v9 from softflowd over the lab's capture, printed by nfdump -o csv and -q."""
    csv_records, csv_counts = staged(FLOWLOGS / "nfdump.csv")
    text_records, text_counts = staged(FLOWLOGS / "nfdump-q.txt")
    assert csv_counts.malformed == 0
    pick = ("src", "dst", "protocol", "sport", "dport", "bytes")
    ipv4 = [r for r in csv_records if ":" not in r["src"]]
    text_ipv4 = [r for r in text_records if ":" not in r["src"]]
    assert sorted(brief(ipv4, *pick)) == sorted(brief(text_ipv4, *pick))
    assert (PG, RTR, 6, 40042) in {(r["src"], r["dst"], r["protocol"], r["dport"]) for r in ipv4}
    forward = [r for r in ipv4 if r["dport"] == 40042]
    assert forward[0]["answered"] is True  # ACK seen
    # nfdump abbreviates long IPv6 addresses in text unless -6: cited, not guessed
    assert all("abbreviated" in str(p) for p in text_counts.problems)


def test_unknown_format_names_the_file(tmp_path: Path) -> None:
    odd = tmp_path / "odd.txt"
    odd.write_text("hello\n")
    with pytest.raises(InputError, match=r"odd\.txt:1: cannot tell the format"):
        sources.classify([odd])


def test_registry_knows_every_builtin_and_refuses_unknown_names() -> None:
    assert set(readers.names()) >= {"asa", "pfirewall", "netfilter", "conntrack", "vpc", "csv"}
    assert all(isinstance(readers.load(name), readers.FlowLogReader) for name in readers.names())
    with pytest.raises(Exception, match="did you mean"):
        readers.load("asaa")


_OCTET_TEXT = st.one_of(
    st.integers(0, 999).map(str),
    st.sampled_from(["00", "01", "007", "", " 1", "1 ", "+1", "-1", "1e1", "\u0661", "ff"]),
)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.lists(_OCTET_TEXT, min_size=3, max_size=5).map(".".join),
        st.ip_addresses().map(str),
        st.ip_addresses(v=4).map(lambda ip: f"{ip}%eth0"),
        st.ip_addresses(v=4).map(lambda ip: f"::ffff:{ip}"),
        st.text(alphabet="0123456789abcdef.:% ", max_size=20),
    )
)
def test_line_readers_fast_address_path_agrees_with_ipaddress(text: str) -> None:
    """The free-text readers' quick dotted-quad reading accepts and rejects what
    ``Address.parse`` does, and gives the same value."""
    try:
        expected: Address | None = Address.parse(text)
    except ValueError:
        expected = None
    _known_address.cache_clear()
    assert _known_address(text) == expected

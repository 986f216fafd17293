"""Ingest internals that must not change a result: empty lines found block by block, large files
read in chunks side by side, and addresses converted in SQL exactly as Python reads them."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_helpers import FLOWLOGS, staged
from portmatrix.audit import canonical
from portmatrix.audit.address import Address, parse_layers
from portmatrix.audit.canonical import ReaderOptions
from portmatrix.audit.readers import _delimited, _lines
from portmatrix.errors import InputError


def naive_blank_lines(data: bytes, after: int) -> list[int]:
    lines = data.split(b"\n")[:-1]  # what follows the last line break ends no line
    return [n for n, line in enumerate(lines, start=1) if line in (b"", b"\r") and n > after]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.sampled_from([b"", b"\r", b"a", b"a b", b"\r\r", b" "]), max_size=30),
    ending=st.sampled_from([b"\n", b"\r\n"]),
    last=st.booleans(),
    block=st.integers(1, 9),
    after=st.integers(0, 3),
)
def test_blank_lines_match_a_line_by_line_walk(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[bytes],
    ending: bytes,
    last: bool,
    block: int,
    after: int,
) -> None:
    data = ending.join(lines) + (ending if last else b"")
    path = tmp_path / "f.log"
    path.write_bytes(data)
    monkeypatch.setattr(_delimited, "BLOCK", block)
    assert _delimited.blank_lines(path, after=after) == naive_blank_lines(data, after)


VPC_HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def vpc_file(path: Path, count: int) -> Path:
    lines = [VPC_HEADER]
    for n in range(count):
        if n % 37 == 5:
            lines.append("")  # an empty line DuckDB skips
        if n % 53 == 7:
            lines.append(
                f"2 123 eni-1 10.0.0.{n % 250} 10.1.0.1 999999 443 6 1 60 1700000000 1700000060 ACCEPT OK"
            )
            continue  # a bad source port
        if n % 61 == 3:
            lines.append("2 123 eni-1 - - - - - - - 1700000000 1700000060 - NODATA")
            continue
        lines.append(
            f"2 123 eni-1 10.0.{n % 7}.{n % 250} 10.1.0.{n % 9} {1024 + n} 443 6 1 {n} "
            f"{1700000000 + n} {1700000060 + n} {'REJECT' if n % 11 == 0 else 'ACCEPT'} OK"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_file_read_in_chunks_gives_what_one_read_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vpc_file(tmp_path / "vpc.log", 3000)
    whole, whole_counts = staged(path, kind="vpc")
    monkeypatch.setattr(_delimited, "MIN_CHUNK", 4096)
    monkeypatch.setattr(canonical.Staging, "parallel", property(lambda self: 5))
    parts = list(_delimited.split(path, skip=1, parts=5))
    assert len(parts) == 5 and parts[0].rows is not None and parts[-1].rows is None
    chunked, chunked_counts = staged(path, kind="vpc")
    assert chunked == whole
    assert len(whole) > 2500 and whole_counts.malformed > 10 and whole_counts.ignored > 10
    assert chunked_counts == whole_counts
    assert all(line.startswith(str(path)) for line in map(str, chunked_counts.problems))
    source = path.read_text(encoding="utf-8").splitlines()
    for problem in chunked_counts.problems:  # the line cited is the line with the bad port
        assert problem.line is not None and " 999999 " in source[problem.line - 1]
    for record in chunked[::97]:
        assert f" {record['sport']} 443 " in source[record["line"] - 1]


def v6_texts() -> st.SearchStrategy[str]:
    def spell(value: int, style: int) -> str:
        address = ipaddress.IPv6Address(value)
        if style == 0:
            return str(address)
        if style == 1:
            return address.exploded.upper()
        if style == 2:
            return f"{address}%eth0"
        return f"::ffff:{ipaddress.IPv4Address(value & 0xFFFFFFFF)}"

    return st.builds(
        spell,
        st.one_of(
            st.integers(0, 2**128 - 1), st.integers(0, 2**16), st.integers(2**127, 2**128 - 1)
        ),
        st.integers(0, 3),
    )


ADDRESS_TEXTS = st.one_of(
    st.builds(lambda v: str(ipaddress.IPv4Address(v)), st.integers(0, 2**32 - 1)),
    st.builds(lambda v: f" {ipaddress.IPv4Address(v)} ", st.integers(0, 2**32 - 1)),
    v6_texts(),
    st.sampled_from(
        ["", "-", "10.0.0", "10.0.0.256", "1.2.3.04", "::1::", "12345::", "gg::1", "1.2.3.4.5"]
    ),
)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(ADDRESS_TEXTS, min_size=1, max_size=40))
def test_sql_addresses_are_those_python_reads(texts: list[str]) -> None:
    con = canonical.connect()
    values = ", ".join("(" + "'" + text.replace("'", "''") + "')" for text in texts)
    relation = parse_layers(f"(SELECT * FROM (VALUES {values}) v(x))", {"a": "x"})
    rows = con.execute(f"SELECT x, a.family, a.hi, a.lo FROM {relation}").fetchall()
    for text, family, hi, lo in rows:
        try:
            expected: tuple[int, int, int] | None = tuple(
                (lambda a: (a.family, a.hi, a.lo))(Address.parse(text.strip()))
            )
        except ValueError:
            expected = None
        got = None if family is None else (family, hi, lo)
        assert got == expected, text


def test_a_mapped_csv_is_cut_into_chunks_only_when_no_field_is_quoted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = ReaderOptions(
        mapping=(("src", "s"), ("dst", "d"), ("protocol", "p"), ("dport", "dp"))
    )
    plain = ["s,d,p,dp"] + [f"10.0.0.{n % 250},10.1.0.1,tcp,{n}" for n in range(2000)]
    quoted = [
        *plain[:1000],
        '10.0.0.1,10.1.0.1,"tcp",1',
        '10.0.0.2,"10.1.0.1",udp,2',
        *plain[1000:],
    ]
    seen: list[int] = []
    split = _delimited.split

    def counting_split(path: Path, *, skip: int, parts: int) -> Iterator[_delimited.Chunk]:
        chunks = list(split(path, skip=skip, parts=parts))
        seen.append(len(chunks))
        return iter(chunks)

    for name, lines in (("plain.csv", plain), ("quoted.csv", quoted)):
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        whole, whole_counts = staged(path, kind="csv", options=options)
        monkeypatch.setattr(_delimited, "MIN_CHUNK", 4096)
        monkeypatch.setattr(_delimited, "split", counting_split)
        monkeypatch.setattr(canonical.Staging, "parallel", property(lambda self: 4))
        chunked, chunked_counts = staged(path, kind="csv", options=options)
        monkeypatch.undo()
        assert chunked == whole and chunked_counts == whole_counts
        assert len(whole) == len(lines) - 1
    assert seen == [4, 1]  # the plain file in chunks, the quoted one whole


LINE_KINDS = st.sampled_from(["record", "record", "record", "blank", "cr", "bad", "nodata"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(LINE_KINDS, min_size=1, max_size=120),
    ending=st.sampled_from(["\n", "\r\n"]),
    last=st.booleans(),
    parts=st.integers(2, 6),
    bare_cr=st.booleans(),
)
def test_chunks_read_every_row_once_at_its_own_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kinds: list[str],
    ending: str,
    last: bool,
    parts: int,
    bare_cr: bool,
) -> None:
    """Whatever the empty lines, line endings and last line, a file read as chunks gives every
    record once, numbered with the line that holds it (its byte count says which)."""
    lines = [VPC_HEADER]
    for n, kind in enumerate(kinds, start=2):
        if kind == "record":
            lines.append(
                f"2 1 eni-1 10.0.0.1 10.1.0.1 {1024 + n} 443 6 1 {n} 1700000000 1 ACCEPT OK"
            )
        elif kind == "bad":
            lines.append(f"2 1 eni-1 10.0.0.1 10.1.0.1 99999 443 6 1 {n} 1700000000 1 ACCEPT OK")
        elif kind == "nodata":
            lines.append("2 1 eni-1 - - - - - - - 1700000000 1 - NODATA")
        else:
            lines.append("" if kind == "blank" else "\r")
    if bare_cr and len(lines) > 3:  # an old Mac line end inside the file: DuckDB splits there
        middle = len(lines) // 2
        lines[middle : middle + 2] = [lines[middle] + "\r" + lines[middle + 1]]
    text = ending.join(lines) + (ending if last else "")
    path = tmp_path / "vpc.log"
    path.write_bytes(text.encode())
    whole, whole_counts = staged(path, kind="vpc")
    with monkeypatch.context() as patch:  # undone before the next example
        patch.setattr(_delimited, "MIN_CHUNK", 64)
        patch.setattr(canonical.Staging, "parallel", property(lambda self: parts))
        chunked, chunked_counts = staged(path, kind="vpc")
    assert chunked == whole and chunked_counts == whole_counts
    if "\r" not in text.replace("\r\n", "") and not ("\r" in text and "\n\n" in text):
        physical = text.split("\n")
        for record in chunked:  # each record is read from the line it names
            assert f" {record['bytes']} 1700000000 " in physical[record["line"] - 1]
        expected = sum(1 for kind in kinds if kind == "record")
        assert len(chunked) == expected


@pytest.mark.parametrize("chunked", [False, True])
def test_bytes_that_are_not_utf8_make_one_malformed_line_not_a_failed_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunked: bool
) -> None:
    """DuckDB's CSV reader refuses a file holding bytes that are not UTF-8; the reader reads
    such a file again as Latin-1, so the bad line is reported and every other line is kept."""
    lines = [VPC_HEADER.encode()]
    for n in range(2, 400):
        source = b"10.0.0.\xff" if n == 250 else b"10.0.0.1"
        lines.append(
            b"2 1 eni-1 " + source + f" 10.1.0.1 1024 443 6 1 {n} 1700000000 1 ACCEPT OK".encode()
        )
    path = tmp_path / "vpc.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    if chunked:
        monkeypatch.setattr(_delimited, "MIN_CHUNK", 1024)
        monkeypatch.setattr(canonical.Staging, "parallel", property(lambda self: 3))
    records, counts = staged(path, kind="vpc")
    assert counts.malformed == 1 and counts.records == 397
    assert counts.problems[0].line == 250 and "is not an IP address" in counts.problems[0].message
    assert all(record["bytes"] == record["line"] for record in records)


def test_a_line_longer_than_duckdbs_buffer_is_one_malformed_line(tmp_path: Path) -> None:
    """DuckDB's CSV reader stops at a line over 2 MB; the file is read again with a buffer
    as long as that line, so only the line itself is reported."""
    good = "2 1 eni-1 10.0.0.1 10.1.0.1 1024 443 6 1 {n} 1700000000 1 ACCEPT OK"
    lines = [VPC_HEADER, good.format(n=2), "x" * 3_000_000, good.format(n=4)]
    path = tmp_path / "vpc.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, counts = staged(path, kind="vpc")
    assert [record["line"] for record in records] == [2, 4]
    assert counts.malformed == 1 and counts.problems[0].line == 3


def test_a_line_beyond_any_flow_log_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_delimited, "LONGEST_LINE", 2_500_000)
    path = tmp_path / "vpc.log"
    path.write_text(f"{VPC_HEADER}\n\n{'x' * 3_000_000}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        staged(path, kind="vpc")
    assert caught.value.line == 3 and str(path) in str(caught.value)


def test_cited_values_are_shortened_and_control_characters_shown(tmp_path: Path) -> None:
    path = tmp_path / "vpc.log"
    row = "2 1 eni-1 10.0.0.1\x00 10.1.0.1 {port} 443 6 1 5 1700000000 1 ACCEPT OK"
    path.write_text(
        "\n".join(
            [VPC_HEADER, row.format(port=1024), row.replace("\x00", "").format(port="7" * 500)]
        )
        + "\n",
        encoding="utf-8",
    )
    _, counts = staged(path, kind="vpc")
    messages = [problem.message for problem in counts.problems]
    assert messages[0] == "source 10.0.0.1? is not an IP address"
    assert messages[1] == f"source port {'7' * 57}... is not a port"


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("netfilter-dmesg.log", "netfilter"),
        ("conntrack-events.txt", "conntrack"),
        ("nfdump-q.txt", "nfdump-text"),
        ("asa.log", "asa"),
    ],
)
@pytest.mark.parametrize(("ending", "many"), [("\n", False), ("\r\n", True), ("mixed", True)])
def test_free_text_parsed_by_several_processes_gives_what_one_pass_gives(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sample: str,
    kind: str,
    ending: str,
    many: bool,
) -> None:
    """The sample, repeated with damaged and empty lines (and carriage returns alone, which
    Python's text files take as line ends), cut into parts parsed by worker processes."""
    lines = (FLOWLOGS / sample).read_text(encoding="utf-8").splitlines()
    body: list[str] = []
    for copy in range(40):
        body += lines
        body += ["", "SRC=x DST=y this is no record", lines[copy % len(lines)] + " \x00é"]
    if ending == "mixed":
        text = "".join(line + ("\r", "\n", "\r\n")[n % 3] for n, line in enumerate(body))
    else:
        text = ending.join(body) + ending
    path = tmp_path / sample
    path.write_bytes(text.encode("utf-8") + b"\xff\n")
    options = ReaderOptions(year=2025)
    whole, whole_counts = staged(path, kind=kind, options=options)
    seen: list[int] = []
    ranges = _lines.line_ranges

    def counting(path: Path, parts: int) -> list[_lines.LineRange]:
        found = ranges(path, parts)
        seen.append(len(found))
        return found

    with monkeypatch.context() as patch:
        patch.setattr(_lines, "MIN_PARALLEL", len(text) // 4)
        if many:  # more parts than processes
            patch.setattr(_lines, "MAX_PART", len(text) // 6)
        patch.setattr(_lines, "line_ranges", counting)
        patch.setattr(canonical.Staging, "parallel", property(lambda self: 3))
        parallel, parallel_counts = staged(path, kind=kind, options=options)
    assert seen == [3] if not many else len(seen) == 1 and seen[0] >= 6
    assert parallel == whole and parallel_counts == whole_counts
    assert whole_counts.records > 40 and whole_counts.ignored > 40


def _asa_log(rng: random.Random, connections: int) -> list[str]:
    """Connections built, then torn down some lines later (so across the cuts between parts),
    with ids used again, connections never built, never torn down or torn down twice, and
    damaged lines."""
    events: list[tuple[float, str]] = []
    for number in range(connections):
        ident = rng.randrange(connections // 3)  # an id comes back for a later connection
        proto = rng.choice(("TCP", "UDP"))
        way = rng.choice(("inbound", "outbound"))
        a = f"outside:10.1.{number % 200}.{number % 250 + 1}/{1024 + number % 60000}"
        b = f"inside:10.2.0.{number % 200 + 1}/{rng.choice((445, 1433, 40042))}"
        start = number + rng.random()
        built, torn = ("302013", "302014") if proto == "TCP" else ("302015", "302016")
        device = rng.choice(("fw01 : ", "fw02 : "))  # the same ids on two firewalls
        if rng.random() > 0.05:
            events.append(
                (
                    start,
                    f"{device}%ASA-6-{built}: Built {way} {proto} connection {ident} for {a} to {b}",
                )
            )
        end = start + rng.expovariate(1 / 40)
        reason = rng.choice(("TCP FINs", "SYN Timeout", "Idle timeout"))
        teardown = (
            f"{device}%ASA-6-{torn}: Teardown {proto} connection {ident} for {a} to {b} "
            f"duration 0:00:01 bytes {number} {reason}"
        )
        if rng.random() > 0.05:  # else never torn down: an old entry for a later use of its id
            events.append((end, teardown))
        if rng.random() < 0.05:  # torn down again, maybe parts later
            events.append((end + rng.expovariate(1 / 300), teardown))
    lines = []
    for moment, text in sorted(events):
        stamp = datetime(2025, 12, 1, tzinfo=UTC) + timedelta(seconds=moment)
        lines.append(f"{stamp:%b %d %Y %H:%M:%S} {text}")
        if rng.random() < 0.01:
            lines.append(f"{stamp:%b %d %Y %H:%M:%S} fw01 : %ASA-6-302014: Teardown TCP conn x")
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_asa_parsed_in_parts_gives_what_one_pass_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """A teardown's direction comes from its built message, which may lie in an earlier part:
    the parts' pending teardowns, settled in order by the main process, read as in one pass."""
    from portmatrix.audit.readers import asa

    text = "\n".join(_asa_log(random.Random(seed), 3000)) + "\n"
    path = tmp_path / "asa.log"
    path.write_text(text, encoding="utf-8")
    whole, whole_counts = staged(path, kind="asa")
    settled: list[asa.Pending] = []
    settle = asa._Memory.settle

    def counting(self: asa._Memory, pending: asa.Pending) -> asa.Record:
        settled.append(pending)
        return settle(self, pending)

    with monkeypatch.context() as patch:
        patch.setattr(_lines, "MIN_PARALLEL", len(text) // 8)
        patch.setattr(_lines, "MAX_PART", len(text) // 7)
        patch.setattr(canonical.Staging, "parallel", property(lambda self: 2))
        patch.setattr(asa._Memory, "settle", counting)
        parallel, parallel_counts = staged(path, kind="asa")
    assert parallel == whole and parallel_counts == whole_counts
    directions = {record["direction"] for record in whole}
    assert directions == {"in", "out", None}
    assert len(settled) > 100  # teardowns whose built message lay in an earlier part
    assert whole_counts.problems and whole_counts.records > 5000

"""NetFlow and IPFIX through nfdump: its ``-o csv`` output and its default text lines (``-q``).

nfdump reads the collector's files (``nfcapd``) and prints one line per flow record. A record
counts one direction of one flow: the CSV's ``ibyt``/``ipkt`` are its bytes and packets. TCP
flags tell whether the other side answered: a record whose flags hold SYN but never ACK is a
handshake nobody completed. The CSV is read by its header; the text form by the layout nfdump
prints (``Date first seen  Duration Proto  Src IP Addr:Port  -> Dst IP Addr:Port  Packets
Bytes Flows``), with ``1.2 M``-style counts expanded and abbreviated IPv6 addresses (``2001:db8..
::1``, printed unless ``-6`` is given) refused as malformed.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers import _fast as fast
from portmatrix.audit.readers._delimited import (
    Fields,
    count_sql,
    csv_source,
    read_head,
    stage_select,
)
from portmatrix.audit.readers._fast import FastPlan
from portmatrix.audit.readers._lines import (
    MAX_COUNT,
    LineParser,
    LineProblem,
    Record,
    cite,
    port,
    protocol,
    stage_lines,
)
from portmatrix.errors import InputError

NEEDED = ("ts", "sa", "da", "sp", "dp", "pr")


def _flags_answered(flags: str) -> str:
    return (
        f"CASE WHEN {flags} IS NULL THEN NULL WHEN contains({flags}, 'A') THEN true "
        f"WHEN contains({flags}, 'S') THEN false END"
    )


class NfdumpCsvReader:
    name = "nfdump-csv"
    description = "NetFlow/IPFIX as printed by nfdump -o csv"

    def sniff(self, head: str) -> bool:
        first = head.split("\n", 1)[0].split(",")
        return all(name in first for name in NEEDED)

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        names = read_head(path, limit=8192).split("\n", 1)[0].strip().split(",")
        missing = [name for name in NEEDED if name not in names]
        if missing:
            raise InputError(f"the header lacks {', '.join(missing)}", file=path, line=1)
        columns = [f"f{index}" for index in range(len(names))]
        col = dict(zip(names, columns, strict=True))
        tcp = f"upper({col['pr']}) IN ('TCP', '6')"
        icmp = f"upper({col['pr']}) IN ('ICMP', 'ICMP6', 'IPV6-ICMP', '1', '58')"
        flags = f"CASE WHEN {tcp} THEN {col['flg']} END" if "flg" in col else "NULL"
        ts = f"replace({col['ts']}, 'T', ' ')"
        stage_select(
            staging,
            path,
            csv_source(path, columns, delimiter=",", skip=1),
            Fields(
                src=col["sa"],
                dst=col["da"],
                protocol=col["pr"],
                sport=f"CASE WHEN NOT {icmp} THEN regexp_replace({col['sp']}, '\\.0$', '') END",
                dport=f"CASE WHEN NOT {icmp} THEN regexp_replace({col['dp']}, '\\.0$', '') END",
                time=f"try_cast({ts} AS TIMESTAMP)",
                time_text=col["ts"],
                answered=_flags_answered(flags),
                bytes=count_sql(col["ibyt"]) if "ibyt" in col else "NULL",
                packets=count_sql(col["ipkt"]) if "ipkt" in col else "NULL",
                skip=f"NOT regexp_matches(coalesce({col['ts']}, ''), '^[0-9]{{4}}-')",
                complete=f"{col['pr']} IS NOT NULL",
            ),
            fast=_plan(names),
        )


def _plan(names: list[str]) -> FastPlan | None:
    """The CSV's columns as the compiled scanner reads them (see :mod:`._fast`)."""
    role = fast.placer(names)
    return FastPlan.of(
        len(names),
        [
            role("ts", fast.DATETIME, fast.FRACTION | fast.TSEP),
            role("sa", fast.SRC),
            role("da", fast.DST),
            role("sp", fast.SPORT, fast.DOT0),
            role("dp", fast.DPORT, fast.DOT0),
            role("pr", fast.PROTO),
            role("flg", fast.FLAGS),
            role("ibyt", fast.BYTES),
            role("ipkt", fast.PACKETS),
        ],
        icmp=fast.ICMP_BY_NAME_OR_NUMBER,
    )


_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?\s", re.ASCII)
_FLAGS = re.compile(r"^[.A-Z]{6,8}$")
_SCALE = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}


def _tokens(line: str) -> list[str]:
    """Whitespace-separated fields, with ``1.2 M``-style counts kept as one token."""
    tokens: list[str] = []
    for token in line.split():
        if token in _SCALE and tokens and tokens[-1].replace(".", "").isdigit():
            tokens[-1] = f"{tokens[-1]} {token}"
        else:
            tokens.append(token)
    return tokens


def _count(text: str) -> int:
    number, _, unit = text.partition(" ")
    try:
        value = float(number) * _SCALE.get(unit, 1)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_COUNT:  # also refuses NaN and infinity (1e400)
        raise LineProblem(f"{cite(text)} is not a count")
    return round(value)


def _endpoint(text: str) -> tuple[str, int | None]:
    """``10.0.0.1:443`` or nfdump's IPv6 ``2001:db8::1.443``; ICMP writes ``type.code``."""
    if ".." in text:
        raise LineProblem(f"{cite(text)} is an abbreviated IPv6 address; print with nfdump -6")
    if text.count(":") <= 1:
        address, _, number = text.partition(":")
    else:
        head, _, tail = text.rpartition(":")
        group, _, number = tail.partition(".")
        address = f"{head}:{group}"
    return address, port(number.split(".")[0]) if number else None


class NfdumpTextReader:
    name = "nfdump-text"
    description = "NetFlow/IPFIX as printed by nfdump's default line format (-q or not)"

    def sniff(self, head: str) -> bool:
        lines = head.splitlines()[:5]
        return any(_START.match(line) and " -> " in line for line in lines)

    def line_parser(self, path: Path, options: ReaderOptions) -> LineParser:
        return _parse

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        parse = self.line_parser(path, options)
        stage_lines(path, staging, parse, reader=self.name, options=options)


def _parse(line: str) -> Record | None:
    """Both layouts nfdump prints by default: flows (``... Packets Bytes Flows``) and NSEL
    events (``Event XEvent Proto src -> dst xsrc -> xdst In-Byte Out-Byte``)."""
    if not _START.match(line):
        return None  # headers, the summary and blank lines
    tokens = _tokens(line)
    arrows = [index for index, token in enumerate(tokens) if token == "->"]
    if not arrows or arrows[0] < 3 or arrows[0] + 1 >= len(tokens):
        raise LineProblem("an nfdump flow line in an unknown layout")
    first = arrows[0]
    number = protocol(tokens[first - 2])
    src, sport = _endpoint(tokens[first - 1])
    dst, dport = _endpoint(tokens[first + 1])
    if number in (1, 58):
        sport = dport = None
    rest = tokens[first + 2 :]
    flags = next((token for token in rest if _FLAGS.match(token)), None) if number == 6 else None
    if len(arrows) > 1:  # NSEL: bytes in and out, no packet count
        counts = tokens[arrows[1] + 2 :]
        packets, size = None, _count(counts[0]) if counts else None
    else:
        if len(rest) < 3:
            raise LineProblem("an nfdump flow line without packets, bytes and flows")
        packets, size = _count(rest[-3]), _count(rest[-2])
    try:
        stamp = datetime.fromisoformat(f"{tokens[0]} {tokens[1]}").replace(tzinfo=UTC)
    except ValueError:  # month 13, 31 February
        raise LineProblem(f"time {cite(tokens[0] + ' ' + tokens[1])} is not a date") from None
    answered = None
    if flags is not None and ("A" in flags or "S" in flags):
        answered = "A" in flags
    return Record(
        src=src,
        dst=dst,
        protocol=number,
        src_port=sport,
        dst_port=dport,
        time=None if stamp.year == 1970 else stamp,
        answered=answered,
        packets=packets,
        bytes=size,
    )

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

import re
from datetime import UTC, datetime
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers._delimited import (
    Fields,
    count_sql,
    csv_source,
    read_head,
    stage_select,
)
from portmatrix.audit.readers._lines import LineProblem, Record, port, protocol, stage_lines
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
                sport=f"regexp_replace({col['sp']}, '\\.0$', '')",
                dport=f"regexp_replace({col['dp']}, '\\.0$', '')",
                time=f"try_cast({ts} AS TIMESTAMP)",
                time_text=col["ts"],
                answered=_flags_answered(flags),
                bytes=count_sql(col["ibyt"]) if "ibyt" in col else "NULL",
                packets=count_sql(col["ipkt"]) if "ipkt" in col else "NULL",
                skip=f"NOT regexp_matches(coalesce({col['ts']}, ''), '^[0-9]{{4}}-')",
                complete=f"{col['pr']} IS NOT NULL",
            ),
        )


_LINE = re.compile(
    r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)\s+(?P<dur>[\d.]+)\s+(?P<proto>\S+)\s+"
    r"(?P<src>\S+)\s+->\s+(?P<dst>\S+)\s+"
    r"(?:(?P<flags>[.A-Z]{6,})\s+)?(?:\d+\s+)?"
    r"(?P<pkts>[\d.]+(?: [KMG])?)\s+(?P<bytes>[\d.]+(?: [KMG])?)\s+(?P<flows>\d+)\s*$"
)
_SCALE = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}


def _count(text: str) -> int:
    number, _, unit = text.partition(" ")
    return round(float(number) * _SCALE.get(unit, 1))


def _endpoint(text: str) -> tuple[str, int | None]:
    if ".." in text:
        raise LineProblem(f"{text!r} is an abbreviated IPv6 address; print with nfdump -6")
    address, sep, number = text.rpartition(":" if text.count(":") <= 1 else ".")
    if not sep:
        return text, None
    return address, port(number.split(".")[0])


class NfdumpTextReader:
    name = "nfdump-text"
    description = "NetFlow/IPFIX as printed by nfdump's default line format (-q or not)"

    def sniff(self, head: str) -> bool:
        return any(_LINE.match(line) for line in head.splitlines()[:5])

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        stage_lines(path, staging, _parse)


def _parse(line: str) -> Record | None:
    match = _LINE.match(line)
    if match is None:
        if line[:4].isdigit() and line[4:5] == "-":
            raise LineProblem("an nfdump flow line in an unknown layout")
        return None  # headers, the summary and blank lines
    src, sport = _endpoint(match["src"])
    dst, dport = _endpoint(match["dst"])
    number = protocol(match["proto"])
    flags = match["flags"] if number == 6 else None
    answered = None
    if flags is not None and ("A" in flags or "S" in flags):
        answered = "A" in flags
    return Record(
        src=src,
        dst=dst,
        protocol=number,
        src_port=sport,
        dst_port=dport,
        time=datetime.fromisoformat(match["ts"]).replace(tzinfo=UTC),
        answered=answered,
        packets=_count(match["pkts"]),
        bytes=_count(match["bytes"]),
    )

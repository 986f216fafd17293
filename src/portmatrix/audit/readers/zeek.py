"""Zeek ``conn.log``: tab-separated with its ``#fields`` header, or one JSON object a line.

One record per connection, both directions together: ``bytes`` and ``packets`` add both sides
(IP bytes where Zeek logged them). ``conn_state`` says whether the responder ever answered:
``S0``, ``SH``, ``RSTOS0`` and ``REJ`` (refused with a reset) were never answered, ``OTH``
(no handshake seen) is unknown, every other state was answered. Zeek watches the wire, not the
firewall, so the action is unknown. For ICMP Zeek writes type and code where ports would be;
they are dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers import _fast as fast
from portmatrix.audit.readers._delimited import (
    Fields,
    count_sql,
    csv_source,
    header_lines,
    quote,
    stage_select,
)
from portmatrix.audit.readers._fast import FastPlan
from portmatrix.errors import InputError

NEEDED = ("ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto")
UNANSWERED = ("S0", "SH", "RSTOS0", "REJ")  # conn_state of a responder that never answered


def _byte_columns(names: Iterable[str]) -> tuple[str, str]:
    """IP bytes where Zeek logged them, else payload bytes."""
    names = set(names)
    ip_bytes = "id.orig_p" in names and "orig_ip_bytes" in names
    return ("orig_ip_bytes", "resp_ip_bytes") if ip_bytes else ("orig_bytes", "resp_bytes")


def _fields(get: dict[str, str], *, ts: str) -> Fields:
    def value(name: str) -> str:
        return f"nullif(nullif({get[name]}, '-'), '(empty)')" if name in get else "NULL"

    def total(a: str, b: str) -> str:
        return f"nullif(coalesce({count_sql(value(a))}, 0) + coalesce({count_sql(value(b))}, 0), 0)"

    icmp = f"lower({get['proto']}) LIKE 'icmp%'"
    state = value("conn_state")
    return Fields(
        src=get["id.orig_h"],
        dst=get["id.resp_h"],
        protocol=get["proto"],
        sport=f"CASE WHEN NOT {icmp} THEN {value('id.orig_p')} END",
        dport=f"CASE WHEN NOT {icmp} THEN {value('id.resp_p')} END",
        time=ts,
        time_text=value("ts"),
        answered=f"CASE WHEN {state} IN ({', '.join(map(quote, UNANSWERED))}) THEN false WHEN {state} = 'OTH' "
        f"OR {state} IS NULL THEN NULL ELSE true END",
        bytes=total(*_byte_columns(get)),
        packets=total("orig_pkts", "resp_pkts"),
        skip=f"starts_with(coalesce({get['ts']}, '#'), '#')",
        complete=f"{get['proto']} IS NOT NULL",
    )


def _epoch_or_iso(text: str) -> str:
    return (
        # at most 11 digits of seconds (year 5138): a longer number is a bad time, not an overflow
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,11}}(\\.[0-9]+)?') "
        f"THEN make_timestamp(({text}::DOUBLE * 1000000)::BIGINT) "
        f"ELSE try_cast(replace({text}, 'Z', '') AS TIMESTAMP) END"
    )


#: Every conn_state Zeek writes, as ``answered`` reads it (any other word: the SQL decides).
_STATES = dict.fromkeys(UNANSWERED, fast.NO) | dict.fromkeys(
    ("S1", "S2", "S3", "SF", "RSTO", "RSTR", "RSTRH", "SHR"), fast.YES
)
_STATES |= dict.fromkeys(("OTH", "-", "(empty)"), fast.UNSURE)


def _plan(names: list[str]) -> FastPlan | None:
    """The TSV's columns as the compiled scanner reads them, as :func:`_fields` does."""
    sizes = _byte_columns(names)
    role = fast.placer(names)
    time = fast.EPOCHTOO | fast.FRACTION | fast.TSEP | fast.ZSUFFIX | fast.DASH
    return FastPlan.of(
        len(names),
        [
            role("ts", fast.DATETIME, time),
            role("id.orig_h", fast.SRC),
            role("id.resp_h", fast.DST),
            role("id.orig_p", fast.SPORT, fast.DASH),
            role("id.resp_p", fast.DPORT, fast.DASH),
            role("proto", fast.PROTO),
            role("conn_state", fast.ANSWERED, 0, _STATES),
            role(sizes[0], fast.BYTES, fast.SUM),
            role(sizes[1], fast.BYTES, fast.SUM),
            role("orig_pkts", fast.PACKETS, fast.SUM),
            role("resp_pkts", fast.PACKETS, fast.SUM),
        ],
        icmp=fast.ICMP_BY_NAME,
    )


class ZeekTsvReader:
    name = "zeek"
    description = "Zeek conn.log, tab-separated with its #fields header"

    def sniff(self, head: str) -> bool:
        return head.startswith("#separator") and "#fields\tts" in head

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        header = header_lines(path, prefix="#")
        names: list[str] = []
        for line in header:
            if line.startswith("#fields"):
                names = line.split("\t")[1:]
        missing = [name for name in NEEDED if name not in names]
        if missing:
            raise InputError(f"#fields lacks {', '.join(missing)}", file=path, line=1)
        columns = [f"f{index}" for index in range(len(names))]
        get = dict(zip(names, columns, strict=True))
        source = csv_source(path, columns, delimiter="\t", skip=len(header))
        fields = _fields(get, ts=_epoch_or_iso(f"nullif({get['ts']}, '-')"))
        stage_select(staging, path, source, fields, fast=_plan(names))


class ZeekJsonReader:
    name = "zeek-json"
    description = "Zeek conn.log as JSON lines (LogAscii::use_json)"

    def sniff(self, head: str) -> bool:
        first = head.lstrip().split("\n", 1)[0]
        return first.startswith("{") and '"id.orig_h"' in first

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        keys: tuple[str, ...] = (
            *NEEDED,
            "conn_state",
            "orig_bytes",
            "resp_bytes",
            "orig_pkts",
            "resp_pkts",
        )
        keys += ("orig_ip_bytes", "resp_ip_bytes")
        get = {key: f"j{index}" for index, key in enumerate(keys)}
        extracted = ", ".join(
            f"json_extract_string(pm_json, {quote('$.' + chr(34) + key + chr(34))}) AS {get[key]}"
            for key in keys
        )

        def parsed(lines: str) -> str:
            return (
                f"(SELECT pm_line, pm_extra, pm_text, {extracted}, pm_valid FROM "
                f"(SELECT *, CASE WHEN json_valid(pm_text) THEN pm_text::JSON END AS pm_json, "
                f"json_valid(pm_text) AS pm_valid FROM {lines}))"
            )

        source = dataclasses.replace(csv_source(path, ["pm_text"], delimiter="\x01"), wrap=parsed)
        fields = _fields(get, ts=_epoch_or_iso(get["ts"]))
        fields = dataclasses.replace(
            fields,
            skip="coalesce(trim(pm_text), '') = ''",
            complete="pm_valid",
            incomplete="not a JSON object",
        )
        stage_select(staging, path, source, fields)

"""Any CSV, with the meaning of its columns given on the command line.

``--map src=SourceAddress --map dst=DestAddress --map dport=DestPort ...`` names, for each
canonical field, the header column that holds it (``src``, ``dst`` and ``protocol`` are
required; ``time``, ``sport``, ``dport``, ``action``, ``answered``, ``bytes``, ``packets`` and
``direction`` are optional). ``--delimiter`` sets the separator (a comma by default). Actions
are read loosely: allow, accept, permit, pass and allowed mean allowed; deny, drop, reject,
block and denied mean denied; anything else is unknown. Times are ISO 8601 text or Unix epoch
seconds.
"""

from __future__ import annotations

import csv
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers import _fast as fast
from portmatrix.audit.readers._delimited import (
    Fields,
    count_sql,
    csv_source,
    quote,
    read_head,
    stage_select,
)
from portmatrix.audit.readers._fast import FastPlan
from portmatrix.errors import InputError, PortmatrixError

FIELDS = [
    "time",
    "src",
    "dst",
    "sport",
    "dport",
    "protocol",
    "action",
    "answered",
    "bytes",
    "packets",
    "direction",
]
REQUIRED = ("src", "dst", "protocol")


ALLOWING = ("allow", "allowed", "accept", "accepted", "permit", "permitted", "pass")
DENYING = ("deny", "denied", "drop", "dropped", "reject", "rejected", "block", "blocked")
INBOUND = ("in", "inbound")
OUTBOUND = ("out", "outbound")


def _listed(words: tuple[str, ...]) -> str:
    return "(" + ", ".join(quote(word) for word in words) + ")"


def _action(text: str) -> str:
    word = f"lower(trim({text}))"
    return (
        f"CASE WHEN {word} IN {_listed(ALLOWING)} THEN 'allowed' "
        f"WHEN {word} IN {_listed(DENYING)} THEN 'denied' ELSE 'unknown' END"
    )


def _time(text: str) -> str:
    return (
        # at most 11 digits of seconds (year 5138): a longer number is a bad time, not an overflow
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,11}}(\\.[0-9]+)?') "
        f"THEN make_timestamp(({text}::DOUBLE * 1000000)::BIGINT) "
        f"ELSE try_cast(regexp_replace({text}, '(Z|[+-]00:?00)$', '') AS TIMESTAMP) END"
    )


class MappedCsvReader:
    name = "csv"
    description = "any CSV, its columns mapped with --map FIELD=COLUMN"

    def sniff(self, head: str) -> bool:
        return False  # needs --map; never guessed

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        mapping = dict(options.mapping)
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown:
            raise PortmatrixError(
                f"--map names unknown fields {', '.join(unknown)} (known: {', '.join(FIELDS)})"
            )
        missing = [name for name in REQUIRED if name not in mapping]
        if missing:
            raise PortmatrixError(f"--type csv needs --map for {', '.join(missing)}")
        delimiter = options.delimiter or ","
        header_line = read_head(path, limit=65536).split("\n", 1)[0].rstrip("\r")
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        absent = [column for column in mapping.values() if column not in header]
        if absent:
            raise InputError(
                f"the header has no column {', '.join(map(repr, absent))}", file=path, line=1
            )
        columns = [f"c{index}" for index in range(len(header))]
        col = {field: columns[header.index(column)] for field, column in mapping.items()}

        def get(name: str, default: str = "NULL") -> str:
            return f"nullif(trim({col[name]}), '')" if name in col else default

        answered = get("answered")
        fields = Fields(
            src=col["src"],
            dst=col["dst"],
            protocol=col["protocol"],
            sport=get("sport"),
            dport=get("dport"),
            time=_time(get("time")),
            time_text=get("time"),
            action=_action(get("action")) if "action" in col else "'unknown'",
            answered=f"try_cast({answered} AS BOOLEAN)",
            bytes=count_sql(get("bytes")),
            packets=count_sql(get("packets")),
            direction=f"CASE WHEN lower({get('direction')}) IN {_listed(INBOUND)} THEN 'in' "
            f"WHEN lower({get('direction')}) IN {_listed(OUTBOUND)} THEN 'out' END",
            skip=f"coalesce({columns[0]}, '') = '' AND {columns[-1]} IS NULL",
            complete=f"{columns[-1]} IS NOT NULL",
        )
        source = csv_source(path, columns, delimiter=delimiter, skip=1, quote_char='"')
        where = {name: columns.index(column) for name, column in col.items()}
        stage_select(staging, path, source, fields, fast=_plan(len(columns), where))


_ACTIONS = dict.fromkeys(ALLOWING, fast.ALLOWED) | dict.fromkeys(DENYING, fast.DENIED)
_DIRECTIONS = dict.fromkeys(INBOUND, fast.IN) | dict.fromkeys(OUTBOUND, fast.OUT)


def _plan(count: int, where: dict[str, int]) -> FastPlan | None:
    """The mapped columns as the compiled scanner reads them (see :mod:`._fast`)."""
    time = fast.EPOCHTOO | fast.FRACTION | fast.TSEP | fast.ZSUFFIX
    columns = {
        "time": fast.Column(fast.DATETIME, time),
        "src": fast.Column(fast.SRC),
        "dst": fast.Column(fast.DST),
        "sport": fast.Column(fast.SPORT),
        "dport": fast.Column(fast.DPORT),
        "protocol": fast.Column(fast.PROTO),
        "action": fast.Column(fast.ACTION, fast.FOLD, _ACTIONS),
        "answered": fast.Column(fast.ANSWERED, fast.FOLD, {"true": fast.YES, "false": fast.NO}),
        "bytes": fast.Column(fast.BYTES),
        "packets": fast.Column(fast.PACKETS),
        "direction": fast.Column(fast.DIRECTION, fast.FOLD, _DIRECTIONS),
    }
    return FastPlan.of(count, [(where[name], columns[name]) for name in where])

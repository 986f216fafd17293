"""What the delimited readers share: DuckDB's CSV reader with explicit columns, and one SELECT
that turns text fields into canonical columns and says, per row, what could not be read.

Every field is read as text (``columns`` given, nothing auto-detected) and converted in SQL,
so a bad value becomes a counted, cited problem rather than an engine error. A line's number is
its position in the file: DuckDB keeps the file order (insertion order is preserved), header
lines skipped are added back, and a ``pm_extra`` column catches lines with too many fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portmatrix.audit.address import parse_layers
from portmatrix.audit.canonical import Staging, protocol_sql


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_source(
    path: Path, fields: list[str], *, delimiter: str, skip: int = 0, quote_char: str = ""
) -> str:
    """A FROM-able relation: ``pm_line`` (the line number) and each field as text."""
    names = [*fields, "pm_extra"]
    spec = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in names) + "}"
    escape = quote_char
    return (
        f"(SELECT {_line_number(path, skip)} AS pm_line, * FROM (SELECT row_number() OVER () AS pm_row, * "
        f"FROM read_csv({quote(str(path))}, "
        f"columns={spec}, delim={quote(delimiter)}, header=false, auto_detect=false, "
        f"skip={skip}, quote={quote(quote_char)}, escape={quote(escape)}, null_padding=true, "
        f"strict_mode=false, all_varchar=true)))"
    )


#: Past this many empty lines, line numbers after them are no longer corrected.
MAX_BLANKS = 1000


def blank_lines(path: Path, *, after: int) -> list[int]:
    """Line numbers of the empty lines past line ``after`` (DuckDB's CSV reader skips them)."""
    found: list[int] = []
    line = 1
    previous_end = True  # the file starts at a line start
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            start = 0
            while (index := chunk.find(b"\n", start)) >= 0:
                empty = previous_end if index == start else chunk[start:index] in (b"\r",)
                if empty and line > after:
                    found.append(line)
                    if len(found) > MAX_BLANKS:
                        return found
                line += 1
                start = index + 1
                previous_end = True
            if start < len(chunk):
                previous_end = False
    return found


def _line_number(path: Path, skip: int) -> str:
    """SQL for a row's line in the file: its row number, the skipped header and empty lines."""
    blanks = blank_lines(path, after=skip)[:MAX_BLANKS]
    if not blanks:
        return f"pm_row + {skip}"
    rows_before = [blank - skip - index for index, blank in enumerate(blanks, start=1)]
    steps = " + ".join(f"(pm_row > {before})::INT" for before in rows_before)
    return f"pm_row + {skip} + {steps}"


@dataclass(frozen=True, slots=True)
class Fields:
    """SQL expressions over one source row's text fields, one per canonical column.

    ``time`` must yield a TIMESTAMP (or NULL); ``src``/``dst``/``sport``/``dport``/``protocol``
    yield text to be parsed; the rest yield their final values. ``skip`` marks rows that are no
    record (comments, NODATA); ``complete`` is false for a row with fields missing.
    """

    src: str
    dst: str
    protocol: str
    sport: str = "NULL"
    dport: str = "NULL"
    time: str = "NULL"
    time_text: str = "NULL"
    action: str = "'unknown'"
    answered: str = "NULL"
    bytes: str = "NULL"
    packets: str = "NULL"
    direction: str = "NULL"
    skip: str = "false"
    complete: str = "true"
    incomplete: str = "fewer fields than the header names"


def port_sql(text: str) -> str:
    return f"CASE WHEN regexp_full_match({text}, '[0-9]{{1,5}}') AND {text}::INT <= 65535 THEN {text}::INT END"


def count_sql(text: str) -> str:
    return f"TRY_CAST(nullif(nullif({text}, '-'), '') AS BIGINT)"


def stage_select(staging: Staging, path: Path, source: str, fields: Fields) -> None:
    """Insert ``source``'s rows, converted through ``fields``, with a problem for each bad one."""
    name = quote(str(path))
    texts = (
        f"SELECT *, {fields.src} AS pm_src_text, {fields.dst} AS pm_dst_text, "
        f"{protocol_sql(fields.protocol)} AS pm_p, "
        f"{fields.sport} AS pm_sport_text, {fields.dport} AS pm_dport_text, "
        f"{fields.skip} AS pm_skip, {fields.complete} AS pm_complete FROM {source}"
    )
    parsed = parse_layers(f"({texts})", {"pm_s": "pm_src_text", "pm_d": "pm_dst_text"})
    sport, dport = port_sql("pm_sport_text"), port_sql("pm_dport_text")
    problem = (
        "CASE WHEN pm_skip THEN '' "
        "WHEN pm_extra IS NOT NULL THEN 'more fields than the header names' "
        f"WHEN NOT pm_complete THEN {quote(fields.incomplete)} "
        f"WHEN pm_s IS NULL THEN 'source ' || coalesce({fields.src}, '(empty)') || ' is not an IP address' "
        f"WHEN pm_d IS NULL THEN 'destination ' || coalesce({fields.dst}, '(empty)') || ' is not an IP address' "
        "WHEN pm_s.family <> pm_d.family THEN 'source and destination differ in address family' "
        f"WHEN pm_p IS NULL THEN 'protocol ' || coalesce({fields.protocol}, '(empty)') || ' is not known' "
        f"WHEN nullif({fields.time_text}, '') IS NOT NULL AND ({fields.time}) IS NULL "
        f"THEN 'time ' || {fields.time_text} || ' is not understood' "
        f"WHEN pm_sport_text IS NOT NULL AND {sport} IS NULL THEN 'source port ' || pm_sport_text || ' is not a port' "
        f"WHEN pm_dport_text IS NOT NULL AND {dport} IS NULL THEN 'destination port ' || pm_dport_text || ' is not a port' "
        "END"
    )
    good = "pm_problem IS NULL"
    select = (
        f"SELECT CASE WHEN {good} THEN ({fields.time})::TIMESTAMP END, "
        f"pm_s.family, pm_s.hi, pm_s.lo, pm_d.hi, pm_d.lo, pm_p, {sport}, {dport}, "
        f"CASE WHEN {good} THEN {fields.action} END, CASE WHEN {good} THEN {fields.answered} END, "
        f"CASE WHEN {good} THEN {fields.bytes} END, CASE WHEN {good} THEN {fields.packets} END, "
        f"CASE WHEN {good} THEN {fields.direction} END, {name}, pm_line, pm_problem "
        f"FROM (SELECT *, {problem} AS pm_problem FROM {parsed})"
    )
    staging.insert_sql(select)


def read_head(path: Path, *, limit: int = 65536) -> str:
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", errors="replace")


def header_lines(path: Path, *, prefix: str, limit: int = 200) -> list[str]:
    """The leading lines of ``path`` that start with ``prefix`` (Zeek and W3C headers), and
    the empty lines among and right after them."""
    lines: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            text = line.rstrip("\r\n")
            if (text and not text.startswith(prefix)) or len(lines) >= limit:
                break
            lines.append(text)
    return lines

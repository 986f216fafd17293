"""What the delimited readers share: DuckDB's CSV reader with explicit columns, and one SELECT
that turns text fields into canonical columns and says, per row, what could not be read.

Every field is read as text (``columns`` given, nothing auto-detected) and converted in SQL,
so a bad value becomes a counted, cited problem rather than an engine error. A line's number is
its position in the file: DuckDB keeps the file order (insertion order is preserved), header
lines skipped and empty lines are added back, and a ``pm_extra`` column catches lines with too
many fields. A large file is read as chunks cut at line ends, each by its own connection.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from portmatrix.audit.address import parse_layers
from portmatrix.audit.canonical import LineTooLong, NotUtf8, Staging, protocol_sql
from portmatrix.audit.readers import _fast
from portmatrix.audit.readers._fast import FastPlan
from portmatrix.errors import InputError


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a file DuckDB reads on its own: the lines before it (skipped: the header,
    or every line of the chunks before), the rows it holds (None: to the end of the file), and
    its empty lines, numbered in the file."""

    skip: int
    blanks: tuple[int, ...]
    rows: int | None = None


@dataclass(frozen=True, slots=True)
class CsvSource:
    """A delimited file as DuckDB's CSV reader sees it: ``pm_line`` and each field as text.

    ``wrap`` turns the plain relation into the one a reader selects from (Zeek's JSON lines
    are parsed in such a wrapper). ``quote_char`` set means fields may hold line breaks, so
    a file holding that character is never cut into chunks. ``max_line`` raises DuckDB's
    longest line (2 MB) for a file that turned out to hold a longer one (see
    :func:`stage_select`). ``lines`` names a Parquet file mapping each line's position in
    this file to its number in the file it was copied from (the lines the fast path handed
    back, see :mod:`._fast`).
    """

    path: Path
    fields: tuple[str, ...]
    delimiter: str
    skip: int = 0
    quote_char: str = ""
    wrap: Callable[[str], str] | None = None
    max_line: int | None = None
    lines: Path | None = None

    def relation(self, chunk: Chunk) -> str:
        names = [*self.fields, "pm_extra"]
        spec = "{" + ", ".join(f"{quote(name)}: 'VARCHAR'" for name in names) + "}"
        read = (
            f"read_csv({quote(str(self.path))}, "
            f"columns={spec}, delim={quote(self.delimiter)}, header=false, auto_detect=false, "
            f"skip={chunk.skip}, quote={quote(self.quote_char)}, escape={quote(self.quote_char)}, "
            "null_padding=true, strict_mode=false, all_varchar=true"
            + (f", max_line_size={self.max_line})" if self.max_line else ")")
        )
        if chunk.rows is not None:  # the reader stops once the chunk's rows are read
            read = f"(SELECT * FROM {read} LIMIT {chunk.rows})"
        plain = (
            f"(SELECT {_line_number(chunk)} AS pm_line, * FROM (SELECT row_number() OVER () AS pm_row, * "
            f"FROM {read}))"
        )
        if self.lines is not None:
            plain = (
                f"(SELECT pm_n.line AS pm_line, pm_p.* EXCLUDE (pm_line) FROM {plain} AS pm_p "
                f"JOIN read_parquet({quote(str(self.lines))}) AS pm_n ON pm_n.position = pm_p.pm_line)"
            )
        return self.wrap(plain) if self.wrap else plain

    def chunks(self, parts: int) -> Iterator[Chunk]:
        if self.quote_char and parts > 1 and holds(self.path, self.quote_char.encode()):
            parts = 1  # a quoted field may hold a line break: no cutting at line ends
        return split(self.path, skip=self.skip, parts=parts)


def csv_source(
    path: Path, fields: list[str], *, delimiter: str, skip: int = 0, quote_char: str = ""
) -> CsvSource:
    """The file's rows: ``pm_line`` (the line number) and each field as text."""
    return CsvSource(path, tuple(fields), delimiter, skip, quote_char)


#: Past this many empty lines in a chunk, line numbers after them are no longer corrected.
MAX_BLANKS = 1000
#: Files are cut into chunks of at least this many bytes, read side by side.
MIN_CHUNK = 16 << 20
#: Bytes read at a time when searching a file.
BLOCK = 1 << 22
_BLANK = re.compile(rb"\n(?=\r?\n)")


def blank_lines(path: Path, *, after: int) -> list[int]:
    """Line numbers of the empty lines past line ``after`` (DuckDB's CSV reader skips them);
    past :data:`MAX_BLANKS` + 1 of them the search stops."""
    scan = LineScan(after=after)
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            scan.feed(block)
            if scan.full:
                break
    return scan.blanks


class LineScan:
    """The line breaks and empty lines of a file fed to it block by block.

    Empty lines are rare, so each block is searched for them rather than walked line by line;
    the last bytes of each block are searched again with the next one. ``empty`` counts every
    empty line past ``after``; ``blanks`` holds the numbers of the first :data:`MAX_BLANKS` + 1
    since the last :meth:`restart`. ``uniform`` says whether every line so far ends the same
    way, all with a line feed or all with a carriage return and one: DuckDB's ``skip`` counts
    lines differently from this scan where the two are mixed or a carriage return stands alone.
    """

    def __init__(self, *, after: int) -> None:
        self.after = after
        self.lines = 0  # line breaks in the blocks fed so far
        self.empty = 0
        self.blanks: list[int] = []
        self._tail = b"\n"  # as if a line ended just before the file
        self._returns = 0
        self._pairs = 0

    @property
    def full(self) -> bool:
        return len(self.blanks) > MAX_BLANKS

    @property
    def text_lines(self) -> int:
        """Line breaks as Python's text files count them with ``newline=""``: a line feed, a
        carriage return and line feed, or a carriage return alone."""
        return self.lines + self._returns - self._pairs

    @property
    def uniform(self) -> bool:
        return self._returns == 0 or self._returns == self._pairs == self.lines

    def restart(self) -> None:
        """Number the empty lines of a new chunk from here on."""
        self.blanks = []
        self.empty = 0

    def feed(self, block: bytes) -> None:
        tail = self._tail
        text = tail + block
        counted, position = 0, 0
        for match in _BLANK.finditer(text):
            start = match.end()
            end = start + (2 if text[start] == 0x0D else 1)
            if end <= len(tail):
                continue  # found with the previous block
            start = max(0, start - len(tail))
            counted += block.count(b"\n", position, start)
            position = start
            line = self.lines + counted + 1
            if line > self.after:
                self.empty += 1
                if not self.full:
                    self.blanks.append(line)
        self._returns += block.count(b"\r")
        self._pairs += text.count(b"\r\n", len(tail) - 1)
        self._tail = text[-2:]
        self.lines += block.count(b"\n")


def split(path: Path, *, skip: int, parts: int) -> Iterator[Chunk]:
    """``path`` as up to ``parts`` chunks cut at line ends; a small file is one chunk.

    Chunks let several DuckDB connections read one file at once (numbering lines with
    ``row_number() OVER ()`` keeps each read to one thread). Each chunk is the file itself:
    its read skips the lines before it and stops after its rows, so nothing is copied; the
    file is scanned once here for line breaks and empty lines, a chunk handed out as soon as
    its part is scanned, so DuckDB reads it while the next part is scanned. Once a line ends
    otherwise than the first did (see :attr:`LineScan.uniform`), that part becomes the last
    chunk, read to the end of the file, so no row is ever read twice or cut off.
    """
    size = path.stat().st_size
    parts = min(parts, size // MIN_CHUNK)
    if parts <= 1:
        yield Chunk(skip, tuple(blank_lines(path, after=skip)[:MAX_BLANKS]))
        return
    scan = LineScan(after=skip)
    with open(path, "rb") as source:
        for index in range(parts):
            first = skip if index == 0 else scan.lines  # lines before the chunk
            last = index == parts - 1
            end = size if last else size * (index + 1) // parts
            scan.restart()
            while source.tell() < end and (block := source.read(min(BLOCK, end - source.tell()))):
                scan.feed(block)
            if not last:
                scan.feed(source.readline())  # to the end of the line
                last = source.tell() >= size or not scan.uniform
            if last:
                while block := source.read(BLOCK):
                    scan.feed(block)
                yield Chunk(first, tuple(scan.blanks[:MAX_BLANKS]))
                return
            rows = scan.lines - first - scan.empty
            yield Chunk(first, tuple(scan.blanks[:MAX_BLANKS]), rows)


def holds(path: Path, needle: bytes) -> bool:
    """Whether ``needle`` occurs anywhere in the file (a search at memory speed); a needle of
    more than one byte, which could straddle two blocks, is taken as found."""
    if len(needle) != 1:
        return True
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            if needle in block:
                return True
    return False


def _line_number(chunk: Chunk) -> str:
    """SQL for a row's line in the file: its row number, the lines skipped before the chunk
    and the empty lines."""
    offset = chunk.skip
    if not chunk.blanks:
        return f"pm_row + {offset}"
    rows_before = [blank - chunk.skip - index for index, blank in enumerate(chunk.blanks, start=1)]
    steps = " + ".join(f"(pm_row > {before})::INT" for before in rows_before)
    return f"pm_row + {offset} + {steps}"


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


def stage_select(
    staging: Staging,
    path: Path,
    source: CsvSource,
    fields: Fields,
    fast: FastPlan | None = None,
) -> None:
    """Stage ``source``'s rows, converted through ``fields``, with a problem for each bad one.

    With a ``fast`` plan (the same columns as ``fields`` reads, described for the compiled
    scanner), the scanner reads what it can first and only the lines it hands back are read
    here (see :mod:`._fast`). A large file is read in chunks, side by side (see :func:`split`).

    Two kinds of file DuckDB's CSV reader refuses as a whole are read again, so the lines at
    fault become cited malformed lines like any other: a file holding bytes that are not UTF-8
    (a corrupted line, a legacy code page) is copied once with each such byte replaced by
    U+FFFD, as the free-text readers decode; a file holding a line longer than DuckDB's line
    buffer is read with a buffer as long as its longest line, up to :data:`LONGEST_LINE`.
    """
    handed_back: list[Path] = []
    outcome = _fast.stage(staging, path, source, fast) if fast is not None else None
    if outcome is not None:
        if outcome.rest is None:
            return
        source = outcome.rest
        handed_back = [source.path, *([source.lines] if source.lines else [])]
    copy = staging.folder / f"utf8-{source.path.name}"
    try:
        while True:  # read again at most once for each cause: a second time is fatal
            try:
                chunks = source.chunks(staging.parallel)
                staging.insert_many(
                    _select(path, source.relation(chunk), fields) for chunk in chunks
                )
                return
            except NotUtf8:
                if source.path == copy:
                    raise
                _transcode(source.path, copy)
                source = replace(source, path=copy)
            except LineTooLong:
                if source.max_line:
                    raise
                source = replace(source, max_line=_line_buffer(source.path, path))
    finally:
        for temporary in (copy, *handed_back):
            temporary.unlink(missing_ok=True)


#: A line longer than this makes a delimited file fatal: no flow log writes one.
LONGEST_LINE = 64 << 20


def _line_buffer(path: Path, original: Path) -> int:
    """A line buffer for DuckDB as long as the longest line of ``path``, or an error naming
    the line when that is beyond :data:`LONGEST_LINE`."""
    longest = 0
    with open(path, "rb") as handle:
        number, length = 1, 0
        while piece := handle.readline(BLOCK):
            length += len(piece)
            if length > LONGEST_LINE:
                raise InputError(
                    f"a line longer than {LONGEST_LINE >> 20} MB: no flow log writes one; "
                    "is this the right file?",
                    file=original,
                    line=number,
                )
            if piece.endswith(b"\n"):
                longest, number, length = max(longest, length), number + 1, 0
        longest = max(longest, length)
    return longest + 1


def _transcode(path: Path, target: Path) -> None:
    """``path`` as UTF-8, undecodable bytes replaced; line breaks stay where they were."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as out:
        while block := source.read(BLOCK):
            out.write(decoder.decode(block))
        out.write(decoder.decode(b"", final=True))


def _select(path: Path, source: str, fields: Fields) -> str:
    name = quote(str(path))
    texts = (
        f"SELECT *, {fields.src} AS pm_src_text, {fields.dst} AS pm_dst_text, "
        f"{protocol_sql(fields.protocol)} AS pm_p, "
        f"{fields.sport} AS pm_sport_text, {fields.dport} AS pm_dport_text, "
        f"{fields.skip} AS pm_skip, {fields.complete} AS pm_complete FROM {source}"
    )
    layers = parse_layers(f"({texts})", {"pm_s": "pm_src_text", "pm_d": "pm_dst_text"})
    # each converted once, for the check and for the value
    parsed = (
        f"(SELECT *, {port_sql('pm_sport_text')} AS pm_sport, "
        f"{port_sql('pm_dport_text')} AS pm_dport, ({fields.time})::TIMESTAMP AS pm_time "
        f"FROM {layers})"
    )
    sport, dport = "pm_sport", "pm_dport"
    problem = (
        "CASE WHEN pm_skip THEN '' "
        "WHEN pm_extra IS NOT NULL THEN 'more fields than the header names' "
        f"WHEN NOT pm_complete THEN {quote(fields.incomplete)} "
        f"WHEN pm_s IS NULL THEN 'source ' || coalesce(pm_cite({fields.src}), '(empty)') || ' is not an IP address' "
        f"WHEN pm_d IS NULL THEN 'destination ' || coalesce(pm_cite({fields.dst}), '(empty)') || ' is not an IP address' "
        "WHEN pm_s.family <> pm_d.family THEN 'source and destination differ in address family' "
        f"WHEN pm_p IS NULL THEN 'protocol ' || coalesce(pm_cite({fields.protocol}), '(empty)') || ' is not known' "
        f"WHEN nullif({fields.time_text}, '') IS NOT NULL AND pm_time IS NULL "
        f"THEN 'time ' || pm_cite({fields.time_text}) || ' is not understood' "
        f"WHEN pm_sport_text IS NOT NULL AND {sport} IS NULL THEN 'source port ' || pm_cite(pm_sport_text) || ' is not a port' "
        f"WHEN pm_dport_text IS NOT NULL AND {dport} IS NULL THEN 'destination port ' || pm_cite(pm_dport_text) || ' is not a port' "
        "END"
    )
    good = "pm_problem IS NULL"
    select = (
        f"SELECT CASE WHEN {good} THEN pm_time END, "
        f"pm_s.family, pm_s.hi, pm_s.lo, pm_d.hi, pm_d.lo, pm_p, {sport}, {dport}, "
        f"CASE WHEN {good} THEN {fields.action} END, CASE WHEN {good} THEN {fields.answered} END, "
        f"CASE WHEN {good} THEN {fields.bytes} END, CASE WHEN {good} THEN {fields.packets} END, "
        f"CASE WHEN {good} THEN {fields.direction} END, {name}, pm_line, pm_problem "
        f"FROM (SELECT *, {problem} AS pm_problem FROM {parsed})"
    )
    return select


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

"""What the free-text readers share: walk a file line by line into canonical rows.

A line parser returns a :class:`Record`, None for a line that is not a flow record (another
message id, a header), or raises :class:`LineProblem` for a line that claims to be a record but
cannot be read. Rows stream to the staging COPY through a temporary CSV file, so memory
stays flat whatever the file size. Parsing is Python, held to one core by the interpreter
lock, so a large file of a reader whose lines stand alone is parsed by several processes.
"""

from __future__ import annotations

import functools
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TextIO, runtime_checkable

from portmatrix.audit.address import Address
from portmatrix.audit.canonical import ReaderOptions, Staging, opened, protocol_number, write_rows
from portmatrix.audit.readers._delimited import BLOCK, LineScan


class LineProblem(ValueError):
    """A line that should be a record and is not; the message says what is wrong."""


@dataclass(slots=True)
class Record:
    src: str
    dst: str
    protocol: int
    src_port: int | None = None
    dst_port: int | None = None
    time: datetime | None = None
    action: str = "unknown"
    answered: bool | None = None
    bytes: int | None = None
    packets: int | None = None
    direction: str | None = None


@dataclass(slots=True)
class Pending:
    """A record the parser of one part of a file cannot finish alone, since how it reads
    depends on lines of the parts before (an ASA teardown whose built message may lie there):
    the worker hands it back, and the file's :class:`LineMemory` settles it, in file order."""

    record: Record
    key: Any


LineParser = Callable[[str], Record | Pending | None]


@runtime_checkable
class CarryingParser(Protocol):
    """A part's parser that remembers lines: at the end of its part it says, in a value that
    can be pickled, what the parts after it must know."""

    def __call__(self, line: str) -> Record | Pending | None: ...

    def carried(self) -> Any: ...


class LineMemory(Protocol):
    """What the parts parsed so far left behind, kept by the main process as it stages the
    parts in file order: ``settle`` finishes a part's pending records with it, then
    ``absorb`` takes in what that part carried."""

    def settle(self, pending: Pending) -> Record: ...

    def absorb(self, carried: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class PartResult:
    """What a worker hands back with its part's CSV file: the lines that are no record, the
    pending records by line number, and what its parser carried."""

    skipped: int
    pending: list[tuple[int, Pending]]
    carried: Any = None


def cite(text: str) -> str:
    """A value as a problem message quotes it: in quotes, control characters escaped, cut
    to 60 characters (a damaged line can hold a megabyte in one field)."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def address(text: str) -> Address:
    found = _known_address(text)
    if found is None:
        raise LineProblem(f"{cite(text)} is not an IP address")
    return found


_DIGITS = frozenset("0123456789")


@functools.lru_cache(maxsize=1 << 16)
def _known_address(text: str) -> Address | None:
    """An address from its text, or None. Logs name the same hosts over and over, so results
    are kept; a plain dotted quad is read here, without building an ``ipaddress`` object (it
    accepts exactly the quads ``ipaddress`` accepts: 0-255, no leading zeros)."""
    octets = text.split(".")
    if len(octets) == 4:
        value = 0
        for octet in octets:
            if not 0 < len(octet) <= 3 or not _DIGITS.issuperset(octet):
                break
            if octet[0] == "0" and len(octet) > 1:
                break
            number = int(octet)
            if number > 255:
                break
            value = value << 8 | number
        else:
            return Address(4, 0, value)
    try:
        return Address.parse(text)
    except ValueError:
        return None


#: The largest count the canonical table's BIGINT columns hold.
MAX_COUNT = (1 << 63) - 1


def port(text: str | None) -> int | None:
    """A port number: ASCII digits only (``str.isdigit`` also takes superscripts, which
    ``int`` refuses, and other scripts' digits), at most five of them (``int`` refuses 4,300
    digits), 0-65535. Written out, not through a helper: it runs twice a line."""
    if text is None or text == "":
        return None
    if len(text) <= 5 and text.isascii() and text.isdigit():
        value = int(text)
        if value <= 65535:
            return value
    raise LineProblem(f"{cite(text)} is not a port number")


def protocol(text: str) -> int:
    number = protocol_number(text)
    if number is None:
        raise LineProblem(f"{cite(text)} is not a protocol")
    return number


def integer(text: str | None) -> int | None:
    if text is None or text in ("", "-"):
        return None
    if len(text) <= 19 and text.isascii() and text.isdigit():  # as for ports
        value = int(text)
        if value <= MAX_COUNT:
            return value
    raise LineProblem(f"{cite(text)} is not a count")


def total(values: list[int]) -> int | None:
    """The sum of counts, or a problem when it outgrows the table."""
    if not values:
        return None
    value = sum(values)
    if value > MAX_COUNT:
        raise LineProblem("the counts add up to more than a 64-bit count holds")
    return value


def epoch_micros(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def row_of(record: Record, file: str, line: int) -> tuple[Any, ...]:
    src, dst = address(record.src), address(record.dst)
    if src.family != dst.family:
        raise LineProblem(
            f"source {cite(record.src)} and destination {cite(record.dst)} differ in family"
        )
    return (
        epoch_micros(record.time),
        src.family,
        src.hi,
        src.lo,
        dst.hi,
        dst.lo,
        record.protocol,
        record.src_port,
        record.dst_port,
        record.action,
        record.answered,
        record.bytes,
        record.packets,
        record.direction,
        file,
        line,
        None,
    )


def _problem_row(file: str, line: int, message: str) -> tuple[Any, ...]:
    return (None,) * 14 + (file, line, message)


#: A free-text file of at least twice this many bytes is parsed by several processes at once.
MIN_PARALLEL = 16 << 20
#: ... in parts of at most this many bytes: an interrupt then waits for little, and finished
#: parts are staged (their CSV files removed) while the rest are parsed.
MAX_PART = 64 << 20


def stage_lines(
    path: Path,
    staging: Staging,
    parse: LineParser,
    *,
    reader: str | None = None,
    options: ReaderOptions | None = None,
    memory: LineMemory | None = None,
) -> None:
    """Every line of ``path`` through ``parse`` into ``staging``.

    ``reader`` names the registered reader whose ``line_parser(path, options)`` builds a
    parser of one part of the file: then a large file is cut at line ends into parts (see
    :func:`line_ranges`), parsed by one process per DuckDB thread into CSV files (spawned,
    not forked: the DuckDB connection's threads must not be copied), and the parts are staged
    in file order. For a format whose lines depend on earlier ones, the part's parser returns
    :class:`Pending` records where it cannot tell, and ``memory`` settles them part by part.
    Line numbers, records and problems are those of one pass. Measured on 600,000 lines, two
    processes: netfilter 0.08 -> 0.16 M records/s, conntrack 0.07 -> 0.13.
    """
    ranges = line_ranges(path, staging.parallel) if reader is not None else []
    if len(ranges) <= 1 or reader is None:
        skipped = [0]
        with opened(path) as handle:
            staging.insert_rows(
                _rows(handle, str(path), parse, first=1, skipped=skipped, progress=staging.progress)
            )
        staging.ignored += skipped[0]
        return
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    targets = [staging.folder / f"lines-{index:03d}.csv" for index in range(len(ranges))]
    options = options or ReaderOptions()
    try:
        with ProcessPoolExecutor(
            min(len(ranges), staging.parallel), mp_context=get_context("spawn")
        ) as pool:
            futures = [
                pool.submit(parse_range, str(path), part, reader, options, str(target))
                for part, target in zip(ranges, targets, strict=True)
            ]
            try:
                for future, part, target in zip(futures, ranges, targets, strict=True):
                    result = future.result()
                    staging.ignored += result.skipped
                    staging.insert_csv(target)
                    target.unlink()
                    if result.pending:
                        if memory is None:
                            raise TypeError(f"reader {reader} left records pending, no memory")
                        staging.insert_rows(_settled(result.pending, memory, str(path)))
                    if memory is not None:
                        memory.absorb(result.carried)
                    staging.progress(part.end - part.start)
            except BaseException:  # a bad part, Ctrl-C: parse no part that has not begun
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        for target in targets:
            target.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class LineRange:
    """Bytes ``start`` to ``end`` of a file, cut after a line feed, and the number of the
    line that begins there."""

    start: int
    end: int
    first_line: int


def line_ranges(path: Path, workers: int) -> list[LineRange]:
    """``path`` as ranges cut at line ends for ``workers`` processes: none for a file under
    twice :data:`MIN_PARALLEL` bytes, else ``workers`` ranges or more, of at most
    :data:`MAX_PART` bytes each.

    Line numbers count line breaks as Python's text files do with ``newline=""``: a line
    feed, a carriage return and line feed, or a carriage return alone. A range always ends
    with a line feed, so no line break and no UTF-8 character straddles two ranges.
    """
    size = path.stat().st_size
    if workers <= 1 or size < 2 * MIN_PARALLEL:
        return []
    parts = max(workers, -(-size // MAX_PART))
    bounds = [0]
    with open(path, "rb") as handle:
        for index in range(1, parts):
            handle.seek(max(size * index // parts, bounds[-1]))
            handle.readline()
            if handle.tell() < size:
                bounds.append(handle.tell())
        bounds.append(size)
        ranges: list[LineRange] = []
        first = 1
        for start, end in itertools.pairwise(bounds):
            if start < end:
                ranges.append(LineRange(start, end, first))
                first += _line_breaks(handle, start, end)
    return ranges


def _line_breaks(handle: BinaryIO, start: int, end: int) -> int:
    scan = LineScan(after=0)
    handle.seek(start)
    while handle.tell() < end and (block := handle.read(min(BLOCK, end - handle.tell()))):
        scan.feed(block)
    return scan.text_lines


class _Slice(io.RawIOBase):
    """At most ``count`` bytes of ``raw`` from where it stands."""

    def __init__(self, raw: BinaryIO, count: int) -> None:
        self.raw, self.left = raw, count

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), self.left))
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)


def parse_range(
    path: str, part: LineRange, reader: str, options: ReaderOptions, target: str
) -> PartResult:
    """In a worker process: parse ``part`` of ``path`` with a new parser of ``reader`` into
    the CSV file ``target``."""
    from portmatrix.audit import readers
    from portmatrix.audit.readers._protocol import LineReader

    found = readers.load(reader)
    if not isinstance(found, LineReader):
        raise TypeError(f"reader {reader} has no line_parser")
    parse = found.line_parser(Path(path), options)
    skipped = [0]
    pending: list[tuple[int, Pending]] = []
    with open(path, "rb") as raw:
        raw.seek(part.start)
        text = io.TextIOWrapper(
            io.BufferedReader(_Slice(raw, part.end - part.start)),
            encoding="utf-8",
            errors="replace",
            newline="",
        )
        rows = _rows(
            text,
            path,
            parse,
            first=part.first_line,
            skipped=skipped,
            progress=None,
            pending=pending,
        )
        write_rows(rows, Path(target))
    carried = parse.carried() if isinstance(parse, CarryingParser) else None
    return PartResult(skipped[0], pending, carried)


def _settled(
    pending: list[tuple[int, Pending]], memory: LineMemory, name: str
) -> Iterator[tuple[Any, ...]]:
    for number, waiting in pending:
        record = memory.settle(waiting)
        try:
            yield row_of(record, name, number)
        except LineProblem as exc:
            yield _problem_row(name, number, str(exc))


def _rows(
    handle: TextIO,
    name: str,
    parse: LineParser,
    *,
    first: int,
    skipped: list[int],
    progress: Callable[[int], None] | None,
    pending: list[tuple[int, Pending]] | None = None,
) -> Iterator[tuple[Any, ...]]:
    read = 0
    for number, text in enumerate(handle, start=first):
        read += len(text)
        if progress is not None and number % 65536 == 0:
            progress(read)
            read = 0
        line = text.rstrip("\r\n")
        try:
            record = parse(line)
            if record is None:
                skipped[0] += 1
                continue
            if isinstance(record, Pending):
                if pending is None:
                    raise TypeError("a parser of a whole file left a record pending")
                pending.append((number, record))
                continue
            yield row_of(record, name, number)
        except LineProblem as exc:
            yield _problem_row(name, number, str(exc))
    if progress is not None:
        progress(read)

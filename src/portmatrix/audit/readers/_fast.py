"""A compiled fast path for the delimited readers (extra ``fast``: numba, numpy, pyarrow).

DuckDB's CSV reader and Parquet writer cap ingest near 1.5 million lines a second on two
cores, below the 2 million the audit needs (see docs/decisions.md, "Audit ingest"). Here a
file is cut into blocks at line ends; on each, a compiled scanner (:mod:`._kernel`) reads the
lines it is sure of into canonical columns, which pyarrow writes as a Parquet part, and hands
back every other line. Those lines are copied, in order, to a side file that the reader's own
SQL reads as before, each keeping its line number in the original file.

So the SQL remains the one definition of what a field means: a reader describes its columns
in a :class:`FastPlan`, the scanner converts only the strictest spelling of each (a dotted
quad without leading zeros, plain digits that cannot overflow, a word of the plan's table),
and the tests hold both paths to the same records, counts and problems on the same files.

Where the extra is absent, the file is small (compiling would cost more than it saves), a
field may be quoted, or a carriage return stands alone, the SQL reads the whole file.
"""

from __future__ import annotations

import contextlib
import importlib.util
import mmap
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portmatrix.audit.canonical import COLUMNS, ROW_GROUP_SIZE, ZSTD_LEVEL, Staging

if TYPE_CHECKING:
    from portmatrix.audit.readers._delimited import CsvSource

# What a column holds; the scanner's numbering (see _kernel).
IGNORE, SRC, DST, SPORT, DPORT, PROTO, PACKETS, BYTES = 0, 1, 2, 3, 4, 5, 6, 7
EPOCH, DATETIME, DATE, CLOCK, ACTION, DIRECTION, ANSWERED, STATUS, FLAGS = range(8, 17)
WORD_KINDS = (ACTION, DIRECTION, ANSWERED, STATUS)

# How a column is read (bits).
DASH = 1  # "-" is NULL
DOT0 = 2  # a port may end in ".0"
SUM = 4  # a count added to the others of its kind, NULL when the total is 0
FRACTION = 8  # seconds may have a fraction
TSEP = 16  # date and time may be joined by "T"
ZSUFFIX = 32  # a time may end in "Z"
FOLD = 64  # words compared without regard to case
EPOCHTOO = 128  # a time without "-" is Unix seconds

# Codes of the word columns.
ALLOWED, DENIED, UNKNOWN = 0, 1, 2  # action
NO, YES, UNSURE = 0, 1, 2  # answered
NOWHERE, IN, OUT = 0, 1, 2  # direction
RECORD = 1  # status: a line that is a record

# Which lines drop their ports as ICMP.
ICMP_NEVER, ICMP_BY_NAME, ICMP_BY_NAME_OR_NUMBER = 0, 1, 2

#: Files smaller than this are left to the SQL (compiling and a second writer cost more).
FAST_MIN = 8 << 20
#: Bytes of a file the scanner reads at a time; each block is one Parquet part.
BLOCK = 32 << 20
#: Output arrays start with room for a line per this many bytes, and grow when short.
BYTES_PER_LINE = 64
#: The first block handing back more than this share of its lines sends the file to the SQL.
MOSTLY_HANDED = 0.5


@dataclass(frozen=True, slots=True)
class Column:
    """How the scanner reads one field: its kind, flags and, for word kinds, the words (lower
    case where the flags hold FOLD) with their codes. A word not listed hands the line back."""

    kind: int
    flags: int = 0
    words: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FastPlan:
    """A delimited reader's columns as the scanner reads them, in the file's order."""

    columns: tuple[Column, ...]
    icmp: int = ICMP_NEVER
    packets: int | None = None  # a constant packet count (a log of packets: 1)

    @classmethod
    def of(
        cls,
        count: int,
        roles: Sequence[tuple[int | None, Column]],
        *,
        icmp: int = ICMP_NEVER,
        packets: int | None = None,
    ) -> FastPlan | None:
        """A plan for ``count`` fields giving each ``(index, column)`` its role (an index of
        None: the field is absent). None when one field would have two roles or the plan has
        no protocol, source and destination: the SQL alone reads such a file."""
        columns = [Column(IGNORE)] * count
        taken: set[int] = set()
        for index, column in roles:
            if index is None:
                continue
            if index in taken:
                return None
            taken.add(index)
            columns[index] = column
        kinds = {column.kind for column in columns}
        if not {SRC, DST, PROTO} <= kinds:
            return None
        return cls(tuple(columns), icmp, packets)

    @property
    def proto_column(self) -> int:
        return next(i for i, column in enumerate(self.columns) if column.kind == PROTO)


def placer(names: Sequence[str]) -> Callable[..., tuple[int | None, Column]]:
    """``place(name, kind, flags=0, words=None)``: the index of the field called ``name``
    among ``names`` (None when the header has none) with its column, for :meth:`FastPlan.of`."""
    at = {name: index for index, name in enumerate(names)}

    def place(
        name: str, kind: int, flags: int = 0, words: Mapping[str, int] | None = None
    ) -> tuple[int | None, Column]:
        return at.get(name), Column(kind, flags, words or {})

    return place


@cache
def available() -> bool:
    """Whether the extra ``fast`` is installed (``PORTMATRIX_NO_FAST=1`` turns it off)."""
    if os.environ.get("PORTMATRIX_NO_FAST"):
        return False
    return all(importlib.util.find_spec(name) for name in ("numba", "numpy", "pyarrow"))


def warm() -> float:
    """Compile the scanner now, or load it from numba's cache; the seconds it took. The first
    use in a fresh install compiles for some seconds; later processes load the cache."""
    import time

    import numpy as np

    started = time.perf_counter()
    import pyarrow.parquet  # noqa: F401  (its first import, too, is part of getting ready)

    from portmatrix.audit.readers import _kernel as kernel

    plan = FastPlan.of(3, [(0, Column(SRC)), (1, Column(DST)), (2, Column(PROTO))])
    assert plan is not None
    tables = _Tables.of(plan, np, delimiter=32)
    out, rest = np.empty((kernel.ROWS, 2), np.int64), np.empty((3, 2), np.int64)
    line = np.frombuffer(b"10.0.0.1 10.0.0.2 6\n", np.uint8)
    tables.scan(kernel, line, (0, 1, 0, 0), out, rest)
    return time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the fast path did with a file: rows it read itself, and the source of the lines
    it handed back (None: none), for the SQL to read."""

    rows: int
    rest: CsvSource | None


def stage(staging: Staging, path: Path, source: CsvSource, plan: FastPlan | None) -> Outcome | None:
    """Read what the scanner can of ``source`` into ``staging``; None when the file is left
    to the SQL whole (nothing staged then)."""
    if not _suitable(source, plan):
        return None
    assert plan is not None
    start = _data_start(source.path, source.skip)
    if start is None:
        return None
    import numpy as np

    from portmatrix.audit.readers import _kernel as kernel

    tables = _Tables.of(plan, np, delimiter=ord(source.delimiter))
    gather = _Gather(staging.folder / f"rest-{os.getpid()}-{id(source)}-{source.path.name}")
    with open(source.path, "rb") as handle:
        mm = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    pending: list[Future[_Block]] = []
    try:
        try:
            with ThreadPoolExecutor(max_workers=staging.parallel) as pool:
                base: Future[int] = Future()
                base.set_result(source.skip + 1)
                try:
                    for lo, hi in _blocks(mm, start):
                        following: Future[int] = Future()
                        job = _Job(
                            kernel, np, tables, mm, lo, hi, base, following, staging, str(path)
                        )
                        pending.append(pool.submit(job.run))
                        base = following
                        while len(pending) > 2 * staging.parallel:  # a few blocks in flight
                            gather.add(pending.pop(0).result(), staging)
                    while pending:
                        gather.add(pending.pop(0).result(), staging)
                except BaseException:
                    for future in pending:  # jobs not started; the pool runs them in order
                        future.cancel()
                    raise
        except BaseException as exc:
            gather.discard(pending)
            if isinstance(exc, _LeaveToSql):
                return None
            raise
    finally:
        with contextlib.suppress(BufferError):  # a failed job's traceback may hold a view
            mm.close()
    staging.add_good(gather.parts)
    if not gather.numbers:
        return Outcome(gather.rows, None)
    lines_path = gather.rest.with_name(gather.rest.name + ".lines.parquet")
    _write_numbers(np, gather.numbers, lines_path)
    return Outcome(gather.rows, replace(source, path=gather.rest, skip=0, lines=lines_path))


class _Gather:
    """The blocks' results, taken in file order: parts written, lines handed back (appended to
    the side file ``rest``, their numbers kept)."""

    def __init__(self, rest: Path) -> None:
        self.rest = rest
        self.blocks = 0
        self.rows = 0
        self.parts: list[Path] = []
        self.numbers: list[Any] = []

    def add(self, block: _Block, staging: Staging) -> None:
        self.parts += block.parts
        if block.strange:
            raise _LeaveToSql
        self.blocks += 1
        self.rows += block.rows
        handed = len(block.numbers)
        if self.blocks == 1 and handed > MOSTLY_HANDED * max(1, block.rows + handed):
            raise _LeaveToSql
        if handed:
            with open(self.rest, "ab") as handle:
                handle.write(block.text)
            self.numbers.append(block.numbers)
        staging.progress(block.size)

    def discard(self, unfinished: list[Future[_Block]]) -> None:
        """Remove what was written, by the blocks taken and by those still in flight."""
        parts = list(self.parts)
        for future in unfinished:
            if future.done() and not future.cancelled() and future.exception() is None:
                parts += future.result().parts
        for part in parts:
            part.unlink(missing_ok=True)
        self.rest.unlink(missing_ok=True)


class _LeaveToSql(Exception):
    """The scanner met a file it does not number as DuckDB does: the SQL reads it whole."""


def _suitable(source: CsvSource, plan: FastPlan | None) -> bool:
    if plan is None or not available() or source.wrap is not None or source.max_line:
        return False
    if len(source.delimiter) != 1 or not source.delimiter.isascii() or source.lines is not None:
        return False
    try:
        if source.path.stat().st_size < max(FAST_MIN, 1):
            return False
    except OSError:
        return False
    if source.quote_char:
        from portmatrix.audit.readers._delimited import holds

        return not holds(source.path, source.quote_char.encode())
    return True


def _data_start(path: Path, skip: int) -> int | None:
    """The offset of the first line after ``skip`` header lines; None when a carriage return
    stands alone among them (Python and DuckDB then count the header's lines differently)."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 20)
    offset = 0
    for _ in range(skip):
        end = head.find(b"\n", offset)
        if end < 0:
            return None
        offset = end + 1
    header = head[:offset]
    if header.count(b"\r") != header.count(b"\r\n"):
        return None
    return offset


def _blocks(mm: mmap.mmap, start: int) -> Iterator[tuple[int, int]]:
    """Blocks of whole lines from ``start``: about :data:`BLOCK` bytes each, cut after a line
    feed (the last block runs to the end of the file)."""
    size = len(mm)
    lo = start
    while lo < size:
        hi = size if size - lo <= BLOCK else mm.rfind(b"\n", lo, lo + BLOCK) + 1
        if hi <= lo:  # no line feed in a whole block: take up to the next one
            found = mm.find(b"\n", lo + BLOCK)
            hi = size if found < 0 else found + 1
        yield lo, hi
        lo = hi


@dataclass(frozen=True, slots=True)
class _Tables:
    """A plan as the arrays the scanner takes."""

    delimiter: int
    kinds: Any
    flags: Any
    opts: Any
    words: Any
    word_at: Any
    word_from: Any
    word_code: Any

    def scan(
        self, kernel: Any, buf: Any, at: tuple[int, int, int, int], out: Any, rest: Any
    ) -> tuple[int, int, int, int, int]:
        """:func:`._kernel.scan` from ``at`` (position, line, rows, handed) with these tables."""
        position, line, rows, handed = at
        result: tuple[int, int, int, int, int] = kernel.scan(
            buf, position, line, rows, handed, self.delimiter, self.kinds, self.flags,
            self.opts, self.words, self.word_at, self.word_from, self.word_code, out, rest,
        )  # fmt: skip
        return result

    @classmethod
    def of(cls, plan: FastPlan, np: Any, *, delimiter: int) -> _Tables:
        spelled: list[bytes] = []
        first: list[int] = []  # each column's first word
        codes: list[int] = []
        for column in plan.columns:
            first.append(len(spelled))
            for word, code in column.words.items():
                spelled.append(word.encode("ascii"))
                codes.append(code)
        first.append(len(spelled))
        at = [0]
        for spelling in spelled:
            at.append(at[-1] + len(spelling))
        return cls(
            delimiter=delimiter,
            kinds=np.array([c.kind for c in plan.columns], np.int64),
            flags=np.array([c.flags for c in plan.columns], np.int64),
            opts=np.array(
                [plan.proto_column, plan.icmp, -1 if plan.packets is None else plan.packets],
                np.int64,
            ),
            words=np.frombuffer(b"".join(spelled) or b"\0", np.uint8).copy(),
            word_at=np.array(at, np.int64),
            word_from=np.array(first, np.int64),
            word_code=np.array(codes, np.int64),
        )


@dataclass(frozen=True, slots=True)
class _Block:
    rows: int
    size: int
    parts: list[Path]
    numbers: Any  # line numbers of the lines handed back
    text: bytes  # those lines, each ending in a line feed
    strange: bool


_BUFFERS = threading.local()  # each worker's output arrays, kept between blocks


@dataclass(frozen=True, slots=True)
class _Job:
    """Scanning one block and writing its rows as a Parquet part, on a worker thread (the
    scanner and pyarrow's writer both let go of the GIL).

    Line numbers pass from block to block: a block's first line is known once the block
    before has been scanned, so each job takes ``base`` and gives ``following``; a job that
    fails still gives it (as -1), so no later job waits for ever.
    """

    kernel: Any
    np: Any
    tables: _Tables
    mm: mmap.mmap
    lo: int
    hi: int
    base: Future[int]
    following: Future[int]
    staging: Staging
    source_file: str

    def run(self) -> _Block:
        try:
            return self._run()
        finally:
            if not self.following.done():
                self.following.set_result(-1)

    def _run(self) -> _Block:
        np, kernel, tables = self.np, self.kernel, self.tables
        size = self.hi - self.lo
        buf = np.frombuffer(self.mm, np.uint8, size, self.lo)
        out, rest = _buffers(np, kernel, size // BYTES_PER_LINE + 16)
        rows = handed = position = line = 0
        while True:
            rows, handed, status, position, line = tables.scan(
                kernel, buf, (position, line, rows, handed), out, rest
            )
            if status != kernel.FULL:
                break
            out, rest = _buffers(
                np, kernel, 2 * max(out.shape[1], rest.shape[1]), keep=(rows, handed)
            )
        del buf
        first = self.base.result()
        if status == kernel.STRANGE or first < 0:
            self.following.set_result(-1)
            return _Block(0, size, [], None, b"", True)
        self.following.set_result(first + line)
        out[kernel.LINE, :rows] += first
        rest[2, :handed] += first
        parts: list[Path] = []
        if rows:
            target = self.staging.new_part()
            _write_part(np, kernel, out[:, :rows], target, self.source_file)
            parts.append(target)
        lo, mm = self.lo, self.mm
        text = b"".join(mm[lo + rest[0, i] : lo + rest[1, i]] + b"\n" for i in range(handed))
        # The block's pages leave this process (they stay in the page cache), so its resident
        # memory does not grow with the file. Pages it shares with the next block fault in again.
        first_page = lo - lo % mmap.PAGESIZE
        mm.madvise(mmap.MADV_DONTNEED, first_page, self.hi - first_page)
        return _Block(rows, size, parts, rest[2, :handed].copy(), text, False)


def _buffers(np: Any, kernel: Any, room: int, keep: tuple[int, int] = (0, 0)) -> tuple[Any, Any]:
    """This thread's output arrays with room for at least ``room`` lines, the first ``keep``
    columns of the old ones copied over when they had to grow."""
    old = getattr(_BUFFERS, "arrays", None)
    if old is not None and old[0].shape[1] >= room:
        return old  # type: ignore[no-any-return]
    out = np.empty((kernel.ROWS, room), np.int64)
    rest = np.empty((3, room), np.int64)
    if old is not None:
        out[:, : keep[0]] = old[0][:, : keep[0]]
        rest[:, : keep[1]] = old[1][:, : keep[1]]
    _BUFFERS.arrays = (out, rest)
    return out, rest


def _write_part(np: Any, kernel: Any, out: Any, target: Path, source_file: str) -> None:
    """Rows of the scanner as a canonical Parquet file, written as DuckDB writes them (the
    same types, compression and row groups: :data:`~portmatrix.audit.canonical.PARQUET`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = out.shape[1]

    def nullable(row: int, kind: Any, null: int = -1) -> Any:
        values = out[row]
        return pa.array(values.astype(kind.to_pandas_dtype()), type=kind, mask=values == null)

    def words(row: int, names: list[str], first: int = 0) -> Any:
        """Codes ``first``... as the names; a code below ``first`` is NULL."""
        codes = out[row].astype(np.int8) - first
        return pa.DictionaryArray.from_arrays(
            pa.array(codes, mask=codes < 0), pa.array(names, pa.string())
        )

    zeros = pa.array(np.zeros(count, np.int64))
    answered = out[kernel.ANSWEREDV]
    arrays = {
        "time": pa.array(
            out[kernel.TIME], type=pa.timestamp("us"), mask=out[kernel.TIME] == kernel.NULL_TIME
        ),
        "family": pa.array(np.full(count, 4, np.int8)),
        "src_hi": zeros,
        "src_lo": pa.array(out[kernel.SRCV]),
        "dst_hi": zeros,
        "dst_lo": pa.array(out[kernel.DSTV]),
        "protocol": pa.array(out[kernel.PROTOV].astype(np.int16)),
        "src_port": nullable(kernel.SPORTV, pa.int32()),
        "dst_port": nullable(kernel.DPORTV, pa.int32()),
        "action": words(kernel.ACTIONV, ["allowed", "denied", "unknown"]),
        "answered": pa.array(answered == YES, mask=answered == UNSURE),
        "bytes": nullable(kernel.BYTESV, pa.int64()),
        "packets": nullable(kernel.PACKETSV, pa.int64()),
        "direction": words(kernel.DIRV, ["in", "out"], first=IN),
        "source_file": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(count, np.int8)), pa.array([source_file])
        ),
        "source_line": pa.array(out[kernel.LINE]),
    }
    assert list(arrays) == list(COLUMNS)
    pq.write_table(
        pa.table(arrays),
        target,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        row_group_size=ROW_GROUP_SIZE,
        store_schema=False,
    )


def _write_numbers(np: Any, numbers: list[Any], target: Path) -> None:
    """Position in the side file (from 1) -> line number in the original."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    lines = np.concatenate(numbers)
    positions = np.arange(1, len(lines) + 1, dtype=np.int64)
    pq.write_table(pa.table({"position": positions, "line": lines}), target)

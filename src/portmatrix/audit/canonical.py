"""The canonical flow table every reader fills and both engines read.

One row per flow-log record (a log line, a flow export, a connection): when it happened, its
addresses as ``(family, hi, lo)`` halves (see :mod:`portmatrix.audit.address`), ports and IANA
protocol number, what the device did (``action``: allowed, denied or unknown), whether the
peer ever answered (``answered``, NULL where the format cannot tell), bytes and packets, the
direction where the device knows it (``in``/``out``), and the file and line it came from.
On disk it is Parquet with zstd compression, written by ``portmatrix ingest``.

Readers do not write Parquet themselves: they hand a :class:`Staging` a SELECT that yields the
records together with the rows they could not read (``problem`` set), and the staging writes
it to Parquet parts in one streaming ``COPY``, so malformed lines are counted and cited without
a second pass over the input and memory stays bounded whatever the input size.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portmatrix.audit.address import DUCKDB_MACROS
from portmatrix.errors import InputError, PortmatrixError

if TYPE_CHECKING:
    import duckdb

#: Column -> DuckDB type, in table order. Spark reads the same Parquet types.
COLUMNS: dict[str, str] = {
    "time": "TIMESTAMP",
    "family": "TINYINT",
    "src_hi": "BIGINT",
    "src_lo": "BIGINT",
    "dst_hi": "BIGINT",
    "dst_lo": "BIGINT",
    "protocol": "SMALLINT",
    "src_port": "INTEGER",
    "dst_port": "INTEGER",
    "action": "VARCHAR",
    "answered": "BOOLEAN",
    "bytes": "BIGINT",
    "packets": "BIGINT",
    "direction": "VARCHAR",
    "source_file": "VARCHAR",
    "source_line": "BIGINT",
}
ACTIONS = ("allowed", "denied", "unknown")
MANIFEST = "portmatrix-ingest.json"
#: How every canonical Parquet file is written. zstd at level 1 rather than DuckDB's default 3:
#: rewriting 2 million ingested records took 1.7 s against 2.55 s, for files 0.4% larger.
ZSTD_LEVEL = 1
ROW_GROUP_SIZE = 1_000_000
PARQUET = (
    f"FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL {ZSTD_LEVEL}, "
    f"ROW_GROUP_SIZE {ROW_GROUP_SIZE}"
)
#: Malformed lines cited one by one (all are counted).
CITED_PROBLEMS = 20

PROTOCOL_NUMBERS = {
    "icmp": 1,
    "igmp": 2,
    "tcp": 6,
    "udp": 17,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "icmpv6": 58,
    "ipv6-icmp": 58,
    "icmp6": 58,
    "sctp": 132,
}
PROTOCOL_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}


def protocol_name(number: int | None) -> str:
    if number is None:
        return "?"
    return PROTOCOL_NAMES.get(number, str(number))


def protocol_number(text: str) -> int | None:
    """``tcp``/``TCP``/``6`` -> 6; None when it is neither a known name nor 0-255."""
    word = text.strip().lower()
    if word.isascii() and word.isdigit():
        if len(word) > 3:
            return None
        value = int(word)
        return value if value <= 255 else None
    return PROTOCOL_NUMBERS.get(word)


# SQL that reads a protocol column given as a name or a number (the same table as above).
PROTOCOL_SQL = (
    "CASE WHEN regexp_full_match(trim({0}), '[0-9]{{1,3}}') AND trim({0})::INT <= 255 "
    "THEN trim({0})::SMALLINT ELSE "
    + "CASE lower(trim({0})) "
    + " ".join(f"WHEN '{name}' THEN {number}" for name, number in PROTOCOL_NUMBERS.items())
    + " END END"
)


def protocol_sql(column: str) -> str:
    return PROTOCOL_SQL.format(column)


@dataclass(frozen=True, slots=True)
class Problem:
    """A record that could not be read: where it is and why."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


@dataclass
class Counts:
    """What staging saw: records kept, lines ignored (other messages, comments), problems."""

    records: int = 0
    ignored: int = 0
    malformed: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "ignored": self.ignored,
            "malformed": self.malformed,
            "problems": [
                {"file": p.file, "line": p.line, "message": p.message} for p in self.problems
            ],
        }


ProgressHook = Callable[[int], None]  # bytes just read


@dataclass(frozen=True, slots=True)
class ReaderOptions:
    """What a user may tell a reader: a column mapping (csv), a delimiter, the year to assume."""

    mapping: tuple[tuple[str, str], ...] = ()
    delimiter: str | None = None
    year: int | None = None
    strict: bool = False


def connect(
    *, memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the address macros, spilling to a temp directory."""
    import duckdb

    con = duckdb.connect()
    spill = tempfile.mkdtemp(prefix="portmatrix-duckdb-")
    atexit.register(shutil.rmtree, spill, True)  # what DuckDB spilled, gone with the process
    con.execute(f"SET temp_directory = '{spill}'")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute(DUCKDB_MACROS)
    return con


class Staging:
    """Where readers put records: zstd Parquet parts written straight from their SELECTs.

    A reader's SELECT yields the canonical columns plus ``problem``: NULL for a good record,
    empty for a line that is no record (a comment, a NODATA row), otherwise what is wrong
    with the line. Each SELECT runs once, as one ``COPY`` to a Parquet file in the canonical
    layout; a file holding rows that are no good record is then split into a part of good
    records and small side parts (a bad row's problem travels in its ``action`` column
    there), so the input is read once, nothing is held in memory or in a table, and
    ``ingest`` ends by moving the good parts into place.
    """

    TABLE = "pm_staged"  # a view of every row staged, with ``problem``, for inspection

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        on_progress: ProgressHook | None = None,
        folder: Path | None = None,
    ):
        self.con = con
        self.on_progress = on_progress
        self.ignored = 0
        self.folder = Path(tempfile.mkdtemp(prefix=".portmatrix-staging-", dir=folder))
        self.parts: dict[str, list[Path]] = {"good": [], "skip": [], "bad": []}
        self._serial = 0
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self._view()

    def close(self) -> None:
        """Remove the staged parts (also done when the object is collected)."""
        self._finalizer()

    @property
    def parallel(self) -> int:
        """How many reads of one file may run side by side: one per DuckDB thread.

        A read numbering its rows runs on one thread, so a large file is cut into this many
        chunks. Once staging stopped partitioning every read (see :meth:`_copy`), two reads
        side by side beat one on this project's two cores: 1.7-2.2 s against 2.4-2.6 s for a
        million VPC lines, peak RSS 450-470 MB against 430-520 MB (when each read was also
        split by kind, two were slower than one).
        """
        row = self.con.execute("SELECT current_setting('threads')").fetchone()
        return max(1, int(row[0])) if row else 1

    def insert_sql(self, select: str, parameters: list[Any] | None = None) -> None:
        """Stage the rows of ``select``, which yields the canonical columns plus ``problem``."""
        self._register([self._copy(self.con, select, parameters, self._target())])

    def insert_many(self, selects: Iterable[str]) -> None:
        """Stage several SELECTs (chunks of one file) side by side, each on its own connection,
        each started as soon as ``selects`` yields it (chunks are yielded while the file is
        still being scanned)."""
        from concurrent.futures import Future, ThreadPoolExecutor

        def run(select: str, target: Path) -> dict[str, list[Path]]:
            cursor = self.con.cursor()  # temporary macros belong to one connection
            try:
                cursor.execute(DUCKDB_MACROS)
                return self._copy(cursor, select, None, target)
            finally:
                cursor.close()

        pending: list[Future[dict[str, list[Path]]]] = []
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            try:
                for select in selects:
                    pending.append(pool.submit(run, select, self._target()))
            finally:
                written = [future.result() for future in pending]  # the first failure raises
        self._register(written)

    def _target(self) -> Path:
        with self._lock:  # parts are named from worker threads too (the fast path)
            self._serial += 1
            return self.folder / f"part-{self._serial:05d}"

    def new_part(self) -> Path:
        """A path for a Parquet part of good records written outside DuckDB (the fast path);
        safe to call from several threads."""
        target = self._target()
        target.mkdir(parents=True)
        return target / "all.parquet"

    def add_good(self, files: Iterable[Path]) -> None:
        """Stage Parquet parts of good records in the canonical layout, written elsewhere."""
        self._register([{"good": list(files), "skip": [], "bad": []}])

    @staticmethod
    def _copy(
        con: duckdb.DuckDBPyConnection, select: str, parameters: list[Any] | None, target: Path
    ) -> dict[str, list[Path]]:
        """Write ``select``'s rows to one Parquet file in the canonical layout, a bad row's
        problem (or nothing, for a line that is no record) in its ``action`` column after a
        control character no action holds.

        Nearly every file has no such row, and then that file is the part as it stands; only
        when it holds some is it split by kind. Splitting always (``PARTITION_BY`` on the read
        itself) cost as much again as writing the Parquet (measured: 0.65-0.87 s against
        0.37-0.40 s for 1 million rows), and reading one column of the written file back to
        look is a few milliseconds.
        """
        names = [*COLUMNS, "problem"]
        typed = ", ".join(
            f"CAST(CASE WHEN problem IS NULL THEN action ELSE chr(1) || problem END AS {kind}) "
            "AS action"
            if name == "action"
            else f"CAST({name} AS {kind}) AS {name}"
            for name, kind in COLUMNS.items()
        )
        target.mkdir(parents=True, exist_ok=True)
        whole = target / "all.parquet"
        good = "NOT coalesce(starts_with(action, chr(1)), false)"
        try:
            con.execute(
                f"COPY (SELECT {typed} FROM ({select}) AS pm_s({', '.join(names)})) "
                f"TO {_quote(str(whole))} ({PARQUET})",
                parameters or [],
            )
            row = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE NOT {good}) "
                f"FROM read_parquet({_quote(str(whole))})"
            ).fetchone()
            total, others = (int(row[0]), int(row[1])) if row else (0, 0)
            if total == 0:
                whole.unlink()
                return {"good": [], "skip": [], "bad": []}
            if others == 0:
                return {"good": [whole], "skip": [], "bad": []}
            kind = f"CASE WHEN {good} THEN 'good' WHEN action = chr(1) THEN 'skip' ELSE 'bad' END"
            action = f"CASE WHEN {good} THEN action ELSE substr(action, 2) END AS action"
            con.execute(
                f"COPY (SELECT * REPLACE ({action}), {kind} AS pm_kind "
                f"FROM read_parquet({_quote(str(whole))})) "
                f"TO {_quote(str(target))} ({PARQUET}, PARTITION_BY (pm_kind), OVERWRITE_OR_IGNORE)"
            )
            whole.unlink()
        except Exception as exc:  # duckdb.Error, imported lazily
            raise engine_error(exc) from exc
        return {
            kind_name: sorted((target / f"pm_kind={kind_name}").glob("*.parquet"))
            for kind_name in ("good", "skip", "bad")
        }

    def _register(self, written: list[dict[str, list[Path]]]) -> None:
        for parts in written:
            for kind_name, files in parts.items():
                self.parts[kind_name].extend(files)
        self._view()

    def _view(self) -> None:
        columns = ", ".join(COLUMNS)
        bad = ", ".join("NULL AS action" if name == "action" else name for name in COLUMNS)
        selects = [f"SELECT {_empty_columns()}, NULL::VARCHAR AS problem WHERE false"]
        for kind_name, problem, chosen in (
            ("good", "NULL::VARCHAR", columns),
            ("skip", "''", columns),
            ("bad", "action", bad),
        ):
            if self.parts[kind_name]:
                selects.append(
                    f"SELECT {chosen}, {problem} AS problem FROM {_read(self.parts[kind_name])}"
                )
        self.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.TABLE} AS {' UNION ALL '.join(selects)}"
        )

    def insert_rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Add rows built in Python (line formats), streamed through a temporary CSV file.

        Each row holds the canonical columns in order plus ``problem``; ``time`` as epoch
        microseconds. A CSV file keeps memory flat and lets DuckDB load it at its own speed.
        """
        fd, name = tempfile.mkstemp(prefix="portmatrix-rows-", suffix=".csv", dir=self.folder)
        os.close(fd)
        try:
            write_rows(rows, Path(name))
            self.insert_csv(Path(name))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    def insert_csv(self, path: Path) -> None:
        """Add the rows of a CSV file :func:`write_rows` wrote."""
        types = dict(COLUMNS, time="BIGINT", problem="VARCHAR")
        spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"
        columns = ", ".join("make_timestamp(time) AS time" if k == "time" else k for k in types)
        self.insert_sql(
            f"SELECT {columns} FROM read_csv(?, columns={spec}, header=false, "
            "auto_detect=false, quote='\"', escape='\"', nullstr='', "
            "strict_mode=false)",
            [str(path)],
        )

    def progress(self, done: int) -> None:
        if self.on_progress is not None:
            self.on_progress(done)

    def _count(self, kind_name: str) -> int:
        if not self.parts[kind_name]:
            return 0
        row = self.con.execute(f"SELECT count(*) FROM {_read(self.parts[kind_name])}").fetchone()
        return int(row[0]) if row else 0

    def counts(self) -> Counts:
        cited: list[tuple[Any, ...]] = []
        if self.parts["bad"]:
            cited = self.con.execute(
                f"SELECT source_file, source_line, action FROM {_read(self.parts['bad'])} "
                f"ORDER BY source_file, source_line LIMIT {CITED_PROBLEMS}"
            ).fetchall()
        return Counts(
            records=self._count("good"),
            ignored=self.ignored + self._count("skip"),
            malformed=self._count("bad"),
            problems=[Problem(str(f), None if n is None else int(n), str(p)) for f, n, p in cited],
        )

    def check_strict(self, counts: Counts) -> None:
        """Under ``--strict`` the first malformed record is fatal."""
        if counts.problems:
            first = counts.problems[0]
            more = f" ({counts.malformed - 1} more)" if counts.malformed > 1 else ""
            raise InputError(
                f"{first.message}{more}; fix the line or run without --strict to skip it",
                file=first.file,
                line=first.line,
            )

    def records_sql(self) -> str:
        """The good records, as the audit reads them."""
        if not self.parts["good"]:
            return f"(SELECT {_empty_columns()} WHERE false)"
        return f"(SELECT {', '.join(COLUMNS)} FROM {_read(self.parts['good'])})"

    def write_parquet(self, directory: Path, counts: Counts) -> None:
        """The good records as zstd Parquet in ``directory``, replaced whole or not at all:
        ``records.parquet``, or ``records-00001.parquet``... when several sources were staged."""
        write_dataset(directory, self._place, counts)

    def _place(self, tmp: Path) -> None:
        good = self.parts["good"]
        if not good:
            target = _quote(str(tmp / "records.parquet"))
            self.con.execute(f"COPY {self.records_sql()} TO {target} ({PARQUET})")
            return
        for number, part in enumerate(good, start=1):
            name = "records.parquet" if len(good) == 1 else f"records-{number:05d}.parquet"
            try:
                os.link(part, tmp / name)  # the same file system: no copy
            except OSError:
                shutil.copyfile(part, tmp / name)


def write_rows(rows: Iterable[tuple[Any, ...]], target: Path) -> None:
    """Rows built in Python as the CSV file :meth:`Staging.insert_csv` reads."""
    with open(target, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read(files: list[Path]) -> str:
    return "read_parquet([" + ", ".join(_quote(str(f)) for f in files) + "])"


def _empty_columns() -> str:
    return ", ".join(f"NULL::{kind} AS {name}" for name, kind in COLUMNS.items())


def write_dataset(directory: Path, fill: Callable[[Path], None], counts: Counts) -> None:
    """Fill a temporary folder beside ``directory`` and swap it in only when complete.

    An existing ``directory`` is replaced only if it is empty or an earlier ingest (it holds
    the manifest), so a typo never deletes someone's folder.
    """
    import json

    directory = Path(directory)
    if directory.exists() and not _replaceable(directory):
        raise PortmatrixError(
            f"{directory} exists and is not a portmatrix ingest folder; give a new or empty -o DIR"
        )
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        fill(tmp)
        (tmp / MANIFEST).write_text(json.dumps(counts.as_dict(), indent=2) + "\n", "utf-8")
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            directory.rename(old)
        tmp.rename(directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replaceable(directory: Path) -> bool:
    return directory.is_dir() and ((directory / MANIFEST).is_file() or not any(directory.iterdir()))


def is_dataset(path: Path) -> bool:
    """A folder ``portmatrix ingest`` wrote, or a Parquet file or folder of Parquet files."""
    if path.is_dir():
        return (path / MANIFEST).is_file() or any(path.glob("*.parquet"))
    return path.suffix == ".parquet"


def parquet_glob(path: Path) -> str:
    return str(path / "*.parquet") if path.is_dir() else str(path)


class NotUtf8(PortmatrixError):
    """DuckDB's CSV reader met bytes that are not UTF-8 (its reads are strict about it)."""


class LineTooLong(PortmatrixError):
    """DuckDB's CSV reader met a line longer than its line buffer."""


def engine_error(exc: Exception) -> PortmatrixError:
    """A DuckDB failure as one line for the user (the first line of DuckDB's message)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    kind = PortmatrixError
    if "Invalid unicode" in str(exc):
        kind = NotUtf8
    elif "Maximum line size" in str(exc):
        kind = LineTooLong
    return kind(f"the audit engine failed: {text}")


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Any]:
    """A text file for a Python line reader: UTF-8, undecodable bytes replaced, not fatal."""
    try:
        handle = open(path, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
    except FileNotFoundError as exc:
        raise InputError("no such file", file=path) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from exc
    with handle:
        yield handle

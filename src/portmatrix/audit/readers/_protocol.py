"""The flow-log reader extension point: one small typed Protocol.

A reader has a ``name`` (what ``--type`` takes), a ``description``, ``sniff`` (does the head of
a file look like this format? used by ``--type auto``) and ``stage``, which adds the file's
records, and the lines it could not read, to a :class:`~portmatrix.audit.canonical.Staging`
(a SELECT through :meth:`Staging.insert_sql`, written straight to Parquet). Readers of
delimited formats hand the file to DuckDB's own readers; readers of free text parse lines in
Python and stream them through :meth:`Staging.insert_rows`. A free-text reader may also be a
:class:`LineReader`, so that a large file is parsed in parallel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from portmatrix.audit.canonical import ReaderOptions, Staging


@runtime_checkable
class FlowLogReader(Protocol):
    """A flow-log format. Register a class with this shape under ``portmatrix.flowlog_readers``."""

    name: str
    description: str

    def sniff(self, head: str) -> bool:
        """True when ``head`` (the first few KiB of a file) is in this format."""
        ...

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        """Add every record of ``path`` to ``staging``; unreadable lines as problems."""
        ...


@runtime_checkable
class LineReader(FlowLogReader, Protocol):
    """A free-text format a large file of which can be parsed in parts, by several processes.

    A worker process builds ``line_parser`` from the reader's registered name for its part.
    Where lines stand alone (netfilter, conntrack, nfdump text) it is the parser ``stage``
    uses; where a line's reading depends on earlier lines (an ASA teardown on its built
    message), it returns records it cannot finish as pending, and ``stage`` hands
    :func:`~portmatrix.audit.readers._lines.stage_lines` the memory that settles them.
    """

    def line_parser(self, path: Path, options: ReaderOptions) -> Callable[[str], Any]:
        """A parser of the lines of one part of ``path`` (see
        :mod:`portmatrix.audit.readers._lines`)."""
        ...

"""The flow-log reader extension point: one small typed Protocol.

A reader has a ``name`` (what ``--type`` takes), a ``description``, ``sniff`` (does the head of
a file look like this format? used by ``--type auto``) and ``stage``, which adds the file's
records, and the lines it could not read, to a :class:`~portmatrix.audit.canonical.Staging`
(a SELECT through :meth:`Staging.insert_sql`, written straight to Parquet). Readers of
delimited formats hand the file to DuckDB's own readers; readers of free text parse lines in
Python and stream them through :meth:`Staging.insert_rows`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

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

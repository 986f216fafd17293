"""The exporter extension point: what an exporter is handed and the one method it implements."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, runtime_checkable

from portmatrix.model import Flow


@dataclass(frozen=True, slots=True)
class Section:
    """One table of flows: ``flows`` for a matrix, ``open`` and ``close`` for a change."""

    key: str
    title: str
    flows: Sequence[Flow]
    label: str = ""  # how a terminal table introduces it ("to open"); the key if empty


@dataclass(frozen=True, slots=True)
class Listing:
    """Everything an exporter writes: the sections and the scope they were computed for."""

    title: str
    sections: tuple[Section, ...]
    scope: dict[str, Any] = field(default_factory=dict)

    @property
    def single(self) -> bool:
        """One section (a matrix) rather than several (a change's flows to open and close)."""
        return len(self.sections) == 1


@runtime_checkable
class Exporter(Protocol):
    """A listing format. Register a class with this shape under ``portmatrix.exporters``.

    ``binary`` exporters write bytes to a file and cannot print to a terminal.
    """

    name: str
    suffix: str
    binary: bool
    description: str

    def write(self, listing: Listing, out: IO[Any]) -> None:
        """Write the whole listing to ``out`` (text, or bytes when ``binary``), streaming."""
        ...


def export_text(exporter: Exporter, listing: Listing) -> str:
    """A text exporter's output as one string (tests, the web edge)."""
    buffer = io.StringIO()
    exporter.write(listing, buffer)
    return buffer.getvalue()


def export_to(exporter: Exporter, listing: Listing, out: IO[Any]) -> None:
    exporter.write(listing, out)

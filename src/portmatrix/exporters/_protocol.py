"""The exporter extension point: what an exporter is handed and the one method it implements."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, runtime_checkable

from portmatrix.change_request import COVER_LABELS, LIST_TITLES, RequestRow, headings
from portmatrix.envelope import Envelope
from portmatrix.model import Flow


@dataclass(frozen=True, slots=True)
class Section:
    """One list of rows: ``requests``, ``local_only`` or ``unbound``."""

    key: str
    title: str
    rows: Sequence[RequestRow]

    @property
    def flows(self) -> list[Flow]:
        return [row.flow for row in self.rows if row.flow is not None]


@dataclass(frozen=True, slots=True)
class Listing:
    """Everything an exporter writes: the rows sorted into their lists, and what they are for.

    ``kind`` is ``matrix`` (``resolve``) or ``change`` (``diff``); ``cover`` is the workbook's
    cover sheet as label/value pairs; ``summary`` the counts by kind; ``lang`` the language of
    headings and purposes; ``notes`` the site's exclusions, overrides and bindings, one line
    each, which text formats print under their tables so no reader takes them for the vendor's.
    """

    title: str
    sections: tuple[Section, ...]
    scope: dict[str, Any] = field(default_factory=dict)
    kind: str = "matrix"
    summary: dict[str, Any] = field(default_factory=dict)
    cover: tuple[tuple[str, str], ...] = ()
    lang: str = "en"
    notes: tuple[str, ...] = ()

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)

    @property
    def headings(self) -> list[str]:
        return headings(self.lang)

    @property
    def notes_title(self) -> str:
        return COVER_LABELS.get(self.lang, COVER_LABELS["en"])["overrides"]

    def list_title(self, key: str) -> str:
        return LIST_TITLES.get(self.lang, LIST_TITLES["en"]).get(key, key)

    def envelope(self) -> Envelope:
        lists = {s.key: (row.as_dict() for row in s.rows) for s in self.sections}
        return Envelope(self.kind, self.scope, self.summary, lists)


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

"""Markdown tables, one per list, for a change request page or a wiki."""

from __future__ import annotations

from typing import IO, Any

from portmatrix.change_request import COLUMNS
from portmatrix.exporters._protocol import Listing

#: The columns a page shows; the workbook and CSV carry every column.
SHOWN = (
    "src",
    "src_address",
    "dst",
    "dst_address",
    "network",
    "protocol",
    "ports",
    "action",
    "rule",
    "purpose",
    "source",
)


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


class MarkdownExporter:
    name = "md"
    suffix = ".md"
    binary = False
    description = "Markdown tables"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        heads = dict(zip(COLUMNS, listing.headings, strict=True))
        out.write(f"# {listing.title}\n")
        for section in listing.sections:
            out.write(f"\n## {listing.list_title(section.key)} ({len(section.rows)})\n\n")
            if not section.rows:
                continue
            out.write(
                "| " + " | ".join(heads[c] for c in SHOWN) + " |\n|" + "---|" * len(SHOWN) + "\n"
            )
            for row in section.rows:
                out.write("| " + " | ".join(_cell(getattr(row, c)) for c in SHOWN) + " |\n")
        if listing.notes:
            out.write(f"\n## {listing.notes_title} ({len(listing.notes)})\n\n")
            out.write("".join(f"- {_cell(note)}\n" for note in listing.notes))

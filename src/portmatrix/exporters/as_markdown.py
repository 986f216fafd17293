"""Markdown tables, one per section, for a change request page or a wiki."""

from __future__ import annotations

from typing import IO, Any

from portmatrix.exporters._protocol import Listing
from portmatrix.exporters._rows import HEADINGS, row


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class MarkdownExporter:
    name = "md"
    suffix = ".md"
    binary = False
    description = "Markdown tables"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        for number, section in enumerate(listing.sections):
            if number:
                out.write("\n")
            out.write(f"# {section.title}\n\n")
            out.write("| " + " | ".join(HEADINGS) + " |\n|" + "---|" * len(HEADINGS) + "\n")
            for flow in section.flows:
                out.write("| " + " | ".join(_cell(value) for value in row(flow)) + " |\n")

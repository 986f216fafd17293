"""An aligned terminal table: the requests, then the local-only and unbound rows if any."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from portmatrix.change_request import RequestRow
from portmatrix.exporters._protocol import Listing
from portmatrix.table import format_table

HEADERS = ("src", "dst", "proto", "ports", "network", "rule", "exposure")


def rows_table(rows: Sequence[RequestRow], *, action: bool = False) -> str:
    headers = (*HEADERS, "action") if action else HEADERS
    body = [
        (row.src, row.dst, row.protocol, row.ports, row.network or "-", row.rule, row.exposure)
        + ((row.action,) if action else ())
        for row in rows
    ]
    return format_table(headers, body, max_width=44)


class TableExporter:
    name = "table"
    suffix = ".txt"
    binary = False
    description = "aligned text table for a terminal"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        change = listing.kind == "change"
        requests = listing.section("requests").rows
        parts = [rows_table(requests, action=change)]
        if change:
            opened = sum(1 for row in requests if row.action == "permit")
            parts[0] = f"to open ({opened}), to close ({len(requests) - opened}):\n{parts[0]}"
        for section in listing.sections[1:]:
            if section.rows:
                title = listing.list_title(section.key).lower()
                parts.append(
                    f"{title} ({len(section.rows)}):\n{rows_table(section.rows, action=change)}"
                )
        if listing.notes:
            notes = "\n".join(f"- {note}" for note in listing.notes)
            parts.append(f"{listing.notes_title.lower()} ({len(listing.notes)}):\n{notes}")
        out.write("\n\n".join(parts) + "\n")

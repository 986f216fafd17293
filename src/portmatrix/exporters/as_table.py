"""An aligned terminal table; a change prints its sections one after the other."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from portmatrix.exporters._protocol import Listing
from portmatrix.exporters._rows import ports_text
from portmatrix.model import Flow
from portmatrix.table import format_table

HEADERS = ("src", "dst", "proto", "ports", "rule", "exposure")


def flows_table(flows: Sequence[Flow]) -> str:
    rows = [
        (flow.src, flow.dst, flow.protocol.value, ports_text(flow), flow.rule, flow.exposure.value)
        for flow in flows
    ]
    return format_table(HEADERS, rows, max_width=44)


class TableExporter:
    name = "table"
    suffix = ".txt"
    binary = False
    description = "aligned text table for a terminal"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        if listing.single:
            out.write(flows_table(listing.sections[0].flows) + "\n")
            return
        parts = [
            f"{section.label or section.key} ({len(section.flows)}):\n{flows_table(section.flows)}"
            for section in listing.sections
        ]
        out.write("\n\n".join(parts) + "\n")

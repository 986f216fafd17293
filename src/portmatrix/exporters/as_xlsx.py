"""A change-request workbook: a sheet per section and a per-host summary.

Headers are bold and frozen, filters are on. Every cell goes through
:func:`~portmatrix.exporters._cells.text_cell`, so no pack string becomes a formula. openpyxl is
imported only here: it costs about 150 ms and most commands never need it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import IO, Any

from portmatrix.exporters._cells import text_row
from portmatrix.exporters._protocol import Listing
from portmatrix.exporters._rows import HEADINGS, ports_text, row
from portmatrix.model import Flow

FLOW_WIDTHS = (16, 18, 16, 18, 9, 13, 30, 60, 44)
SUMMARY_HEADINGS = (
    "Host",
    "Address",
    "Inbound flows",
    "Outbound flows",
    "TCP ports in",
    "UDP ports in",
)


class XlsxExporter:
    name = "xlsx"
    suffix = ".xlsx"
    binary = True
    description = "Excel workbook for change requests"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        from openpyxl import Workbook

        book = Workbook()
        first = book.active
        for index, section in enumerate(listing.sections):
            sheet = first if index == 0 else book.create_sheet()
            sheet.title = _sheet_title(section.key, section.title, index)
            sheet.append(list(HEADINGS))
            for flow in section.flows:
                sheet.append(text_row(list(row(flow))))
            _finish_sheet(sheet, widths=FLOW_WIDTHS)
        summary = book.create_sheet("Per host")
        summary.append(list(SUMMARY_HEADINGS))
        for line in _host_summary(listing.sections[0].flows):
            summary.append(text_row(line))
        _finish_sheet(summary, widths=(18, 18, 14, 14, 40, 40))
        book.properties.title = listing.title
        book.save(out)


def _sheet_title(key: str, title: str, index: int) -> str:
    names = {"flows": "Flows", "open": "Flows to open", "close": "Flows to close"}
    return names.get(key, key[:31] or f"Sheet {index + 1}")


def _finish_sheet(sheet: Any, *, widths: Sequence[int]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _host_summary(flows: Sequence[Flow]) -> list[list[object]]:
    inbound: dict[str, int] = defaultdict(int)
    outbound: dict[str, int] = defaultdict(int)
    addresses: dict[str, str] = {}
    ports: dict[tuple[str, str], set[str]] = defaultdict(set)
    for flow in flows:
        if flow.local_only:
            continue
        inbound[flow.dst] += 1
        outbound[flow.src] += 1
        addresses[flow.dst] = flow.dst_address or ""
        addresses[flow.src] = flow.src_address or ""
        ports[(flow.dst, flow.protocol.value)].add(ports_text(flow))
    hosts = sorted(set(inbound) | set(outbound))
    return [
        [
            host,
            addresses.get(host, ""),
            inbound.get(host, 0),
            outbound.get(host, 0),
            ", ".join(sorted(ports.get((host, "tcp"), set()), key=_port_key)),
            ", ".join(sorted(ports.get((host, "udp"), set()), key=_port_key)),
        ]
        for host in hosts
    ]


def _port_key(text: str) -> int:
    return int(text.split("-", 1)[0])

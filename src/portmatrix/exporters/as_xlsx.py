"""The change-request workbook a network change board accepts.

Sheets: a cover (deployment, options, sites, catalog packs and their documents, version, date,
counts), the requests (one row per rule to open or remove, with numeric port columns and empty
request/approval columns for the board), then the local-only ports and the unbound flows on
sheets of their own, so they are never approved as requests, and a per-host summary. Every
sheet has a bold frozen header, filters, wrapped text, widths fitted to the content, and prints
landscape, fitted to the page width, with the header row repeated on every page.

Every cell goes through :func:`~portmatrix.exporters._cells.text_cell`, so no pack or inventory
string becomes a formula. openpyxl is imported only here: it costs about 150 ms and most commands
never need it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import IO, Any

from portmatrix.change_request import RequestRow
from portmatrix.exporters._cells import text_row
from portmatrix.exporters._protocol import Listing

#: Widest a column is fitted to, in characters; longer text wraps.
MAX_WIDTH = 60
COVER_TITLES = {"en": ("Cover", "Per host"), "ja": ("表紙", "ホスト別")}
SUMMARY_HEADINGS = {
    "en": (
        "Host",
        "Address",
        "Inbound requests",
        "Outbound requests",
        "TCP ports in",
        "UDP ports in",
    ),
    "ja": ("ホスト", "アドレス", "受信の申請", "送信の申請", "受信 TCP ポート", "受信 UDP ポート"),
}


class XlsxExporter:
    name = "xlsx"
    suffix = ".xlsx"
    binary = True
    description = "change-request workbook: cover, requests, local only, unbound, per host"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        from openpyxl import Workbook

        book = Workbook()
        cover_title, hosts_title = COVER_TITLES.get(listing.lang, COVER_TITLES["en"])
        cover = book.active
        cover.title = cover_title
        _fill(cover, ["", ""], [[label, value] for label, value in listing.cover], header=False)
        for section in listing.sections:
            sheet = book.create_sheet(listing.list_title(section.key))
            _fill(sheet, listing.headings, (row.values() for row in section.rows))
        heads = SUMMARY_HEADINGS.get(listing.lang, SUMMARY_HEADINGS["en"])
        _fill(
            book.create_sheet(hosts_title), heads, _host_summary(listing.section("requests").rows)
        )
        book.properties.title = listing.title
        book.save(out)


def _fill(
    sheet: Any, headings: Sequence[str], rows: Iterable[Sequence[Any]], *, header: bool = True
) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    widths = [len(text) for text in headings]
    if header:
        sheet.append(list(headings))
    for values in rows:
        sheet.append(text_row(list(values)))
        for index, value in enumerate(values):
            longest = max(
                (len(part) for part in str("" if value is None else value).splitlines()), default=0
            )
            if index < len(widths):
                widths[index] = max(widths[index], longest)
            else:
                widths.append(longest)
    wrap = Alignment(wrap_text=True, vertical="top")
    for line in sheet.iter_rows():
        for cell in line:
            cell.alignment = wrap
    first = sheet[1]
    for cell in first:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, width + 2)
    if header:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _host_summary(rows: Sequence[RequestRow]) -> list[list[object]]:
    inbound: dict[str, int] = defaultdict(int)
    outbound: dict[str, int] = defaultdict(int)
    addresses: dict[str, str] = {}
    ports: dict[tuple[str, str], list[RequestRow]] = defaultdict(list)
    for row in rows:
        inbound[row.dst] += 1
        outbound[row.src] += 1
        addresses[row.dst] = row.dst_address or ""
        addresses[row.src] = row.src_address or ""
        ports[(row.dst, row.protocol)].append(row)
    return [
        [
            host,
            addresses.get(host, ""),
            inbound.get(host, 0),
            outbound.get(host, 0),
            _port_list(ports.get((host, "tcp"), [])),
            _port_list(ports.get((host, "udp"), [])),
        ]
        for host in sorted(set(inbound) | set(outbound))
    ]


def _port_list(rows: Sequence[RequestRow]) -> str:
    spans = sorted({(row.port_start, row.port_end): row.ports for row in rows}.items())
    return ", ".join(text for _, text in spans)

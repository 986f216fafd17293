"""The flow matrix in the forms change processes accept: table, JSON, CSV, Markdown, XLSX.

These are listings of flows, not firewall rules (those are ``render``'s job): one row per source,
destination, protocol, contiguous port range and catalog rule, with the document reference that
justifies it, so a reviewer can approve a change request row by row.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from portmatrix.errors import PortmatrixError
from portmatrix.model import Flow, Matrix
from portmatrix.table import format_table
from portmatrix.yamlio import atomic_write

FORMATS = ("table", "json", "csv", "md", "xlsx")
COLUMNS = (
    "src",
    "src_address",
    "dst",
    "dst_address",
    "protocol",
    "ports",
    "rule",
    "purpose",
    "source",
)
HEADINGS = (
    "Source",
    "Source address",
    "Destination",
    "Destination address",
    "Protocol",
    "Ports",
    "Catalog rule",
    "Purpose",
    "Document reference",
)


def ports_text(flow: Flow) -> str:
    return (
        str(flow.port_start)
        if flow.port_start == flow.port_end
        else f"{flow.port_start}-{flow.port_end}"
    )


def _row(flow: Flow) -> list[str]:
    return [
        flow.src,
        flow.src_address or "(no endpoint)",
        flow.dst,
        flow.dst_address or "(no endpoint)",
        flow.protocol.value,
        ports_text(flow),
        flow.rule,
        flow.purpose,
        flow.source,
    ]


def to_json(flows: Sequence[Flow]) -> str:
    return json.dumps([flow.as_dict() for flow in flows], indent=2, ensure_ascii=False)


def to_csv(flows: Sequence[Flow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, "exposure", "instance", "side"])
    for flow in flows:
        writer.writerow([*_row(flow), flow.exposure.value, flow.instance or "", flow.side or ""])
    return buffer.getvalue()


def to_markdown(flows: Sequence[Flow], *, title: str) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"# {title}", "", "| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    lines += ["| " + " | ".join(cell(value) for value in _row(flow)) + " |" for flow in flows]
    return "\n".join(lines) + "\n"


def to_table(flows: Sequence[Flow]) -> str:
    headers = ("src", "dst", "proto", "ports", "rule", "exposure")
    rows = [
        (flow.src, flow.dst, flow.protocol.value, ports_text(flow), flow.rule, flow.exposure.value)
        for flow in flows
    ]
    return format_table(headers, rows, max_width=44)


def render_text(matrix: Matrix, flows: Sequence[Flow], fmt: str) -> str:
    if fmt == "json":
        return to_json(flows)
    if fmt == "csv":
        return to_csv(flows)
    if fmt == "md":
        return to_markdown(flows, title=f"Flow matrix: {matrix.name}")
    if fmt == "table":
        return to_table(flows)
    raise PortmatrixError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_xlsx(
    flows: Sequence[Flow],
    path: Path,
    *,
    title: str,
    sheets: Sequence[tuple[str, Sequence[Flow]]] = (),
) -> None:
    """A change-request workbook: a flows sheet and a per-host summary, headers frozen, filters on.

    ``sheets`` adds further flow sheets (``diff`` puts the flows to close beside those to open).
    """
    from openpyxl import Workbook  # imported here: it costs ~150 ms and most commands never need it
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    first = book.active
    for index, (name, rows) in enumerate([("Flows", flows), *sheets]):
        sheet = first if index == 0 else book.create_sheet()
        sheet.title = name
        sheet.append(list(HEADINGS))
        for flow in rows:
            sheet.append(_row(flow))
        _finish_sheet(sheet, bold, widths=(16, 18, 16, 18, 9, 13, 30, 60, 44))
    summary = book.create_sheet("Per host")
    summary.append(
        ["Host", "Address", "Inbound flows", "Outbound flows", "TCP ports in", "UDP ports in"]
    )
    for row in _host_summary(flows):
        summary.append(row)
    _finish_sheet(summary, bold, widths=(18, 18, 14, 14, 40, 40))
    book.properties.title = title
    with atomic_write(path, mode="wb") as handle:
        book.save(handle)


def _finish_sheet(sheet: object, bold: object, *, widths: Sequence[int]) -> None:
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:  # type: ignore[index]
        cell.font = bold
    sheet.freeze_panes = "A2"  # type: ignore[attr-defined]
    sheet.auto_filter.ref = sheet.dimensions  # type: ignore[attr-defined]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width  # type: ignore[attr-defined]


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

"""The audit report as text (table, Markdown), JSON and a workbook."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from portmatrix.audit.report import AuditReport
from portmatrix.table import format_table
from portmatrix.yamlio import atomic_write

FORMATS = ("table", "json", "xlsx", "md")

_UNEXPECTED = ("src", "dst", "protocol", "port", "count", "bytes", "last_seen", "suggestion")
_UNUSED = ("rule", "src", "dst", "protocol", "port_start", "port_end")
_FLOWS = ("rule", "src", "dst", "protocol", "port_start", "port_end", "hits", "bytes", "last_seen")
_ATTEMPTS = ("src", "dst", "protocol", "port", "count", "last_seen", "rules")


def _rows(items: Sequence[Any], columns: Sequence[str]) -> list[list[object]]:
    rows = []
    for item in items:
        data = (
            item if isinstance(item, dict) else item.__dict__ if hasattr(item, "__dict__") else None
        )
        values = [getattr(item, name) if data is None else data[name] for name in columns]
        rows.append([", ".join(v) if isinstance(v, tuple) else v for v in values])
    return rows


def _named(report: AuditReport) -> dict[str, list[list[Any]]]:
    def name(value: str | None, address: str) -> str:
        return value or address

    unexpected = [
        [
            name(u.src, u.src_address),
            name(u.dst, u.dst_address),
            u.protocol,
            u.port,
            u.count,
            u.bytes,
            u.last_seen,
            u.suggestion or "",
        ]
        for u in report.unexpected
    ]
    attempts = [
        [
            name(a.src, a.src_address),
            name(a.dst, a.dst_address),
            a.protocol,
            a.port,
            a.count,
            a.last_seen,
            ", ".join(a.rules) or "(not in the matrix)",
        ]
        for a in report.attempts
    ]
    return {
        "unexpected": unexpected,
        "attempts": attempts,
        "unused": _rows(report.unused, _UNUSED),
        "flows": _rows(report.flows, _FLOWS),
    }


def _summary_lines(report: AuditReport) -> list[str]:
    s = report.summary
    coverage = "n/a" if s.coverage is None else f"{s.coverage:.1%}"
    lines = [
        f"records {s.records}: allowed {s.allowed}, reply {s.reply}, attempt {s.attempt}, "
        f"unexpected {s.unexpected}; coverage {coverage}",
        f"malformed lines {s.malformed}, ignored lines {s.ignored}; "
        f"{len(report.unused)} of {report.scope.flows_audited} matrix flows unused",
    ]
    lines += [f"malformed: {problem}" for problem in s.problems]
    return lines


HEADINGS = {
    "unexpected": _UNEXPECTED,
    "attempts": _ATTEMPTS,
    "unused": _UNUSED,
    "flows": _FLOWS,
}


def as_table(report: AuditReport) -> str:
    parts = _summary_lines(report)
    for title, rows in _named(report).items():
        if title == "flows":
            rows = [row for row in rows if row[6]]  # only flows with hits in the text form
        parts += ["", f"{title} ({len(rows)})"]
        if rows:
            parts.append(format_table(HEADINGS[title], rows))
    return "\n".join(parts) + "\n"


def as_markdown(report: AuditReport) -> str:
    parts = [f"# Audit: {report.scope.inventory}", ""]
    parts += [f"- {line}" for line in _summary_lines(report)]
    for title, rows in _named(report).items():
        parts += ["", f"## {title.capitalize()} ({len(rows)})", ""]
        if not rows:
            continue
        headings = HEADINGS[title]
        parts.append("| " + " | ".join(headings) + " |")
        parts.append("|" + "---|" * len(headings))
        for row in rows:
            cells = ["" if v is None else str(v).replace("|", "\\|") for v in row]
            parts.append("| " + " | ".join(cells) + " |")
    return "\n".join(parts) + "\n"


def as_json(report: AuditReport) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n"


def write_xlsx(report: AuditReport, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    first.title = "Summary"
    for line in _summary_lines(report):
        first.append([line])
    bold = Font(bold=True)
    for title, rows in _named(report).items():
        sheet = book.create_sheet(title.capitalize())
        sheet.append(list(HEADINGS[title]))
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
    with atomic_write(path, mode="wb") as handle:
        book.save(handle)


def render(report: AuditReport, fmt: str) -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "md":
        return as_markdown(report)
    return as_table(report)

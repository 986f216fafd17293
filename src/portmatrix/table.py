"""Plain-text tables that line up in a terminal, Japanese (double-width) text included."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, max_width: int = 60
) -> str:
    """Left-aligned columns separated by two spaces; long cells are cut with an ellipsis."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value).replace("\n", " ")
        if display_width(text) <= max_width:
            return text
        out, width = "", 0
        for char in text:
            width += display_width(char)
            if width > max_width - 1:
                break
            out += char
        return out + "…"

    body = [[cell(value) for value in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in body:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in body
    )
    return "\n".join(lines)

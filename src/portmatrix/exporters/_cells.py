"""Spreadsheet cells that stay text: no formula injection, nothing the XLSX writer refuses.

Every string in a listing comes from a pack or an inventory, files that other people write. A
cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab, a carriage return or another
control character, which some spreadsheets skip before looking) is run as a formula when the
file is opened: ``=HYPERLINK(...)`` in a purpose column phones home from a reviewer's desk.
Such a cell is written with a leading apostrophe, the spreadsheet convention for "this is
text", which OWASP recommends for CSV. Control characters other than tab and line feed
cannot be stored in XLSX at all (openpyxl raises ``IllegalCharacterError``) or split a CSV row
(a bare carriage return); they are written as visible ``\\xNN`` escapes, so nothing is lost
silently.
"""

from __future__ import annotations

import re

_FORMULA_LEAD = frozenset("=+-@")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # all but tab and line feed


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def text_cell(value: object) -> object:
    """``value`` safe for a CSV or XLSX cell; numbers and empty values pass unchanged."""
    if not isinstance(value, str) or not value:
        return value
    lead = value[0]
    escaped = _CONTROL.sub(_escape, value)
    if lead in _FORMULA_LEAD or lead in "\t\r\n" or _CONTROL.match(lead):
        return "'" + escaped
    return escaped


def text_row(values: list[object]) -> list[object]:
    return [text_cell(value) for value in values]

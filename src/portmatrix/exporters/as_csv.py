"""CSV: the workbook's columns, with a leading ``list`` column naming the row's list.

One file holds the three lists (``requests``, ``local_only``, ``unbound``) so nothing is lost;
filter on ``list`` = ``requests`` for what a board approves. Header names are the JSON keys,
whatever the language, so scripts can rely on them.
"""

from __future__ import annotations

import csv
from typing import IO, Any

from portmatrix.change_request import COLUMNS
from portmatrix.exporters._cells import text_row
from portmatrix.exporters._protocol import Listing


class CsvExporter:
    name = "csv"
    suffix = ".csv"
    binary = False
    description = "CSV, one header row, one row per request (and local-only, unbound rows)"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["list", *COLUMNS])
        for section in listing.sections:
            for row in section.rows:
                values = ["" if value is None else value for value in row.values()]
                writer.writerow(text_row([section.key, *values]))

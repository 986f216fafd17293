"""CSV with one header row; a change gets a leading ``change`` column (open or close)."""

from __future__ import annotations

import csv
from typing import IO, Any

from portmatrix.exporters._cells import text_row
from portmatrix.exporters._protocol import Listing
from portmatrix.exporters._rows import COLUMNS, row

TRAILING = ("exposure", "instance", "side")


class CsvExporter:
    name = "csv"
    suffix = ".csv"
    binary = False
    description = "CSV, one header row, one row per flow"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        writer = csv.writer(out, lineterminator="\n")
        lead = [] if listing.single else ["change"]
        writer.writerow([*lead, *COLUMNS, *TRAILING])
        for section in listing.sections:
            mark = [] if listing.single else [section.key]
            for flow in section.flows:
                extra = [flow.exposure.value, flow.instance or "", flow.side or ""]
                writer.writerow(text_row([*mark, *row(flow), *extra]))

"""JSON: the result envelope (see :mod:`portmatrix.envelope`) with the three lists of rows.

Written one row at a time, so an 8,000-endpoint matrix never exists as one string in memory.
"""

from __future__ import annotations

from typing import IO, Any

from portmatrix.envelope import write_envelope
from portmatrix.exporters._protocol import Listing


class JsonExporter:
    name = "json"
    suffix = ".json"
    binary = False
    description = "JSON envelope: scope, summary, requests, local_only and unbound rows"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        write_envelope(listing.envelope(), out)

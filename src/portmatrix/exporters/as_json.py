"""JSON: a matrix is a list of flows; a change is ``{"open": [...], "close": [...]}``.

Written one flow at a time, so an 8,000-endpoint matrix never exists as one string in memory.
The text is byte for byte what ``json.dumps(..., indent=2)`` would print.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from portmatrix.exporters._protocol import Listing
from portmatrix.model import Flow


def write_flow_list(flows: Iterable[Flow], out: IO[str], *, indent: int = 0) -> None:
    """A JSON array of flows at nesting depth ``indent`` (in steps of two spaces)."""
    pad = "  " * (indent + 1)
    first = True
    for flow in flows:
        text = json.dumps(flow.as_dict(), indent=2, ensure_ascii=False)
        out.write(("[\n" if first else ",\n") + pad + text.replace("\n", "\n" + pad))
        first = False
    out.write("[]" if first else "\n" + "  " * indent + "]")


class JsonExporter:
    name = "json"
    suffix = ".json"
    binary = False
    description = "JSON: a list of flows (a change: an object of lists)"

    def write(self, listing: Listing, out: IO[Any]) -> None:
        if listing.single:
            write_flow_list(listing.sections[0].flows, out)
        else:
            out.write("{")
            for number, section in enumerate(listing.sections):
                out.write(("\n" if number == 0 else ",\n") + f"  {json.dumps(section.key)}: ")
                write_flow_list(section.flows, out, indent=1)
            out.write("\n}")
        out.write("\n")

"""The columns every listing format shares, so a CSV row and a workbook row say the same."""

from __future__ import annotations

from portmatrix.model import Flow

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


def row(flow: Flow) -> list[str]:
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

"""Helpers the audit tests share: stage a file and read back its rows with readable addresses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portmatrix.audit import canonical, sources
from portmatrix.audit.address import Address
from portmatrix.audit.canonical import ReaderOptions

FLOWLOGS = Path(__file__).resolve().parent / "data" / "flowlogs"
#: ``--map`` for the columns of ``mapped.csv`` (and of logs written like it).
MAPPED_CSV = (
    ("time", "When"),
    ("src", "Source"),
    ("dst", "Destination"),
    ("protocol", "Proto"),
    ("sport", "SrcPort"),
    ("dport", "DstPort"),
    ("action", "Verdict"),
    ("bytes", "Octets"),
)


def staged(
    path: Path, *, kind: str = "auto", options: ReaderOptions | None = None
) -> tuple[list[dict[str, Any]], canonical.Counts]:
    """The good records of ``path`` (addresses as text, time as ISO text) and the counts."""
    found = sources.classify([path], kind=kind)
    con = canonical.connect()
    staging = canonical.Staging(con)
    sources.stage(found, staging, options=options or ReaderOptions())
    rows = con.execute(
        f"SELECT strftime(time, '%Y-%m-%dT%H:%M:%S.%f'), family, src_hi, src_lo, dst_hi, dst_lo, "
        f"protocol, src_port, dst_port, action, answered, bytes, packets, direction, source_line "
        f"FROM {staging.TABLE} WHERE problem IS NULL ORDER BY source_line"
    ).fetchall()
    records = []
    for row in rows:
        family = row[1]
        records.append(
            {
                "time": row[0],
                "src": str(Address(family, row[2], row[3])),
                "dst": str(Address(family, row[4], row[5])),
                "protocol": row[6],
                "sport": row[7],
                "dport": row[8],
                "action": row[9],
                "answered": row[10],
                "bytes": row[11],
                "packets": row[12],
                "direction": row[13],
                "line": row[14],
            }
        )
    return records, staging.counts()


def brief(records: list[dict[str, Any]], *keys: str) -> list[tuple[Any, ...]]:
    keys = keys or ("src", "dst", "protocol", "sport", "dport", "action", "answered")
    return [tuple(record[key] for key in keys) for record in records]

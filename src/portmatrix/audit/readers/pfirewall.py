"""Windows Defender Firewall's ``pfirewall.log``: W3C-style, its columns named by ``#Fields:``.

One line per packet the firewall logged: ``ALLOW`` is allowed, ``DROP`` denied, ``SEND`` an
outbound packet and ``RECEIVE`` an inbound one; ``size`` is the packet's length. The header
decides the column order, so files with the newer ``pid`` column read the same way. Times are
local to the server and are taken as written (``#Time Format: Local``); ``INFO-EVENTS-LOST``
lines are no packets and are skipped.
"""

from __future__ import annotations

from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers import _fast as fast
from portmatrix.audit.readers._delimited import (
    Fields,
    count_sql,
    csv_source,
    header_lines,
    stage_select,
)
from portmatrix.audit.readers._fast import FastPlan
from portmatrix.errors import InputError

DEFAULT_FIELDS = [
    "date",
    "time",
    "action",
    "protocol",
    "src-ip",
    "dst-ip",
    "src-port",
    "dst-port",
    "size",
    "tcpflags",
    "tcpsyn",
    "tcpack",
    "tcpwin",
    "icmptype",
    "icmpcode",
    "info",
    "path",
]


class PfirewallReader:
    name = "pfirewall"
    description = "Windows Defender Firewall log (pfirewall.log, #Fields: header)"

    def sniff(self, head: str) -> bool:
        return "#Software: Microsoft Windows Firewall" in head or (
            "#Fields: date time action protocol" in head
        )

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        header = header_lines(path, prefix="#")
        fields = DEFAULT_FIELDS
        for line in header:
            if line.startswith("#Fields:"):
                fields = line.split(":", 1)[1].split()
        missing = {"date", "time", "action", "protocol", "src-ip", "dst-ip"} - set(fields)
        if missing:
            raise InputError(f"#Fields: lacks {', '.join(sorted(missing))}", file=path, line=1)
        columns = [f"f{index}" for index in range(len(fields))]  # header names are not SQL
        col = dict(zip(fields, columns, strict=True))

        def get(name: str) -> str:
            return f"nullif({col[name]}, '-')" if name in col else "NULL"

        stamp = f"{col['date']} || ' ' || {col['time']}"
        source = csv_source(path, columns, delimiter=" ", skip=len(header))
        stage_select(
            staging,
            path,
            source,
            Fields(
                src=col["src-ip"],
                dst=col["dst-ip"],
                protocol=col["protocol"],
                sport=get("src-port"),
                dport=get("dst-port"),
                time=f"try_strptime({stamp}, '%Y-%m-%d %H:%M:%S')",
                time_text=stamp,
                action=f"CASE upper({col['action']}) WHEN 'ALLOW' THEN 'allowed' "
                "WHEN 'DROP' THEN 'denied' ELSE 'unknown' END",
                bytes=count_sql(get("size")),
                packets="1",
                direction=f"CASE upper({get('path')}) WHEN 'SEND' THEN 'out' "
                "WHEN 'RECEIVE' THEN 'in' END",
                skip=f"coalesce({col['date']}, '') = '' OR starts_with({col['date']}, '#') "
                f"OR upper({col['action']}) LIKE 'INFO-%'",
                complete=f"{columns[-1]} IS NOT NULL",
            ),
            fast=_plan(fields),
        )


def _plan(fields: list[str]) -> FastPlan | None:
    """The columns above as the compiled scanner reads them (see :mod:`._fast`)."""
    role = fast.placer(fields)
    return FastPlan.of(
        len(fields),
        [
            role("date", fast.DATE),
            role("time", fast.CLOCK),
            role(
                "action",
                fast.ACTION,
                fast.FOLD,
                {"allow": fast.ALLOWED, "drop": fast.DENIED, "-": fast.UNKNOWN},
            ),
            role("protocol", fast.PROTO),
            role("src-ip", fast.SRC),
            role("dst-ip", fast.DST),
            role("src-port", fast.SPORT, fast.DASH),
            role("dst-port", fast.DPORT, fast.DASH),
            role("size", fast.BYTES),
            role(
                "path",
                fast.DIRECTION,
                fast.FOLD,
                {"send": fast.OUT, "receive": fast.IN, "-": fast.NOWHERE},
            ),
        ],
        packets=1,
    )

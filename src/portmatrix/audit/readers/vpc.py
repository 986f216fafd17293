"""AWS VPC Flow Logs, versions 2 to 5: space-separated, in the field order the header names.

Files delivered to S3 begin with a header line naming the fields (``version account-id
interface-id srcaddr dstaddr ...``, or any custom format's own order); without one the default
version 2 format is assumed. ``NODATA`` and ``SKIPDATA`` rows (no traffic in the window, or
records the capture skipped) carry no flow and are skipped. Each record counts one direction of
one flow through an interface during its aggregation window: ``ACCEPT`` is allowed, ``REJECT``
denied, ``start`` the record time, and version 5's ``flow-direction`` the direction.
"""

from __future__ import annotations

from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers import _fast as fast
from portmatrix.audit.readers._delimited import (
    Fields,
    count_sql,
    csv_source,
    read_head,
    stage_select,
)
from portmatrix.audit.readers._fast import FastPlan
from portmatrix.errors import InputError

V2_FIELDS = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
]
KNOWN = set(V2_FIELDS) | set(
    [
        "vpc-id",
        "subnet-id",
        "instance-id",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "region",
        "az-id",
        "sublocation-type",
        "sublocation-id",
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
        "flow-direction",
        "traffic-path",
        "ecs-cluster-arn",
        "ecs-cluster-name",
        "ecs-container-instance-arn",
        "ecs-container-instance-id",
        "ecs-container-id",
        "ecs-second-container-id",
        "ecs-service-name",
        "ecs-task-definition-arn",
        "ecs-task-arn",
        "ecs-task-id",
        "reject-reason",
    ]
)
NEEDED = ("srcaddr", "dstaddr", "protocol")


def _header(head: str) -> list[str] | None:
    first = head.split("\n", 1)[0].split()
    return first if first and all(name in KNOWN for name in first) else None


class VpcReader:
    name = "vpc"
    description = "AWS VPC Flow Logs v2-v5 (header-driven field order, NODATA/SKIPDATA)"

    def sniff(self, head: str) -> bool:
        header = _header(head)
        return header is not None and all(name in header for name in NEEDED)

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        header = _header(read_head(path, limit=4096))
        fields = header or V2_FIELDS
        missing = [name for name in NEEDED if name not in fields]
        if missing:
            raise InputError(f"the header lacks {', '.join(missing)}", file=path, line=1)
        columns = [f"f{index}" for index in range(len(fields))]  # header names are not SQL
        col = dict(zip(fields, columns, strict=True))

        def get(name: str) -> str:
            return f"nullif({col[name]}, '-')" if name in col else "NULL"

        status = get("log-status")
        start = get("start")
        source = csv_source(path, columns, delimiter=" ", skip=1 if header else 0)
        stage_select(
            staging,
            path,
            source,
            Fields(
                src=col["srcaddr"],
                dst=col["dstaddr"],
                protocol=col["protocol"],
                sport=get("srcport"),
                dport=get("dstport"),
                # at most 11 digits of seconds (year 5138): a longer number is a bad time
                time=f"CASE WHEN regexp_full_match({start}, '[0-9]{{1,11}}') "
                f"THEN make_timestamp({start}::BIGINT * 1000000) END",
                time_text=start,
                action=f"CASE upper({get('action')}) WHEN 'ACCEPT' THEN 'allowed' "
                "WHEN 'REJECT' THEN 'denied' ELSE 'unknown' END",
                bytes=count_sql(get("bytes")),
                packets=count_sql(get("packets")),
                direction=f"CASE lower({get('flow-direction')}) WHEN 'ingress' THEN 'in' "
                "WHEN 'egress' THEN 'out' END",
                skip=f"upper(coalesce({status}, '')) IN ('NODATA', 'SKIPDATA') "
                f"OR coalesce({columns[0]}, '') = ''",
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
            role("srcaddr", fast.SRC),
            role("dstaddr", fast.DST),
            role("protocol", fast.PROTO),
            role("srcport", fast.SPORT, fast.DASH),
            role("dstport", fast.DPORT, fast.DASH),
            role("packets", fast.PACKETS),
            role("bytes", fast.BYTES),
            role("start", fast.EPOCH, fast.DASH),
            role(
                "action",
                fast.ACTION,
                fast.FOLD,
                {"accept": fast.ALLOWED, "reject": fast.DENIED, "-": fast.UNKNOWN},
            ),
            role("log-status", fast.STATUS, fast.FOLD, {"ok": fast.RECORD, "-": fast.RECORD}),
            role(
                "flow-direction",
                fast.DIRECTION,
                fast.FOLD,
                {"ingress": fast.IN, "egress": fast.OUT, "-": fast.NOWHERE},
            ),
        ],
    )

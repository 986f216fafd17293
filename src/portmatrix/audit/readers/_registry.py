"""The flow-log reader registry: built-in formats in code, ``portmatrix.flowlog_readers`` on top.

See :mod:`portmatrix.plugins`. ``SNIFF_ORDER`` is the order ``--type auto`` tries the formats:
the most specific first, the column-mapped CSV never (it needs ``--map``).
"""

from __future__ import annotations

from portmatrix.audit.readers._protocol import FlowLogReader
from portmatrix.plugins import Registry, protocol_check

ENTRY_POINT_GROUP = "portmatrix.flowlog_readers"

BUILTIN_READERS = {
    "asa": "portmatrix.audit.readers.asa:AsaReader",
    "conntrack": "portmatrix.audit.readers.conntrack:ConntrackReader",
    "csv": "portmatrix.audit.readers.csvmap:MappedCsvReader",
    "netfilter": "portmatrix.audit.readers.netfilter:NetfilterReader",
    "nfdump-csv": "portmatrix.audit.readers.nfdump:NfdumpCsvReader",
    "nfdump-text": "portmatrix.audit.readers.nfdump:NfdumpTextReader",
    "parquet": "portmatrix.audit.readers.parquet:ParquetReader",
    "pfirewall": "portmatrix.audit.readers.pfirewall:PfirewallReader",
    "vpc": "portmatrix.audit.readers.vpc:VpcReader",
    "zeek": "portmatrix.audit.readers.zeek:ZeekTsvReader",
    "zeek-json": "portmatrix.audit.readers.zeek:ZeekJsonReader",
}

SNIFF_ORDER = (
    "parquet",
    "zeek",
    "zeek-json",
    "pfirewall",
    "nfdump-csv",
    "vpc",
    "conntrack",
    "asa",
    "netfilter",
    "nfdump-text",
)

READERS: Registry[FlowLogReader] = Registry(
    kind="flow-log reader",
    group=ENTRY_POINT_GROUP,
    builtins=BUILTIN_READERS,
    accepts=protocol_check(FlowLogReader),
    needs="name, description, sniff() and stage()",
)


def load(name: str) -> FlowLogReader:
    return READERS.load(name)


def names() -> list[str]:
    return READERS.names()

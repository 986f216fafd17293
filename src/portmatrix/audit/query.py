"""The one audit query, written once for both engines.

Records are first aggregated to their distinct tuples (see :func:`audit_sql`); each tuple is
then joined to the rule cells twice, as an equi-join on (protocol, family, destination host,
source bucket) with range conditions on the port and on the source within its bucket:
forwards (is it a matrix flow?) and backwards (is it the reply of one?). Cells are disjoint,
so each join finds at most one cell and a record is counted once. The tuples are then grouped:
allowed and reply records by the flow set that explains them, attempts and unexpected records
by their (source, destination, protocol, port) tuple.

Classification, in order: a record the device denied, or that was never answered, is an
``attempt``; one a matrix flow admits is ``allowed``; one whose reverse a matrix flow admits is
a ``reply``; anything else is ``unexpected``.

The SQL is the common ground of DuckDB and Spark SQL; a :class:`Dialect` supplies the few
spellings that differ (the time functions).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    epoch_micros: str  # a function from TIMESTAMP to microseconds since 1970
    micros_to_time: str  # from microseconds to TIMESTAMP
    series: str  # the integers {0} to {1}, one row each
    broadcast: bool = False  # hint the rule tables as broadcast (Spark)


DUCKDB = Dialect(
    epoch_micros="epoch_us",
    micros_to_time="make_timestamp",
    series="unnest(range(({0}), ({1}) + 1))",
)
SPARK = Dialect(
    epoch_micros="unix_micros",
    micros_to_time="timestamp_micros",
    series="explode(sequence(({0}), ({1})))",
    broadcast=True,
)


def keyed_sql(spans: str, keyed: str, dialect: Dialect) -> str:
    """The keyed cell table: the IPv6 rows of ``keyed`` and the IPv4 ``spans`` expanded, one
    row per destination host and source /24 (see :mod:`portmatrix.audit.rules`)."""
    hosts = dialect.series.format("dst_first", "dst_last")
    buckets = dialect.series.format("src_first >> 8", "src_last >> 8")
    return f"""
SELECT fset, protocol, family, dst_hi, dst_lo, src_key, src_lo_min, src_lo_max, port_lo, port_hi
FROM {keyed}
UNION ALL
SELECT fset, protocol, CAST(4 AS TINYINT) AS family, CAST(0 AS BIGINT) AS dst_hi,
       host AS dst_lo, bucket AS src_key,
       greatest(src_first, bucket * 256) AS src_lo_min,
       least(src_last, bucket * 256 + 255) AS src_lo_max, port_lo, port_hi
FROM (SELECT *, {buckets} AS bucket FROM (SELECT *, {hosts} AS host FROM {spans}) AS h) AS b
"""


#: Result columns, in order.
RESULT_COLUMNS = (
    "class",
    "fset",
    "family",
    "src_hi",
    "src_lo",
    "dst_hi",
    "dst_lo",
    "protocol",
    "dst_port",
    "count",
    "bytes",
    "first_seen",
    "last_seen",
)


def _keyed(alias: str, *, to: str, peer: str, port: str) -> str:
    return (
        f"{alias}.protocol = a.protocol AND {alias}.family = a.family "
        f"AND {alias}.dst_hi = a.{to}_hi AND {alias}.dst_lo = a.{to}_lo "
        f"AND {alias}.src_key = a.{peer}_key "
        f"AND a.{port} BETWEEN {alias}.port_lo AND {alias}.port_hi "
        f"AND a.{peer}_lo BETWEEN {alias}.src_lo_min AND {alias}.src_lo_max"
    )


def _wide(alias: str, *, to: str, peer: str, port: str) -> str:
    return (
        f"{alias}.protocol = a.protocol AND {alias}.family = a.family "
        f"AND a.{to}_hi BETWEEN {alias}.dst_hi_min AND {alias}.dst_hi_max "
        f"AND a.{to}_lo BETWEEN {alias}.dst_lo_min AND {alias}.dst_lo_max "
        f"AND a.{peer}_hi BETWEEN {alias}.src_hi_min AND {alias}.src_hi_max "
        f"AND a.{peer}_lo BETWEEN {alias}.src_lo_min AND {alias}.src_lo_max "
        f"AND a.{port} BETWEEN {alias}.port_lo AND {alias}.port_hi"
    )


#: The columns records are aggregated by: the tuple, whether it failed, and ``rport``.
GROUP_COLUMNS = (
    "family",
    "src_hi",
    "src_lo",
    "dst_hi",
    "dst_lo",
    "protocol",
    "dst_port",
    "failed",
    "rport",
)


def audit_sql(
    records: str,
    *,
    keyed: str,
    wide: str | None,
    dialect: Dialect,
    since: int | None = None,
    until: int | None = None,
) -> str:
    """The query over relation ``records`` (canonical columns), cells ``keyed`` and ``wide``.

    ``since``/``until`` are epoch microseconds; with either, records without a time are left
    out (they cannot be placed in the period).

    Records are aggregated before anything is joined, so the joins see distinct tuples, not
    records. A record's class depends on its tuple (source, destination, protocol, destination
    port), on whether it failed, and, for a reply, on its source port; keeping every source
    port would stop ephemeral client ports from ever collapsing, so the source port is kept
    (``rport``) only where a reply is possible at all: a record that did not fail, coming from
    a host some cell has as its destination (the keyed cells' hosts, looked up by an equi-join
    on a small table) or from inside a wide cell's destination (only when wide cells exist).
    """
    period = []
    if since is not None:
        period.append(f"time >= {dialect.micros_to_time}({int(since)})")
    if until is not None:
        period.append(f"time < {dialect.micros_to_time}({int(until)})")
    where = f"WHERE {' AND '.join(period)}" if period else ""
    hint_hosts = f"/*+ BROADCAST(h{', w' if wide else ''}) */ " if dialect.broadcast else ""
    hint = f"/*+ BROADCAST(f, v{', fw, vw' if wide else ''}) */ " if dialect.broadcast else ""
    server = "h.protocol IS NOT NULL"
    wide_hosts = ""
    if wide:
        server = f"({server} OR w.protocol IS NOT NULL)"
        wide_hosts = (
            f"LEFT JOIN (SELECT DISTINCT protocol, family FROM {wide}) w "
            "ON w.protocol = r.protocol AND w.family = r.family"
        )
    joins = [
        f"LEFT JOIN {keyed} f ON {_keyed('f', to='dst', peer='src', port='dst_port')}",
        f"LEFT JOIN {keyed} v ON {_keyed('v', to='src', peer='dst', port='rport')}",
    ]
    forward, backward = "f.fset", "v.fset"
    if wide:
        joins.append(f"LEFT JOIN {wide} fw ON {_wide('fw', to='dst', peer='src', port='dst_port')}")
        joins.append(f"LEFT JOIN {wide} vw ON {_wide('vw', to='src', peer='dst', port='rport')}")
        forward, backward = "coalesce(f.fset, fw.fset)", "coalesce(v.fset, vw.fset)"
    tuple_columns = ("family", "src_hi", "src_lo", "dst_hi", "dst_lo", "protocol", "dst_port")
    listed = "class IN ('attempt', 'unexpected')"
    by_tuple = ", ".join(f"CASE WHEN {listed} THEN {name} END AS {name}" for name in tuple_columns)
    grouped = ", ".join(GROUP_COLUMNS)
    # Records are first grouped by their whole tuple (source port and failure included), which
    # a log of repeated connections collapses many times over; only those groups then meet the
    # join that decides whether the source port matters (``rport``).
    full = ", ".join([*(c for c in GROUP_COLUMNS if c != "rport"), "src_port"])
    return f"""
WITH r AS (
  SELECT time, family, src_hi, src_lo, dst_hi, dst_lo, protocol, src_port, dst_port,
         coalesce(bytes, 0) AS bytes,
         (coalesce(action, 'unknown') = 'denied' OR coalesce(answered, true) = false) AS failed
  FROM {records} {where}
),
q AS (
  SELECT {full}, count(*) AS n, sum(bytes) AS bytes, min(time) AS first, max(time) AS last
  FROM r GROUP BY {full}
),
h AS (SELECT DISTINCT protocol, family, dst_hi, dst_lo FROM {keyed}),
g AS (
  SELECT {hint_hosts}r.*, CASE WHEN NOT r.failed AND {server} THEN r.src_port END AS rport
  FROM q AS r LEFT JOIN h ON h.protocol = r.protocol AND h.family = r.family
    AND h.dst_hi = r.src_hi AND h.dst_lo = r.src_lo {wide_hosts}
),
a AS (
  SELECT {grouped}, sum(n) AS n, sum(bytes) AS bytes, min(first) AS first, max(last) AS last,
         CASE WHEN family = 4 THEN src_lo >> 8 ELSE src_hi END AS src_key,
         CASE WHEN family = 4 THEN dst_lo >> 8 ELSE dst_hi END AS dst_key
  FROM g GROUP BY {grouped}
),
j AS (
  SELECT {hint}a.*, {forward} AS fwd, {backward} AS rev
  FROM a {" ".join(joins)}
),
c AS (
  SELECT *, CASE WHEN failed THEN 'attempt' WHEN fwd IS NOT NULL THEN 'allowed'
                 WHEN rev IS NOT NULL THEN 'reply' ELSE 'unexpected' END AS class
  FROM j
),
t AS (
  SELECT class,
         CASE WHEN class IN ('allowed', 'attempt') THEN fwd WHEN class = 'reply' THEN rev END AS fset,
         {by_tuple}, n, bytes, first, last
  FROM c
)
SELECT class, fset, {", ".join(tuple_columns)}, sum(n) AS count, sum(bytes) AS bytes,
       {dialect.epoch_micros}(min(first)) AS first_seen, {dialect.epoch_micros}(max(last)) AS last_seen
FROM t
GROUP BY class, fset, {", ".join(tuple_columns)}
"""

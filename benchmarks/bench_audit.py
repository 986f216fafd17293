#!/usr/bin/env python3
"""Audit 10 million records against the ~1,000-endpoint matrix, in one run: ingest per format,
the audit on DuckDB and on Spark local mode, beside a plain SQL range join written the naive way.

Records are drawn around the enterprise matrix (``gen_inventory.py``) from a pool of
connections, as flow logs repeat them (see :func:`generate_records`; ``--connections`` sets the
pool, ``--connections`` equal to ``--records`` makes every record distinct, the worst case for
an audit that aggregates first): mostly its flows from random hosts of their source networks to
random ports of their ranges, some replies, denied and unanswered attempts, and noise. They are
written once as canonical Parquet (the audit's input) and, for the ingest figures, as VPC,
nfdump CSV, Zeek, pfirewall and mapped CSV logs, and as ASA, netfilter and conntrack lines
(free text, read in Python, so fewer of them). Where the extra ``fast`` is installed, each
delimited log is ingested twice, with the compiled fast path and with the readers' SQL alone.

The baseline is the query anyone would write first: every record against every flow with
``BETWEEN`` on source range, destination range and ports (DuckDB plans it as a range join);
it gets a tenth of the records and its rate is scaled. Spark runs once on a small slice first,
so its figure is that of a warm JVM. Peak RSS is reported per phase (Linux) and overall.

    python benchmarks/bench_audit.py [--records 10000000] [--connections N] [--ingest 2000000]
                                      [--text 300000] [--spark-records 10000000] [--no-spark]
                                      [--memory-limit 1GB] [--ingest-only] [--formats vpc,asa,...]
                                      [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from gen_inventory import generate

from portmatrix.audit import audit_matrix, canonical, ingest, rules
from portmatrix.audit.canonical import ReaderOptions
from portmatrix.audit.engines import DuckDbEngine, SparkEngine, duckdb_relation
from portmatrix.audit.readers import _fast
from portmatrix.catalog import load_catalog
from portmatrix.errors import InventoryError
from portmatrix.inventory import build_deployment
from portmatrix.model import Matrix
from portmatrix.resolve import resolve
from portmatrix.yamlio import parse_yaml

T0 = 1_764_583_200


def matrix() -> Matrix:
    text = yaml.safe_dump(generate(), sort_keys=False)
    data, lines = parse_yaml(text, name="enterprise.yaml", error=InventoryError)
    catalog = load_catalog()
    return resolve(build_deployment(data, catalog, file="enterprise.yaml", lines=lines), catalog)


def flows_table(con: Any, tables: rules.RuleTables) -> None:
    """One row per audited flow: its source and destination ranges and ports (IPv4 here)."""
    import ipaddress

    rows = []
    for index, flow in enumerate(tables.flows):
        s = ipaddress.ip_network(flow.src_address or "")
        d = ipaddress.ip_network(flow.dst_address or "")
        proto = 6 if flow.protocol.value == "tcp" else 17
        rows.append(
            f"({index}, {proto}, {int(s.network_address)}, {int(s.broadcast_address)}, "
            f"{int(d.network_address)}, {int(d.broadcast_address)}, {flow.port_start}, {flow.port_end})"
        )
    con.execute(
        "CREATE OR REPLACE TABLE bench_flows AS SELECT * FROM (VALUES "
        + ", ".join(rows)
        + ") v(idx, protocol, smin, smax, dmin, dmax, plo, phi)"
    )


def generate_records(con: Any, n: int, count: int, connections: int, target: Path) -> None:
    """``count`` canonical records as Parquet, drawn from ``connections`` connections.

    Flow logs repeat a connection: VPC logs and NetFlow write one record per aggregation
    window or active timeout, connection trackers one at its start and one at its end. So each
    record belongs to one of ``connections`` connections (its tuple: a flow of the matrix, a
    host of the flow's source, a host of its destination, a port of its range, an ephemeral
    client port); 88% of connections are matrix flows (about one record in ten of them a reply),
    3% denied, 2% never answered and 7% noise to strangers. ``connections`` equal to ``count``
    makes every record a connection of its own, the worst case for aggregating first.
    """
    con.execute(
        f"""COPY (
        WITH picks AS (
          SELECT i, hash(i) % {connections} AS c FROM range({count}) t(i)),
        conn AS (
          SELECT i, c, f.*, hash(c, 1) % 100 AS kind, hash(i, 10) % 100 < 9 AS back
          FROM picks JOIN bench_flows f ON f.idx = hash(c) % {n}),
        made AS (
          SELECT i, c, kind, protocol,
            CASE WHEN kind < 88 AND back THEN 80 WHEN kind < 88 THEN 0 ELSE kind END AS shape,
            smin + hash(c, 2) % (smax - smin + 1) AS s, dmin + hash(c, 3) % (dmax - dmin + 1) AS d,
            (plo + hash(c, 4) % (phi - plo + 1))::INT AS p, (32768 + hash(c, 5) % 28232)::INT AS e
          FROM conn)
        SELECT make_timestamp(({T0} + hash(i, 6) % 86400)::BIGINT * 1000000) AS time,
          4::TINYINT AS family,
          0::BIGINT AS src_hi, (CASE WHEN shape = 80 THEN d ELSE s END)::BIGINT AS src_lo,
          0::BIGINT AS dst_hi,
          (CASE WHEN shape = 80 THEN s WHEN shape >= 93 THEN 167772160 + hash(c, 7) % 65536 ELSE d END)::BIGINT AS dst_lo,
          protocol::SMALLINT AS protocol,
          (CASE WHEN shape = 80 THEN p ELSE e END)::INT AS src_port,
          (CASE WHEN shape = 80 THEN e ELSE p END)::INT AS dst_port,
          CASE WHEN shape BETWEEN 88 AND 90 THEN 'denied' ELSE 'allowed' END AS action,
          CASE WHEN shape BETWEEN 91 AND 92 THEN false END AS answered,
          (hash(i, 8) % 100000)::BIGINT AS bytes, (1 + hash(i, 9) % 100)::BIGINT AS packets,
          NULL::VARCHAR AS direction, 'bench' AS source_file, i::BIGINT AS source_line
        FROM made) TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"""
    )


_IP = (
    "concat_ws('.', (src_lo >> 24) & 255, (src_lo >> 16) & 255, (src_lo >> 8) & 255, src_lo & 255)"
)
_DST = _IP.replace("src_lo", "dst_lo")
_PROTO = "CASE protocol WHEN 6 THEN 'TCP' ELSE 'UDP' END"
_WHEN = "strftime(time, '%Y-%m-%d %H:%M:%S')"

# Each log format as a query over the canonical records, and how ingest reads it back.
FORMATS: dict[str, tuple[str, str, str, ReaderOptions]] = {
    "vpc": (
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes "
        "start end action log-status",
        f"SELECT concat_ws(' ', 2, '123456789010', 'eni-0a1b2c3d', {_IP}, {_DST}, src_port, "
        f"dst_port, protocol, packets, bytes, epoch(time)::BIGINT, epoch(time)::BIGINT + 60, "
        "CASE action WHEN 'denied' THEN 'REJECT' ELSE 'ACCEPT' END, 'OK')",
        "vpc",
        ReaderOptions(),
    ),
    "nfdump-csv": (
        "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt",
        f"SELECT concat_ws(',', {_WHEN}, {_WHEN}, '0.100', {_IP}, {_DST}, src_port, dst_port, "
        f"{_PROTO}, '...AP.SF', 0, 0, packets, bytes, 0, 0)",
        "nfdump-csv",
        ReaderOptions(),
    ),
    "zeek": (
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
        "conn_state\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes",
        f"SELECT concat_ws(chr(9), epoch(time), 'C1', {_IP}, src_port, {_DST}, dst_port, "
        "lower(CASE protocol WHEN 6 THEN 'tcp' ELSE 'udp' END), 'SF', packets, bytes, 1, 60)",
        "zeek",
        ReaderOptions(),
    ),
    "pfirewall": (
        "#Version: 1.5\n#Software: Microsoft Windows Firewall\n#Time Format: Local\n"
        "#Fields: date time action protocol src-ip dst-ip src-port dst-port size tcpflags tcpsyn "
        "tcpack tcpwin icmptype icmpcode info path",
        f"SELECT concat_ws(' ', {_WHEN}, CASE action WHEN 'denied' THEN 'DROP' ELSE 'ALLOW' END, "
        f"{_PROTO}, {_IP}, {_DST}, src_port, dst_port, 60, 'S', 1, 0, 8192, '-', '-', '-', 'RECEIVE')",
        "pfirewall",
        ReaderOptions(),
    ),
    "csv": (
        "When,Source,Destination,Proto,SrcPort,DstPort,Verdict,Octets",
        f"SELECT concat_ws(',', strftime(time, '%Y-%m-%dT%H:%M:%SZ'), {_IP}, {_DST}, protocol, "
        "src_port, dst_port, CASE action WHEN 'denied' THEN 'deny' ELSE 'permit' END, bytes)",
        "csv",
        ReaderOptions(
            mapping=(
                ("time", "When"),
                ("src", "Source"),
                ("dst", "Destination"),
                ("protocol", "Proto"),
                ("sport", "SrcPort"),
                ("dport", "DstPort"),
                ("action", "Verdict"),
                ("bytes", "Octets"),
            )
        ),
    ),
}
TEXT_FORMATS: dict[str, str] = {
    "asa": f"SELECT concat(strftime(time, '%b %d %Y %H:%M:%S'), ': %ASA-6-302013: Built inbound ', "
    f"{_PROTO}, ' connection ', source_line, ' for outside:', {_IP}, '/', src_port, ' (', {_IP}, '/', "
    f"src_port, ') to inside:', {_DST}, '/', dst_port, ' (', {_DST}, '/', dst_port, ')')",
    "netfilter": f"SELECT concat('[ 123.456789] pm-accept IN=eth0 OUT= SRC=', {_IP}, ' DST=', {_DST}, "
    f"' LEN=60 PROTO=', {_PROTO}, ' SPT=', src_port, ' DPT=', dst_port)",
    "conntrack": f"SELECT concat(lower({_PROTO}), '      ', protocol, ' 120 src=', {_IP}, ' dst=', {_DST}, "
    f"' sport=', src_port, ' dport=', dst_port, ' packets=1 bytes=', bytes, ' src=', {_DST}, ' dst=', {_IP}, "
    "' sport=', dst_port, ' dport=', src_port, ' [ASSURED] mark=0 use=1')",
}


def write_log(con: Any, parquet: Path, select: str, header: str, count: int, path: Path) -> None:
    body = path.with_suffix(".body")
    con.execute(
        f"COPY (SELECT {select.removeprefix('SELECT ')} AS line FROM read_parquet('{parquet}') "
        f"LIMIT {count}) TO '{body}' (FORMAT csv, HEADER false, QUOTE '', DELIMITER '\\x01')"
    )
    with open(path, "wb") as out:
        if header:
            out.write(header.encode() + b"\n")
        with open(body, "rb") as handle:
            shutil.copyfileobj(handle, out, 1 << 22)
    body.unlink()


_PEAKS: list[float] = []


def peak_reset() -> None:
    """Start a new peak (Linux: writing 5 to clear_refs resets the resident high-water mark,
    the one ``getrusage`` reports too, so the peaks before are kept here)."""
    _PEAKS.append(peak_mb())
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def peak_mb() -> float:
    """The resident high-water mark since :func:`peak_reset`, in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def overall_peak_mb() -> float:
    return max([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, *_PEAKS])


def timed(label: str, count: int, work: Any) -> float:
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    rate = count / seconds
    print(f"  {label:<38} {count:>11,} records  {seconds:8.2f} s  {rate / 1e6:8.2f} M records/s")
    return rate


@contextlib.contextmanager
def _fast_path(on: bool) -> Iterator[None]:
    """The delimited readers with their compiled fast path, or with their SQL alone."""
    available = _fast.available
    if not on:
        _fast.available = lambda: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        _fast.available = available


def floor_copy(con: Any, log: Path, target: Path) -> None:
    """The ceiling for any ingest through DuckDB: the VPC log read by DuckDB's CSV reader with
    typed columns and written as canonical zstd Parquet, nothing checked or converted (the
    addresses are hashed, not parsed; no line numbers)."""
    names = FORMATS["vpc"][0].split()
    kinds = {"srcport": "INTEGER", "dstport": "INTEGER", "protocol": "SMALLINT"}
    kinds |= dict.fromkeys(("packets", "bytes", "start", "end"), "BIGINT")
    spec = "{" + ", ".join(f"'{n}': '{kinds.get(n, 'VARCHAR')}'" for n in names) + "}"
    con.execute(
        f"""COPY (SELECT make_timestamp(start * 1000000) AS time, 4::TINYINT AS family,
          0::BIGINT AS src_hi, (hash(srcaddr) >> 1)::BIGINT AS src_lo, 0::BIGINT AS dst_hi,
          (hash(dstaddr) >> 1)::BIGINT AS dst_lo, protocol, srcport AS src_port,
          dstport AS dst_port, action, NULL::BOOLEAN AS answered, bytes, packets,
          NULL::VARCHAR AS direction, '{log}' AS source_file, 0::BIGINT AS source_line
        FROM read_csv('{log}', delim=' ', header=true, auto_detect=false, columns={spec}))
        TO '{target}' ({canonical.PARQUET})"""
    )


def naive_sql(parquet: Path, limit: int) -> str:
    return f"""
    WITH r AS (SELECT * FROM read_parquet('{parquet}') LIMIT {limit})
    SELECT f.idx IS NOT NULL AS admitted, count(*), sum(r.bytes)
    FROM r LEFT JOIN bench_flows f
      ON r.protocol = f.protocol AND r.src_lo BETWEEN f.smin AND f.smax
     AND r.dst_lo BETWEEN f.dmin AND f.dmax AND r.dst_port BETWEEN f.plo AND f.phi
    GROUP BY 1"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument(
        "--connections",
        type=int,
        default=0,
        help="connections the records repeat (default records/50; records: all distinct)",
    )
    parser.add_argument("--ingest", type=int, default=2_000_000, help="records per delimited log")
    parser.add_argument("--text", type=int, default=300_000, help="records per free-text log")
    parser.add_argument("--spark-records", type=int, default=10_000_000)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument(
        "--ingest-only", action="store_true", help="stop after the ingest figures (no audit)"
    )
    parser.add_argument(
        "--formats", default="", help="comma-separated formats to ingest (default: all)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the DuckDB audit (a shared machine varies)"
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="write the logs into DIR and keep them (for profiling)"
    )
    args = parser.parse_args()
    chosen = set(filter(None, args.formats.split(",")))

    started = time.perf_counter()
    mx = matrix()
    tables = rules.build(mx)
    catalog = load_catalog()
    print(
        f"matrix: {len(mx.endpoints)} endpoints, {len(tables.flows)} audited flows, "
        f"{tables.keyed_rows} keyed cells ({len(tables.spans)} IPv4 spans expanded by the engines), "
        f"{len(tables.wide)} wide ({time.perf_counter() - started:.1f} s)"
    )
    if args.keep:
        work = Path(args.keep)
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        con = canonical.connect(memory_limit=args.memory_limit)
        flows_table(con, tables)
        parquet = work / "records.parquet"
        start = time.perf_counter()
        connections = args.connections or max(1, args.records // 50)
        generate_records(con, len(tables.flows), args.records, connections, parquet)
        distinct = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT src_lo, dst_lo, protocol, src_port, dst_port "
            f"FROM read_parquet('{parquet}'))"
        ).fetchone()
        print(
            f"generated {args.records:,} records of {connections:,} connections "
            f"({distinct[0] if distinct else 0:,} distinct 5-tuples) in "
            f"{time.perf_counter() - start:.1f} s ({parquet.stat().st_size / 1e6:.0f} MB Parquet)"
        )

        print("ingest (read, convert, write zstd Parquet):")
        if _fast.available():
            print(f"  compiled fast path ready in {_fast.warm():.2f} s (numba: compiled or cached)")
        else:
            print("  compiled fast path: off (the extra 'fast' is not installed)")
        peaks: list[float] = []
        lines = min(args.ingest, args.records)  # a log holds at most every record once
        text_lines = min(args.text, args.records)
        for name, (header, select, kind, options) in FORMATS.items():
            if chosen and name not in chosen:
                continue
            log = work / f"{name}.log"
            write_log(con, parquet, select, header, lines, log)
            ways = [("", True), (" (SQL alone)", False)] if _fast.available() else [("", False)]
            for label, fast_on in ways:
                peak_reset()
                with _fast_path(fast_on):
                    timed(
                        name + label,
                        lines,
                        functools.partial(
                            ingest,
                            [log],
                            work / f"out-{name}",
                            kind=kind,
                            options=options,
                            memory_limit=args.memory_limit,
                        ),
                    )
                peaks.append(peak_mb())
        for name, select in TEXT_FORMATS.items():
            if chosen and name not in chosen:
                continue
            log = work / f"{name}.log"
            write_log(con, parquet, select, "", text_lines, log)
            opts = ReaderOptions(year=2025)
            timed(
                f"{name} (free text, Python)",
                text_lines,
                functools.partial(ingest, [log], work / f"out-{name}", kind=name, options=opts),
            )

        print(f"  {'':<38} peak RSS while ingesting {max(peaks, default=0):,.0f} MB")
        if (work / "vpc.log").exists():
            floor = canonical.connect(memory_limit=args.memory_limit)
            timed(
                "ceiling: DuckDB read + write, vpc",
                lines,
                lambda: floor_copy(floor, work / "vpc.log", work / "floor.parquet"),
            )
            floor.close()
        if args.ingest_only:
            return
        print("audit (classify, aggregate; excludes resolving the matrix):")
        relation = duckdb_relation(str(parquet))
        engine = DuckDbEngine(con)
        peak_reset()
        rates = [
            timed(
                "portmatrix audit, DuckDB" + (f" (run {run})" if args.repeat > 1 else ""),
                args.records,
                lambda: engine.run([relation], tables, since=None, until=None),
            )
            for run in range(1, args.repeat + 1)
        ]
        if args.repeat > 1:
            print(
                f"  {'':<38} best {max(rates) / 1e6:.2f}, median "
                f"{sorted(rates)[len(rates) // 2] / 1e6:.2f} M records/s of {args.repeat} runs"
            )
        print(f"  {'':<38} peak RSS {peak_mb():,.0f} MB")
        report_time = time.perf_counter()
        report = audit_matrix(
            mx, [parquet], catalog=catalog, tables=tables, memory_limit=args.memory_limit
        )
        seconds = time.perf_counter() - report_time
        print(
            f"  {'whole audit_matrix(), with report':<38} {args.records:>11,} records  "
            f"{seconds:8.2f} s  {args.records / seconds / 1e6:8.2f} M records/s\n"
            f"  {'':<38} allowed {report.summary.allowed:,}, reply {report.summary.reply:,}, "
            f"attempt {report.summary.attempt:,}, unexpected {report.summary.unexpected:,}; "
            f"{len(report.unexpected):,} unexpected tuples, {len(report.unused):,} unused flows"
        )
        limit = max(1, args.records // 10)
        timed(
            "naive SQL range join, DuckDB",
            limit,
            lambda: con.execute(naive_sql(parquet, limit)).fetchall(),
        )
        if not args.no_spark:
            spark_parquet = parquet
            spark_count = min(args.spark_records, args.records)
            if spark_count < args.records:
                spark_parquet = work / "spark.parquet"
                con.execute(
                    f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT {spark_count}) "
                    f"TO '{spark_parquet}' (FORMAT parquet, COMPRESSION zstd)"
                )
            spark = SparkEngine(master="local[*]")
            session = spark.session()
            session.sparkContext.setLogLevel("ERROR")
            session.conf.set("spark.sql.shuffle.partitions", "4")
            warm = work / "warm.parquet"  # the JVM compiles the query's code on its first run
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT 10000) TO '{warm}' "
                "(FORMAT parquet)"
            )
            spark.run([str(warm)], tables, since=None, until=None)
            timed(
                "portmatrix audit, Spark local (warm JVM)",
                spark_count,
                lambda: spark.run([str(spark_parquet)], tables, since=None, until=None),
            )
            session.stop()
        print(
            f"peak RSS of this process over the run: {overall_peak_mb():,.0f} MB "
            f"(DuckDB memory_limit {args.memory_limit}; the Spark JVM is a process of its own)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

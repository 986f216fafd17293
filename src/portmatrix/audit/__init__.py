"""Audit observed traffic against the matrix: flow logs in, a canonical table, and a report.

``ingest`` reads flow logs of any registered format into the canonical table and writes it as
Parquet; ``audit`` classifies every record (allowed, reply, attempt, unexpected) against an
inventory's matrix on DuckDB or Spark and reports unexpected tuples, unused flows and per-flow
usage. See ``docs/audit.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portmatrix.audit.canonical import Counts, ReaderOptions, Staging, connect
from portmatrix.audit.report import AuditReport, Builder, Scope, iso
from portmatrix.audit.sources import AUTO, Sources, classify, stage

if TYPE_CHECKING:
    from portmatrix.audit.rules import RuleTables
    from portmatrix.catalog import Catalog
    from portmatrix.model import Matrix

__all__ = ["AuditReport", "Counts", "ReaderOptions", "audit", "audit_matrix", "ingest"]


def ingest(
    sources: Sequence[str | Path],
    output: Path,
    *,
    kind: str = AUTO,
    options: ReaderOptions | None = None,
    on_progress: Callable[[int], None] | None = None,
    memory_limit: str | None = None,
) -> Counts:
    """Read ``sources`` into the canonical table and write it to ``output`` as zstd Parquet."""
    options = options or ReaderOptions()
    found = classify(sources, kind=kind)
    con = connect(memory_limit=memory_limit)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Staged beside the output, so the finished parts are moved into place, not copied.
    staging = Staging(con, on_progress=on_progress, folder=output.parent)
    try:
        stage(found, staging, options=options)
        for dataset in found.datasets:
            from portmatrix.audit.engines import duckdb_relation

            staging.insert_sql(f"SELECT *, NULL FROM {duckdb_relation(dataset)}")
        counts = staging.counts()
        if options.strict:
            staging.check_strict(counts)
        staging.write_parquet(output, counts)
    finally:
        staging.close()
    return counts


def audit(
    inventory: Path,
    sources: Sequence[str | Path],
    *,
    catalogs: Sequence[Path] = (),
    **settings: Any,
) -> AuditReport:
    """Classify every record of ``sources`` against the matrix of ``inventory``.

    ``settings`` are those of :func:`audit_matrix`.
    """
    from portmatrix.project import Project

    project = Project(inventory, catalogs=catalogs)
    return audit_matrix(
        project.matrix, sources, catalog=project.catalog, inventory=str(inventory), **settings
    )


def audit_matrix(
    matrix: Matrix,
    sources: Sequence[str | Path],
    *,
    catalog: Catalog,
    inventory: str = "",
    kind: str = AUTO,
    engine: str = "duckdb",
    spark_master: str | None = None,
    spark_session: object = None,
    since: int | None = None,
    until: int | None = None,
    options: ReaderOptions | None = None,
    on_progress: Callable[[int], None] | None = None,
    memory_limit: str | None = None,
    tables: RuleTables | None = None,
) -> AuditReport:
    """The audit of ``sources`` against a resolved ``matrix`` (``tables``: its cells, if built)."""
    from portmatrix.audit import rules

    options = options or ReaderOptions()
    tables = tables or rules.build(matrix)
    found = classify(sources, kind=kind)
    con = connect(memory_limit=memory_limit)
    staging = Staging(con, on_progress=on_progress)
    try:
        stage(found, staging, options=options)
        counts = staging.counts()
        if options.strict:
            staging.check_strict(counts)
        counts = _with_manifests(counts, found)
        rows = _run(engine, found, staging, tables, spark_master, spark_session, since, until)
    finally:
        staging.close()
    scope = Scope(
        inventory=inventory or matrix.name,
        sources=tuple(str(source) for source in sources),
        engine=engine,
        since=iso(since),
        until=iso(until),
        flows_audited=len(tables.flows),
        flows_unbound=sum(1 for flow in matrix.flows if flow.unbound),
    )
    return Builder(matrix, catalog, tables).build(rows, scope=scope, counts=counts)


def _with_manifests(counts: Counts, found: Sources) -> Counts:
    """Add what ``ingest`` counted (ignored and malformed lines) for ingested datasets."""
    import json

    from portmatrix.audit.canonical import MANIFEST, Problem

    for dataset in found.datasets:
        manifest = Path(dataset) / MANIFEST
        if "://" in dataset or not manifest.is_file():
            continue
        data = json.loads(manifest.read_text(encoding="utf-8"))
        counts.ignored += int(data.get("ignored", 0))
        counts.malformed += int(data.get("malformed", 0))
        counts.problems += [
            Problem(p["file"], p["line"], p["message"]) for p in data.get("problems", [])
        ]
    return counts


def _run(
    engine: str,
    found: Sources,
    staging: Staging,
    tables: RuleTables,
    master: str | None,
    session: object,
    since: int | None,
    until: int | None,
) -> list[tuple[object, ...]]:
    from portmatrix.audit.engines import DuckDbEngine, SparkEngine, duckdb_relation
    from portmatrix.errors import PortmatrixError

    if engine == "duckdb":
        relations = [staging.records_sql()] if found.raw else []
        relations += [duckdb_relation(dataset) for dataset in found.datasets]
        return DuckDbEngine(staging.con).run(relations, tables, since=since, until=until)
    if engine != "spark":
        raise PortmatrixError(f"no engine {engine!r} (known: duckdb, spark)")
    datasets = list(found.datasets)
    if found.raw:
        folder = staging.folder / "records"  # removed with the staging folder
        staging.write_parquet(folder, staging.counts())
        datasets.append(str(folder))
    return SparkEngine(master=master, session=session).run(
        datasets, tables, since=since, until=until
    )

"""Spark in local mode gives the very results DuckDB gives, and those of the brute-force matcher.

One session serves the whole run (see ``conftest.spark``); data stay small.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_reference import (
    comparable,
    observed,
    random_records,
    reference,
    repeated,
    write_records,
)
from portmatrix.audit import ReaderOptions, audit_matrix, rules
from portmatrix.catalog import load_catalog
from portmatrix.resolve import resolve_file

HERE = Path(__file__).resolve().parent
MIXED = HERE / "data" / "audit-mixed.yaml"
DUPLEX = HERE.parent / "examples" / "duplex-cce.yaml"
FLOWLOGS = HERE / "data" / "flowlogs"


@pytest.fixture(scope="module")
def setup() -> tuple[object, object, rules.RuleTables]:
    matrix = resolve_file(MIXED)
    return matrix, load_catalog(), rules.build(matrix)


def test_duckdb_and_spark_agree_on_the_same_records(
    spark: object, setup: tuple[object, object, rules.RuleTables], tmp_path: Path
) -> None:
    matrix, catalog, tables = setup
    rng = random.Random(13)
    records = repeated(random_records(tables.flows, rng, 400), rng)
    dataset = write_records(tmp_path / "records", records)
    reports = [
        audit_matrix(
            matrix, [dataset], catalog=catalog, tables=tables, engine=engine, spark_session=spark
        )  # type: ignore[arg-type]
        for engine in ("duckdb", "spark")
    ]
    duck, spk = reports
    assert duck.summary == spk.summary
    assert duck.unexpected == spk.unexpected
    assert duck.flows == spk.flows and duck.unused == spk.unused and duck.attempts == spk.attempts
    assert observed(spk) == comparable(reference(tables.flows, records))
    assert tables.wide and spk.summary.allowed > 0 and spk.summary.unexpected > 0


@settings(
    max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 60))
def test_spark_agrees_with_brute_force(
    spark: object,
    setup: tuple[object, object, rules.RuleTables],
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    count: int,
) -> None:
    matrix, catalog, tables = setup
    records = random_records(tables.flows, random.Random(seed), count)
    dataset = write_records(tmp_path_factory.mktemp("spark") / "records", records)
    report = audit_matrix(
        matrix,
        [dataset],
        catalog=catalog,
        tables=tables,
        engine="spark",
        spark_session=spark,  # type: ignore[arg-type]
    )
    assert observed(report) == comparable(reference(tables.flows, records))


def test_spark_reads_raw_logs_through_a_local_ingest(spark: object) -> None:
    matrix = resolve_file(DUPLEX)
    logs = [FLOWLOGS / "asa.log", FLOWLOGS / "vpc-v2.log"]
    reports = [
        audit_matrix(
            matrix,
            logs,
            catalog=load_catalog(),
            engine=engine,
            spark_session=spark,
            options=ReaderOptions(year=2025),
        )
        for engine in ("duckdb", "spark")
    ]
    assert reports[0].summary == reports[1].summary
    assert reports[0].flows == reports[1].flows
    assert reports[1].summary.allowed > 0 and reports[1].summary.malformed == 3


def test_spark_reads_the_parts_the_fast_path_writes(
    spark: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts written by pyarrow (the compiled fast path) and by DuckDB, read by both engines."""
    from portmatrix.audit.readers import _fast

    if not _fast.available():
        pytest.skip("the extra 'fast' (numba, numpy, pyarrow) is not installed")
    monkeypatch.setattr(_fast, "FAST_MIN", 1)
    monkeypatch.setattr(_fast, "BLOCK", 256)
    monkeypatch.setattr(_fast, "MOSTLY_HANDED", 2.0)
    matrix = resolve_file(DUPLEX)
    logs = [FLOWLOGS / name for name in ("vpc-v2.log", "vpc-v5.log", "zeek-conn.log")]
    logs += [FLOWLOGS / "pfirewall.log", FLOWLOGS / "nfdump.csv"]
    scanned: list[object] = []
    real = _fast.stage
    monkeypatch.setattr(_fast, "stage", lambda *a: scanned.append(real(*a)) or scanned[-1])
    reports = [
        audit_matrix(matrix, logs, catalog=load_catalog(), engine=engine, spark_session=spark)  # type: ignore[arg-type]
        for engine in ("duckdb", "spark")
    ]
    assert len(scanned) == 2 * len(logs) and all(outcome is not None for outcome in scanned)
    assert reports[0].summary == reports[1].summary and reports[0].flows == reports[1].flows
    assert reports[0].unexpected == reports[1].unexpected
    assert reports[1].summary.allowed > 0

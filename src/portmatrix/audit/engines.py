"""The two engines that run :mod:`portmatrix.audit.query`: DuckDB embedded, Spark on a cluster.

Both load the rule cells of :mod:`portmatrix.audit.rules`, run the same SQL and hand back the
same rows. DuckDB reads staged raw logs and local Parquet in-process, within a memory limit,
spilling to disk beyond it. Spark reads Parquet from wherever the cluster can (local paths,
``hdfs://``, ``s3a://``, ``abfss://``, ...), with the rule tables broadcast to every executor;
raw logs given to it are ingested locally first.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from portmatrix.audit import query
from portmatrix.audit.canonical import COLUMNS, engine_error, parquet_glob
from portmatrix.audit.readers._delimited import quote
from portmatrix.audit.rules import KEYED_COLUMNS, SPAN_COLUMNS, WIDE_COLUMNS, RuleTables
from portmatrix.errors import PortmatrixError

if TYPE_CHECKING:
    import duckdb

Row = tuple[Any, ...]


class Engine(Protocol):
    name: str

    def run(
        self, records: Sequence[str], tables: RuleTables, *, since: int | None, until: int | None
    ) -> list[Row]:
        """The audit query's rows over ``records`` (relations or dataset paths)."""
        ...


def _load_table(
    con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[Row]
) -> None:
    fd, path = tempfile.mkstemp(prefix="portmatrix-rules-", suffix=".csv")
    try:
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_csv({quote(path)}, "
            f"columns={spec}, header=false, auto_detect=false)"
        )
    finally:
        os.unlink(path)


class DuckDbEngine:
    """DuckDB in this process; ``records`` are SQL relations over the given connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def run(
        self, records: Sequence[str], tables: RuleTables, *, since: int | None, until: int | None
    ) -> list[Row]:
        _load_table(self.con, "pm_keyed6", KEYED_COLUMNS, tables.keyed)
        _load_table(self.con, "pm_spans", SPAN_COLUMNS, tables.spans)
        try:
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE pm_keyed AS "
                + query.keyed_sql("pm_spans", "pm_keyed6", query.DUCKDB)
            )
        except Exception as exc:
            raise engine_error(exc) from exc
        wide = None
        if tables.wide:
            _load_table(self.con, "pm_wide", WIDE_COLUMNS, tables.wide)
            wide = "pm_wide"
        relation = " UNION ALL ".join(f"SELECT * FROM {r}" for r in records)
        sql = query.audit_sql(
            f"({relation})",
            keyed="pm_keyed",
            wide=wide,
            dialect=query.DUCKDB,
            since=since,
            until=until,
        )
        try:
            return self.con.execute(sql).fetchall()
        except Exception as exc:
            raise engine_error(exc) from exc


def duckdb_relation(dataset: str) -> str:
    if "://" in dataset:
        raise PortmatrixError(
            f"{dataset}: the embedded engine reads local files; use --engine spark for URLs"
        )
    columns = ", ".join(COLUMNS)
    return f"(SELECT {columns} FROM read_parquet({quote(parquet_glob(Path(dataset)))}))"


class SparkEngine:
    """PySpark: ``master`` is local[*], spark://host:7077, yarn or k8s://https://host:443."""

    name = "spark"

    def __init__(self, *, master: str | None = None, session: Any = None):
        self.master = master
        self._session = session

    def session(self) -> Any:
        if self._session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError as exc:
                raise PortmatrixError(
                    "--engine spark needs PySpark: pip install 'portmatrix[spark]' (and Java 17)"
                ) from exc
            builder = SparkSession.builder.appName("portmatrix audit")
            builder = builder.master(self.master or "local[*]")
            builder = builder.config("spark.sql.session.timeZone", "UTC")
            try:
                self._session = builder.getOrCreate()
            except Exception as exc:  # py4j / JVM start-up failures
                raise PortmatrixError(
                    f"cannot start Spark ({self.master or 'local[*]'}): {exc}"
                ) from exc
        return self._session

    def run(
        self, records: Sequence[str], tables: RuleTables, *, since: int | None, until: int | None
    ) -> list[Row]:
        spark = self.session()
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        views = [
            self._view(spark, "pm_keyed6", KEYED_COLUMNS, tables.keyed),
            self._view(spark, "pm_spans", SPAN_COLUMNS, tables.spans),
        ]
        keyed = spark.sql(query.keyed_sql("pm_spans", "pm_keyed6", query.SPARK)).cache()
        keyed.createOrReplaceTempView("pm_keyed")
        views.append(keyed)
        wide = None
        if tables.wide:
            views.append(self._view(spark, "pm_wide", WIDE_COLUMNS, tables.wide))
            wide = "pm_wide"
        paths = [parquet_glob(Path(r)) if "://" not in r else r for r in records]
        frame = spark.read.parquet(*paths).select(*COLUMNS)
        frame.createOrReplaceTempView("pm_records")
        sql = query.audit_sql(
            "pm_records", keyed="pm_keyed", wide=wide, dialect=query.SPARK, since=since, until=until
        )
        try:
            return [tuple(row) for row in spark.sql(sql).collect()]
        except Exception as exc:
            raise PortmatrixError(f"Spark failed: {str(exc).strip().splitlines()[0]}") from exc
        finally:
            for view in views:
                view.unpersist()

    @staticmethod
    def _view(spark: Any, name: str, columns: dict[str, str], rows: list[Row]) -> Any:
        """The rule table as a cached view, shipped as one text value and split in the JVM:
        PySpark converts and pickles a list of rows one by one (12 s for 130,000 cells), while
        one string crosses in milliseconds and still travels with the plan to a remote
        cluster. The query reads the table three times; it is split once."""
        types = {"INTEGER": "int", "SMALLINT": "smallint", "TINYINT": "tinyint", "BIGINT": "bigint"}
        if not rows:
            schema = ", ".join(f"{column} {types[kind]}" for column, kind in columns.items())
            empty = spark.createDataFrame([], schema=schema)
            empty.createOrReplaceTempView(name)
            return empty
        text = "\n".join(",".join(map(str, row)) for row in rows)
        casts = [
            f"CAST(element_at(f, {index}) AS {types[kind]}) AS {column}"
            for index, (column, kind) in enumerate(columns.items(), start=1)
        ]
        frame = (
            spark.createDataFrame([(text,)], "t string")
            .selectExpr("explode(split(t, '\\n')) AS line")
            .selectExpr("split(line, ',') AS f")
            .selectExpr(*casts)
            .cache()
        )
        frame.createOrReplaceTempView(name)
        return frame

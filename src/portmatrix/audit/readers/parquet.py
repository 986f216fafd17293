"""Canonical Parquet written by ``portmatrix ingest`` (a folder, or one file), read back as is."""

from __future__ import annotations

from pathlib import Path

from portmatrix.audit.canonical import COLUMNS, ReaderOptions, Staging, parquet_glob
from portmatrix.audit.readers._delimited import quote


class ParquetReader:
    name = "parquet"
    description = "canonical Parquet from portmatrix ingest"

    def sniff(self, head: str) -> bool:
        return head.startswith("PAR1")

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        columns = ", ".join(COLUMNS)
        staging.insert_sql(f"SELECT {columns}, NULL FROM read_parquet({quote(parquet_glob(path))})")

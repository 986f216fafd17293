"""``portmatrix ingest`` and ``portmatrix audit`` through the CLI: formats, errors, the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.audit.report import AuditReport
from portmatrix.cli import main
from portmatrix.yamlio import adapter

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "examples" / "duplex-cce.yaml"
FLOWLOGS = Path(__file__).resolve().parent / "data" / "flowlogs"


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_ingest_then_audit_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "flows"
    result = invoke(
        "ingest", FLOWLOGS / "vpc-v2.log", FLOWLOGS / "asa.log", "--year", "2025", "-o", out
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "20 records written" in result.output  # type: ignore[attr-defined]
    assert "asa.log:20" in result.output  # type: ignore[attr-defined]  (cited on stderr)
    # one Parquet file per source that had records, written straight from its reader
    assert sorted(p.name for p in out.iterdir()) == [
        "portmatrix-ingest.json",
        "records-00001.parquet",
        "records-00002.parquet",
    ]
    single = invoke("ingest", FLOWLOGS / "vpc-v2.log", "-o", tmp_path / "one")
    assert single.exit_code == 0, single.output  # type: ignore[attr-defined]
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "portmatrix-ingest.json",
        "records.parquet",
    ]
    report = invoke("audit", INVENTORY, out, "--format", "json")
    data = json.loads(report.stdout)  # type: ignore[attr-defined]
    assert list(data) == [
        "schema_version",
        "scope",
        "summary",
        "unexpected",
        "unused",
        "flows",
        "attempts",
    ]
    assert data["schema_version"] == 1
    assert data["summary"]["records"] == 20 and data["summary"]["malformed"] == 3
    assert set(data["unexpected"][0]) >= {
        "src_address",
        "dst_address",
        "protocol",
        "port",
        "count",
        "bytes",
        "first_seen",
        "last_seen",
        "src",
        "dst",
        "suggestion",
    }
    assert set(data["unused"][0]) >= {"rule", "src", "dst", "protocol", "port_start", "port_end"}
    assert set(data["flows"][0]) >= {"rule", "src", "dst", "hits", "bytes", "last_seen"}
    adapter(AuditReport).validate_python(data)  # the published schema's model accepts it


def test_audit_raw_logs_as_table_markdown_and_workbook(tmp_path: Path) -> None:
    table = invoke("audit", INVENTORY, FLOWLOGS / "pfirewall.log")
    assert table.exit_code == 0
    assert "records 6: allowed" in table.output  # type: ignore[attr-defined]
    assert "unexpected (" in table.output  # type: ignore[attr-defined]
    md = invoke(
        "audit", INVENTORY, FLOWLOGS / "pfirewall.log", "--format", "md", "-o", tmp_path / "a.md"
    )
    assert md.exit_code == 0 and (tmp_path / "a.md").read_text().startswith("# Audit:")
    book = tmp_path / "a.xlsx"
    assert (
        invoke(
            "audit", INVENTORY, FLOWLOGS / "pfirewall.log", "--format", "xlsx", "-o", book
        ).exit_code
        == 0
    )  # type: ignore[attr-defined]
    from openpyxl import load_workbook

    assert load_workbook(book).sheetnames == [
        "Summary",
        "Unexpected",
        "Attempts",
        "Unused",
        "Flows",
    ]


def test_strict_stops_at_the_first_malformed_line_with_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "flows"
    result = invoke("ingest", FLOWLOGS / "pfirewall.log", "--strict", "-o", out)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "pfirewall.log:13: destination port 99999 is not a port" in result.output  # type: ignore[attr-defined]
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "--format xlsx writes a file"),
        (["--since", "yesterday"], "not an ISO 8601 time"),
        (["--type", "nope"], "no flow-log reader 'nope'"),
        (["--type", "csv"], "--type csv needs --map for src, dst, protocol"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = invoke("audit", INVENTORY, FLOWLOGS / "mapped.csv", *args)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def test_missing_source_names_it() -> None:
    result = invoke("audit", INVENTORY, FLOWLOGS / "nope.log")
    assert result.exit_code == 2 and "nope.log: no such file" in result.output  # type: ignore[attr-defined]


def test_ingest_will_not_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    result = invoke("ingest", FLOWLOGS / "vpc-v5.log", "-o", tmp_path)
    assert result.exit_code == 2 and (tmp_path / "mine.txt").exists()  # type: ignore[attr-defined]

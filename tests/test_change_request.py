"""The change-request workbook against its JSON twin: same rows, same columns, same order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from portmatrix.change_request import COLUMNS, HEADINGS, zone_pair
from portmatrix.cli import main
from portmatrix.model import Flow, Matrix, Protocol

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEPLOYMENTS = {
    "duplex-cce": [str(ROOT / "examples" / "duplex-cce.yaml")],
    "cuc-branches": [str(ROOT / "examples" / "cuc-branches.yaml")],
    "acme": [str(DATA / "acme-inventory.yaml"), "--catalog", str(DATA / "acme-pack.yaml")],
}
SHEETS = {"requests": "Requests", "local_only": "Local only", "unbound": "Unbound"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def sheet_rows(path: Path, title: str) -> list[list[Any]]:
    sheet = load_workbook(path)[title]
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_each_sheet_equals_its_json_list_row_for_row(tmp_path: Path, name: str) -> None:
    args = DEPLOYMENTS[name]
    book = tmp_path / "cr.xlsx"
    assert run("resolve", *args, "-o", str(book), "-q")[0] in (0, 1)
    _, out = run("resolve", *args, "--format", "json", "-q")
    result = json.loads(out)
    names = load_workbook(book).sheetnames
    assert names[:4] == ["Cover", "Requests", "Local only", "Unbound"]
    for key, title in SHEETS.items():
        from_json = [[row[column] for column in COLUMNS] for row in result[key]]
        assert sheet_rows(book, title) == from_json, key
        assert result["summary"][key] == len(from_json)
    requests = sheet_rows(book, "Requests")
    start, end = COLUMNS.index("port_start"), COLUMNS.index("port_end")
    assert requests and all(isinstance(r[start], int) and isinstance(r[end], int) for r in requests)
    exposure = COLUMNS.index("exposure")
    assert all(row[exposure] != "local" for row in requests), "no local-only row among requests"
    assert all(row[exposure] == "local" for row in sheet_rows(book, "Local only"))


def test_flagged_entries_carry_the_catalogs_reading() -> None:
    _, out = run("resolve", *DEPLOYMENTS["duplex-cce"], "--format", "json", "-q")
    rows = json.loads(out)["requests"]
    flagged = [row for row in rows if row["ambiguous"]]
    assert flagged and len(flagged) < len(rows)
    pgagent = next(row for row in flagged if row["rule"] == "cce.pg1.pgagent")
    assert pgagent["ambiguous"].startswith("ambiguous: ") and len(pgagent["ambiguous"]) > 60
    assert all(row["request_id"] is None and row["approved_by"] is None for row in rows)


def test_japanese_workbook_headings_and_purposes(tmp_path: Path) -> None:
    book = tmp_path / "cr.xlsx"
    run("resolve", *DEPLOYMENTS["duplex-cce"], "-o", str(book), "--lang", "ja", "-q")
    loaded = load_workbook(book)
    assert loaded.sheetnames[:4] == ["表紙", "申請", "ローカル限定", "未割当"]
    sheet = loaded["申請"]
    assert [cell.value for cell in sheet[1]] == [HEADINGS["ja"][c] for c in COLUMNS]
    purpose = COLUMNS.index("purpose")
    purposes = [row[purpose] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(any("\u3040" <= ch <= "\u30ff" for ch in text) for text in purposes)


def test_lang_defaults_from_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    _, out = run("resolve", *DEPLOYMENTS["duplex-cce"], "--format", "md", "-q")
    assert "## 申請" in out
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    _, out = run("resolve", *DEPLOYMENTS["duplex-cce"], "--format", "md", "-q")
    assert "## Requests" in out


def _flow(src: str, dst: str, src_address: str = "", dst_address: str = "") -> Flow:
    return Flow(src, dst, Protocol.TCP, 1, 1, "r", src_address or None, dst_address or None)


def test_zone_pair_names_the_firewall_crossed() -> None:
    zones = {"dmz": ("web",), "core": ("db", "app"), "all": ("web", "db")}
    matrix = Matrix("m", {}, (), zones)
    assert zone_pair(matrix, _flow("web", "db")) == "dmz > core"
    assert zone_pair(matrix, _flow("db", "app")) is None
    assert zone_pair(Matrix("m", {}, ()), _flow("web", "db")) is None


def test_zone_pair_judges_each_end_at_the_address_its_network_uses() -> None:
    public = {
        "side-a": frozenset({("rtr-a", "10.0.1.1/32")}),
        "side-b": frozenset({("rtr-b", "10.0.2.1/32")}),
    }
    private = {
        "priv-a": frozenset({("rtr-a", "192.168.1.1/32")}),
        "priv-b": frozenset({("rtr-b", "192.168.2.1/32")}),
    }
    ends = {**public, **private}
    zones = {zone: ("rtr-a",) if zone.endswith("a") else ("rtr-b",) for zone in ends}
    matrix = Matrix("m", {}, (), zones, zone_ends=ends)
    on_private = _flow("rtr-a", "rtr-b", "192.168.1.1/32", "192.168.2.1/32")
    on_public = _flow("rtr-a", "rtr-b", "10.0.1.1/32", "10.0.2.1/32")
    assert zone_pair(matrix, on_private) == "priv-a > priv-b"
    assert zone_pair(matrix, on_public) == "side-a > side-b"


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_written_files_honour_the_umask(tmp_path: Path, mask: int) -> None:
    import os

    previous = os.umask(mask)
    try:
        for name in ("cr.xlsx", "cr.json"):
            target = tmp_path / f"{mask:o}-{name}"
            run("resolve", *DEPLOYMENTS["acme"], "-o", str(target), "-q")
            assert target.stat().st_mode & 0o777 == 0o666 & ~mask, name
    finally:
        os.umask(previous)


def test_the_english_header_row_is_the_json_keys(tmp_path: Path) -> None:
    book = tmp_path / "cr.xlsx"
    run("resolve", *DEPLOYMENTS["acme"], "-o", str(book), "-q", "--lang", "en")
    _, out = run("resolve", *DEPLOYMENTS["acme"], "--format", "json", "-q")
    header = [cell.value for cell in load_workbook(book)["Requests"][1]]
    first = json.loads(out)["requests"][0]
    assert header == list(first) == list(COLUMNS)
    assert "port_start" in header and "ambiguous" in header


def _kana(text: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" for ch in text)


def test_explain_and_check_speak_japanese(tmp_path: Path) -> None:
    example = DEPLOYMENTS["duplex-cce"][0]
    _, out = run(
        "resolve", example, "--explain", "aw-1", "rtr-a", "--format", "json", "--lang", "ja"
    )
    decisions = json.loads(out)["decisions"]
    assert decisions and any(_kana(d["purpose"]) for d in decisions)
    _, text = run("resolve", example, "--explain", "aw-1", "rtr-a", "--lang", "ja")
    assert _kana(text)
    from portmatrix.render import render
    from portmatrix.resolve import resolve_file

    rules = render(
        resolve_file(example), "iptables", host="rtr-a", skip_unbound=True, force=True
    ).text
    kept = [line for line in rules.splitlines() if "40047" not in line]  # block the rtfeed flow
    path = tmp_path / "rtr-a.rules"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    code, out = run(
        "check", example, "--ruleset", str(path), "--type", "iptables-save", "--host", "rtr-a",
        "--lang", "ja",
    )  # fmt: skip
    assert code == 1 and out.splitlines()[0].split()[:2] == ["種別", "行"] and _kana(out)

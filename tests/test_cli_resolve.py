"""``resolve`` and ``diff`` through the CLI: formats, workbook, explanations, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from portmatrix.cli import main

DATA = Path(__file__).resolve().parent / "data"
ACME = ["--catalog", str(DATA / "acme-pack.yaml")]
INVENTORY = str(DATA / "acme-inventory.yaml")
FLOW_FIELDS = {
    "src",
    "dst",
    "src_address",
    "dst_address",
    "protocol",
    "port_start",
    "port_end",
    "rule",
    "purpose",
    "source",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_json_contract_and_warnings_on_stderr() -> None:
    code, out, err = run("resolve", INVENTORY, "--format", "json", *ACME)
    assert code == 0
    flows = json.loads(out)
    assert flows and all(set(flow) >= FLOW_FIELDS for flow in flows)
    assert any(flow["instance"] == 1 and flow["side"] == "A" for flow in flows)
    assert "acme.licence" in err and "warning" in err


def test_strict_turns_unbound_roles_into_an_error() -> None:
    code, out, err = run("resolve", INVENTORY, "--strict", *ACME)
    assert code == 2 and out == "" and "acme.licence" in err


def test_csv_and_markdown() -> None:
    _, out, _ = run("resolve", INVENTORY, "--format", "csv", *ACME)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and rows[0]["rule"].startswith("acme.")
    _, out, _ = run("resolve", INVENTORY, "--format", "md", *ACME)
    assert out.startswith("# Flow matrix: acme-lab") and "| Source |" in out


def test_xlsx_is_a_change_request_workbook(tmp_path: Path) -> None:
    target = tmp_path / "change.xlsx"
    code, _, _ = run("resolve", INVENTORY, "--format", "xlsx", "-o", str(target), *ACME)
    assert code == 0
    book = load_workbook(target)
    flows, hosts = book["Flows"], book["Per host"]
    assert [c.value for c in flows[1]][:4] == [
        "Source",
        "Source address",
        "Destination",
        "Destination address",
    ]
    assert flows.freeze_panes == "A2" and flows.auto_filter.ref
    assert flows.max_row > 10 and hosts.max_row > 3
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"


def test_xlsx_needs_a_file() -> None:
    code, _, err = run("resolve", INVENTORY, "--format", "xlsx", *ACME)
    assert code == 2 and "-o" in err


def test_failed_run_leaves_no_output_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nhosts:\n  - name: a\n    address: 10.0.0.1\n    roles: [nope]\n", encoding="utf-8"
    )
    code, _, err = run("resolve", str(bad), "-o", str(target), *ACME)
    assert code == 2 and f"{bad}:5:" in err and not target.exists()


def test_explain() -> None:
    code, out, _ = run("resolve", INVENTORY, "--explain", "sw2-a", "sw-b", *ACME)
    assert code == 0 and "instance differs" in out


def test_diff_adding_a_host_opens_only_its_flows(tmp_path: Path) -> None:
    data = yaml.safe_load(Path(INVENTORY).read_text(encoding="utf-8"))
    data["hosts"].append(
        {
            "name": "sw2-b",
            "address": "10.1.0.4",
            "site": "north",
            "roles": [{"role": "acme.switch", "side": "B", "instance": 2}],
        }
    )
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out, _ = run("diff", INVENTORY, str(new), "--format", "json", *ACME)
    change = json.loads(out)
    assert code == 0 and change["close"] == []
    assert change["open"] and all("sw2-b" in (f["src"], f["dst"]) for f in change["open"])
    assert {"src": "sw2-b", "dst": "sw2-a", "port_start": 50084}.items() <= next(
        f
        for f in change["open"]
        if f["dst"] == "sw2-a" and f["protocol"] == "tcp" and f["rule"] == "acme.switch.sync"
    ).items()
    code, out, _ = run("diff", str(new), INVENTORY, *ACME)
    assert code == 0 and "to open (0)" in out and "to close" in out


def test_diff_workbook_has_open_and_close_sheets(tmp_path: Path) -> None:
    data = yaml.safe_load(Path(INVENTORY).read_text(encoding="utf-8"))
    data["hosts"] = [h for h in data["hosts"] if h["name"] != "vault-2"]
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data), encoding="utf-8")
    target = tmp_path / "change.xlsx"
    code, _, _ = run("diff", INVENTORY, str(new), "--format", "xlsx", "-o", str(target), *ACME)
    book = load_workbook(target)
    assert code == 0 and book.sheetnames == ["Flows to open", "Flows to close", "Per host"]
    closed = [row[2].value for row in book["Flows to close"].iter_rows(min_row=2)]
    sources = [row[0].value for row in book["Flows to close"].iter_rows(min_row=2)]
    assert closed and all("vault-2" in (dst, src) for dst, src in zip(closed, sources, strict=True))


def test_diff_markdown_has_both_sections() -> None:
    code, out, _ = run("diff", INVENTORY, INVENTORY, "--format", "md", *ACME)
    assert code == 0
    assert "# Flows to open: acme-lab -> acme-lab" in out and "# Flows to close:" in out
    assert "| Source |" in out and "acme." not in out  # nothing changes between identical files

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
    result = json.loads(out)
    assert result["schema_version"] == 1 and result["kind"] == "matrix"
    assert result["scope"]["inventory"] == INVENTORY and "options" in result["scope"]
    flows = result["requests"]
    assert flows and all(set(flow) >= FLOW_FIELDS for flow in flows)
    assert result["summary"]["requests"] == len(flows)
    assert any(flow["instance"] == 1 and flow["side"] == "A" for flow in flows)
    assert all(flow["action"] == "permit" and flow["exposure"] != "local" for flow in flows)
    assert all(row["exposure"] == "local" for row in result["local_only"])
    assert result["unbound"] and all(
        row["src_address"] is None or row["dst_address"] is None for row in result["unbound"]
    )
    assert "acme.licence" in err and "warning" in err


def test_strict_exits_1_on_warnings_and_still_prints_the_matrix() -> None:
    code, out, err = run("resolve", INVENTORY, "--strict", *ACME)
    assert code == 1 and "acme.switch.feed" in out and "acme.licence" in err


def test_quiet_silences_warnings() -> None:
    code, _, err = run("resolve", INVENTORY, "--quiet", *ACME)
    assert code == 0 and err == ""


def test_csv_and_markdown() -> None:
    _, out, _ = run("resolve", INVENTORY, "--format", "csv", *ACME)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and rows[0]["rule"].startswith("acme.") and rows[0]["list"] == "requests"
    assert {row["list"] for row in rows} == {"requests", "local_only", "unbound"}
    assert all(row["port_start"].isdigit() for row in rows)
    _, out, _ = run("resolve", INVENTORY, "--format", "md", *ACME)
    assert out.startswith("# Flow matrix: acme-lab") and "| src | src_address |" in out
    assert "## Local only (3)" in out


def test_xlsx_is_a_change_request_workbook(tmp_path: Path) -> None:
    target = tmp_path / "change.xlsx"
    code, _, _ = run("resolve", INVENTORY, "-o", str(target), *ACME)
    assert code == 0
    book = load_workbook(target)
    assert book.sheetnames == ["Cover", "Requests", "Local only", "Unbound", "Per host"]
    requests, hosts = book["Requests"], book["Per host"]
    assert [c.value for c in requests[1]][:4] == ["src", "src_address", "dst", "dst_address"]
    assert requests.freeze_panes == "A2" and requests.auto_filter.ref
    assert requests.print_title_rows == "$1:$1" and requests.page_setup.orientation == "landscape"
    assert requests.page_setup.fitToWidth == 1 and requests.sheet_properties.pageSetUpPr.fitToPage
    assert requests["P2"].alignment.wrap_text
    assert requests.max_row > 10 and hosts.max_row > 3
    cover = dict(book["Cover"].iter_rows(values_only=True))
    assert (
        cover["Deployment"] == "acme-lab" and "acme-ports.pdf" in cover["Catalog packs (documents)"]
    )
    assert "acme_sip = 5060-5062" in cover["Options in effect"] and cover["portmatrix version"]
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


def test_explain_prints_whole_reasons_and_json() -> None:
    code, out, _ = run(
        "resolve", INVENTORY, "--explain", "sw2-a", "sw-b", "--format", "json", *ACME
    )
    result = json.loads(out)
    assert code == 0 and result["kind"] == "explain"
    assert result["scope"]["src"] == "sw2-a" and result["scope"]["dst"] == "sw-b"
    decisions = result["decisions"]
    assert decisions and result["summary"]["decisions"] == len(decisions)
    _, text, _ = run("resolve", INVENTORY, "--explain", "sw2-a", "sw-b", *ACME)
    for decision in decisions:  # every reason appears whole in the plain output
        assert decision["reason"] in text


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
    opened = change["requests"]
    assert code == 1 and change["kind"] == "change"
    assert opened and all(f["action"] == "permit" for f in opened)
    assert all("sw2-b" in (f["src"], f["dst"]) for f in opened)
    assert {"src": "sw2-b", "dst": "sw2-a", "port_start": 50084}.items() <= next(
        f
        for f in opened
        if f["dst"] == "sw2-a" and f["protocol"] == "tcp" and f["rule"] == "acme.switch.sync"
    ).items()
    code, out, _ = run("diff", str(new), INVENTORY, *ACME)
    assert code == 1 and "to open (0), to close" in out and "remove" in out


def test_diff_workbook_has_open_and_close_sheets(tmp_path: Path) -> None:
    data = yaml.safe_load(Path(INVENTORY).read_text(encoding="utf-8"))
    data["hosts"] = [h for h in data["hosts"] if h["name"] != "vault-2"]
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(data), encoding="utf-8")
    target = tmp_path / "change.xlsx"
    code, _, _ = run("diff", INVENTORY, str(new), "--format", "xlsx", "-o", str(target), *ACME)
    book = load_workbook(target)
    assert code == 1 and book.sheetnames[:4] == ["Cover", "Requests", "Local only", "Unbound"]
    rows = list(book["Requests"].iter_rows(min_row=2, values_only=True))
    assert rows and all(row[10] == "remove" for row in rows)
    assert all("vault-2" in (row[0], row[2]) for row in rows)


def test_diff_of_identical_inventories_is_empty_and_exits_0() -> None:
    code, out, _ = run("diff", INVENTORY, INVENTORY, "--format", "md", *ACME)
    assert code == 0
    assert out.startswith("# Change: acme-lab -> acme-lab") and "## Requests (0)" in out
    assert "acme." not in out  # nothing changes between identical files

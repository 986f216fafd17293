"""The look-up commands through the CLI, as a user types them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from portmatrix.cli import main

DATA = Path(__file__).resolve().parent / "data"
PORT_FIELDS = {
    "id",
    "product",
    "component",
    "process",
    "protocol",
    "port_start",
    "port_end",
    "instance",
    "side",
    "description",
    "source",
}


def listed(out: str) -> list[dict[str, Any]]:
    """The one list of a JSON result envelope, after checking the envelope around it."""
    result = json.loads(out)
    assert result["schema_version"] == 1 and {"kind", "scope", "summary"} <= set(result)
    (key,) = set(result) - {"schema_version", "kind", "scope", "summary"}
    items: list[dict[str, Any]] = result[key]
    return items


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_port_json_contract() -> None:
    code, out, _ = run("port", "40087", "--proto", "tcp", "--json")
    assert code == 0
    matches = listed(out)
    assert matches and all(set(m) >= PORT_FIELDS for m in matches)
    rtfeed = [m for m in matches if "rtfeed" in m["id"] and m["instance"] == 2]
    assert rtfeed and rtfeed[0]["side"] == "A" and rtfeed[0]["product"] == "cce"


def test_port_table_in_both_languages() -> None:
    code, out, _ = run("port", "143")
    assert code == 0 and "cuc." in out and "source" in out
    code, out, _ = run("port", "143", "--lang", "ja")
    assert code == 0 and "プロトコル" in out


def test_max_instance_option() -> None:
    _, out, _ = run("port", str(40007 + 40 * 7), "--json", "--max-instance", "3")
    assert not any(m["instance"] == 7 for m in listed(out))
    _, out, _ = run("port", str(40007 + 40 * 7), "--json")
    assert any(m["instance"] == 7 for m in listed(out))


@pytest.mark.parametrize("port", ["0", "70000"])
def test_impossible_ports_are_one_line_errors(port: str) -> None:
    code, out, err = run("port", port)
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "outside 1-65535" in err


def test_unknown_protocol_is_a_usage_error() -> None:
    code, _, err = run("port", "80", "--proto", "sctp")
    assert code == 2 and "sctp" in err


def test_catalog_list_and_product_filter() -> None:
    code, out, _ = run("catalog", "list", "--product", "cuc", "--json")
    entries = listed(out)
    assert code == 0 and entries and {e["product"] for e in entries} == {"cuc"}
    code, out, _ = run("catalog", "list")
    assert code == 0 and "cce." in out and "cuc." in out


def test_catalog_show_and_unknown_id() -> None:
    code, out, _ = run("catalog", "show", "cuc.imap")
    assert code == 0 and "notes (ja)" in out and "000_e0967b9895897e12.txt" in out
    code, out, _ = run("catalog", "show", "cuc.imap", "--json")
    assert listed(out)[0]["id"] == "cuc.imap"
    code, _, err = run("catalog", "show", "cuc.imapx")
    assert code == 2 and "no catalog entry 'cuc.imapx'" in err


def test_search_english_and_japanese() -> None:
    code, out, _ = run("search", "rtfeed", "--json")
    assert code == 0 and any("rtfeed" in e["id"] for e in listed(out))
    code, out, _ = run("search", "クラスタ", "--json")
    assert code == 0 and listed(out)


def test_user_catalog_on_every_lookup() -> None:
    pack = str(DATA / "acme-pack.yaml")
    _, out, _ = run("port", "50124", "--catalog", pack, "--json")
    assert any(m["id"] == "acme.switch.sync" and m["instance"] == 3 for m in listed(out))
    _, out, _ = run("catalog", "list", "--product", "acme", "--catalog", pack, "--json")
    assert len(listed(out)) == 8
    _, out, _ = run("search", "vault", "--catalog", pack, "--json")
    assert {e["product"] for e in listed(out)} == {"acme"}


def test_malformed_user_pack_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("product: x\nentries:\n  - id: [\n", encoding="utf-8")
    code, out, err = run("catalog", "list", "--catalog", str(bad))
    assert code == 2 and out == ""
    assert err.startswith(f"portmatrix: error: {bad}:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_ephemeral_ranges_only_on_request() -> None:
    _, out, _ = run("port", "45000", "--proto", "udp", "--json")
    assert not any(m["id"] == "cuc.ephemeral" for m in listed(out))
    _, out, _ = run("port", "45000", "--proto", "udp", "--json", "--include-ephemeral")
    assert any(m["id"] == "cuc.ephemeral" for m in listed(out))

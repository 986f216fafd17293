"""``portmatrix render`` through the CLI runner: targets, scopes, files, stats and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.model import Matrix
from portmatrix.output import MANIFEST
from portmatrix.project import Project
from render_sample import TCP, flow, sample_matrix

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["render", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_list_names_every_target() -> None:
    code, out, _ = run("--list")
    assert code == 0
    for name in ["aerleon", "asa", "ios", "iptables", "nftables", "windows"]:
        assert name in out
    code, out, _ = run("--list", "--json")
    result = json.loads(out)
    rows = result["targets"]
    assert result["kind"] == "targets" and result["summary"]["targets"] == len(rows)
    assert {row["name"] for row in rows} >= {"nftables", "windows"}
    assert next(r for r in rows if r["name"] == "windows")["modes"] == ["host"]


def test_one_host_to_stdout_with_stats_on_stderr() -> None:
    code, out, err = run("nftables", str(EXAMPLE), "--host", "rtr-a", "--stats", "--force")
    assert code == 0
    assert out.startswith("#!/usr/sbin/nft -f") and "table inet portmatrix" in out
    assert "flows in" in err and "host rtr-a" in err


def test_one_host_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "rtr-a.rules"
    code, out, _ = run(
        "iptables", str(EXAMPLE), "--host", "rtr-a", "-o", str(target), "--egress", "--force"
    )
    assert code == 0 and out == ""
    text = target.read_text()
    assert text.startswith("# portmatrix") and ":OUTPUT DROP" in text and text.endswith("COMMIT\n")


def test_between_two_zones(tmp_path: Path) -> None:
    code, out, _ = run("ios", str(EXAMPLE), "--between", "users", "services")
    assert code == 0 and "ip access-list extended PM-USERS-SERVICES" in out


def test_every_host_into_a_directory_with_json_stats(tmp_path: Path) -> None:
    folder = f"{tmp_path / 'fw'}/"  # the trailing slash makes it a folder
    code, out, err = run("windows", str(EXAMPLE), "-o", folder, "--stats", "--json")
    assert code == 0
    files = sorted(
        p.name for p in (tmp_path / "fw").iterdir() if p.name not in ("index.json", MANIFEST)
    )
    assert "rtr-a.ps1" in files and "phones.ps1" not in files  # a network is not a host
    result = json.loads(out)
    stats = result["files"]
    assert result["kind"] == "render" and len(stats) == len(files)
    assert {"target", "subject", "file", "flows_in", "rules_out", "elements_out"} <= set(stats[0])
    assert sorted(row["file"] for row in stats) == files
    index = json.loads((tmp_path / "fw" / "index.json").read_text(encoding="utf-8"))
    assert index["files"] == stats and index["scope"]["target"] == "windows"
    # Unity Connection runs VOS and the gateways are appliances: left out, each said once
    left = err.count("warning: left out ")
    assert "left out cuc-pub: windows is a host firewall for a windows host" in err
    assert "cuc-pub.ps1" not in files and left == 7
    walked = len(files) + left
    assert f"portmatrix: rendering windows: {walked}/{walked} done" in err  # a stage line


def test_the_extension_names_the_target_and_a_contradiction_is_refused(tmp_path: Path) -> None:
    code, _, _ = run(str(EXAMPLE), "--host", "rtr-a", "-o", str(tmp_path / "rtr-a.nft"), "--force")
    assert code == 0 and "table inet portmatrix" in (tmp_path / "rtr-a.nft").read_text()
    code, _, err = run("iptables", str(EXAMPLE), "--host", "rtr-a", "-o", str(tmp_path / "a.nft"))
    assert code == 2 and "contradicts" in err and not (tmp_path / "a.nft").exists()


def test_one_host_into_an_existing_folder(tmp_path: Path) -> None:
    code, _, _ = run("nftables", str(EXAMPLE), "--host", "rtr-a", "-o", str(tmp_path), "--force")
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "rtr-a.nft"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nftables"], "give a TARGET"),
        (["nftables", str(EXAMPLE), "--host", "rtr-a", "--between", "a", "b"], "alternatives"),
        (["nftables", str(EXAMPLE)], "give -o DIR/"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2 and message in err


def test_every_host_refuses_a_file_as_directory(tmp_path: Path) -> None:
    existing = tmp_path / "x"
    existing.write_text("")
    code, _, err = run("nftables", str(EXAMPLE), "-o", str(existing))
    assert code == 2 and "give -o DIR/" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pf", str(EXAMPLE), "--host", "rtr-a"], "no render target 'pf'"),
        (["nftables", str(EXAMPLE), "--host", "rtr-z"], "no host 'rtr-z'"),
        (["windows", str(EXAMPLE), "--between", "users", "services"], "host mode only"),
    ],
)
def test_library_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == ""
    assert err.startswith("portmatrix: error:") and message in err and err.count("\n") == 1


@pytest.fixture
def unbound_matrix(monkeypatch: pytest.MonkeyPatch) -> Matrix:
    matrix = sample_matrix(flow("role:cce.aw", "rgr-a", TCP, 40047, rule="cce.router.rtfeed"))
    monkeypatch.setattr(Project, "matrix", property(lambda self: matrix))
    return matrix


def test_unbound_flows_fail_unless_skipped_with_a_warning(unbound_matrix: Matrix) -> None:
    code, _, err = run("nftables", "inv.yaml", "--host", "rgr-a")
    assert code == 2 and "--skip-unbound" in err
    code, out, err = run("nftables", "inv.yaml", "--host", "rgr-a", "--skip-unbound")
    assert code == 0 and "left out" in out
    assert "portmatrix: warning: host rgr-a: left out role:cce.aw -> rgr-a tcp/40047" in err


def test_left_out_flows_are_one_counted_warning_not_one_per_flow(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parent / "data"
    code, _, err = run(
        "nftables", str(data / "acme-inventory.yaml"), "--catalog", str(data / "acme-pack.yaml"),
        "-o", f"{tmp_path}/", "--skip-unbound", "--egress",
    )  # fmt: skip
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert code == 0 and len(warnings) == 1
    assert "left out 3 flows in 3 files (unbound:" in warnings[0]
    assert "left out" in (tmp_path / "vault-2.nft").read_text()  # the file lists its own

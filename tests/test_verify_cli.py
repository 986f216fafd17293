"""`portmatrix probe` and `portmatrix verify` through the CLI runner, on loopback addresses only."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.resolve import resolve_file
from portmatrix.verify import Sampling, emulator_for
from portmatrix.verify.emulate import BackgroundEmulators
from results_schema import validated

# A Unity Connection pair on loopback addresses of our own; nothing else is ever probed.
INVENTORY = """\
name: loopback-pair
options: {exchange: "none", ipsec: false, sip_ports: "5060-5100"}
hosts:
  - name: cuc-pub
    address: 127.55.2.11
    roles: [{role: cuc.server, cluster: cuc1, node: publisher}]
  - name: cuc-sub
    address: 127.55.2.12
    roles: [{role: cuc.server, cluster: cuc1, node: subscriber}]
  - name: far-away
    address: 192.0.2.12
    roles: [esxi-host]
"""
FAST = ["--sample", "4", "--timeout", "0.3", "--retries", "0"]


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verify-cli") / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def publisher(inventory: Path) -> Iterator[None]:
    """cuc-pub's emulator, answering from a background thread while the CLI probes."""
    emulator = emulator_for(resolve_file(inventory), "cuc-pub", sampling=Sampling(4))
    running = BackgroundEmulators([emulator])
    running.start()
    try:
        yield
    finally:
        running.stop()


def probe(inventory: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        main, ["probe", str(inventory), "--from", "cuc-sub", "--to", "cuc-pub", *FAST, *args],
        catch_exceptions=False,
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def test_probe_json_reports_every_check_and_fails_without_a_firewall(
    inventory: Path, publisher: None
) -> None:
    code, out, err = probe(inventory, "--format", "json")
    result = validated(out)
    records = result["results"]
    assert result["kind"] == "probe" and result["scope"]["from"] == "cuc-sub"
    assert result["summary"]["checks"] == len(records) and result["summary"]["failed"] > 0
    assert code == 1  # no firewall on loopback: forbidden ports answer
    assert {record["dst_address"] for record in records} == {"127.55.2.11"}
    required = [r for r in records if r["expected"] == "open"]
    assert required and all(r["observed"] == "open" and r["ok"] for r in required)
    forbidden = [r for r in records if r["expected"] == "blocked"]
    assert forbidden and all(r["observed"] == "open" and not r["ok"] for r in forbidden)
    # in a pipe, progress is one line per stage once it is done, no bar
    assert f"portmatrix: probing: {len(records)}/{len(records)} done in" in err
    assert "[" not in err and "\r" not in err
    _, _, quiet = probe(inventory, "--format", "json", "--quiet")
    assert quiet == ""


def test_probe_junit_is_valid_xml(inventory: Path, publisher: None) -> None:
    code, out, _ = probe(inventory, "--format", "junit")
    root = ET.fromstring(out)
    assert code == 1
    assert root.get("failures") != "0"
    assert [suite.get("name") for suite in root] == ["cuc-sub -> cuc-pub"]


def test_probe_table_and_output_file(inventory: Path, publisher: None, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    code, out, _ = probe(inventory, "-o", str(report))
    text = report.read_text(encoding="utf-8")
    assert code == 1 and out == ""
    assert "FAIL" in text and "checks," in text.splitlines()[-1]


def test_probe_names_an_unknown_destination(inventory: Path) -> None:
    code, out, err = probe(inventory, "--to", "cuc-zz")
    assert code == 2 and out == ""
    assert err.startswith("portmatrix: error: no host 'cuc-zz'")


def test_probe_refuses_to_pose_as_another_machine(inventory: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["probe", str(inventory), "--from", "far-away", "--to", "cuc-pub", *FAST],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "192.0.2.12 is not an address of this machine" in result.stderr


def test_probe_has_no_way_to_name_an_address() -> None:
    command = main.get_command(click.Context(main), "probe")
    assert command is not None
    options = {name for param in command.params for name in param.opts if name.startswith("--")}
    assert options == {
        "--from", "--to", "--format", "--output", "--mkdir", "--concurrency", "--timeout",
        "--retries", "--sample", "--include-ephemeral", "--quiet", "--catalog",
    }  # fmt: skip


def test_verify_needs_lab_for_now(inventory: Path) -> None:
    result = CliRunner().invoke(main, ["verify", str(inventory)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "only --lab is available" in result.stderr

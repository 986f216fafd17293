"""Every command's JSON output is an envelope that validates against its published schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.render import render
from portmatrix.resolve import resolve_file
from portmatrix.results import RESULTS
from results_schema import validated, validator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "duplex-cce.yaml")
DATA = ROOT / "tests" / "data"
ACME = [str(DATA / "acme-inventory.yaml"), "--catalog", str(DATA / "acme-pack.yaml")]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A second inventory (one host fewer) and a ruleset rendered for one host."""
    where = tmp_path_factory.mktemp("json-results")
    data = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    data["hosts"] = [host for host in data["hosts"] if host["name"] != "cuic-1"]
    data["zones"] = {
        zone: [m for m in members if m != "cuic-1"] for zone, members in data["zones"].items()
    }
    smaller = where / "smaller.yaml"
    smaller.write_text(yaml.safe_dump(data), encoding="utf-8")
    rules = where / "rtr-a.rules"
    text = render(
        resolve_file(EXAMPLE), "iptables", host="rtr-a", skip_unbound=True, force=True
    ).text
    rules.write_text(text, encoding="utf-8")
    return {"smaller": str(smaller), "rules": str(rules), "dir": str(where)}


CHECK = ["check", EXAMPLE, "--ruleset", "{rules}", "--type", "iptables-save"]
COMMANDS = {
    "resolve": (["resolve", EXAMPLE, "--format", "json"], "matrix"),
    "resolve-acme": (["resolve", *ACME, "--format", "json"], "matrix"),
    "resolve-ja": (["resolve", EXAMPLE, "--format", "json", "--lang", "ja"], "matrix"),
    "explain": (["resolve", EXAMPLE, "--explain", "aw-1", "rtr-a", "--format", "json"], "explain"),
    "diff": (["diff", EXAMPLE, "{smaller}", "--format", "json"], "change"),
    "check": (
        [*CHECK, "--host", "rtr-a", "--format", "json"],
        "check",
    ),
    "check-nothing": (
        [*CHECK, "--host", "cvp-1", "--format", "json"],
        "check",
    ),
    "port": (["port", "40087", "--json"], "port"),
    "catalog-list": (["catalog", "list", "--product", "cuc", "--json"], "entries"),
    "catalog-show": (["catalog", "show", "cce.pg1.pgagent", "--json"], "entries"),
    "search": (["search", "rtfeed", "--json"], "entries"),
    "roles": (["roles", "--json"], "roles"),
    "options": (["options", "--json"], "options"),
    "options-ja": (["options", "--product", "cuc", "--lang", "ja", "--json"], "options"),
    "render-list": (["render", "--list", "--json"], "targets"),
    "render-stats": (
        [
            "render",
            "windows",
            EXAMPLE,
            "--host",
            "rtr-a",
            "-o",
            "{dir}/x.ps1",
            "--stats",
            "--json",
        ],
        "render",
    ),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_output_validates(files: dict[str, str], name: str) -> None:
    args, kind = COMMANDS[name]
    result = CliRunner().invoke(main, [a.format(**files) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    parsed = validated(result.stdout)
    assert parsed["kind"] == kind and parsed["schema_version"] == 1


def test_a_render_folder_index_validates(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["render", "iptables", EXAMPLE, "-o", f"{tmp_path}/", "-q", "--force"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    index = validated((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert index["summary"]["files"] == len(index["files"]) > 5


def test_every_result_kind_is_exercised() -> None:
    covered = {kind for _, kind in COMMANDS.values()} | {"probe"}  # probe: test_verify_cli
    assert covered == set(RESULTS)


def test_a_wrong_field_is_caught() -> None:
    """The schemas are strict enough to fail: a renamed field does not validate."""
    result = CliRunner().invoke(main, ["resolve", *ACME, "--format", "json", "-q"])
    text = result.stdout.replace('"port_start"', '"start_port"', 1)
    with pytest.raises(jsonschema.ValidationError):
        validated(text)
    assert validator("matrix").is_valid(__import__("json").loads(result.stdout))

"""Every name a user types gets the same "did you mean" from portmatrix.suggest, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from portmatrix.cli import main

EXAMPLE = str(Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml")


def misspelt(tmp_path: Path, change: str) -> str:
    data = yaml.safe_load(Path(EXAMPLE).read_text(encoding="utf-8"))
    if change == "role":
        data["hosts"][0]["roles"][0] = {"role": "cce.routr", "side": "A"}
    else:
        data["options"] = {"qos_privat": True}
    path = tmp_path / f"{change}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [
        (["catalog", "show", "cce.router.rtfed-a"], "did you mean cce.router.rtfeed-a"),
        (["catalog", "list", "--product", "CUCC"], "did you mean cuc"),
        (["roles", "--product", "cc"], "did you mean cce"),
        (["render", "nftable", EXAMPLE, "--host", "rtr-a"], "did you mean nftables"),
        (["render", "nftables", EXAMPLE, "--host", "rtr-z"], "did you mean rtr-b, rtr-a"),
        (["render", "nftables", EXAMPLE, "--between", "user", "services"], "did you mean users"),
        (["resolve", EXAMPLE, "--explain", "aw-2", "rtr-a"], "did you mean aw-1"),
        (["example", "duplex"], "did you mean duplex-cce"),
        (["schema", "inventry"], "did you mean inventory"),
        (["role"], None),  # click's own: No such command
    ],
)
def test_close_names_are_suggested(args: list[str], suggestion: str | None) -> None:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2
    if suggestion is not None:
        assert suggestion in result.stderr and result.stderr.count("\n") == 1


def test_products_match_case_insensitively() -> None:
    result = CliRunner().invoke(main, ["roles", "--product", "CCE"], catch_exceptions=False)
    assert result.exit_code == 0 and "cce.router" in result.stdout


@pytest.mark.parametrize(
    ("change", "suggestion"), [("role", "cce.router"), ("option", "qos_private")]
)
def test_inventory_names_are_suggested_at_their_line(
    tmp_path: Path, change: str, suggestion: str
) -> None:
    path = misspelt(tmp_path, change)
    result = CliRunner().invoke(main, ["resolve", path], catch_exceptions=False)
    assert result.exit_code == 2 and f"did you mean {suggestion}" in result.stderr
    assert result.stderr.startswith(f"portmatrix: error: {path}:")

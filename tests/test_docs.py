"""Docs as tests: every command documents itself, and the generated reference is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix.cli import docs

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = docs.commands()


def test_there_are_commands() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {
        "portmatrix port",
        "portmatrix resolve",
        "portmatrix render",
        "portmatrix check",
    } <= names


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_every_command_has_help(path: list[str], command: object) -> None:
    text = docs.help_text(path, command)  # type: ignore[arg-type]
    summary = text.split("\n\n")[1].strip() if "\n\n" in text else ""
    assert len(summary) > 15, f"{' '.join(path)} needs a docstring"


def test_cli_reference_is_current() -> None:
    assert docs.main_cli([]) == 0, "docs/cli.md is stale: run `make docs`"


def test_readme_first_screen_has_the_two_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen
    run_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in run_script

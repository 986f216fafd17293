"""Error messages stay messages: one line, capped, file:line kept, safe for a terminal."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.errors import MAX_LINE, MAX_MESSAGE, InputError, one_line


def test_a_long_message_keeps_its_start_its_end_and_says_what_was_cut() -> None:
    text = "start " + "x" * 180_000 + " what to do"
    short = one_line(text, 300)
    assert len(short) < 360
    assert short.startswith("start ") and short.endswith(" what to do")
    assert "characters cut" in short


def test_control_characters_are_escaped_and_breaks_become_spaces() -> None:
    assert one_line("a\nb\x1b[31mc\u202ed") == "a b\\x1b[31mc\\u202ed"
    assert one_line("全角　スペース") == "全角　スペース"


def test_input_error_caps_the_message_but_keeps_file_and_line() -> None:
    error = InputError("bad " + "y" * 10_000, file="pack.yaml", line=12)
    assert str(error).startswith("pack.yaml:12: bad y")
    assert len(error.message) < MAX_MESSAGE + 60


def test_the_cli_prints_a_180_kb_formula_error_as_one_short_line(tmp_path: Path) -> None:
    pack = (Path(__file__).parent / "data" / "acme-pack.yaml").read_text()
    huge = "1 + " * 45_000 + "1"
    pack = pack.replace('"50007 + instance * 40"', f'"{huge}"', 1)
    path = tmp_path / "acme.yaml"
    path.write_text(pack)
    result = CliRunner().invoke(main, ["port", "80", "--catalog", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and len(result.stderr) < MAX_LINE + 100
    line = pack[: pack.index(huge)].count("\n") + 1
    assert f"{path}:{line}: " in result.stderr and "longer than the 1,000 allowed" in result.stderr

"""Hostile and broken rulesets: one file per class of fault, each a clean error through the CLI.

Every file under ``tests/data/rulesets/malformed/`` is listed in ``cases.tsv`` with the line the
error must name and a fragment of its message; a file without a row (or a row without a file)
fails the suite, so the corpus and its expectations cannot drift apart. The reader is chosen
by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.cli import main

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "rulesets" / "malformed"
INVENTORY = str(ROOT / "examples" / "duplex-cce.yaml")
TYPES = {".rules": "iptables-save", ".json": "nft-json", ".asa": "asa", ".ios": "ios"}


def cases() -> list[tuple[str, int | None, str]]:
    rows = []
    for raw in (CORPUS / "cases.tsv").read_text(encoding="utf-8").splitlines():
        if raw and not raw.startswith("#"):
            name, line, fragment = raw.split("\t")
            rows.append((name, None if line == "-" else int(line), fragment))
    return rows


def test_every_corpus_file_has_its_expectation() -> None:
    files = {path.name for path in CORPUS.iterdir() if path.suffix in TYPES}
    assert files == {name for name, _, _ in cases()}


@pytest.mark.parametrize(("name", "line", "fragment"), cases(), ids=[c[0] for c in cases()])
def test_malformed_ruleset_is_one_clean_line_at_its_place(
    name: str, line: int | None, fragment: str
) -> None:
    path = CORPUS / name
    result = CliRunner().invoke(
        main,
        ["check", INVENTORY, "--ruleset", str(path), "--type", TYPES[path.suffix]],
        catch_exceptions=False,
    )
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"portmatrix: error: {where}")
    assert fragment in result.stderr

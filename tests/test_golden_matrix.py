"""Golden flow matrices for the bundled examples (JSON, as `resolve --format json` prints it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix.exporters import export_text, exporter_for
from portmatrix.project import Project

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_matrix_matches_golden(
    golden: object, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(example.parent.parent)  # the scope names the inventory as it was given
    text = export_text(exporter_for("json"), Project(Path("examples", example.name)).listing())
    golden.check(f"matrix/{example.stem}.json", text)  # type: ignore[attr-defined]

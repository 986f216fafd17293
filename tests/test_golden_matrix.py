"""Golden flow matrices for the bundled examples (JSON, as `resolve --format json` prints it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix.catalog import Catalog
from portmatrix.export import to_json
from portmatrix.inventory import load_inventory
from portmatrix.resolve import resolve

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_matrix_matches_golden(catalog: Catalog, golden: object, example: Path) -> None:
    matrix = resolve(load_inventory(example, catalog), catalog)
    golden.check(f"matrix/{example.stem}.json", to_json(matrix.flows) + "\n")  # type: ignore[attr-defined]

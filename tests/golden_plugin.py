"""The one golden-file fixture: compare text with ``tests/golden/NAME``, never rewrite silently.

On a mismatch the new text is written beside the golden file as ``NAME.actual`` (for ``diff``)
and the test fails. Golden files are rewritten only on an explicit request: ``pytest
--regen-golden`` (when this plugin is loaded from conftest) or ``PORTMATRIX_REGEN_GOLDEN=1``.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
FLAG = "--regen-golden"
ENV = "PORTMATRIX_REGEN_GOLDEN"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(FLAG, action="store_true", help="rewrite tests/golden/ from current output")


@dataclass(frozen=True)
class Golden:
    regenerate: bool
    root: Path = GOLDEN

    def check(self, name: str, text: str) -> None:
        """Pass if ``text`` equals the golden file ``name``; else write ``.actual`` and fail."""
        path = self.root / name
        actual = path.with_name(path.name + ".actual")
        if self.regenerate:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            actual.unlink(missing_ok=True)
            return
        expected = path.read_text(encoding="utf-8") if path.is_file() else None
        if expected == text:
            actual.unlink(missing_ok=True)
            return
        actual.write_text(text, encoding="utf-8")
        if expected is None:
            pytest.fail(f"no golden file {path}; wrote {actual.name}; regenerate with {FLAG}")
        diff = difflib.unified_diff(
            expected.splitlines(), text.splitlines(), str(path), str(actual), lineterm="", n=1
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(f"{path.name} differs (new text in {actual.name}; {FLAG} to accept):\n{shown}")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """Compare text with a golden file under tests/golden/ (see the module docstring)."""
    flag = bool(request.config.getoption(FLAG, default=False))
    return Golden(regenerate=flag or os.environ.get(ENV) == "1")

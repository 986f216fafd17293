"""``make bench`` runs every benchmark with arguments each one accepts (no benchmark is run here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from run_all import MODEST  # noqa: E402


def test_every_benchmark_is_run() -> None:
    scripts = {path.stem for path in BENCHMARKS.glob("bench_*.py")}
    assert set(MODEST) <= scripts  # nothing named that does not exist
    assert "benchmarks/run_all.py" in (BENCHMARKS.parent / "Makefile").read_text()


@pytest.mark.parametrize("name", sorted(MODEST))
def test_the_modest_arguments_are_options_the_benchmark_has(name: str) -> None:
    helped = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    known = set(re.findall(r"--[a-z][a-z-]*", helped.stdout))
    given = {arg for arg in MODEST[name] if arg.startswith("--")}
    assert given <= known, f"{name} has no {sorted(given - known)}"

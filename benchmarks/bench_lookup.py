#!/usr/bin/env python3
"""Cold-start timing of ``portmatrix port N`` (interpreter start and catalog load included).

The reference beside it is a bare ``python -c pass`` in the same interpreter, so the figure can
be read as "portmatrix's own cost on top of starting Python". Prints medians over --runs.

    python benchmarks/bench_lookup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def _time(argv: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    portmatrix = str(VENV_BIN / "portmatrix")
    cases = {
        "python -c pass (reference)": [sys.executable, "-c", "pass"],
        "portmatrix port 40087": [portmatrix, "port", "40087"],
        "portmatrix port 40087 --json": [portmatrix, "port", "40087", "--json"],
        "portmatrix port 2555 --proto tcp": [portmatrix, "port", "2555", "--proto", "tcp"],
    }
    print(f"{'command':<36} {'median ms':>10} {'min ms':>8} {'max ms':>8}  (runs={args.runs})")
    for label, argv in cases.items():
        samples = _time(argv, args.runs)
        print(
            f"{label:<36} {statistics.median(samples) * 1000:>10.1f} "
            f"{min(samples) * 1000:>8.1f} {max(samples) * 1000:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

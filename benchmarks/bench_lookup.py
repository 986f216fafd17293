#!/usr/bin/env python3
"""Cold-start timing of ``portmatrix port N`` (interpreter start and catalog load included).

The reference beside it is a bare ``python -c pass`` in the same interpreter, so the figure can
be read as "portmatrix's own cost on top of starting Python"; the aim is at most 12x. The
commands run interleaved, round after round, so a busy machine slows all of them alike.
``--version`` and ``--help`` are timed too: they should cost next to nothing. Prints medians.

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


def _once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


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
        "portmatrix --version": [portmatrix, "--version"],
        "portmatrix --help": [portmatrix, "--help"],
    }
    samples: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(args.runs):
        for label, argv in cases.items():
            samples[label].append(_once(argv))
    reference = statistics.median(samples["python -c pass (reference)"])
    print(
        f"{'command':<36} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'x ref':>6}  (runs={args.runs})"
    )
    for label, times in samples.items():
        median = statistics.median(times)
        print(
            f"{label:<36} {median * 1000:>10.1f} {min(times) * 1000:>8.1f} "
            f"{max(times) * 1000:>8.1f} {median / reference:>6.1f}"
        )
    print("aim: portmatrix port 40087 at most 12x the reference")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Run every benchmark (``benchmarks/bench_*.py``) in turn and print their figures: ``make bench``.

Each runs as its own process with modest sizes (:data:`MODEST`) so the whole set takes minutes
on two cores; ``--full`` runs each with its own defaults, the sizes the CHANGELOG reports. A
benchmark that needs what this machine lacks (root, nmap) says ``skipped: ...`` and is counted
as skipped, not failed. Exit status 1 when any benchmark failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Arguments for a quick run; a benchmark not listed runs with its defaults.
MODEST: dict[str, list[str]] = {
    "bench_audit": ["--records", "1000000", "--ingest", "200000", "--text", "20000"],
    "bench_check": ["--rules", "15000", "--defects", "5", "--calls", "50000"],
    "bench_lookup": ["--runs", "5"],
    "bench_probe": ["--tcp", "500", "--udp", "300"],
    "bench_render": ["--runs", "1", "--sites", "10", "--instances", "4"],
    "bench_resolve": ["--runs", "1"],
}


def run(script: Path, args: list[str]) -> tuple[str, float]:
    """``ok``, ``skipped`` or ``failed``, and the seconds it took; its output passes through."""
    print(f"\n=== {script.stem} {' '.join(args)}".rstrip(), flush=True)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script), *args], stderr=subprocess.PIPE, text=True, check=False
    )
    seconds = time.perf_counter() - start
    sys.stderr.write(done.stderr)
    if done.returncode == 0:
        return "ok", seconds
    skipped = any(line.startswith("skipped:") for line in done.stderr.splitlines())
    return ("skipped" if skipped else "failed"), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark's own default sizes")
    parser.add_argument("only", nargs="*", help="run only these (e.g. bench_check)")
    options = parser.parse_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if options.only:
        scripts = [script for script in scripts if script.stem in options.only]
    outcomes = [
        (script.stem, *run(script, [] if options.full else MODEST.get(script.stem, [])))
        for script in scripts
    ]
    print("\n=== summary")
    for name, outcome, seconds in outcomes:
        print(f"{name:16} {outcome:8} {seconds:7.1f} s")
    return 1 if any(outcome == "failed" for _, outcome, _ in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())

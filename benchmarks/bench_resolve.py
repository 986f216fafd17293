#!/usr/bin/env python3
"""Resolution at enterprise and carrier sizes: time against flows, the fitted exponent, memory.

For generated inventories of about 1,000, 4,000 and 8,000 endpoints (``gen_inventory.py``), and
a variant with many sites whose phones all reach one shared Unity Connection cluster, prints the
in-process time to read the inventory (YAML, validation) and to resolve it (best of --runs), the
flows it makes, and the exponent of resolve time against flows fitted on a log-log scale (1.0
is linear; the aim is no more than that). Then the peak memory (max RSS) of whole processes:
``resolve --format json -o FILE`` and ``render nftables -o DIR`` at the largest size.

    python benchmarks/bench_resolve.py [--runs 3]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from gen_inventory import generate

from portmatrix.project import Project

BIN = Path(sys.executable).parent
SIZES = {"~1,000": (50, 8, 8), "~4,000": (230, 8, 8), "~8,000": (465, 8, 8)}
SHARED_CLUSTER = {"one cluster, 300 sites": (300, 4, 1)}


def best(runs: int, path: Path) -> tuple[float, float, int]:
    """(inventory seconds, resolve seconds, flows), best of ``runs`` fresh projects."""
    read = solve = float("inf")
    flows = 0
    for _ in range(runs):
        project = Project(path)
        start = time.perf_counter()
        _ = project.deployment
        middle = time.perf_counter()
        flows = len(project.matrix.flows)
        end = time.perf_counter()
        read, solve = min(read, middle - start), min(solve, end - middle)
    return read, solve, flows


def fit(points: list[tuple[int, float]]) -> float:
    """The slope of log(time) against log(flows): time grows as flows ** slope."""
    xs = [math.log(flows) for flows, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return covariance / sum((x - mean_x) ** 2 for x in xs)


def peak_rss(command: list[str]) -> tuple[float, float]:
    """(seconds, max RSS in MiB) of one whole process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    _ = Project().catalog  # warm: the catalog is not what is measured here
    with tempfile.TemporaryDirectory(prefix="pm-bench-resolve-") as tmp:
        root = Path(tmp)
        print(
            f"{'inventory':24} {'endpoints':>9} {'flows':>8} {'read ms':>8} {'resolve ms':>11} {'us/flow':>8}"
        )
        points: list[tuple[int, float]] = []
        largest = root / "none.yaml"
        for label, (sites, instances, clusters) in {**SIZES, **SHARED_CLUSTER}.items():
            data = generate(sites=sites, instances=instances, clusters=clusters)
            path = root / f"{sites}-{clusters}.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
            read, solve, flows = best(args.runs, path)
            if label in SIZES:
                points.append((flows, solve))
                largest = path
            print(
                f"{label:24} {len(data['hosts']):>9} {flows:>8} {read * 1000:>8.0f} "
                f"{solve * 1000:>11.0f} {solve / flows * 1e6:>8.1f}"
            )
        print(f"resolve time ~ flows ** {fit(points):.2f} over the three sizes (aim: <= 1.0)")
        print("aim: ~1,000 endpoints resolve in under 150 ms in-process")
        portmatrix = str(BIN / "portmatrix")
        seconds, rss = peak_rss(
            [portmatrix, "resolve", str(largest), "--format", "json", "-o", str(root / "m.json")]
        )
        print(
            f"~8,000 endpoints: resolve --format json -o FILE: {seconds:.1f} s, peak RSS {rss:.0f} MiB"
        )
        seconds, rss = peak_rss(
            [
                portmatrix,
                "render",
                "nftables",
                str(largest),
                "-o",
                f"{root / 'nft'}/",
                "--skip-unbound",
                "--force",  # every host, Windows and VOS ones too: the memory of the whole run
            ]
        )
        print(
            f"~8,000 endpoints: render nftables, every host: {seconds:.1f} s, peak RSS {rss:.0f} MiB"
            " (aim: resolve + render under 200 MiB)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

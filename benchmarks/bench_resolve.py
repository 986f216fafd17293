#!/usr/bin/env python3
"""Time ``resolve`` on generated enterprise inventories and show how the flow count grows.

Resolves the default ~1,000-endpoint inventory (best of --runs, in-process, catalog loaded once
and timed separately), then a small grid of (sites, instances) so the reader can see flows grow
with sites plus instances rather than with their product.

    python benchmarks/bench_resolve.py [--runs 5]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import yaml
from gen_inventory import generate

from portmatrix.catalog import load_catalog
from portmatrix.errors import InventoryError
from portmatrix.inventory import build_deployment
from portmatrix.resolve import resolve
from portmatrix.yamlio import parse_yaml


def _resolve_text(text: str, catalog: object) -> tuple[int, float]:
    start = time.perf_counter()
    data, lines = parse_yaml(text, name="enterprise.yaml", error=InventoryError)
    matrix = resolve(build_deployment(data, catalog, file="enterprise.yaml", lines=lines), catalog)  # type: ignore[arg-type]
    return len(matrix.flows), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    catalog = load_catalog()
    print(
        f"catalog load: {(time.perf_counter() - start) * 1000:.0f} ms, {len(catalog.entries)} entries"
    )
    data = generate()
    text = yaml.safe_dump(data, sort_keys=False)
    best = min(_resolve_text(text, catalog)[1] for _ in range(args.runs))
    tracemalloc.start()
    flows, _ = _resolve_text(text, catalog)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"default inventory: {len(data['hosts'])} endpoints -> {flows} flows, "
        f"resolve (parse + validate + resolve) best of {args.runs}: {best * 1000:.0f} ms, "
        f"peak traced memory {peak / 2**20:.1f} MiB"
    )
    print(f"{'sites':>6} {'instances':>10} {'endpoints':>10} {'flows':>8} {'ms':>7}")
    for sites, instances in ((10, 2), (20, 2), (40, 2), (20, 4), (20, 8), (40, 8)):
        grid = generate(sites=sites, instances=instances)
        flows, seconds = _resolve_text(yaml.safe_dump(grid, sort_keys=False), catalog)
        print(
            f"{sites:>6} {instances:>10} {len(grid['hosts']):>10} {flows:>8} {seconds * 1000:>7.0f}"
        )
    return 0


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())

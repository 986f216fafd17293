#!/usr/bin/env python3
"""Render every host of the ~1,000-endpoint enterprise, whole process against whole process,
beside Aerleon generating the same per-host policies, in one run.

portmatrix side: ``portmatrix render TARGET enterprise.yaml -o DIR`` as a fresh process (start-up,
compiled catalog, inventory, resolve, compaction, rendering and writing every file included).
Aerleon side: ``aclgen`` as a fresh process over a policy folder holding one policy per host
(our own Aerleon export of the same matrix, with each host's definitions prefixed so that one
definitions folder serves them all), generating the same target. Unbound flows are skipped on
both sides (``--skip-unbound``). Both are timed best of --runs, per target; then the split of
our process by stage, and the rules each side wrote, counted the same way.

    python benchmarks/bench_render.py [--runs 3] [--sites 50] [--instances 8]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from gen_inventory import generate

BIN = Path(sys.executable).parent
TARGETS = ("nftables", "iptables")


def timed(command: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def _prefixed(text: str, prefix: str, symbols: list[str]) -> str:
    for symbol in sorted(symbols, key=len, reverse=True):
        text = text.replace(symbol, f"{prefix}{symbol}")
    return text


def aerleon_folder(inventory: Path, root: Path, target: str) -> None:
    """One policy per host under ``root/pol`` and all definitions under ``root/def``."""
    from portmatrix.project import Project
    from portmatrix.render.aerleon import split_bundle

    (root / "def").mkdir(parents=True)
    (root / "pol").mkdir()
    hosts = Project(inventory).render_hosts(["aerleon"], skip_unbound=True)["aerleon"]
    for number, (name, rendered) in enumerate(sorted(hosts.items())):
        definitions, policy = split_bundle(rendered.text)
        symbols = [*definitions.get("networks", {}), *definitions.get("services", {})]
        prefix = f"H{number:04d}_"
        for item in policy["filters"]:
            af = item["header"]["targets"][target].split()[-1 if target == "iptables" else 0]
            chain = item["header"]["targets"]["iptables"].split()[0]
            item["header"]["targets"] = {
                target: f"{chain} DROP {af}" if target == "iptables" else f"{af} {chain}"
            }
        (root / "def" / f"{name}.yaml").write_text(
            _prefixed(yaml.safe_dump(definitions, sort_keys=False), prefix, symbols)
        )
        (root / "pol" / f"{name}.yaml").write_text(
            _prefixed(yaml.safe_dump(policy, sort_keys=False), prefix, symbols)
        )


def split(inventory: Path, out: Path, target: str) -> dict[str, float]:
    """Our process by stage, measured in this process (start-up measured as a fresh one)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import portmatrix.cli"], check=True)
    stages = {"start-up (fresh process, imports)": time.perf_counter() - start}

    def stage(name: str, work: Callable[[], Any]) -> Any:
        begin = time.perf_counter()
        result = work()
        stages[name] = time.perf_counter() - begin
        return result

    from portmatrix.project import Project
    from portmatrix.render import renderer_for
    from portmatrix.render._pipeline import _print
    from portmatrix.render._protocol import RenderOptions
    from portmatrix.render._scope import FlowIndex, build

    project = Project(inventory)
    stage("catalog", lambda: project.catalog)
    stage("inventory (parse, validate)", lambda: project.deployment)
    matrix = stage("resolve", lambda: project.matrix)
    renderer = renderer_for(target)
    names = sorted(n for n, e in matrix.endpoints.items() if not e.is_network)
    index = FlowIndex.of(matrix)
    options = {n: RenderOptions(host=n, skip_unbound=True, force=True) for n in names}
    compact = stage(
        "compaction",
        lambda: {n: build(matrix, target=target, options=options[n], index=index) for n in names},
    )
    texts = stage("rendering", lambda: {n: _print(compact[n], renderer, options[n]) for n in names})

    def write() -> None:
        from portmatrix.yamlio import atomic_write

        for name, rendered in texts.items():
            with atomic_write(out / f"{name}{rendered.suffix}") as handle:
                handle.write(rendered.text)

    out.mkdir(parents=True, exist_ok=True)
    stage("writing", write)
    return stages


def nft_rules(text: str) -> list[str]:
    """Rule lines inside the chains of an nftables file (not declarations or comments)."""
    rules, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("chain ") and line.endswith("{"):
            inside = True
        elif line == "}":
            inside = False
        elif inside and line and not line.startswith(("type ", "comment ", "#")):
            rules.append(line)
    return rules


def iptables_rules(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("-A ") and " -j " in line]


def counted(folder: Path, pattern: str, target: str) -> tuple[int, int, int]:
    """(files, all rules, rules that match a destination port) over a folder of outputs."""
    parse = nft_rules if target == "nftables" else iptables_rules
    texts = [path.read_text() for path in folder.glob(pattern)]
    rules = [rule for text in texts for rule in parse(text)]
    return len(texts), len(rules), sum(1 for rule in rules if "dport" in rule)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--instances", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("aclgen", path=str(BIN)) is None:
        print("aclgen not found beside this Python: pip install 'portmatrix[aerleon]'")
        return 2
    with tempfile.TemporaryDirectory(prefix="pm-bench-render-") as tmp:
        root = Path(tmp)
        inventory = root / "enterprise.yaml"
        data = generate(sites=args.sites, instances=args.instances)
        inventory.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        print(f"inventory: {len(data['hosts'])} endpoints ({inventory.stat().st_size} bytes)")
        print(
            f"{'target':10} {'portmatrix s':>13} {'aerleon s':>10} {'ratio':>7}   files (ours/theirs)"
        )
        for target in TARGETS:
            ours = root / f"ours-{target}"
            theirs = root / f"theirs-{target}"
            policy = root / f"aerleon-{target}"
            aerleon_folder(inventory, policy, target)
            mine = timed(
                # --force: Aerleon writes every host's policy, whatever the host runs, so ours
                # must too for the comparison to be like for like.
                [str(BIN / "portmatrix"), "render", target, str(inventory), "-o", f"{ours}/",
                 "--skip-unbound", "--force"],
                args.runs,
            )  # fmt: skip
            theirs.mkdir()
            their = timed(
                [str(BIN / "aclgen"), f"--base_directory={policy}",
                 f"--definitions_directory={policy / 'def'}", f"--output_directory={theirs}"],
                args.runs,
            )  # fmt: skip
            pattern = "*.nft" if target == "nftables" else "*.rules"
            their_pattern = "*.nft" if target == "nftables" else "*"  # aerleon: no suffix
            ours_count = counted(ours, pattern, target)
            theirs_count = counted(theirs, their_pattern, target)
            print(
                f"{target:10} {mine:13.2f} {their:10.2f} {their / mine:6.1f}x   "
                f"{ours_count[0]}/{theirs_count[0]}  rules all/with ports: "
                f"{ours_count[1]}/{ours_count[2]} vs {theirs_count[1]}/{theirs_count[2]}"
            )
        print("aim: aerleon / portmatrix >= 5x for both targets (10x hoped for)")
        print("\nsplit of one portmatrix render nftables run:")
        for name, seconds in split(inventory, root / "split", "nftables").items():
            print(f"  {name:36} {seconds * 1000:8.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Render every host of the ~1,000-endpoint inventory for nftables and iptables, beside Aerleon.

Both sides start from the same resolved matrix. portmatrix selects and compacts each host once
and prints its nftables and iptables files (``render_hosts_for``); Aerleon, in the same run,
generates the same two targets from our exported policy (``portmatrix render aerleon``) through
its Python API. Unbound flows (roles the inventory leaves out) are skipped on both sides, as
``--skip-unbound`` does. Printed: wall time of each side (best of --runs), rules counted the same
way on both sides (all rules, and rules that match a port), set elements, the ratio, and whether
every host's nftables file stays within one port-matching rule per distinct (protocol, action)
pair of its flows.

    python benchmarks/bench_render.py [--runs 3] [--sites 50] [--instances 8]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import yaml
from gen_inventory import generate

from portmatrix.catalog import load_catalog
from portmatrix.errors import InventoryError
from portmatrix.inventory import build_deployment
from portmatrix.model import Matrix
from portmatrix.render import Rendered, render_hosts, render_hosts_for
from portmatrix.render.aerleon import split_bundle
from portmatrix.resolve import resolve
from portmatrix.yamlio import parse_yaml


def resolved(sites: int, instances: int) -> Matrix:
    catalog = load_catalog()
    text = yaml.safe_dump(generate(sites=sites, instances=instances), sort_keys=False)
    data, lines = parse_yaml(text, name="enterprise.yaml", error=InventoryError)
    deployment = build_deployment(data, catalog, file="enterprise.yaml", lines=lines)
    return resolve(deployment, catalog)


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def ours(matrix: Matrix) -> dict[str, dict[str, Rendered]]:
    return render_hosts_for(matrix, ["nftables", "iptables"], skip_unbound=True)


def exported(matrix: Matrix) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out = []
    for name, rendered in render_hosts(matrix, "aerleon", skip_unbound=True).items():
        definitions, policy = split_bundle(rendered.text)
        out.append((name, definitions, {**policy, "filename": name}))
    return out


def aerleon(exports: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> dict[str, str]:
    from aerleon import api
    from aerleon.lib import naming

    generated: dict[str, str] = {}
    for _, definitions, policy in exports:
        names = naming.Naming()
        names.ParseDefinitionsObject(definitions, "")
        generated.update(api.Generate([policy], names) or {})
    return generated


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


def rule_counts(texts: list[str], parse: Callable[[str], list[str]]) -> tuple[int, int]:
    """(all rules, rules matching a destination port) over many files, counted one way."""
    rules = [rule for text in texts for rule in parse(text)]
    return len(rules), sum(1 for rule in rules if "dport" in rule)


def pair(counts: tuple[int, int]) -> str:
    return f"{counts[0]} / {counts[1]}"


def pairs_bar(matrix: Matrix, rendered: dict[str, Rendered]) -> tuple[int, int]:
    """(max nftables rules on a host, hosts whose rules exceed their (protocol, action) pairs)."""
    pairs: dict[str, set[tuple[str, bool]]] = {name: set() for name in rendered}
    for flow in matrix.flows:
        if flow.dst in pairs:
            pairs[flow.dst].add((flow.protocol.value, flow.local_only))
    over = sum(1 for name, r in rendered.items() if r.counts.rules > len(pairs[name]))
    return max(r.counts.rules for r in rendered.values()), over


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--instances", type=int, default=8)
    args = parser.parse_args()
    matrix = resolved(args.sites, args.instances)
    hosts = sum(1 for e in matrix.endpoints.values() if not e.is_network)
    print(
        f"inventory: {len(matrix.endpoints)} endpoints ({hosts} hosts), {len(matrix.flows)} flows"
    )

    our_time, rendered = best_of(args.runs, lambda: ours(matrix))
    export_time, exports = best_of(1, lambda: exported(matrix))
    their_time, generated = best_of(args.runs, lambda: aerleon(exports))
    our_nft = rule_counts([r.text for r in rendered["nftables"].values()], nft_rules)
    our_ipt = rule_counts([r.text for r in rendered["iptables"].values()], iptables_rules)
    their_nft_texts = [text for name, text in generated.items() if name.endswith(".nft")]
    their_ipt_texts = [text for name, text in generated.items() if not name.endswith(".nft")]
    their_nft = rule_counts(their_nft_texts, nft_rules)
    their_ipt = rule_counts(their_ipt_texts, iptables_rules)
    elements = sum(r.counts.elements for r in rendered["nftables"].values())
    worst, over = pairs_bar(matrix, rendered["nftables"])

    def row(label: str, mine: object, theirs: object) -> None:
        print(f"{label:36} {mine!s:>12} {theirs!s:>12}")

    row("", "portmatrix", "aerleon")
    row("hosts rendered", hosts, len(their_nft_texts))
    row("ms, nftables + iptables, all hosts", f"{our_time * 1000:.0f}", f"{their_time * 1000:.0f}")
    row("nftables rules (all / with ports)", pair(our_nft), pair(their_nft))
    row("nftables set elements", elements, "-")
    row("iptables rules (all / with ports)", pair(our_ipt), pair(their_ipt))
    print(f"ratio aerleon / portmatrix time: {their_time / our_time:.1f}x (aim: >= 5x)")
    print(f"export to aerleon policy (in neither time): {export_time * 1000:.0f} ms")
    print(
        f"nftables rules with ports per host: max {worst}; "
        f"hosts above their (protocol, action) pairs: {over}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

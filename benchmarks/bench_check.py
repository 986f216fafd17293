#!/usr/bin/env python3
"""Time ``check`` of the ~1,000-endpoint matrix against rule sets of tens of thousands of rules.

The inventory comes from ``gen_inventory.py``. The rule set is one forward firewall for every
flow of the matrix: an accept per flow (in a flat chain, the hardest case for first match),
surrounded by unrelated rules for addresses outside the inventory, with planted defects: deleted
rules (blocked flows), broad accepts (excess) and duplicates (shadowed). It is written as
iptables-save, as nft JSON and as an ASA access-list, and each is parsed and checked with no
--host or --between (every flow of the matrix, through the forward path).

    python benchmarks/bench_check.py [--noise 20000] [--defects 40] [--runs 1]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import yaml
from gen_inventory import generate

from portmatrix.catalog import load_catalog
from portmatrix.check import FindingKind, RulesetType, check_ruleset, parse_ruleset
from portmatrix.errors import InventoryError
from portmatrix.inventory import build_deployment
from portmatrix.model import Flow, Matrix
from portmatrix.resolve import resolve
from portmatrix.yamlio import parse_yaml


@dataclass(frozen=True)
class Rule:
    src: str  # CIDR or "any"
    dst: str
    protocol: str
    lo: int
    hi: int
    accept: bool = True


def _matrix() -> Matrix:
    text = yaml.safe_dump(generate(), sort_keys=False)
    data, lines = parse_yaml(text, name="enterprise.yaml", error=InventoryError)
    catalog = load_catalog()
    return resolve(build_deployment(data, catalog, file="enterprise.yaml", lines=lines), catalog)


def _rules(
    matrix: Matrix, *, noise: int, defects: int, rng: random.Random
) -> tuple[list[Rule], int]:
    """The rule list, and how many flows the deleted rules should leave blocked (at least)."""
    flows: list[Flow] = sorted(
        {f for f in matrix.network_flows() if not f.unbound and f.src != f.dst}
    )
    wanted = list(
        dict.fromkeys(
            Rule(
                f.src_address or "", f.dst_address or "", f.protocol.value, f.port_start, f.port_end
            )
            for f in flows
        )
    )
    deleted = set(rng.sample(range(len(wanted)), defects))
    rules = [rule for index, rule in enumerate(wanted) if index not in deleted]
    for index in rng.sample(range(len(rules)), defects):  # duplicates: shadowed
        rules.append(rules[index])
    hosts = [e.address for e in matrix.endpoints.values() if not e.is_network]
    for _ in range(defects):  # broad accepts: excess
        rules.insert(rng.randrange(len(rules)), Rule("any", rng.choice(hosts), "tcp", 1, 65535))
    for _ in range(noise):  # rules for addresses outside the inventory
        src = str(ipaddress.IPv4Address(0xAC100000 + rng.randrange(2**16)))
        dst = str(ipaddress.IPv4Address(0xAC110000 + rng.randrange(2**16)))
        port = rng.randrange(1, 65000)
        rules.insert(
            rng.randrange(len(rules)),
            Rule(
                f"{src}/32",
                f"{dst}/32",
                rng.choice(["tcp", "udp"]),
                port,
                port + rng.choice([0, 0, 10]),
                rng.random() < 0.8,
            ),
        )
    return rules, len(deleted)


def _iptables(rules: list[Rule]) -> str:
    lines = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"]
    for r in rules:
        src = "" if r.src == "any" else f"-s {r.src} "
        ports = str(r.lo) if r.lo == r.hi else f"{r.lo}:{r.hi}"
        verdict = "ACCEPT" if r.accept else "DROP"
        lines.append(
            f"-A FORWARD {src}-d {r.dst} -p {r.protocol} -m {r.protocol} --dport {ports} -j {verdict}"
        )
    return "\n".join([*lines, "COMMIT", ""])


def _nft_address(text: str) -> object:
    network = ipaddress.ip_network(text)
    if network.num_addresses == 1:
        return str(network.network_address)
    return {"prefix": {"addr": str(network.network_address), "len": network.prefixlen}}


def _nft(rules: list[Rule]) -> str:
    items: list[object] = [
        {"table": {"family": "inet", "name": "fw", "handle": 1}},
        {
            "chain": {
                "family": "inet",
                "table": "fw",
                "name": "forward",
                "handle": 1,
                "type": "filter",
                "hook": "forward",
                "prio": 0,
                "policy": "drop",
            }
        },
    ]
    for handle, r in enumerate(rules, start=2):
        expr: list[object] = []
        if r.src != "any":
            expr.append(
                {
                    "match": {
                        "op": "==",
                        "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                        "right": _nft_address(r.src),
                    }
                }
            )
        expr.append(
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                    "right": _nft_address(r.dst),
                }
            }
        )
        port: object = r.lo if r.lo == r.hi else {"range": [r.lo, r.hi]}
        expr.append(
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": r.protocol, "field": "dport"}},
                    "right": port,
                }
            }
        )
        expr.append({"accept": None} if r.accept else {"drop": None})
        items.append(
            {
                "rule": {
                    "family": "inet",
                    "table": "fw",
                    "chain": "forward",
                    "handle": handle,
                    "expr": expr,
                }
            }
        )
    return json.dumps({"nftables": items})


def _asa_address(text: str) -> str:
    if text == "any":
        return "any"
    network = ipaddress.ip_network(text)
    if network.num_addresses == 1:
        return f"host {network.network_address}"
    return f"{network.network_address} {network.netmask}"


def _asa(rules: list[Rule]) -> str:
    lines = []
    for r in rules:
        ports = f"eq {r.lo}" if r.lo == r.hi else f"range {r.lo} {r.hi}"
        action = "permit" if r.accept else "deny"
        lines.append(
            f"access-list FW extended {action} {r.protocol} {_asa_address(r.src)} {_asa_address(r.dst)} {ports}"
        )
    return "\n".join([*lines, ""])


FORMATS: dict[str, tuple[RulesetType, Callable[[list[Rule]], str]]] = {
    "iptables-save": (RulesetType.IPTABLES_SAVE, _iptables),
    "nft-json": (RulesetType.NFT_JSON, _nft),
    "asa": (RulesetType.ASA, _asa),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--noise", type=int, default=20000, help="rules for addresses outside the inventory"
    )
    parser.add_argument(
        "--defects", type=int, default=40, help="deleted, duplicated and broad rules, each"
    )
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    matrix = _matrix()
    print(
        f"matrix: {len(matrix.endpoints)} endpoints, {len(matrix.network_flows())} network flows "
        f"({time.perf_counter() - start:.2f} s to generate and resolve)"
    )
    rules, deleted = _rules(matrix, noise=args.noise, defects=args.defects, rng=random.Random(6))
    print(
        f"ruleset: {len(rules)} rules ({deleted} deleted, {args.defects} duplicated, {args.defects} broad, "
        f"{args.noise} unrelated)"
    )
    for name, (ruleset_type, write) in FORMATS.items():
        text = write(rules)
        parse_times, check_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            ruleset = parse_ruleset(text, ruleset_type=ruleset_type, name=name)
            parse_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            report = check_ruleset(matrix, ruleset)
            check_times.append(time.perf_counter() - start)
        counts = ", ".join(f"{report.count(kind)} {kind.value}" for kind in FindingKind)
        print(
            f"{name:>14}: {len(text) / 2**20:5.1f} MiB, parse {min(parse_times):.2f} s, "
            f"check {min(check_times):.2f} s; {len(report.flows)} flows, {report.blocked_flows} blocked; {counts}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

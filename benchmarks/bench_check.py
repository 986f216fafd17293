#!/usr/bin/env python3
"""Time ``check`` (parse and evaluate) of generated matrices against rule sets of 50,000 rules.

The inventory comes from ``gen_inventory.py``. The rule set is one forward firewall for every
flow of the matrix: an accept per flow (in a flat chain, the hardest case for first match),
surrounded by unrelated rules, with planted defects: deleted rules (blocked flows), broad
accepts (excess) and duplicates (shadowed). It is written as iptables-save, as nft JSON and as
an ASA access-list, and each is parsed and checked with no --host or --between (every flow of
the matrix, through the forward path).

"Unrelated" rules use addresses from 198.18.0.0/15 (the benchmarking range), checked to lie
outside the inventory whatever its size. A second run puts them *inside* the inventory's
network endpoints instead (single hosts in the phone networks: the case that once cost 7 ms a
rule). Then the time is fitted against the number of rules (12,500 to 50,000, flows fixed) and
against the number of flows (inventories of 12, 25 and 50 sites, rules fixed at 50,000), and
printed as exponents: 1.0 is linear. Last, ``Matrix.admits`` is timed in calls per second.

The aim (issue 9): 50,000 rules against about 12,000 flows parsed and evaluated in under 5 s.

    python benchmarks/bench_check.py [--rules 50000] [--defects 40]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import yaml
from gen_inventory import generate

from portmatrix.catalog import load_catalog
from portmatrix.check import FindingKind, Report, RulesetType, check_ruleset, parse_ruleset
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


def _matrix(sites: int = 50) -> Matrix:
    text = yaml.safe_dump(generate(sites=sites), sort_keys=False)
    data, lines = parse_yaml(text, name="enterprise.yaml", error=InventoryError)
    catalog = load_catalog()
    return resolve(build_deployment(data, catalog, file="enterprise.yaml", lines=lines), catalog)


UNRELATED = ipaddress.ip_network("198.18.0.0/15")


def _outside(matrix: Matrix, rng: random.Random) -> Callable[[], tuple[str, str]]:
    """Source and destination hosts that no endpoint of the matrix holds."""
    networks = [ipaddress.ip_network(e.address) for e in matrix.endpoints.values()]
    assert not any(UNRELATED.overlaps(net) for net in networks if net.version == 4), (
        "the inventory reaches into 198.18.0.0/15; the unrelated rules would not be unrelated"
    )
    base = int(UNRELATED.network_address)
    half = UNRELATED.num_addresses // 2

    def pick() -> tuple[str, str]:
        src = ipaddress.IPv4Address(base + rng.randrange(half))
        dst = ipaddress.IPv4Address(base + half + rng.randrange(half))
        return f"{src}/32", f"{dst}/32"

    return pick


def _inside(matrix: Matrix, rng: random.Random) -> Callable[[], tuple[str, str]]:
    """Single hosts inside the matrix's network endpoints, from anywhere in 198.18.0.0/16."""
    networks = [ipaddress.ip_network(e.address) for e in matrix.endpoints.values() if e.is_network]
    base = int(UNRELATED.network_address)

    def pick() -> tuple[str, str]:
        network = rng.choice(networks)
        dst = network.network_address + rng.randrange(1, network.num_addresses - 1)
        return f"{ipaddress.IPv4Address(base + rng.randrange(2**16))}/32", f"{dst}/32"

    return pick


def _rules(
    matrix: Matrix, *, total: int, defects: int, rng: random.Random, inside: bool = False
) -> tuple[list[Rule], int]:
    """``total`` rules, and how many flows the deleted rules should leave blocked (at least)."""
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
    pick = (_inside if inside else _outside)(matrix, rng)
    noise = []
    for _ in range(max(0, total - len(rules))):
        src, dst = pick()
        port = rng.randrange(1, 65000)
        noise.append(
            Rule(
                src,
                dst,
                rng.choice(["tcp", "udp"]),
                port,
                port + rng.choice([0, 0, 10]),
                rng.random() < 0.8,
            )
        )
    for rule in noise:  # spread through the list, as unrelated rules are in a real firewall
        rules.insert(rng.randrange(len(rules) + 1), rule)
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


def _time(matrix: Matrix, rules: list[Rule], name: str) -> tuple[float, float, Report, int]:
    ruleset_type, write = FORMATS[name]
    text = write(rules)
    start = time.perf_counter()
    ruleset = parse_ruleset(text, ruleset_type=ruleset_type, name=name)
    parsed = time.perf_counter() - start
    start = time.perf_counter()
    report = check_ruleset(matrix, ruleset)
    return parsed, time.perf_counter() - start, report, len(text)


def _exponent(sizes: list[int], seconds: list[float]) -> float:
    """The slope of log(time) against log(size), least squares: 1.0 is linear."""
    xs, ys = [math.log(x) for x in sizes], [math.log(y) for y in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def _line(label: str, parsed: float, checked: float, report: Report, size: int) -> str:
    counts = ", ".join(f"{report.count(kind)} {kind.value}" for kind in FindingKind)
    return (
        f"{label:>26}: {size / 2**20:5.1f} MiB, parse {parsed:.2f} s + check {checked:.2f} s = "
        f"{parsed + checked:.2f} s; {len(report.flows)} flows, {report.blocked_flows} blocked; {counts}"
    )


def _admits_rate(matrix: Matrix, rng: random.Random, calls: int) -> float:
    flows = [f for f in matrix.network_flows() if not f.unbound and f.src != f.dst]
    queries = []
    for _ in range(calls):
        flow = rng.choice(flows)
        src = ipaddress.ip_network(flow.src_address or "")
        dst = ipaddress.ip_network(flow.dst_address or "")
        hit = rng.random() < 0.5
        port = rng.randint(flow.port_start, flow.port_end) if hit else rng.randrange(1, 65536)
        queries.append(
            (
                str(src.network_address + rng.randrange(src.num_addresses)),
                str(dst.network_address + rng.randrange(dst.num_addresses)),
                flow.protocol.value,
                port,
            )
        )
    matrix.admits(*queries[0])  # builds the index
    start = time.perf_counter()
    found = sum(1 for query in queries if matrix.admits(*query))
    elapsed = time.perf_counter() - start
    assert found >= calls // 2, "every hit query must find its flow"
    return calls / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=50000, help="rules in each rule set")
    parser.add_argument(
        "--defects", type=int, default=40, help="deleted, duplicated and broad rules, each"
    )
    parser.add_argument("--calls", type=int, default=300000, help="Matrix.admits calls to time")
    args = parser.parse_args()
    start = time.perf_counter()
    matrix = _matrix()
    print(
        f"matrix: {len(matrix.endpoints)} endpoints, {len(matrix.network_flows())} network flows "
        f"({time.perf_counter() - start:.2f} s to generate and resolve)"
    )
    rules, deleted = _rules(matrix, total=args.rules, defects=args.defects, rng=random.Random(6))
    print(
        f"ruleset: {len(rules)} rules ({deleted} deleted, {args.defects} duplicated, "
        f"{args.defects} broad, the rest unrelated, in 198.18.0.0/15); aim: under 5 s each"
    )
    for name in FORMATS:
        parsed, checked, report, size = _time(matrix, rules, name)
        print(_line(name, parsed, checked, report, size))
    inside, _ = _rules(
        matrix, total=args.rules, defects=args.defects, rng=random.Random(7), inside=True
    )
    print(_line("iptables-save, hosts inside", *_time(matrix, inside, "iptables-save")))

    sizes = [args.rules // 4, args.rules // 2, args.rules]
    seconds = []
    for total in sizes:
        some, _ = _rules(matrix, total=total, defects=args.defects, rng=random.Random(8))
        parsed, checked, report, size = _time(matrix, some, "iptables-save")
        seconds.append(parsed + checked)
        print(_line(f"{total} rules", parsed, checked, report, size))
    print(f"exponent in rules (iptables-save, flows fixed): {_exponent(sizes, seconds):.2f}")

    flow_counts, seconds = [], []
    for sites in (12, 25, 50):
        grown = _matrix(sites)
        some, _ = _rules(grown, total=args.rules, defects=args.defects, rng=random.Random(9))
        parsed, checked, report, size = _time(grown, some, "iptables-save")
        flow_counts.append(len(report.flows))
        seconds.append(parsed + checked)
        print(_line(f"{sites} sites", parsed, checked, report, size))
    print(
        f"exponent in flows (iptables-save, {args.rules} rules): "
        f"{_exponent(flow_counts, seconds):.2f}"
    )
    rate = _admits_rate(matrix, random.Random(10), args.calls)
    print(f"Matrix.admits: {rate:,.0f} calls/s over {args.calls} tuples (half of them hits)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Probe thousands of TCP and UDP ports across namespaces; time nmap -sT / -sU on the same ports.

Two lab namespaces on a bridge: ``prober`` and ``target``. The target runs portmatrix's
emulator and an nftables ruleset that gives each block of ports a known state:

    open      accepted, an emulator listens
    closed    accepted, nothing listens
    blocked   ``reject with icmpx admin-prohibited``
    filtered  ``drop``

Then, in the same run and from the same namespace, portmatrix's prober (the code behind
``portmatrix probe``, with its default timeout, retries and concurrency) and nmap
(``ip netns exec ... nmap -sT`` and ``-sU``, default timing, and ``-T4``) check the same ports.
Prints checks per second for each, and how each tool's verdicts agree with the known states.
nmap's names are mapped onto ours: ``filtered`` covers our blocked and filtered (nmap cannot
tell them apart), and for UDP ``open|filtered`` means silence, our filtered.

The lab switches off per-peer ICMP rate limiting inside its namespaces (both tools benefit
alike); without that, Linux answers about one closed UDP port per second and nmap -sU takes
many minutes. Needs root, nft and nmap.

    sudo .venv/bin/python benchmarks/bench_probe.py [--tcp 2000] [--udp 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from portmatrix.model import Endpoint, Flow, Matrix, Protocol
from portmatrix.netns import entered, unavailable_reason
from portmatrix.verify import Expected, Lab, Probe, Sampling, SocketBackend, run_probes

STATES = ("open", "closed", "blocked", "filtered")
#: Share of each protocol's ports per state; silence is the slow case for every tool.
MIX = {"open": 0.45, "closed": 0.25, "blocked": 0.25, "filtered": 0.05}
BASE = {Protocol.TCP: 20000, Protocol.UDP: 30000}
NMAP_NAMES = {  # nmap's verdict -> ours
    "open": "open",
    "closed": "closed",
    "filtered": "blocked|filtered",
    "open|filtered": "filtered",
}


@dataclass(frozen=True)
class Block:
    protocol: Protocol
    state: str
    start: int
    end: int

    @property
    def ports(self) -> range:
        return range(self.start, self.end + 1)


def plan_blocks(protocol: Protocol, total: int) -> list[Block]:
    blocks, port = [], BASE[protocol]
    for state in STATES:
        count = max(1, round(total * MIX[state]))
        blocks.append(Block(protocol, state, port, port + count - 1))
        port += count
    return blocks


def lab_matrix(blocks: Sequence[Block]) -> Matrix:
    """Documented ports are where something listens: only the open blocks get emulators."""
    endpoints = {
        "prober": Endpoint("prober", "10.99.0.1/32"),
        "target": Endpoint("target", "10.99.0.2/32"),
    }
    flows = tuple(
        Flow("prober", "target", b.protocol, b.start, b.end, f"bench.{b.state}", "10.99.0.1/32")
        for b in blocks
        if b.state == "open"
    )
    return Matrix("bench", endpoints, flows)


def ruleset(blocks: Sequence[Block]) -> str:
    verdicts = {"open": "accept", "closed": "accept", "blocked": "reject with icmpx admin-prohibited"}
    rules = [
        f"{b.protocol.value} dport {b.start}-{b.end} {verdicts.get(b.state, 'drop')}" for b in blocks
    ]
    body = "\n\t\t".join(["ct state established,related accept", *rules])
    return (
        "table inet bench {\n\tchain input {\n"
        f"\t\ttype filter hook input priority filter; policy accept;\n\t\t{body}\n\t}}\n}}\n"
    )


def truth(blocks: Sequence[Block]) -> dict[tuple[str, int], str]:
    return {(b.protocol.value, port): b.state for b in blocks for port in b.ports}


# --------------------------------------------------------------------------- portmatrix


def run_portmatrix(lab: Lab, blocks: Sequence[Block]) -> tuple[float, dict[tuple[str, int], str]]:
    probes = [
        Probe("prober", "target", "10.99.0.2", b.protocol, port, _expected(b.state), "bench")
        for b in blocks
        for port in b.ports
    ]
    backend = SocketBackend(source_address="10.99.0.1")
    with entered(lab.namespaces["prober"].name):  # as `ip netns exec prober portmatrix probe`
        start = time.perf_counter()
        results = asyncio.run(run_probes(probes, backend, recheck_failures=False))
        elapsed = time.perf_counter() - start
    return elapsed, {(r.probe.protocol.value, r.probe.port): r.observed.value for r in results}


def _expected(state: str) -> Expected:
    return Expected.OPEN if state == "open" else Expected.BLOCKED


# --------------------------------------------------------------------------- nmap


def run_nmap(
    lab: Lab, blocks: Sequence[Block], scan: str, timing: Sequence[str]
) -> tuple[float, dict[tuple[str, int], str]]:
    protocol = blocks[0].protocol.value
    ports = f"{blocks[0].start}-{blocks[-1].end}"
    argv = ["nmap", scan, "-n", "-Pn", *timing, "-p", ports, "10.99.0.2", "-oX", "-"]
    start = time.perf_counter()
    done = lab.namespaces["prober"].run(argv, timeout=3600)
    elapsed = time.perf_counter() - start
    return elapsed, parse_nmap(done.stdout, protocol)


def parse_nmap(xml: str, protocol: str) -> dict[tuple[str, int], str]:
    root = ET.fromstring(xml)
    seen: dict[tuple[str, int], str] = {}
    for port in root.iter("port"):
        state = port.find("state")
        assert state is not None
        seen[(protocol, int(port.get("portid", "0")))] = NMAP_NAMES[state.get("state", "")]
    for extra in root.iter("extraports"):
        name = NMAP_NAMES[extra.get("state", "")]
        for reason in extra.iter("extrareasons"):
            for low, high in _ranges(reason.get("ports", "")):
                for number in range(low, high + 1):
                    seen[(protocol, number)] = name
    return seen


def _ranges(text: str) -> list[tuple[int, int]]:
    out = []
    for part in filter(None, re.split(r"\s*,\s*", text)):
        low, _, high = part.partition("-")
        out.append((int(low), int(high or low)))
    return out


# --------------------------------------------------------------------------- report


def agreement(seen: dict[tuple[str, int], str], known: dict[tuple[str, int], str]) -> str:
    wrong = Counter(
        f"{state}->{seen.get(key, 'missing')}"
        for key, state in known.items()
        if state not in seen.get(key, "missing").split("|")
    )
    right = len(known) - sum(wrong.values())
    detail = ", ".join(f"{k} x{v}" for k, v in wrong.most_common(4))
    return f"{right}/{len(known)} ({100 * right / len(known):.1f}%)" + (f"  wrong: {detail}" if detail else "")


def false_open(seen: dict[tuple[str, int], str], known: dict[tuple[str, int], str]) -> int:
    return sum(1 for key, state in known.items() if state != "open" and seen.get(key) == "open")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tcp", type=int, default=2000, help="TCP ports to check")
    parser.add_argument("--udp", type=int, default=1500, help="UDP ports to check")
    args = parser.parse_args()
    reason = unavailable_reason("nft", "nmap")
    if reason:
        print(f"skipped: {reason}", file=sys.stderr)
        return 1
    tcp, udp = plan_blocks(Protocol.TCP, args.tcp), plan_blocks(Protocol.UDP, args.udp)
    with Lab(lab_matrix([*tcp, *udp]), sampling=Sampling(65535)) as lab:
        lab.load_rules("target", ruleset([*tcp, *udp]))
        lab.start_emulators()
        runs = [
            ("portmatrix probe", tcp, partial(run_portmatrix, lab, tcp)),
            ("nmap -sT", tcp, partial(run_nmap, lab, tcp, "-sT", [])),
            ("nmap -sT -T4", tcp, partial(run_nmap, lab, tcp, "-sT", ["-T4"])),
            ("portmatrix probe", udp, partial(run_portmatrix, lab, udp)),
            ("nmap -sU", udp, partial(run_nmap, lab, udp, "-sU", [])),
            ("nmap -sU -T4", udp, partial(run_nmap, lab, udp, "-sU", ["-T4"])),
        ]
        print(_header(tcp, udp))
        print(f"{'tool':<18} {'proto':<5} {'checks':>6} {'seconds':>8} {'checks/s':>9} "
              f"{'false open':>10}  agreement with the known states")  # fmt: skip
        for label, blocks, run in runs:
            known = truth(blocks)
            elapsed, seen = run()
            print(
                f"{label:<18} {blocks[0].protocol.value:<5} {len(known):>6} {elapsed:>8.2f} "
                f"{len(known) / elapsed:>9.0f} {false_open(seen, known):>10}  {agreement(seen, known)}"
            )
    return 0


def _header(*groups: Sequence[Block]) -> str:
    parts = [
        f"{b.protocol.value} {b.start}-{b.end} {b.state}" for blocks in groups for b in blocks
    ]
    return "port blocks: " + "; ".join(parts) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Probe thousands of TCP and UDP ports across namespaces; time nmap -sT / -sU on the same ports.

Two lab namespaces on a bridge: ``prober`` and ``target``. The target runs portmatrix's
emulator and an nftables ruleset that gives each block of ports a known state:

    open      accepted, an emulator listens
    closed    accepted, nothing listens
    blocked   ``reject with icmpx admin-prohibited``
    filtered  ``drop``

Then, in the same run and from the same namespace, portmatrix's prober (the code behind
``portmatrix probe``, with its default timeout, retries and concurrency, minus the closing
re-check of failed checks: a scan of known states has no matrix to fail) and nmap
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
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from portmatrix.model import Endpoint, Flow, Matrix, Protocol
from portmatrix.netns import entered, unavailable_reason
from portmatrix.verify import Expected, Lab, Probe, Sampling, SocketBackend, run_probes

STATES = ("open", "closed", "blocked", "filtered")
#: Share of each protocol's ports per state; silence is the slow case for every tool.
MIX = {"open": 0.45, "closed": 0.25, "blocked": 0.25, "filtered": 0.05}
BASE = {Protocol.TCP: 20000, Protocol.UDP: 30000}
#: Our verdicts in nmap's words: nmap -sT calls every unanswered or rejected port "filtered";
#: nmap -sU keeps "filtered" for ICMP rejections and says "open|filtered" for silence.
IN_NMAP_WORDS = {
    Protocol.TCP: {
        "open": "open",
        "closed": "closed",
        "blocked": "filtered",
        "filtered": "filtered",
    },
    Protocol.UDP: {
        "open": "open",
        "closed": "closed",
        "blocked": "filtered",
        "filtered": "open|filtered",
    },
}
Verdicts = dict[int, str]


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
    verdicts = {
        "open": "accept",
        "closed": "accept",
        "blocked": "reject with icmpx admin-prohibited",
    }
    rules = [
        f"{b.protocol.value} dport {b.start}-{b.end} {verdicts.get(b.state, 'drop')}"
        for b in blocks
    ]
    body = "\n\t\t".join(["ct state established,related accept", *rules])
    return (
        "table inet bench {\n\tchain input {\n"
        f"\t\ttype filter hook input priority filter; policy accept;\n\t\t{body}\n\t}}\n}}\n"
    )


def truth(blocks: Sequence[Block]) -> Verdicts:
    return {port: b.state for b in blocks for port in b.ports}


# --------------------------------------------------------------------------- portmatrix


def run_portmatrix(lab: Lab, blocks: Sequence[Block]) -> tuple[float, Verdicts]:
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
    return elapsed, {r.probe.port: r.observed.value for r in results}


def _expected(state: str) -> Expected:
    return Expected.OPEN if state == "open" else Expected.BLOCKED


# --------------------------------------------------------------------------- nmap


def run_nmap(
    lab: Lab, blocks: Sequence[Block], scan: str, timing: Sequence[str]
) -> tuple[float, Verdicts]:
    ports = f"{blocks[0].start}-{blocks[-1].end}"
    argv = ["nmap", scan, "-n", "-Pn", *timing, "-p", ports, "10.99.0.2", "-oX", "-"]
    start = time.perf_counter()
    done = lab.namespaces["prober"].run(argv, timeout=3600)
    elapsed = time.perf_counter() - start
    return elapsed, parse_nmap(done.stdout)


def parse_nmap(xml: str) -> Verdicts:
    """Every port's state from nmap's XML, including those it folds into ``extraports``."""
    root = ET.fromstring(xml)
    seen: Verdicts = {}
    for port in root.iter("port"):
        state = port.find("state")
        assert state is not None
        seen[int(port.get("portid", "0"))] = state.get("state", "")
    for extra in root.iter("extraports"):
        for reason in extra.iter("extrareasons"):
            for low, high in _ranges(reason.get("ports", "")):
                for number in range(low, high + 1):
                    seen[number] = extra.get("state", "")
    return seen


def _ranges(text: str) -> list[tuple[int, int]]:
    out = []
    for part in filter(None, re.split(r"\s*,\s*", text)):
        low, _, high = part.partition("-")
        out.append((int(low), int(high or low)))
    return out


# --------------------------------------------------------------------------- report


def agreement(seen: Verdicts, expected: Verdicts) -> str:
    wrong = Counter(
        f"{state}->{seen.get(port, 'missing')}"
        for port, state in expected.items()
        if seen.get(port) != state
    )
    right = len(expected) - sum(wrong.values())
    detail = ", ".join(f"{k} x{v}" for k, v in wrong.most_common(3))
    return f"{right}/{len(expected)}" + (f" ({detail})" if detail else "")


def in_nmap_words(verdicts: Verdicts, protocol: Protocol) -> Verdicts:
    return {port: IN_NMAP_WORDS[protocol][state] for port, state in verdicts.items()}


def false_open(seen: Verdicts, known: Verdicts) -> int:
    return sum(1 for port, state in known.items() if state != "open" and seen.get(port) == "open")


def compare(lab: Lab, blocks: Sequence[Block], scan: str) -> list[str]:
    """One line per tool: rate, false opens, agreement with the truth and with each other."""
    protocol, known = blocks[0].protocol, truth(blocks)
    ours_time, ours = run_portmatrix(lab, blocks)
    runs = [("portmatrix probe", ours_time, ours, known)]
    nmap_seen: Verdicts = {}
    for timing in ([], ["-T4"]):
        elapsed, seen = run_nmap(lab, blocks, scan, timing)
        nmap_seen = nmap_seen or seen
        runs.append(
            (" ".join(["nmap", scan, *timing]), elapsed, seen, in_nmap_words(known, protocol))
        )
    lines = []
    for label, elapsed, seen, expected in runs:
        nmap_view = seen if label.startswith("nmap") else in_nmap_words(seen, protocol)
        lines.append(
            f"{label:<17} {protocol.value:<5} {len(known):>6} {elapsed:>7.2f} {len(known) / elapsed:>8.0f} "
            f"{false_open(nmap_view, in_nmap_words(known, protocol)):>10} "
            f"{agreement(seen, expected):<34} {agreement(nmap_view, nmap_seen)}"
        )
    return lines


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
        print(_header(tcp, udp))
        print(
            f"{'tool':<17} {'proto':<5} {'checks':>6} {'seconds':>7} {'checks/s':>8} {'false open':>10} "
            f"{'agree with the truth':<34} agree with nmap (default timing)"
        )
        for line in [*compare(lab, tcp, "-sT"), *compare(lab, udp, "-sU")]:
            print(line)
    return 0


def _header(*groups: Sequence[Block]) -> str:
    parts = [f"{b.protocol.value} {b.start}-{b.end} {b.state}" for blocks in groups for b in blocks]
    return "port blocks: " + "; ".join(parts) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())

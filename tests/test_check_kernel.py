"""The checker against the kernel: real dumps in, and the model's verdicts against real packets.

* Real inputs: rule sets are loaded into a throw-away namespace with ``nft -f`` /
  ``iptables-restore`` and dumped back with ``nft -j list ruleset`` / ``iptables-save``; the
  dumps are what gets checked.
* Round trip: every host firewall and zone ACL portmatrix renders for nftables, loaded and
  dumped, checks clean.
* Differential: random connections from a client namespace over a veth pair to a server
  namespace that listens on every probed port behind the rules; the kernel's outcome (TCP
  handshake, or a UDP reply) must equal the model's verdict for each.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from portmatrix.check import Report, RulesetType, check_ruleset, format_report, parse_ruleset
from portmatrix.check.engine.verdict import verdict
from portmatrix.check.ruleset import Ruleset
from portmatrix.model import Matrix
from portmatrix.netns import Netns, unavailable_reason
from portmatrix.render import render, render_hosts
from portmatrix.resolve import resolve_file
from rulesets_sample import SERVER, db_matrix

pytestmark = pytest.mark.netns

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rulesets"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(scope="module", autouse=True)
def _needs_namespaces() -> None:
    reason = unavailable_reason("nft", "iptables-restore", "iptables-save")
    if reason:
        pytest.skip(reason)


def load(ns: Netns, name: str) -> tuple[Ruleset, str]:
    """Load a fixture into the namespace and parse the kernel's own dump of it."""
    path = DATA / name
    if name.endswith(".nft"):
        ns.run(["nft", "-f", str(path)])
        dump = ns.run(["nft", "-j", "list", "ruleset"]).stdout
        return parse_ruleset(dump, ruleset_type=RulesetType.NFT_JSON, name="kernel.json"), dump
    ns.run(["iptables-restore"], input=path.read_text())
    dump = ns.run(["iptables-save"]).stdout
    return parse_ruleset(dump, ruleset_type=RulesetType.IPTABLES_SAVE, name="kernel.rules"), dump


def essence(report: Report) -> set[tuple[object, ...]]:
    return {(f.kind.value, f.src, f.protocol, f.port_start, f.port_end) for f in report.findings}


@pytest.mark.parametrize(
    ("source", "committed", "ruleset_type"),
    [
        ("db-host.iptables-save", "db-host.iptables-save", RulesetType.IPTABLES_SAVE),
        ("db-host.nft", "db-host.nft.json", RulesetType.NFT_JSON),
    ],
)
def test_kernel_dumps_give_the_same_findings_at_their_own_lines(
    netns: Netns, source: str, committed: str, ruleset_type: RulesetType
) -> None:
    matrix = db_matrix()
    ruleset, dump = load(netns, source)
    report = check_ruleset(matrix, ruleset, host="db")
    on_disk = check_ruleset(
        matrix, parse_ruleset((DATA / committed).read_text(), ruleset_type=ruleset_type), host="db"
    )
    assert essence(report) == essence(on_disk) and len(report.findings) == 9 - (
        ruleset_type is RulesetType.IPTABLES_SAVE
    )
    lines = dump.splitlines()
    for finding in report.findings:
        assert finding.line is not None
        if ruleset_type is RulesetType.IPTABLES_SAVE:
            assert lines[finding.line - 1] == finding.rule_text


def _nft_reports(matrix: Matrix) -> Iterator[tuple[str, Report]]:
    with Netns() as ns:
        for name, rendered in render_hosts(
            matrix, "nftables", skip_unbound=True, force=True
        ).items():
            ns.run(["nft", "-f", "-"], input=rendered.text)
            dump = ns.run(["nft", "-j", "list", "ruleset"]).stdout
            yield (
                name,
                check_ruleset(
                    matrix, parse_ruleset(dump, ruleset_type=RulesetType.NFT_JSON), host=name
                ),
            )
        for pair in itertools.combinations(sorted(matrix.zones), 2):
            ns.run(
                ["nft", "-f", "-"],
                input=render(matrix, "nftables", between=pair, skip_unbound=True).text,
            )
            dump = ns.run(["nft", "-j", "list", "ruleset"]).stdout
            ruleset = parse_ruleset(dump, ruleset_type=RulesetType.NFT_JSON)
            yield f"{pair}", check_ruleset(matrix, ruleset, between=pair)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_rendered_nftables_checks_clean_after_a_trip_through_the_kernel(example: Path) -> None:
    matrix = resolve_file(example)
    checked = 0
    for subject, report in _nft_reports(matrix):
        assert report.findings == [], f"{subject}:\n{format_report(report)}"
        checked += len(report.flows)
    assert checked > 0


# --------------------------------------------------------------------------- differential

CLIENTS = [
    "10.1.0.10",
    "10.1.0.11",
    "10.1.0.12",
    "10.1.0.30",
    "10.1.0.40",
    "10.9.0.5",
    "10.2.0.1",
    "192.168.7.7",
]
PORTS = [7, 22, 23, 53, 161, 443, 1500, 5432, 8000, 8005, 8006, 8010, 9100, 9187, 9200, 9300, 9999]
PROBES = 36

_SERVER = r"""
import json, selectors, socket, sys
ports = json.loads(sys.argv[1])
sel = selectors.DefaultSelector()
for port in ports:
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("0.0.0.0", port)); t.listen(64); t.setblocking(False); sel.register(t, selectors.EVENT_READ, "tcp")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", port)); sel.register(u, selectors.EVENT_READ, "udp")
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.data == "tcp":
            conn, _ = key.fileobj.accept(); conn.close()
        else:
            data, peer = key.fileobj.recvfrom(512); key.fileobj.sendto(data, peer)
"""

_CLIENT = r"""
import asyncio, json, socket, sys
probes = json.loads(sys.argv[1]); server = sys.argv[2]
async def tcp(src, port):
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(server, port, local_addr=(src, 0)), 1.5)
        writer.close(); return True
    except (OSError, asyncio.TimeoutError):
        return False
async def udp(src, port):
    loop = asyncio.get_running_loop(); got = loop.create_future()
    class Echo(asyncio.DatagramProtocol):
        def datagram_received(self, data, addr):
            if not got.done(): got.set_result(True)
        def error_received(self, exc):
            if not got.done(): got.set_result(False)
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(src, 0), remote_addr=(server, port))
    transport.sendto(b"probe")
    try:
        return await asyncio.wait_for(got, 1.5)
    except asyncio.TimeoutError:
        return False
    finally:
        transport.close()
async def main():
    return await asyncio.gather(*((tcp if p == "tcp" else udp)(s, port) for s, p, port in probes))
print(json.dumps(asyncio.run(main())))
"""


def _wire(server: Netns, client: Netns) -> None:
    """A veth pair between the namespaces; the server answers any source on the link."""
    suffix = server.name[-6:]
    inner, outer = f"pmv-s{suffix}", f"pmv-c{suffix}"
    server.run(
        ["ip", "link", "add", inner, "type", "veth", "peer", "name", outer, "netns", client.name]
    )
    server.run(["ip", "addr", "add", f"{SERVER}/32", "dev", inner])
    server.run(["ip", "link", "set", inner, "up"])
    server.run(["ip", "route", "add", "default", "dev", inner])
    for address in CLIENTS:
        client.run(["ip", "addr", "add", f"{address}/32", "dev", outer])
    client.run(["ip", "link", "set", outer, "up"])
    client.run(["ip", "route", "add", f"{SERVER}/32", "dev", outer])


def _kernel_outcomes(
    server: Netns, client: Netns, probes: list[tuple[str, str, int]]
) -> list[bool]:
    listener = server.popen(
        [sys.executable, "-c", _SERVER, json.dumps(PORTS)], stdout=subprocess.PIPE
    )
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
        done = client.run([sys.executable, "-c", _CLIENT, json.dumps(probes), SERVER], timeout=30)
        return [bool(value) for value in json.loads(done.stdout)]
    finally:
        listener.kill()
        listener.wait(timeout=5)
        if listener.stdout is not None:
            listener.stdout.close()


def _sample(ruleset: Ruleset, rng: random.Random) -> list[tuple[str, str, int]]:
    """Random connections, half of them ones the model accepts, so both verdicts get tested."""
    candidates = list(itertools.product(CLIENTS, ["tcp", "udp"], PORTS))
    accepted = [
        c
        for c in candidates
        if verdict(ruleset, src=c[0], dst=SERVER, protocol=c[1], dport=c[2]).accepted
    ]
    denied = [c for c in candidates if c not in accepted]
    half = PROBES // 2
    return rng.sample(accepted, min(half, len(accepted))) + rng.sample(
        denied, PROBES - min(half, len(accepted))
    )


@pytest.mark.parametrize("fixture", ["db-host.iptables-save", "db-host.nft"])
def test_model_verdicts_agree_with_the_kernel(fixture: str) -> None:
    rng = random.Random(f"check-differential-{fixture}")
    with Netns() as server, Netns() as client:
        _wire(server, client)
        ruleset, _ = load(server, fixture)
        probes = _sample(ruleset, rng)
        kernel = _kernel_outcomes(server, client, probes)
    model = [
        verdict(ruleset, src=src, dst=SERVER, protocol=proto, dport=port).accepted
        for src, proto, port in probes
    ]
    disagreements = [
        (probe, k, m) for probe, k, m in zip(probes, kernel, model, strict=True) if k != m
    ]
    assert disagreements == []
    assert sum(kernel) >= 5 and not all(kernel)  # the probes exercised both verdicts


# --------------------------------------------------------------------------- IPv6 bogons

SERVER6 = "fd00:1::1"
CLIENTS6 = ["1000::10", "0:1::10", "fd00:2::10"]  # inside ::/3 only; inside ::/8 too; neither
PORTS6 = [22, 80, 443]
_BOGON_RULES = {
    "iptables-save": """*filter
:INPUT DROP [0:0]
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -s ::/3 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s ::/8 -p tcp -m tcp --dport 80 -j DROP
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A INPUT -s ::ffff:0:0/96 -p tcp -m tcp --dport 443 -j ACCEPT
COMMIT
""",
    "nft": """table ip6 bogons {
  chain input {
    type filter hook input priority 0; policy drop;
    meta l4proto ipv6-icmp accept
    ip6 saddr ::/3 tcp dport 22 accept
    ip6 saddr ::/8 tcp dport 80 drop
    tcp dport 80 accept
    ip6 saddr ::ffff:0:0/96 tcp dport 443 accept
  }
}
""",
}
_SERVER6 = r"""
import json, selectors, socket, sys
sel = selectors.DefaultSelector()
for port in json.loads(sys.argv[1]):
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(16); s.setblocking(False); sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept(); conn.close()
"""
_CLIENT6 = r"""
import json, socket, sys
out = []
for src, port in json.loads(sys.argv[1]):
    s = socket.socket(socket.AF_INET6); s.settimeout(0.6); s.bind((src, 0))
    try:
        s.connect((sys.argv[2], port)); out.append(True)
    except OSError:
        out.append(False)
    finally:
        s.close()
print(json.dumps(out))
"""


def _wire6(server: Netns, client: Netns) -> None:
    suffix = server.name[-6:]
    inner, outer = f"pm6-s{suffix}", f"pm6-c{suffix}"
    server.run(
        ["ip", "link", "add", inner, "type", "veth", "peer", "name", outer, "netns", client.name]
    )
    server.run(["ip", "-6", "addr", "add", f"{SERVER6}/128", "dev", inner, "nodad"])
    server.run(["ip", "link", "set", inner, "up"])
    server.run(["ip", "-6", "route", "add", "default", "dev", inner])
    for address in CLIENTS6:
        client.run(["ip", "-6", "addr", "add", f"{address}/128", "dev", outer, "nodad"])
    client.run(["ip", "link", "set", outer, "up"])
    client.run(["ip", "-6", "route", "add", f"{SERVER6}/128", "dev", outer])


@pytest.mark.parametrize("source", sorted(_BOGON_RULES))
def test_ipv6_bogon_prefixes_are_ipv6_and_get_the_kernels_verdict(source: str) -> None:
    """``::/3``, ``::/8`` and ``::ffff:0:0/96`` are IPv6 prefixes: the model must keep those rules
    (they were once read as "the other family" and dropped) and agree with the kernel."""
    reason = unavailable_reason("nft", "ip6tables-restore", "ip6tables-save")
    if reason:
        pytest.skip(reason)
    probes = [(src, port) for src in CLIENTS6 for port in PORTS6]
    with Netns() as server, Netns() as client:
        _wire6(server, client)
        if source == "nft":
            server.run(["nft", "-f", "-"], input=_BOGON_RULES[source])
            dump = server.run(["nft", "-j", "list", "ruleset"]).stdout
            ruleset = parse_ruleset(dump, ruleset_type=RulesetType.NFT_JSON, name="kernel.json")
        else:
            server.run(["ip6tables-restore"], input=_BOGON_RULES[source])
            dump = server.run(["ip6tables-save"]).stdout
            ruleset = parse_ruleset(dump, ruleset_type=RulesetType.IPTABLES_SAVE, name="k.rules")
        listener = server.popen(
            [sys.executable, "-c", _SERVER6, json.dumps(PORTS6)], stdout=subprocess.PIPE
        )
        try:
            assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
            done = client.run([sys.executable, "-c", _CLIENT6, json.dumps(probes), SERVER6])
            kernel = [bool(value) for value in json.loads(done.stdout)]
        finally:
            listener.kill()
            listener.wait(timeout=5)
            if listener.stdout is not None:
                listener.stdout.close()
    assert not ruleset.unsupported
    model = [
        verdict(ruleset, src=src, dst=SERVER6, protocol="tcp", dport=port).accepted
        for src, port in probes
    ]
    assert model == kernel
    assert kernel == [True, True, False, True, False, False, False, True, False]

"""The kernel's own tools judge the output, inside network namespaces these tests create.

* ``nft -c -f`` and ``iptables-restore --test`` / ``ip6tables-restore --test`` accept every
  host's file of every example deployment, the between-zones ACLs and the golden files;
* semantics: our nftables rules, loaded into a namespace, admit real TCP connections from a
  peer on the ports the matrix allows it and drop documented ports it does not (including
  local-only ones), over a veth pair from a second namespace;
* Aerleon, fed our export, generates nftables and iptables that the tools accept and that admit
  exactly the same sample of connections.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portmatrix.model import Matrix, Protocol
from portmatrix.netns import Netns, unavailable_reason
from portmatrix.render import render, render_hosts
from portmatrix.render.aerleon import split_bundle
from portmatrix.resolve import resolve_file
from render_sample import sample_matrix

pytestmark = pytest.mark.netns

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "golden"


def check_file(ns: Netns, path: Path) -> None:
    """Run the matching dry-run tool on a rendered file inside ``ns``; fail with its message."""
    text = path.read_text()
    if path.suffix == ".nft":
        argv = ["nft", "-c", "-f", str(path)]
    else:
        tool = (
            "ip6tables-restore"
            if "ip6tables-restore" in text.splitlines()[2]
            else "iptables-restore"
        )
        argv = [tool, "--test", str(path)]
    done = ns.run(argv, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stderr}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("target", ["nftables", "iptables"])
def test_tools_accept_every_host_of_every_example(
    netns: Netns, tmp_path: Path, example: Path, target: str
) -> None:
    matrix = resolve_file(example)
    for name, rendered in render_hosts(matrix, target, egress=True, force=True).items():
        path = tmp_path / f"{name}{rendered.suffix}"
        path.write_text(rendered.text)
        check_file(netns, path)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("target", ["nftables", "iptables"])
def test_tools_accept_every_between_zones_acl(
    netns: Netns, tmp_path: Path, example: Path, target: str
) -> None:
    matrix = resolve_file(example)
    zones = sorted(matrix.zones)
    pairs = [
        (a, b) for i, a in enumerate(zones) for b in zones[i + 1 :] if matrix.flows_between(a, b)
    ]
    assert pairs
    for a, b in pairs:
        rendered = render(matrix, target, between=(a, b))
        path = tmp_path / f"{a}-{b}{rendered.suffix}"
        path.write_text(rendered.text)
        check_file(netns, path)


def test_tools_accept_the_golden_files(netns: Netns) -> None:
    files = sorted([*GOLDEN.rglob("*.nft"), *GOLDEN.rglob("*.rules")])
    assert files, "no golden nftables/iptables files"
    for path in files:
        check_file(netns, path)


def test_loading_twice_replaces_the_table_atomically(netns: Netns, tmp_path: Path) -> None:
    matrix = sample_matrix()
    for host in ("rgr-a", "cuc6"):
        path = tmp_path / f"{host}.nft"
        path.write_text(render(matrix, "nftables", host=host).text)
        netns.run(["nft", "-f", str(path)])
    listed = netns.run(["nft", "list", "table", "inet", "portmatrix"]).stdout
    assert "fd00:1::/64 . 22" in listed and "10.0.0.2 . 40007" not in listed


def _generated_inventory() -> Matrix:
    """The benchmarks' ~1,000-endpoint inventory, standing in for a deployment we never saw."""
    import importlib.util

    import yaml

    from portmatrix.catalog import load_catalog
    from portmatrix.inventory import build_deployment
    from portmatrix.resolve import resolve
    from portmatrix.yamlio import parse_yaml

    spec = importlib.util.spec_from_file_location(
        "gen_inventory", ROOT / "benchmarks" / "gen_inventory.py"
    )
    if spec is None or spec.loader is None:
        pytest.skip("benchmarks/gen_inventory.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = yaml.safe_dump(module.generate(sites=10, instances=2), sort_keys=False)
    catalog = load_catalog()
    data, lines = parse_yaml(text, name="generated.yaml")
    return resolve(build_deployment(data, catalog, file="generated.yaml", lines=lines), catalog)


@pytest.mark.slow
def test_tools_accept_hosts_of_a_generated_enterprise(netns: Netns, tmp_path: Path) -> None:
    matrix = _generated_inventory()
    for target in ("nftables", "iptables"):
        rendered = render_hosts(matrix, target, egress=True, skip_unbound=True, force=True)
        for name in sorted(rendered)[::7]:
            path = tmp_path / f"{name}{rendered[name].suffix}"
            path.write_text(rendered[name].text)
            check_file(netns, path)


# --------------------------------------------------------------------------- on the wire

LISTEN = """
import socket, sys
socks = []
for port in map(int, sys.argv[1:]):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16); socks.append(s)
print("ready", flush=True)
sys.stdin.read()
"""

CONNECT = """
import json, socket, sys, concurrent.futures as cf
target, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
def attempt(port):
    try:
        socket.create_connection((target, port), timeout=0.8).close(); return port, True
    except OSError:
        return port, False
with cf.ThreadPoolExecutor(len(ports)) as pool:
    print(json.dumps(dict(pool.map(attempt, ports))))
"""


@contextlib.contextmanager
def wire(server_ip: str, client_ip: str) -> Iterator[tuple[Netns, Netns]]:
    """Two namespaces joined by a veth pair, each holding one address, removed afterwards."""
    reason = unavailable_reason("nft", "iptables")
    if reason:
        pytest.skip(reason)
    with Netns() as server, Netns() as client:
        server.run(
            [
                "ip",
                "link",
                "add",
                "pm-s",
                "type",
                "veth",
                "peer",
                "name",
                "pm-c",
                "netns",
                client.name,
            ]
        )
        for ns, dev, mine, theirs in (
            (server, "pm-s", server_ip, client_ip),
            (client, "pm-c", client_ip, server_ip),
        ):
            ns.run(["ip", "addr", "add", f"{mine}/32", "dev", dev])
            ns.run(["ip", "link", "set", dev, "up"])
            ns.run(["ip", "route", "add", f"{theirs}/32", "dev", dev])
        yield server, client


def reachable(server: Netns, client: Netns, server_ip: str, ports: list[int]) -> dict[int, bool]:
    """Which TCP ports a client connection reaches, with listeners on all of them."""
    argv = [sys.executable, "-c", LISTEN, *map(str, ports)]
    with server.popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as listener:
        try:
            assert listener.stdout is not None and listener.stdout.readline().strip() == "ready"
            done = client.run(
                [sys.executable, "-c", CONNECT, server_ip, *map(str, ports)], timeout=20
            )
        finally:
            listener.kill()
    return {int(port): ok for port, ok in json.loads(done.stdout).items()}


def sample_ports(matrix: Matrix, host: str, peer: str) -> tuple[list[int], list[int]]:
    """A few TCP ports ``peer`` may open on ``host``, and a few documented ones it may not."""
    tcp_to_host = [f for f in matrix.flows if f.dst == host and f.protocol is Protocol.TCP]
    allowed = {
        p
        for f in tcp_to_host
        if f.src == peer and not f.local_only
        for p in range(f.port_start, f.port_end + 1)
    }
    documented = sorted({f.port_start for f in tcp_to_host} - allowed)
    return sorted(allowed)[:3], documented[:3]


def pick_host_and_peer(matrix: Matrix) -> tuple[str, str]:
    """The host with most inbound TCP flows and its busiest single-address TCP peer."""
    pairs: dict[tuple[str, str], int] = {}
    for f in matrix.network_flows():
        peer = matrix.endpoints.get(f.src)
        if (
            f.protocol is Protocol.TCP
            and peer is not None
            and not peer.is_network
            and f.src != f.dst
        ):
            pairs[(f.dst, f.src)] = pairs.get((f.dst, f.src), 0) + 1
    return min(pairs, key=lambda pair: (-pairs[pair], pair))


Loader = Callable[[Netns, Path], None]


def load_nft(ns: Netns, path: Path) -> None:
    ns.run(["nft", "-f", str(path)])


def load_iptables_lines(ns: Netns, path: Path) -> None:
    """Aerleon's iptables target is a list of iptables arguments, one command per line."""
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            ns.run(["iptables", *shlex.split(line)])


def probe_with(
    matrix: Matrix, host: str, peer: str, text: str, loader: Loader, tmp_path: Path, suffix: str
) -> dict[int, bool]:
    allowed, denied = sample_ports(matrix, host, peer)
    assert allowed and denied, f"the example gives {peer} -> {host} no usable sample"
    server_ip, client_ip = matrix.endpoints[host].ip, matrix.endpoints[peer].ip
    path = tmp_path / f"{host}{suffix}"
    path.write_text(text)
    with wire(server_ip, client_ip) as (server, client):
        loader(server, path)
        return reachable(server, client, server_ip, allowed + denied)


@pytest.fixture(scope="module")
def example_matrix() -> Matrix:
    return resolve_file(ROOT / "examples" / "duplex-cce.yaml")


def test_our_nftables_admits_exactly_the_matrix_on_the_wire(
    example_matrix: Matrix, tmp_path: Path
) -> None:
    host, peer = pick_host_and_peer(example_matrix)
    allowed, denied = sample_ports(example_matrix, host, peer)
    text = render(example_matrix, "nftables", host=host, force=True).text
    seen = probe_with(example_matrix, host, peer, text, load_nft, tmp_path, ".nft")
    assert seen == {**dict.fromkeys(allowed, True), **dict.fromkeys(denied, False)}


def test_local_only_ports_are_dropped_on_the_wire(tmp_path: Path) -> None:
    matrix = sample_matrix()
    text = render(matrix, "nftables", host="rgr-a").text
    path = tmp_path / "rgr-a.nft"
    path.write_text(text)
    with wire("10.0.0.1", "10.0.0.2") as (server, client):
        load_nft(server, path)
        seen = reachable(server, client, "10.0.0.1", [40007, 40008, 40000, 40001, 443])
    assert seen == {40007: True, 40008: True, 40000: False, 40001: False, 443: False}


# --------------------------------------------------------------------------- Aerleon


@pytest.fixture(scope="module")
def aerleon_outputs(example_matrix: Matrix) -> tuple[str, str, dict[str, str]]:
    """Aerleon's own nftables and iptables, generated from our export of the busiest host."""
    try:
        from aerleon import api
        from aerleon.lib import naming
    except ImportError:
        pytest.skip("aerleon is not installed (pip install 'portmatrix[aerleon]')")
    host, peer = pick_host_and_peer(example_matrix)
    definitions, policy = split_bundle(render(example_matrix, "aerleon", host=host).text)
    names = naming.Naming()
    names.ParseDefinitionsObject(definitions, "")
    generated = api.Generate([{**policy, "filename": host}], names)
    assert generated is not None
    return host, peer, dict(generated)


def test_aerleon_generates_nftables_the_kernel_accepts(
    aerleon_outputs: tuple[str, str, dict[str, str]], netns: Netns, tmp_path: Path
) -> None:
    host, _, generated = aerleon_outputs
    assert set(generated) == {host, f"{host}.nft"}
    path = tmp_path / "aerleon.nft"
    path.write_text(generated[f"{host}.nft"])
    check_file(netns, path)


@pytest.fixture(scope="module")
def our_sample(
    example_matrix: Matrix,
    aerleon_outputs: tuple[str, str, dict[str, str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[int, bool]:
    """What our nftables admits for the Aerleon host's busiest peer, probed once."""
    host, peer, _ = aerleon_outputs
    text = render(example_matrix, "nftables", host=host, force=True).text
    where = tmp_path_factory.mktemp("ours")
    return probe_with(example_matrix, host, peer, text, load_nft, where, ".nft")


@pytest.mark.parametrize(
    ("key", "loader"), [(".nft", load_nft), ("", load_iptables_lines)], ids=["nftables", "iptables"]
)
def test_aerleon_output_admits_the_same_flows_as_ours(
    example_matrix: Matrix,
    aerleon_outputs: tuple[str, str, dict[str, str]],
    our_sample: dict[int, bool],
    tmp_path: Path,
    key: str,
    loader: Loader,
) -> None:
    host, peer, generated = aerleon_outputs
    text = generated[f"{host}{key}"]
    theirs = probe_with(example_matrix, host, peer, text, loader, tmp_path, key or ".ipt")
    assert theirs == our_sample
    assert any(our_sample.values()) and not all(our_sample.values())

"""End to end in network namespaces: generated rules loaded, emulators up, every host probing.

The topology (tests/data/lab-topology.yaml) is issue 5's: routers A and B, a PG, an AW, a Unity
Connection publisher and subscriber, a phones network and a host outside the deployment. Its
rules come from the nftables renderer. All traffic stays inside namespaces these tests create,
cabled to a bridge in a namespace of its own.
"""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.cli import main
from portmatrix.errors import VerifyError
from portmatrix.model import Flow, HostFirewall, Matrix, Protocol
from portmatrix.netns import unavailable_reason
from portmatrix.resolve import resolve_file
from portmatrix.verify import LAB_OPTIONS, Expected, Lab, Observed, Result, Sampling
from portmatrix.verify.lab import rendered_nftables
from results_schema import validated

REASON = unavailable_reason("nft")
pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=f"the lab {REASON}"),
]

TOPOLOGY = Path(__file__).resolve().parent / "data" / "lab-topology.yaml"
OPTIONS = replace(LAB_OPTIONS, sampling=Sampling(8))
Key = tuple[str, str, Protocol, int]


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return resolve_file(TOPOLOGY)


@pytest.fixture(scope="module")
def lab(matrix: Matrix) -> Iterator[Lab]:
    with Lab(matrix, sampling=OPTIONS.sampling) as running:
        running.ready()
        yield running


@pytest.fixture
def reload_afterwards(lab: Lab, matrix: Matrix) -> Iterator[Callable[[str], None]]:
    """Hosts whose rules a test changes get their generated rules back, pass or fail."""
    changed: list[str] = []
    yield changed.append
    for host in changed:
        lab.load_rules(host, rendered_nftables(matrix, host))


def failures(results: list[Result]) -> dict[Key, Observed]:
    return {
        (r.probe.src, r.probe.dst, r.probe.protocol, r.probe.port): r.observed
        for r in results
        if not r.ok
    }


def lone_flow(matrix: Matrix, protocol: Protocol) -> Flow:
    """A host-to-host flow no other flow duplicates, so removing it closes exactly its ports."""
    hosts = {name for name, endpoint in matrix.endpoints.items() if not endpoint.is_network}
    for flow in sorted(matrix.network_flows()):
        if _between_hosts(flow, hosts, protocol) and not any(
            _shadows(other, flow) for other in matrix.flows
        ):
            return flow
    raise AssertionError(f"the topology has no lone {protocol} flow")


def _between_hosts(flow: Flow, hosts: set[str], protocol: Protocol) -> bool:
    ends = {flow.src, flow.dst}
    return flow.protocol is protocol and ends <= hosts and len(ends) == 2 and not flow.ephemeral


def _shadows(other: Flow, flow: Flow) -> bool:
    if other is flow or other.dst != flow.dst or other.protocol is not flow.protocol:
        return False
    if other.src_address is None or flow.src_address is None:
        return False
    inner, outer = ipaddress.ip_network(flow.src_address), ipaddress.ip_network(other.src_address)
    inside = inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]
    return inside and other.port_start <= flow.port_end and flow.port_start <= other.port_end


def test_the_generated_rules_admit_exactly_the_matrix(lab: Lab) -> None:
    results = lab.probe(options=OPTIONS)
    assert failures(results) == {}
    assert {r.probe.src for r in results} == set(lab.hosts)
    seen = {(r.probe.protocol, r.probe.expected, r.observed) for r in results}
    assert {
        (Protocol.TCP, Expected.OPEN, Observed.OPEN),
        (Protocol.UDP, Expected.OPEN, Observed.OPEN),
        (Protocol.TCP, Expected.BLOCKED, Observed.FILTERED),
        (Protocol.UDP, Expected.BLOCKED, Observed.FILTERED),
    } <= seen
    outside = [r for r in results if r.probe.src == "outside"]
    assert outside and all(r.probe.expected is Expected.BLOCKED for r in outside)


@pytest.mark.parametrize("protocol", [Protocol.TCP, Protocol.UDP])
def test_a_removed_rule_is_reported_and_nothing_else(
    lab: Lab, matrix: Matrix, reload_afterwards: Callable[[str], None], protocol: Protocol
) -> None:
    flow = lone_flow(matrix, protocol)
    without = replace(matrix, flows=tuple(other for other in matrix.flows if other is not flow))
    reload_afterwards(flow.dst)
    lab.load_rules(flow.dst, rendered_nftables(without, flow.dst))
    found = failures(lab.probe(options=OPTIONS, targets=[flow.dst]))
    ports = OPTIONS.sampling.ports(flow)
    wanted = {(flow.src, flow.dst, protocol, port): Observed.FILTERED for port in ports}
    assert found == wanted, flow


@pytest.mark.parametrize(("protocol", "port"), [(Protocol.TCP, 20500), (Protocol.UDP, 16384)])
def test_an_extra_open_port_is_reported(
    lab: Lab,
    matrix: Matrix,
    reload_afterwards: Callable[[str], None],
    protocol: Protocol,
    port: int,
) -> None:
    outside, publisher = matrix.endpoints["outside"], matrix.endpoints["cuc-pub"]
    extra = Flow(
        "outside", "cuc-pub", protocol, port, port, "test.extra", outside.address, publisher.address
    )
    widened = replace(matrix, flows=(*matrix.flows, extra))
    reload_afterwards("cuc-pub")
    lab.load_rules("cuc-pub", rendered_nftables(widened, "cuc-pub"))
    found = failures(lab.probe(options=OPTIONS, targets=["cuc-pub"]))
    assert found == {("outside", "cuc-pub", protocol, port): Observed.OPEN}


# --------------------------------------------------------------------------- teardown


def live_namespaces() -> set[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in listing.stdout.splitlines() if line.strip()}


@pytest.mark.parametrize("interruption", [RuntimeError("test failed"), KeyboardInterrupt()])
def test_the_lab_is_torn_down_whatever_happens(matrix: Matrix, interruption: BaseException) -> None:
    names: set[str] = set()
    with pytest.raises(type(interruption)), Lab(matrix) as lab:
        names = {namespace.name for namespace in lab.namespaces.values()}
        assert names <= live_namespaces()
        lab.start_emulators()
        raise interruption
    assert len(names) == len(matrix.endpoints)
    assert not names & live_namespaces()


def test_rules_the_kernel_refuses_stop_the_lab_cleanly(matrix: Matrix) -> None:
    before = live_namespaces()
    with pytest.raises(VerifyError, match="nft refused the rules for rtr-a"), Lab(matrix) as lab:
        lab.load_rules("rtr-a", "table inet broken { chain input { nonsense } }\n")
    assert live_namespaces() <= before


def test_verify_lab_command_prints_the_summary_and_passes(tmp_path: Path) -> None:
    report = tmp_path / "lab.json"
    result = CliRunner().invoke(
        main, ["verify", str(TOPOLOGY), "--lab", "--sample", "8", "--format", "json", "-o", str(report)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lab = validated(report.read_text(encoding="utf-8"))
    assert lab["scope"]["lab"] is True and lab["summary"]["failed"] == 0
    result = CliRunner().invoke(
        main, ["verify", str(TOPOLOGY), "--lab", "--sample", "8"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["src", "dst", "checks", "passed", "failed"]
    assert any(line.split()[:2] == ["rtr-b", "rtr-a"] for line in lines)
    assert lines[-1] == "no failures"


def _answers_ping(lab: Lab, src: str, dst: str, matrix: Matrix) -> bool:
    address = matrix.endpoints[dst].ip
    scan = lab.namespaces[src].run(
        ["nmap", "-sn", "-PE", "-n", "--disable-arp-ping", "--max-retries", "1", address],
        check=False,
    )
    return "Host is up" in scan.stdout


def test_host_firewalls_answer_ping_unless_the_inventory_says_not(
    lab: Lab, matrix: Matrix, reload_afterwards: Callable[[str], None]
) -> None:
    if shutil.which("nmap") is None:
        pytest.skip("nmap is not installed (make system-deps)")
    src, dst = lab.hosts[0], lab.hosts[1]
    assert _answers_ping(lab, src, dst, matrix)  # the default: host_firewall.icmp_echo true
    quiet = replace(matrix, host_firewall=HostFirewall(icmp_echo=False))
    reload_afterwards(dst)
    lab.load_rules(dst, rendered_nftables(quiet, dst))
    assert not _answers_ping(lab, src, dst, matrix)

"""Which ports emulators open and which checks probes make, from a hand-built matrix."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portmatrix.errors import LookupFailure, VerifyError
from portmatrix.model import Endpoint, Exposure, Flow, Matrix, Protocol
from portmatrix.verify import Expected, Planner, Sampling, probe_addresses, sample_range

TCP, UDP = Protocol.TCP, Protocol.UDP


def flow(
    src: str,
    dst: str,
    protocol: Protocol,
    start: int,
    end: int | None = None,
    *,
    rule: str,
    src_address: str | None = None,
    dst_address: str = "",
    **extra: object,
) -> Flow:
    """A flow as resolution makes it: to the destination's inventory address unless told."""
    if not dst_address and dst in ENDPOINTS:
        dst_address = ENDPOINTS[dst].address
    return Flow(
        src,
        dst,
        protocol,
        start,
        start if end is None else end,
        rule,
        src_address,
        dst_address,
        **extra,
    )  # type: ignore[arg-type]


ENDPOINTS = {
    "cuc-pub": Endpoint("cuc-pub", "10.62.1.11/32"),
    "cuc-sub": Endpoint("cuc-sub", "10.62.1.12/32"),
    "phones": Endpoint("phones", "10.63.0.0/24"),
    "desk-7": Endpoint("desk-7", "10.63.0.7/32"),  # a host inside the phones network
    "outside": Endpoint("outside", "192.0.2.10/32"),
}

# Ports and entries from Unity Connection's table 1-1 (seed 000_e0967b9895897e12.txt).
FLOWS = (
    flow("cuc-sub", "cuc-pub", TCP, 20500, 20502, rule="cuc.conversation-manager.cluster",
         src_address="10.62.1.12/32", exposure=Exposure.CLUSTER_ONLY),
    flow("phones", "cuc-pub", TCP, 21000, 21512, rule="cuc.conversation-manager.phone-apps",
         src_address="10.63.0.0/24"),
    flow("phones", "cuc-pub", UDP, 16384, 21511, rule="cuc.mixer.rtp", src_address="10.63.0.0/24"),
    flow("cuc-pub", "cuc-pub", TCP, 20055, rule="cuc.license-server", src_address="10.62.1.11/32",
         exposure=Exposure.LOCAL_ONLY),
    flow("role:client-workstation", "cuc-pub", TCP, 143, rule="cuc.imap"),
    flow("cuc-pub", "cuc-sub", TCP, 32768, 61000, rule="cuc.ephemeral", src_address="10.62.1.11/32",
         ephemeral=True),
)  # fmt: skip

MATRIX = Matrix("lab", ENDPOINTS, FLOWS)


def ports_of(planner: Planner, host: str) -> set[tuple[str, int]]:
    return {(listen.protocol.value, listen.port) for listen in planner.listen_ports(host)}


# --------------------------------------------------------------------------- sampling


def test_short_ranges_are_kept_whole() -> None:
    assert sample_range(20500, 20502, 64) == [20500, 20501, 20502]


def test_long_ranges_keep_both_ends_and_a_spread() -> None:
    ports = sample_range(16384, 21511, 8)
    assert ports[0] == 16384 and ports[-1] == 21511
    assert len(ports) == 8
    gaps = [b - a for a, b in itertools.pairwise(ports)]
    assert max(gaps) - min(gaps) <= 1


@given(
    st.integers(1, 65535).flatmap(lambda lo: st.tuples(st.just(lo), st.integers(lo, 65535))),
    st.integers(2, 200),
)
def test_a_sample_is_inside_the_range_sorted_and_sized(bounds: tuple[int, int], size: int) -> None:
    start, end = bounds
    ports = sample_range(start, end, size)
    assert ports == sorted(set(ports))
    assert ports[0] == start and ports[-1] == end
    assert len(ports) == min(size, end - start + 1)


def test_a_sample_needs_two_ports() -> None:
    with pytest.raises(ValueError):
        Sampling(1)


# --------------------------------------------------------------------------- listeners


def test_listeners_cover_every_documented_port_sampled() -> None:
    planner = Planner(MATRIX, sampling=Sampling(8))
    ports = ports_of(planner, "cuc-pub")
    assert {("tcp", 20500), ("tcp", 20501), ("tcp", 20502)} <= ports
    assert ("tcp", 20055) in ports  # local-only: emulated so that a missing block is caught
    assert ("tcp", 143) in ports  # from an unbound role: still a documented port
    assert {("tcp", 21000), ("tcp", 21512), ("udp", 16384), ("udp", 21511)} <= ports
    assert len([p for p in ports if p[0] == "udp"]) == 8


def test_listeners_name_the_entries_that_document_them() -> None:
    planner = Planner(MATRIX)
    rules = {listen.port: listen.rules for listen in planner.listen_ports("cuc-pub")}
    assert rules[20055] == ("cuc.license-server",)


def test_ephemeral_ranges_only_when_asked() -> None:
    assert ports_of(Planner(MATRIX), "cuc-sub") == set()
    wide = Planner(MATRIX, sampling=Sampling(4, include_ephemeral=True))
    assert ports_of(wide, "cuc-sub") == {
        ("tcp", 32768),
        ("tcp", 42179),
        ("tcp", 51589),
        ("tcp", 61000),
    }


# --------------------------------------------------------------------------- checks


def verdicts(planner: Planner, source: str, target: str) -> dict[tuple[str, int], Expected]:
    return {
        (probe.protocol.value, probe.port): probe.expected
        for probe in planner.probes(source, targets=[target])
    }


def test_a_cluster_peer_may_reach_cluster_ports_and_nothing_else() -> None:
    planner = Planner(MATRIX, sampling=Sampling(8))
    seen = verdicts(planner, "cuc-sub", "cuc-pub")
    assert seen[("tcp", 20501)] is Expected.OPEN
    assert seen[("tcp", 20055)] is Expected.BLOCKED
    assert seen[("tcp", 21000)] is Expected.BLOCKED
    assert seen[("udp", 16384)] is Expected.BLOCKED


def test_a_host_inside_an_admitted_network_is_admitted_too() -> None:
    planner = Planner(MATRIX, sampling=Sampling(8))
    assert verdicts(planner, "desk-7", "cuc-pub")[("udp", 21511)] is Expected.OPEN
    assert verdicts(planner, "outside", "cuc-pub")[("udp", 21511)] is Expected.BLOCKED


def test_checks_name_the_entry_behind_the_port() -> None:
    planner = Planner(MATRIX)
    rules = {p.port: p.rule for p in planner.probes("outside", targets=["cuc-pub"])}
    assert rules[20500] == "cuc.conversation-manager.cluster"
    assert rules[143] == "cuc.imap"


def test_every_other_host_is_a_target_by_default_but_never_the_source() -> None:
    probes = Planner(MATRIX).probes("outside")
    assert {probe.dst for probe in probes} == {"cuc-pub"}  # the only host with documented ports
    assert all(probe.src == "outside" for probe in probes)


def test_only_inventory_addresses_are_probed() -> None:
    planner = Planner(MATRIX, sampling=Sampling(4, include_ephemeral=True))
    inventory = set(planner.addresses().values())
    assert inventory == {"10.62.1.11", "10.62.1.12", "10.63.0.7", "192.0.2.10"}
    for source in planner.addresses():
        assert {probe.dst_address for probe in planner.probes(source)} <= inventory


def test_a_network_without_a_probe_address_is_never_probed_nor_probed_from() -> None:
    planner = Planner(MATRIX)
    assert planner.unaddressed() == ["phones"]
    assert "phones" not in {probe.dst for probe in planner.probes("outside")}
    with pytest.raises(VerifyError, match=r"phones is a network .* with no probe_address"):
        planner.probes("phones")
    with pytest.raises(VerifyError, match="no probe_address"):
        planner.probes("outside", targets=["phones"])


def test_a_network_is_probed_at_and_from_its_probe_address_only() -> None:
    phones = Endpoint("phones", "10.63.0.0/24", probe_address="10.63.0.50")
    planner = Planner(Matrix("m", {**ENDPOINTS, "phones": phones}, MATRIX.flows))
    probes = planner.probes("phones", targets=["cuc-pub"])
    assert probes and all(probe.dst_address == "10.62.1.11" for probe in probes)
    assert any(probe.expected is Expected.OPEN for probe in probes)  # 10.63.0.50 is a phone
    assert planner.addresses()["phones"] == "10.63.0.50"


def test_unknown_hosts_are_named() -> None:
    planner = Planner(MATRIX)
    with pytest.raises(LookupFailure, match=r"no host 'rtr-z'.*cuc-pub"):
        planner.probes("rtr-z")
    with pytest.raises(LookupFailure, match="'nowhere'"):
        planner.probes("outside", targets=["nowhere"])


def test_only_the_lab_invents_a_free_address_for_a_network() -> None:
    assert "phones" not in probe_addresses(ENDPOINTS.values())
    addresses = probe_addresses(ENDPOINTS.values(), invent=True)
    assert addresses["cuc-pub"] == "10.62.1.11"
    assert addresses["phones"] == "10.63.0.1"
    crowded = [Endpoint("net", "10.9.0.0/30"), Endpoint("gw", "10.9.0.1/32")]
    assert probe_addresses(crowded, invent=True)["net"] == "10.9.0.2"


def test_a_network_without_a_free_address_is_an_error() -> None:
    crowded = [
        Endpoint("net", "10.9.0.0/31"),
        Endpoint("a", "10.9.0.0/32"),
        Endpoint("b", "10.9.0.1/32"),
    ]
    with pytest.raises(LookupFailure, match="no free address"):
        probe_addresses(crowded, invent=True)


# --------------------------------------------------------------------------- networks

TWO_NETWORKS = Matrix(
    "networks",
    {
        "rtr-a": Endpoint(
            "rtr-a",
            "10.71.1.11/32",
            addresses=(("public", "10.71.1.11/32"), ("private", "10.72.1.11/32")),
        ),
        "rtr-b": Endpoint(
            "rtr-b",
            "10.71.2.11/32",
            addresses=(("public", "10.71.2.11/32"), ("private", "10.72.2.11/32")),
        ),
        "aw-1": Endpoint("aw-1", "10.71.3.31/32"),
    },
    (
        flow("rtr-a", "rtr-b", UDP, 39500, rule="mds", src_address="10.72.1.11/32",
             dst_address="10.72.2.11/32", network="private"),
        flow("rtr-a", "rtr-b", TCP, 41047, rule="rtfeed", src_address="10.71.1.11/32",
             dst_address="10.71.2.11/32"),
        flow("aw-1", "rtr-b", TCP, 41044, rule="aw-private", src_address="10.71.3.31/32",
             dst_address="10.72.2.11/32", network="private"),
    ),
)  # fmt: skip


def checks(source: str) -> dict[tuple[str, str, int], Expected]:
    return {
        (probe.src_address, probe.dst_address, probe.port): probe.expected
        for probe in Planner(TWO_NETWORKS).probes(source, targets=["rtr-b"])
    }


def test_a_private_flow_is_probed_between_the_private_addresses() -> None:
    found = checks("rtr-a")
    assert found[("10.72.1.11", "10.72.2.11", 39500)] is Expected.OPEN
    assert found[("10.71.1.11", "10.71.2.11", 41047)] is Expected.OPEN
    assert {(src, dst) for src, dst, _ in found} == {
        ("10.71.1.11", "10.71.2.11"),
        ("10.72.1.11", "10.72.2.11"),
    }


def test_a_port_documented_only_on_the_private_network_is_blocked_on_the_public_path() -> None:
    found = checks("rtr-a")
    assert found[("10.71.1.11", "10.71.2.11", 39500)] is Expected.BLOCKED
    # rtfeed names no network: it admits rtr-a's main address to rtr-b's main address only.
    assert found[("10.72.1.11", "10.72.2.11", 41047)] is Expected.BLOCKED


def test_a_source_without_the_network_probes_from_its_main_address() -> None:
    found = checks("aw-1")
    assert found[("10.71.3.31", "10.72.2.11", 41044)] is Expected.OPEN
    # Its private-network flow opens rtr-b's private address, not the main one.
    assert found[("10.71.3.31", "10.71.2.11", 41044)] is Expected.BLOCKED
    assert {(src, dst) for src, dst, _ in found} == {
        ("10.71.3.31", "10.71.2.11"),
        ("10.71.3.31", "10.72.2.11"),
    }

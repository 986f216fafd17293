"""The lab with hosts on two networks: the private MDS path is probed between the private
addresses, and a rule missing on it is caught there and nowhere else.

tests/data/lab-networks.yaml: a duplex router pair, each with a public and a private address,
and a PG on the public network only. Rules come from the nftables renderer, as in test_lab.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from portmatrix.model import Matrix
from portmatrix.netns import unavailable_reason
from portmatrix.resolve import resolve_file
from portmatrix.verify import LAB_OPTIONS, Expected, Lab, Result, Sampling
from portmatrix.verify.lab import rendered_nftables
from portmatrix.verify.probe import STOPPED

REASON = unavailable_reason("nft")
pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(REASON is not None, reason=f"the lab {REASON}"),
]

TOPOLOGY = Path(__file__).resolve().parent / "data" / "lab-networks.yaml"
OPTIONS = replace(LAB_OPTIONS, sampling=Sampling(8))
PRIVATE_A, PRIVATE_B = "10.72.1.11", "10.72.2.11"
PUBLIC_A, PUBLIC_B = "10.71.1.11", "10.71.2.11"
MDS = "cce.router.mds-private"
Key = tuple[str, str, str, int]


@pytest.fixture(scope="module")
def matrix() -> Matrix:
    return resolve_file(TOPOLOGY)


@pytest.fixture(scope="module")
def lab(matrix: Matrix) -> Iterator[Lab]:
    with Lab(matrix, sampling=OPTIONS.sampling) as running:
        running.ready()
        yield running


def key(result: Result) -> Key:
    probe = result.probe
    return probe.src_address, probe.dst_address, probe.protocol.value, probe.port


def mds_ports(matrix: Matrix) -> set[tuple[str, int]]:
    """The sampled ports of the private MDS rows from router A to router B."""
    sampling = OPTIONS.sampling
    return {
        (flow.protocol.value, port)
        for flow in matrix.flows
        if flow.rule == MDS and flow.dst == "rtr-b"
        for port in sampling.ports(flow)
    }


def test_private_mds_is_open_between_the_private_addresses_and_blocked_on_the_public(
    lab: Lab, matrix: Matrix
) -> None:
    results = lab.probe(options=OPTIONS)
    assert [key(r) for r in results if not r.ok] == []
    between = {key(r)[2:]: r for r in results if key(r)[:2] == (PRIVATE_A, PRIVATE_B)}
    assert set(between) >= mds_ports(matrix)
    assert all(between[port].probe.expected is Expected.OPEN for port in mds_ports(matrix))
    public = {key(r)[2:]: r for r in results if key(r)[:2] == (PUBLIC_A, PUBLIC_B)}
    for port in mds_ports(matrix):
        assert public[port].probe.expected is Expected.BLOCKED
        assert public[port].observed in STOPPED
    # The PG's public DMP heartbeats reach rtr-b's public address on the same UDP range.
    pg = [r for r in results if r.probe.src == "pg-a" and r.probe.dst == "rtr-b"]
    assert any(r.probe.port == 39500 and r.probe.expected is Expected.OPEN for r in pg)
    assert {r.probe.src_address for r in pg} == {"10.71.1.21"}


def test_removing_the_private_mds_rule_fails_exactly_its_private_checks(
    lab: Lab, matrix: Matrix
) -> None:
    without = replace(
        matrix,
        flows=tuple(f for f in matrix.flows if not (f.rule == MDS and f.dst == "rtr-b")),
    )
    lab.load_rules("rtr-b", rendered_nftables(without, "rtr-b"))
    try:
        results = lab.probe(options=OPTIONS, sources=["rtr-a", "pg-a"], targets=["rtr-b"])
    finally:
        lab.load_rules("rtr-b", rendered_nftables(matrix, "rtr-b"))
    failed = {key(r) for r in results if not r.ok}
    assert failed == {(PRIVATE_A, PRIVATE_B, *port) for port in mds_ports(matrix)}

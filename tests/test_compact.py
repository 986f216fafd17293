"""The compaction layer admits exactly the traffic the flows admit, in fewer, disjoint pieces."""

from __future__ import annotations

import ipaddress
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portmatrix.compact import (
    Grant,
    Reason,
    collapse,
    compact_flows,
    disjoint_blocks,
    merge_port_blocks,
    parse_network,
    prefixes,
)
from portmatrix.model import Flow, Protocol
from portmatrix.traffic import V4_BASE
from portmatrix.traffic import network_interval as interval_of

TCP, UDP = Protocol.TCP, Protocol.UDP


def make(
    src: str,
    dst: str,
    start: int,
    end: int | None = None,
    *,
    proto: Protocol = TCP,
    rule: str = "r",
) -> Flow:
    return Flow(
        src=f"n-{src}",
        dst=f"n-{dst}",
        protocol=proto,
        port_start=start,
        port_end=end if end is not None else start,
        rule=rule,
        src_address=src,
        dst_address=dst,
        source=f"doc table 1 row {start % 7 + 1}",
    )


def admitted(grants: tuple[Grant, ...], src: str, dst: str, proto: Protocol, port: int) -> int:
    """How many grants admit the packet (the layer promises 0 or 1)."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    return sum(
        1
        for grant in grants
        if grant.protocol is proto
        and any(s in parse_network(net) for net in grant.sources)
        and any(d in parse_network(net) for net in grant.destinations)
        and any(block.start <= port <= block.end for block in grant.ports)
    )


def test_adjacent_and_overlapping_ports_merge_keeping_every_reason() -> None:
    a, b, c = Reason("a", "x"), Reason("b", "y"), Reason("c", "z")
    blocks = merge_port_blocks([(10, 12, [a]), (13, 13, [b]), (11, 20, [c]), (30, 30, [a])])
    assert [(x.start, x.end) for x in blocks] == [(10, 20), (30, 30)]
    assert blocks[0].reasons == (a, b, c)
    assert blocks[1].reasons == (a,)


def test_collapse_gives_fewest_prefixes_ipv4_first() -> None:
    nets = [parse_network(t) for t in ["fd00::1/128", "10.0.0.1/32", "10.0.0.0/32", "10.0.0.2/31"]]
    assert collapse(nets) == ("10.0.0.0/30", "fd00::1/128")


def test_nested_networks_are_cut_into_disjoint_blocks() -> None:
    outer, inner = interval_of("10.20.0.0/24"), interval_of("10.20.0.7/32")
    blocks = disjoint_blocks([outer, inner])
    assert blocks[inner] == (inner,)
    assert inner in blocks[outer]
    pieces = sorted(blocks[outer])
    assert sum(last - first + 1 for first, last in pieces) == 256
    assert all(left[1] < right[0] for left, right in itertools.pairwise(pieces))
    assert prefixes(pieces) == ("10.20.0.0/24",)


def test_prefixes_cut_unaligned_ranges_into_the_fewest_cidrs() -> None:
    assert prefixes(
        [
            (
                V4_BASE + int(ipaddress.IPv4Address("10.0.0.1")),
                V4_BASE + int(ipaddress.IPv4Address("10.0.0.6")),
            )
        ]
    ) == (
        "10.0.0.1/32",
        "10.0.0.2/31",
        "10.0.0.4/31",
        "10.0.0.6/32",
    )
    assert prefixes([interval_of("::/0")]) == ("::/0",)
    assert prefixes([interval_of("0.0.0.0/0")]) == ("0.0.0.0/0",)


def test_sources_with_identical_allowances_become_one_collapsed_grant() -> None:
    flows = [make(f"10.0.0.{n}/32", "10.9.0.1/32", 443, rule=f"r{n}") for n in range(4)]
    (grant,) = compact_flows(flows)
    assert grant.sources == ("10.0.0.0/30",)
    assert [str(block) for block in grant.ports] == ["443"]
    assert grant.rules == ("r0", "r1", "r2", "r3")
    assert grant.flows == 4


def test_different_allowances_stay_apart() -> None:
    flows = [make("10.0.0.1/32", "10.9.0.1/32", 443), make("10.0.0.2/32", "10.9.0.1/32", 80)]
    grants = compact_flows(flows)
    assert len(grants) == 2


def test_any_source_ignores_sources() -> None:
    flows = [make("10.0.0.1/32", "10.9.0.1/32", 8005), make("10.0.0.1/32", "10.9.0.1/32", 8006)]
    (grant,) = compact_flows(flows, any_source=True)
    assert grant.sources == ()
    assert [str(block) for block in grant.ports] == ["8005-8006"]


def test_missing_address_is_a_programming_error() -> None:
    flow = make("10.0.0.1/32", "10.9.0.1/32", 1)
    unbound = Flow(**{**flow.as_dict(), "src_address": None, "protocol": TCP})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="src_address"):
        compact_flows([unbound])


def test_order_of_flows_does_not_change_the_result() -> None:
    flows = [make(f"10.0.{n % 3}.{n}/32", f"10.9.0.{n % 2}/32", 40000 + n % 5) for n in range(40)]
    shuffled = list(flows)
    random.Random(4).shuffle(shuffled)
    assert compact_flows(flows) == compact_flows(shuffled)


ADDRESSES = [
    "10.0.0.0/29",
    "10.0.0.4/30",
    "10.0.0.1/32",
    "10.0.0.5/32",
    "10.0.0.9/32",
    "fd00::1/128",
]
DESTS = ["10.9.0.0/31", "10.9.0.1/32", "10.9.0.2/32"]

flows_strategy = st.lists(
    st.tuples(
        st.sampled_from(ADDRESSES[:5]),
        st.sampled_from(DESTS),
        st.sampled_from([TCP, UDP]),
        st.integers(1, 30),
        st.integers(0, 4),
        st.sampled_from(["a", "b", "c"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(flows_strategy)
def test_compaction_admits_exactly_the_flows_and_grants_never_overlap(
    raw: list[tuple[str, str, Protocol, int, int, str]],
) -> None:
    flows = [make(s, d, start, start + width, proto=p, rule=r) for s, d, p, start, width, r in raw]
    grants = compact_flows(flows)
    for src in ["10.0.0.0", "10.0.0.1", "10.0.0.5", "10.0.0.6", "10.0.0.9", "10.0.0.12"]:
        for dst in ["10.9.0.0", "10.9.0.1", "10.9.0.2"]:
            for proto in (TCP, UDP):
                for port in range(1, 36):
                    expected = any(
                        f.protocol is proto
                        and ipaddress.ip_address(src) in parse_network(f.src_address or "")
                        and ipaddress.ip_address(dst) in parse_network(f.dst_address or "")
                        and f.port_start <= port <= f.port_end
                        for f in flows
                    )
                    assert admitted(grants, src, dst, proto, port) == int(expected)
    assert sum(grant.flows for grant in grants) >= len(flows)

"""The traffic layer: interval sets, boxes and the admit index, against brute-force membership."""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from portmatrix import traffic as space
from portmatrix.model import Exposure, Flow, Matrix, Protocol
from portmatrix.traffic import Box, Intervals

SMALL = 24  # a tiny domain so every point can be enumerated


@st.composite
def interval_sets(draw: st.DrawFn, top: int = SMALL) -> Intervals:
    points = draw(st.lists(st.integers(0, top), max_size=6))
    pairs = [(min(a, b), max(a, b)) for a, b in zip(points[::2], points[1::2], strict=False)]
    return space.normalise(pairs)


def members(values: Intervals, top: int = SMALL) -> set[int]:
    return {point for point in range(top + 1) if any(lo <= point <= hi for lo, hi in values)}


@given(interval_sets(), interval_sets())
def test_interval_algebra_matches_sets(a: Intervals, b: Intervals) -> None:
    assert members(space.intersect(a, b)) == members(a) & members(b)
    assert members(space.subtract(a, b)) == members(a) - members(b)
    assert members(space.union(a, b)) == members(a) | members(b)
    assert space.overlaps(a, b) == bool(members(a) & members(b))
    assert space.normalise(space.subtract(a, b)) == space.subtract(a, b)


TOP = 3  # boxes over {0..3}^5: 1024 points


@st.composite
def boxes(draw: st.DrawFn) -> Box:
    dims = [draw(interval_sets(TOP)) for _ in range(5)]
    return (dims[0], dims[1], dims[2], dims[3], dims[4])


def box_points(box: Box) -> set[tuple[int, ...]]:
    return set(itertools.product(*(sorted(members(dim, TOP)) for dim in box)))


def region_points(region: list[Box]) -> set[tuple[int, ...]]:
    return set().union(*(box_points(box) for box in region)) if region else set()


@given(boxes(), boxes())
def test_box_subtract_is_an_exact_disjoint_partition(a: Box, b: Box) -> None:
    pieces = space.box_subtract(a, b)
    assert region_points(pieces) == box_points(a) - box_points(b)
    assert sum(len(box_points(piece)) for piece in pieces) == len(box_points(a) - box_points(b))


@given(st.lists(boxes(), max_size=3), st.lists(boxes(), max_size=3))
def test_split_separates_hit_from_rest(region: list[Box], match: list[Box]) -> None:
    disjoint = space.region_subtract(region[1:], region[:1]) + region[:1] if region else []
    hit, rest = space.split(disjoint, match)
    assert region_points(hit) == region_points(region) & region_points(match)
    assert region_points(rest) == region_points(region) - region_points(match)
    assert not region_points(hit) & region_points(rest)


def test_ipv4_lives_inside_the_shared_line_and_prints_back() -> None:
    lo, hi = space.network_interval("10.0.0.0/24")
    assert hi - lo == 255 and space.family_of(lo) == 4
    assert space.family_of(space.network_interval("2001:db8::1")[0]) == 6
    assert space.format_addresses(((lo, hi),)) == "10.0.0.0/24"
    single = space.network_interval("10.0.0.7")
    assert space.format_addresses((single,)) == "10.0.0.7"
    assert space.format_addresses(((lo, lo + 2),)) == "10.0.0.0/31,10.0.0.2"


def test_covering_prefix_is_the_smallest_network_holding_both_ends() -> None:
    lo, _ = space.network_interval("10.1.0.40")
    _, hi = space.network_interval("10.9.0.0/24")
    assert space.format_addresses((space.covering_prefix(lo, hi),)) == "10.0.0.0/12"


def test_ipv6_prefixes_never_cover_ipv4() -> None:
    """IPv4 sits above the IPv6 space, so bogon lists (``::/3``, ``::ffff:0:0/96``) stay IPv6."""
    v4 = space.network_interval("10.0.0.1")[0]
    for prefix in ("::/0", "::/3", "::/8", "::ffff:0:0/96", "::/96"):
        lo, hi = space.network_interval(prefix)
        assert hi < v4 and space.family_of(lo) == space.family_of(hi) == 6
    assert space.network_interval("0.0.0.0/0") == space.V4[0]
    assert space.parse_address("10.0.0.1") == v4
    assert space.address_text(v4) == "10.0.0.1"


@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_fast_ipv4_reading_agrees_with_ipaddress(value: int, length: int) -> None:
    text = f"{ipaddress.IPv4Address(value)}/{length}"
    network = ipaddress.ip_network(text, strict=False)
    lo = space.V4_BASE + int(network.network_address)
    assert space.network_interval(text) == (lo, lo + network.num_addresses - 1)


# --------------------------------------------------------------------------- AdmitIndex

HOSTS = [f"10.0.{i}.{j}" for i in (0, 1) for j in (1, 2, 3)] + ["fd00::1", "fd00::2"]
NETWORKS = ["10.0.0.0/24", "10.0.0.0/16", "10.0.1.0/30", "fd00::/64", "0.0.0.0/0"]


@st.composite
def flows(draw: st.DrawFn) -> Flow:
    src = draw(st.sampled_from([*HOSTS, *NETWORKS, None]))
    dst = draw(st.sampled_from(HOSTS + NETWORKS))
    start = draw(st.integers(1, 40))
    return Flow(
        src=str(src),
        dst=dst,
        protocol=draw(st.sampled_from([Protocol.TCP, Protocol.UDP])),
        port_start=start,
        port_end=start + draw(st.sampled_from([0, 0, 1, 5, 30])),
        rule="r",
        src_address=src,
        dst_address=dst,
        exposure=draw(st.sampled_from([Exposure.OPEN, Exposure.OPEN, Exposure.LOCAL_ONLY])),
    )


def brute_force(
    matrix_flows: list[Flow], src: str, dst: str, protocol: str, port: int
) -> list[Flow]:
    def inside(address: str, network: str | None) -> bool:
        if network is None:
            return False
        ip, net = ipaddress.ip_address(address), ipaddress.ip_network(network)
        return ip.version == net.version and ip in net

    return [
        flow
        for flow in matrix_flows
        if not flow.local_only
        and flow.protocol.value == protocol
        and flow.port_start <= port <= flow.port_end
        and inside(src, flow.src_address)
        and inside(dst, flow.dst_address)
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(flows(), max_size=25),
    st.lists(
        st.tuples(
            st.sampled_from([*HOSTS, "10.0.0.200", "10.0.9.9", "fd00::99", "2001:db8::1"]),
            st.sampled_from([*HOSTS, "10.0.0.200", "10.0.9.9", "fd00::99", "2001:db8::1"]),
            st.sampled_from(["tcp", "udp"]),
            st.integers(0, 75),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_admit_index_agrees_with_a_brute_force_matcher(
    matrix_flows: list[Flow], queries: list[tuple[str, str, str, int]]
) -> None:
    index = space.AdmitIndex(matrix_flows)
    for src, dst, protocol, port in queries:
        expected = brute_force(matrix_flows, src, dst, protocol, port)
        assert list(index.admits(src, dst, protocol, port)) == expected
        as_numbers = index.admits(
            space.parse_address(src),
            ipaddress.ip_address(dst),
            space.PROTOCOL_NUMBERS[protocol],
            port,
        )
        assert list(as_numbers) == expected


def test_admit_index_through_the_matrix_and_unknown_protocols() -> None:
    flow = Flow(
        "a", "b", Protocol.TCP, 80, 81, "web", src_address="10.0.0.1/32", dst_address="10.0.1.0/24"
    )
    matrix = Matrix("m", {}, (flow,))
    assert matrix.admits("10.0.0.1", "10.0.1.9", Protocol.TCP, 81) == (flow,)
    assert matrix.admits("10.0.0.1", "10.0.1.9", "6", 80) == (flow,)
    assert matrix.admits("10.0.0.1", "10.0.1.9", "udp", 80) == ()
    assert matrix.admits("10.0.0.1", "10.0.1.9", 132, 80) == ()
    assert matrix.admits("10.0.0.1", "10.0.2.9", "tcp", 80) == ()


def test_a_replaced_matrix_does_not_serve_the_old_index() -> None:
    flow = Flow(
        "a", "b", Protocol.UDP, 53, 53, "dns", src_address="10.0.0.1/32", dst_address="10.0.0.2/32"
    )
    matrix = Matrix("m", {}, (flow,))
    assert matrix.admits("10.0.0.1", "10.0.0.2", "udp", 53) == (flow,)
    assert dataclasses.replace(matrix, flows=()).admits("10.0.0.1", "10.0.0.2", "udp", 53) == ()

"""The checker's traffic space: interval sets and boxes, against brute-force membership."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from portmatrix import traffic as space
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

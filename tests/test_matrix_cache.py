"""A matrix copied with dataclasses.replace gets indexes of its own flows, not the original's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from portmatrix.project import Project

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


def test_replace_does_not_share_the_flow_indexes() -> None:
    matrix = Project(EXAMPLE).matrix
    removed = matrix.flows_to("rtr-a")[0]  # builds and caches the by-host index
    smaller = replace(matrix, flows=tuple(f for f in matrix.flows if f is not removed))
    assert removed in matrix.flows_to("rtr-a")
    assert removed not in smaller.flows_to("rtr-a")
    assert len(smaller.flows_to("rtr-a")) == len(matrix.flows_to("rtr-a")) - 1

"""The Aerleon export is written against a strict list of keys, pinned to Aerleon's own."""

from __future__ import annotations

from typing import Any

import pytest

from portmatrix.errors import RenderError
from portmatrix.render import render
from portmatrix.render.aerleon import KEYS, checked, split_bundle
from render_sample import sample_matrix


def test_an_unknown_key_is_refused_not_written() -> None:
    with pytest.raises(RenderError, match="unknown term key"):
        checked("term", {"name": "x", "destination-ports": "P"})


def test_the_term_and_header_keys_are_keys_aerleon_knows() -> None:
    builder = pytest.importorskip(
        "aerleon.lib.policy_builder", reason="aerleon is not installed (portmatrix[aerleon])"
    )
    known = set(builder.BUILTIN_SPEC)
    assert KEYS["term"] <= known
    assert KEYS["header"] <= known


def _walk_terms(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [term for item in policy["filters"] for term in item["terms"]]


@pytest.mark.parametrize(
    "keywords",
    [{"host": "rgr-a", "egress": True}, {"host": "cuc6"}, {"between": ("dc", "agents")}],
)
def test_every_written_mapping_uses_only_allowed_keys(keywords: dict[str, Any]) -> None:
    definitions, policy = split_bundle(render(sample_matrix(), "aerleon", **keywords).text)
    assert set(definitions) <= KEYS["definitions"] and set(policy) <= KEYS["policy"]
    for network in definitions["networks"].values():
        assert set(network) <= KEYS["network"]
        assert all(set(value) <= KEYS["network-value"] for value in network["values"])
    for items in definitions["services"].values():
        assert all(set(item) <= KEYS["service-item"] for item in items)
    for item in policy["filters"]:
        assert set(item) <= KEYS["filter"] and set(item["header"]) <= KEYS["header"]
    terms = _walk_terms(policy)
    assert terms and all(set(term) <= KEYS["term"] for term in terms)
    referenced = {t.get("source-address") for t in terms} | {
        t.get("destination-address") for t in terms
    }
    assert referenced - {None} <= set(definitions["networks"])


def test_a_file_that_is_not_an_export_is_refused() -> None:
    with pytest.raises(RenderError, match="two YAML documents"):
        split_bundle("filters: []\n")


def test_counts_match_the_parsed_export() -> None:
    out = render(sample_matrix(), "aerleon", host="rgr-a", egress=True)
    definitions, policy = split_bundle(out.text)
    ported = [term for term in _walk_terms(policy) if "destination-port" in term]
    values = sum(len(n["values"]) for n in definitions["networks"].values())
    items = sum(len(s) for s in definitions["services"].values())
    assert (out.counts.rules, out.counts.elements) == (len(ported), values + items)

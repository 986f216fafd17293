"""Hypothesis-driven mutation fuzzing of pack and inventory loading and of port expressions.

Each example damages a real seed (a bundled pack, an example, the corpus) with the mutations
``make fuzz`` uses (tests/fuzz/mutations.py) and hands it to the public loader; only a
:class:`~portmatrix.errors.PortmatrixError` may come out. Bounded to a few seconds each; the
long run is ``make fuzz``.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.mutations import (
    FLOWLOG_SEEDS,
    flowlog_loader,
    flowlog_seeds,
    inventory_seeds,
    load_formula,
    load_inventory,
    load_pack,
    mutate,
    pack_seeds,
)
from portmatrix.errors import PortmatrixError

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def survives(load: Callable[[str, str], None], text: str) -> None:
    with contextlib.suppress(PortmatrixError):
        load(text, "fuzzed.yaml")


@FUZZ
@given(st.sampled_from(pack_seeds()), st.randoms(use_true_random=False))
def test_mutated_packs_load_or_fail_cleanly(seed: tuple[str, str], rng: random.Random) -> None:
    survives(load_pack, mutate(seed[1], rng))


@FUZZ
@given(st.sampled_from(inventory_seeds()), st.randoms(use_true_random=False))
def test_mutated_inventories_resolve_or_fail_cleanly(
    seed: tuple[str, str], rng: random.Random
) -> None:
    survives(load_inventory, mutate(seed[1], rng))


@FUZZ
@given(st.text(max_size=300))
def test_any_text_as_a_pack_or_an_inventory_fails_cleanly(text: str) -> None:
    survives(load_pack, text)
    survives(load_inventory, text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_as_a_port_expression_fails_cleanly(text: str) -> None:
    survives(load_formula, text)


def test_the_seeds_themselves_load() -> None:
    for name, text in pack_seeds():
        if "corpus" not in name:
            load_pack(text, name)
    for name, text in inventory_seeds():
        if "corpus" not in name:
            load_inventory(text, name)


@pytest.mark.parametrize("rounds", [1, 4])
def test_mutations_change_the_text(rounds: int) -> None:
    text = pack_seeds()[0][1]
    rng = random.Random(7)
    assert sum(mutate(text, rng, rounds=rounds) != text for _ in range(20)) >= 15


@pytest.mark.parametrize("reader", sorted(set(FLOWLOG_SEEDS.values())))
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False))
def test_mutated_flow_logs_are_ingested_with_their_bad_lines_cited(
    reader: str, rng: random.Random
) -> None:
    """Only an InputError about the whole file may come out; the loader turns an engine
    failure into a crash (see fuzz.mutations.flowlog_loader)."""
    name, text = rng.choice(flowlog_seeds(reader))
    with contextlib.suppress(PortmatrixError):
        flowlog_loader(reader)(mutate(text, rng), name)

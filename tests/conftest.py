"""Shared fixtures: the bundled catalog, example inventories, throw-away network namespaces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portmatrix.catalog import Catalog, load_catalog
from portmatrix.netns import Netns, unavailable_reason

pytest_plugins = ["golden_plugin"]  # the one golden-file fixture, `golden`, and --regen-golden

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def netns() -> Iterator[Netns]:
    """A fresh network namespace, removed after the test whatever happens."""
    reason = unavailable_reason("nft", "iptables-restore")
    if reason:
        pytest.skip(reason)
    with Netns() as ns:
        yield ns

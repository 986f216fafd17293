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


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session for the whole run (starting a JVM costs seconds), small and quiet."""
    import shutil

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.skip("PySpark is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None and not __import__("os").environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java (apt-get install openjdk-17-jre-headless)")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("portmatrix tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

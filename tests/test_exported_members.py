"""The public namespace is deliberate: adding or removing a name is a visible change here."""

from __future__ import annotations

import subprocess
import sys

import portmatrix


def test_all_is_sorted_and_complete() -> None:
    assert portmatrix.__all__ == sorted(portmatrix.__all__)
    assert set(portmatrix.__all__) == {*portmatrix._EXPORTS, "__version__"}
    for name in portmatrix.__all__:
        assert hasattr(portmatrix, name), name


def test_pinned_public_names() -> None:
    assert set(portmatrix.__all__) == {
        "Catalog", "CatalogEntry", "CatalogError", "Decision", "Deployment", "Direction",
        "Endpoint", "Exposure", "Flow", "InputError", "Inventory", "InventoryError",
        "InventoryText", "LookupFailure", "Matrix", "MatrixDiff", "Pack", "PackText",
        "PluginError", "PortExpressionError", "PortItem", "PortMatch", "PortmatrixError",
        "Project", "Protocol", "RenderError", "RulesetError", "VerifyError",
        "__version__", "diff_matrices", "explain", "find_port", "load_catalog", "load_inventory",
        "resolve_file", "search",
    }  # fmt: skip


def test_subpackages_load_on_first_use() -> None:
    assert portmatrix.render.render is not None  # type: ignore[attr-defined]
    assert portmatrix.check.check_ruleset is not None  # type: ignore[attr-defined]
    assert portmatrix.verify.probe_from is not None  # type: ignore[attr-defined]


def test_errors_share_one_root() -> None:
    for name in portmatrix.__all__:
        value = getattr(portmatrix, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, portmatrix.PortmatrixError), name


def test_importing_the_package_imports_nothing_else() -> None:
    code = "import sys, portmatrix; print(sorted(m for m in sys.modules if m.startswith('portmatrix')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['portmatrix']"

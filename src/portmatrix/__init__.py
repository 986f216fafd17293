"""portmatrix: vendor port-usage tables as data, resolved into flows, rendered into rules,
proven on the wire, checked against existing firewalls and audited against observed traffic.

The names below are the library's public surface; :class:`Project` is the one object the CLI
and any other edge talk to. Every name is imported on first use (PEP 562), so ``import
portmatrix`` costs nothing and a look-up pays only for what it touches; the subpackages
``portmatrix.render``, ``portmatrix.check`` and ``portmatrix.verify`` load the same way.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "Catalog": "portmatrix.catalog",
    "CatalogEntry": "portmatrix.model",
    "CatalogError": "portmatrix.errors",
    "Decision": "portmatrix.resolve",
    "Deployment": "portmatrix.inventory",
    "Direction": "portmatrix.model",
    "Endpoint": "portmatrix.model",
    "Exposure": "portmatrix.model",
    "Flow": "portmatrix.model",
    "InputError": "portmatrix.errors",
    "Inventory": "portmatrix.model",
    "InventoryError": "portmatrix.errors",
    "InventoryText": "portmatrix.project",
    "LookupFailure": "portmatrix.errors",
    "Matrix": "portmatrix.model",
    "MatrixDiff": "portmatrix.diff",
    "Pack": "portmatrix.model",
    "PackText": "portmatrix.catalog",
    "PluginError": "portmatrix.errors",
    "PortExpressionError": "portmatrix.errors",
    "PortItem": "portmatrix.model",
    "PortMatch": "portmatrix.lookup",
    "PortmatrixError": "portmatrix.errors",
    "Project": "portmatrix.project",
    "Protocol": "portmatrix.model",
    "RenderError": "portmatrix.errors",
    "RulesetError": "portmatrix.errors",
    "VerifyError": "portmatrix.errors",
    "diff_matrices": "portmatrix.diff",
    "explain": "portmatrix.resolve",
    "find_port": "portmatrix.lookup",
    "load_catalog": "portmatrix.catalog",
    "load_inventory": "portmatrix.inventory",
    "resolve_file": "portmatrix.resolve",
    "search": "portmatrix.lookup",
}
#: Subpackages and modules reached as attributes. ``portmatrix.resolve`` is the module (its
#: ``resolve`` function is ``portmatrix.resolve.resolve``; most callers want :class:`Project`).
_LAZY_SUBPACKAGES = ("render", "check", "verify", "exporters", "audit", "resolve")

__all__ = [
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "Decision",
    "Deployment",
    "Direction",
    "Endpoint",
    "Exposure",
    "Flow",
    "InputError",
    "Inventory",
    "InventoryError",
    "InventoryText",
    "LookupFailure",
    "Matrix",
    "MatrixDiff",
    "Pack",
    "PackText",
    "PluginError",
    "PortExpressionError",
    "PortItem",
    "PortMatch",
    "PortmatrixError",
    "Project",
    "Protocol",
    "RenderError",
    "RulesetError",
    "VerifyError",
    "__version__",
    "diff_matrices",
    "explain",
    "find_port",
    "load_catalog",
    "load_inventory",
    "resolve_file",
    "search",
]

if TYPE_CHECKING:
    from portmatrix.catalog import Catalog, PackText, load_catalog
    from portmatrix.diff import MatrixDiff, diff_matrices
    from portmatrix.errors import (
        CatalogError,
        InputError,
        InventoryError,
        LookupFailure,
        PluginError,
        PortExpressionError,
        PortmatrixError,
        RenderError,
        RulesetError,
        VerifyError,
    )
    from portmatrix.inventory import Deployment, load_inventory
    from portmatrix.lookup import PortMatch, find_port, search
    from portmatrix.model import (
        CatalogEntry,
        Direction,
        Endpoint,
        Exposure,
        Flow,
        Inventory,
        Matrix,
        Pack,
        PortItem,
        Protocol,
    )
    from portmatrix.project import InventoryText, Project
    from portmatrix.resolve import Decision, explain, resolve_file


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"portmatrix.{name}")
    raise AttributeError(f"module 'portmatrix' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, *_LAZY_SUBPACKAGES])

"""portmatrix: vendor port-usage tables as data, resolved into flows, rendered into rules,
proven on the wire and checked against existing firewalls.

The names below are the library's public surface; the CLI is a thin edge over them. The
subpackages ``portmatrix.render``, ``portmatrix.check`` and ``portmatrix.verify`` are imported
on first use (``portmatrix.render`` etc. still work as attributes), so a look-up does not pay for
the renderers, the checker and the prober at start-up.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from portmatrix.catalog import Catalog, load_catalog
from portmatrix.diff import MatrixDiff, diff_matrices
from portmatrix.errors import (
    CatalogError,
    InputError,
    InventoryError,
    LookupFailure,
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
from portmatrix.resolve import Decision, explain, resolve, resolve_file

__version__ = "0.1.0"

_LAZY_SUBPACKAGES = ("render", "check", "verify")

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
    "LookupFailure",
    "Matrix",
    "MatrixDiff",
    "Pack",
    "PortExpressionError",
    "PortItem",
    "PortMatch",
    "PortmatrixError",
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
    "resolve",
    "resolve_file",
    "search",
]


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f"portmatrix.{name}")
    raise AttributeError(f"module 'portmatrix' has no attribute {name!r}")

"""Command-line edge: each command parses options, calls one library function, and turns a
:class:`~portmatrix.errors.PortmatrixError` into one line on stderr with exit status 2.

Commands live in one module per area and attach themselves to :data:`main` when imported;
the heavier areas are imported on first use (see ``_common.LAZY_MODULES``).
"""

from __future__ import annotations

from portmatrix.cli import catalog_cmds, resolve_cmds  # noqa: F401  (the rest load lazily)
from portmatrix.cli._common import main

__all__ = ["main"]

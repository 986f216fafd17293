"""Command-line edge: each command parses options, calls one library function, and turns a
:class:`~portmatrix.errors.PortmatrixError` into one line on stderr with exit status 2.

Commands live in one module per area and attach themselves to :data:`main` when imported.
"""

from __future__ import annotations

from portmatrix.cli._common import main
from portmatrix.cli import catalog_cmds, check_cmd, render_cmd, resolve_cmds, verify_cmds  # noqa: F401

__all__ = ["main"]

"""Command-line edge: each command parses options, asks the :class:`~portmatrix.project.Project`
one question and formats the answer; a :class:`~portmatrix.errors.PortmatrixError` becomes one
line on stderr with exit status 2.

Command modules are imported only when one of their commands runs (see
``_common.COMMAND_MODULES``).
"""

from __future__ import annotations

from portmatrix.cli._common import main

__all__ = ["main"]

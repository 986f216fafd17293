"""Every error portmatrix raises on purpose.

The tree, so callers can catch at the depth they care about::

    PortmatrixError                 anything the user can fix; the CLI prints it on one line, exit 2
    ├── InputError                  a file we were given is wrong (carries file and line)
    │   ├── CatalogError            a catalog pack is malformed or contradicts itself
    │   ├── InventoryError          an inventory names unknown roles, clashes, misses options
    │   └── RulesetError            an existing firewall ruleset cannot be parsed
    ├── PortExpressionError         a port expression does not parse or cannot be evaluated
    ├── LookupFailure               an id, host, zone or port the user asked for does not exist
    │                               (``.candidates``: the close names, for a "did you mean")
    ├── RenderError                 a target cannot express part of the matrix (never dropped silently)
    │                               (``.problems``: the structured reasons, one per flow)
    ├── PluginError                 a plugin cannot be loaded, or two plugins claim one name
    └── VerifyError                 the lab or a probe cannot run (privileges, namespaces, limits)

Messages are written for the person at the terminal: what is wrong, where, and what to do.
Library code translates YAML, socket and subprocess errors into these with ``raise ... from exc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class PortmatrixError(Exception):
    """Base of all errors that are the user's to fix; never a bug in portmatrix."""


class InputError(PortmatrixError):
    """A problem located in an input file, reported as ``file:line: message``."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class CatalogError(InputError):
    """A catalog pack is malformed or contradicts itself."""


class InventoryError(InputError):
    """An inventory is malformed, ambiguous or incomplete."""


class RulesetError(InputError):
    """An existing firewall ruleset could not be read."""


class PortExpressionError(PortmatrixError):
    """A port expression is malformed, out of range or needs a value nobody gave."""


class LookupFailure(PortmatrixError):
    """Something the user named (an id, a host, a zone, a target) does not exist.

    ``candidates`` keeps the close names the message suggests, so a web page or a JSON caller
    can offer them without parsing the text.
    """

    def __init__(self, message: str, *, candidates: Sequence[str] = ()):
        self.candidates = tuple(candidates)
        super().__init__(message)


class RenderError(PortmatrixError):
    """A renderer met flows it cannot express; lists all of them in one message.

    ``problems`` keeps each refusal as data (the flow, the attribute at fault, why, and what to
    do), in the order the message names them.
    """

    def __init__(self, message: str, *, problems: Sequence[Any] = ()):
        self.problems = tuple(problems)
        super().__init__(message)


class PluginError(PortmatrixError):
    """A plugin cannot be loaded, is not of its kind, or shares its name with another."""


class VerifyError(PortmatrixError):
    """Emulation, probing or the lab cannot run here."""

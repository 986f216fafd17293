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
    ├── OutputError                 a result cannot be written where the user asked
    └── VerifyError                 the lab or a probe cannot run (privileges, namespaces, limits)

Messages are written for the person at the terminal: what is wrong, where, and what to do.
Library code translates YAML, socket and subprocess errors into these with ``raise ... from exc``.
A message quotes what the user wrote, which can be anything, so :func:`one_line` caps it: a
180 kB formula quoted whole is no message. :class:`InputError` caps its own message and keeps
``file:line`` in front of the cut.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The longest message an :class:`InputError` keeps (its ``file:line`` comes on top).
MAX_MESSAGE = 600
#: The longest error line the command line prints.
MAX_LINE = 2000


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line of at most about ``limit`` characters, safe to print on a terminal.

    Line breaks become spaces and other control characters are written as escapes (a pack's
    text must not move the cursor or recolour the terminal). A longer text keeps its start and
    its end, where messages say what to do, around a marker saying how much was cut.
    """
    clean = "".join(_printable(char) for char in text) if not text.isprintable() else text
    if len(clean) <= limit:
        return clean
    head, tail = (limit * 2) // 3, limit // 4
    cut = len(clean) - head - tail
    return f"{clean[:head]} …[{cut:,} characters cut]… {clean[-tail:]}"


def _printable(char: str) -> str:
    if char.isprintable() or unicodedata.category(char) == "Zs":  # keep a Japanese full-width space
        return char
    if char in "\n\r\t":
        return " "
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class PortmatrixError(Exception):
    """Base of all errors that are the user's to fix; never a bug in portmatrix."""


class InputError(PortmatrixError):
    """A problem located in an input file, reported as ``file:line: message``."""

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None):
        self.message = one_line(message, MAX_MESSAGE)
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
    do), in the order the message names them. ``details`` are lines printed under the message
    (the YAML that binds an unbound role); the CLI prints each as a line of its own.
    """

    def __init__(self, message: str, *, problems: Sequence[Any] = (), details: Sequence[str] = ()):
        self.problems = tuple(problems)
        self.message = message
        self.details = tuple(details)
        super().__init__("\n".join([message, *self.details]))


class PluginError(PortmatrixError):
    """A plugin cannot be loaded, is not of its kind, or shares its name with another."""


class OutputError(PortmatrixError):
    """A result cannot be written: a missing directory, no permission, a full disk."""


class VerifyError(PortmatrixError):
    """Emulation, probing or the lab cannot run here."""

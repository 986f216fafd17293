"""The files portmatrix ships beside its code: JSON Schemas and example inventories.

A wheel carries them inside the package (``portmatrix/_bundled/``, see ``pyproject.toml``), so a
plain ``pip install`` user can print them with ``portmatrix schema`` and ``portmatrix example``.
In a source checkout (and an editable install) they are the repository's own ``schemas/`` and
``examples/`` folders, the files the tests and ``make schema`` keep up to date.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from portmatrix.suggest import unknown

_CHECKOUT = Path(__file__).resolve().parents[2]
SUFFIXES = {"schemas": ".schema.json", "examples": ".yaml"}


def folder(kind: str) -> Traversable:
    """Where the bundled ``kind`` (``schemas`` or ``examples``) live in this installation."""
    packaged = resources.files("portmatrix") / "_bundled" / kind
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / kind


def names(kind: str) -> list[str]:
    suffix = SUFFIXES[kind]
    return sorted(
        item.name[: -len(suffix)] for item in folder(kind).iterdir() if item.name.endswith(suffix)
    )


def text(kind: str, name: str) -> str:
    """A bundled file's text by its short name (``inventory``, ``duplex-cce``)."""
    known = names(kind)
    if name not in known:
        raise unknown(kind.rstrip("s"), name, known, where="the bundled files")
    return (folder(kind) / f"{name}{SUFFIXES[kind]}").read_text(encoding="utf-8")

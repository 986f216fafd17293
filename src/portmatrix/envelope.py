"""The one shape of every JSON result: what it is, what it was computed for, counts, the lists.

::

    {"schema_version": 1, "kind": "matrix",
     "scope": {"inventory": "lab.yaml", "options": {...}, "host": ...},
     "summary": {"requests": 40, "local_only": 12, ...},
     "requests": [...], "local_only": [...], "unbound": [...]}

A program reads ``kind`` and ``schema_version`` first, then ``summary`` for a verdict, and only
then the lists. Library functions build an :class:`Envelope` (the data); the CLI serialises it.
The lists are written one item at a time, so a matrix of a million flows never exists as one
string; the text is byte for byte what ``json.dumps(envelope, indent=2)`` prints. Each kind has
a JSON Schema in ``schemas/result-<kind>.schema.json``, generated from :mod:`portmatrix.results`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Envelope:
    """A result ready to serialise; ``lists`` maps each list's key to its items, in order."""

    kind: str
    scope: Mapping[str, Any]
    summary: Mapping[str, Any]
    lists: Mapping[str, Iterable[Mapping[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        head = {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "scope": dict(self.scope),
            "summary": dict(self.summary),
        }
        return {
            **head,
            **{key: [dict(item) for item in items] for key, items in self.lists.items()},
        }


def write_envelope(envelope: Envelope, out: IO[str]) -> None:
    """``envelope`` as indented JSON, each list streamed item by item, then a newline."""
    head = {
        "schema_version": SCHEMA_VERSION,
        "kind": envelope.kind,
        "scope": dict(envelope.scope),
        "summary": dict(envelope.summary),
    }
    out.write("{")
    for number, (key, value) in enumerate(head.items()):
        text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        out.write(("\n" if number == 0 else ",\n") + f"  {json.dumps(key)}: {text}")
    for key, items in envelope.lists.items():
        out.write(f",\n  {json.dumps(key)}: ")
        write_list(items, out, indent=1)
    out.write("\n}\n")


def write_list(items: Iterable[Mapping[str, Any]], out: IO[str], *, indent: int = 0) -> None:
    """A JSON array at nesting depth ``indent`` (steps of two spaces), one item at a time."""
    pad = "  " * (indent + 1)
    first = True
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False)
        out.write(("[\n" if first else ",\n") + pad + text.replace("\n", "\n" + pad))
        first = False
    out.write("[]" if first else "\n" + "  " * indent + "]")


def counts(items: Iterable[str]) -> dict[str, int]:
    """How many of each kind, sorted by kind: ``{"blocked": 2, "excess": 1}``."""
    tally: dict[str, int] = {}
    for item in items:
        tally[item] = tally.get(item, 0) + 1
    return dict(sorted(tally.items()))

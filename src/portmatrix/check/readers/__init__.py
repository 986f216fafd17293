"""Ruleset readers: one module per format, each compiling its text into the one ruleset model.

Built-in formats are ``nft-json``, ``iptables-save``, ``asa`` and ``ios``; an installed package
adds more through the ``portmatrix.ruleset_readers`` entry-point group (see ``_registry``).
"""

from __future__ import annotations

from pathlib import Path

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._registry import READERS, RulesetReader
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.errors import RulesetError
from portmatrix.gcpause import without_gc
from portmatrix.yamlio import read_input

__all__ = ["READERS", "RulesetReader", "for_arrival", "load_ruleset", "parse_ruleset", "reader"]


def reader(ruleset_type: RulesetType | str) -> RulesetReader:
    """The reader for a format name (``nft-json``, ...), built in or installed."""
    return READERS.load(str(ruleset_type))


def parse_ruleset(
    text: str,
    *,
    ruleset_type: RulesetType | str,
    name: str = "<ruleset>",
    arrival: str | None = None,
) -> Ruleset:
    """Read a ruleset; with ``arrival``, as packets arriving on that interface meet it."""
    return _read(reader(ruleset_type), text, name, arrival)


def load_ruleset(path: str | Path, *, ruleset_type: RulesetType | str) -> Ruleset:
    found = reader(ruleset_type)  # an unknown format fails before the file is read
    text = read_input(path, error=RulesetError)
    return _read(found, text, str(path), None)


def for_arrival(ruleset: Ruleset, interface: str) -> Ruleset | None:
    """The same ruleset read again for packets arriving on ``interface`` (None: no text)."""
    if ruleset.text is None:
        return None
    return parse_ruleset(
        ruleset.text, ruleset_type=ruleset.type, name=ruleset.file, arrival=interface
    )


def _read(found: RulesetReader, text: str, name: str, arrival: str | None) -> Ruleset:
    with cond.arriving(cond.Arrival(arrival)) as seen, without_gc():
        ruleset = found.read(text, name=name)
    ruleset.text = text
    ruleset.input_interfaces = frozenset(seen.seen)
    ruleset.arrival = arrival
    return ruleset

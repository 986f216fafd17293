"""Ruleset readers: one module per format, each compiling its text into the one ruleset model.

Built-in formats are ``nft-json``, ``iptables-save``, ``asa`` and ``ios``; an installed package
adds more through the ``portmatrix.ruleset_readers`` entry-point group (see ``_registry``).
"""

from __future__ import annotations

from pathlib import Path

from portmatrix.check.readers._registry import READERS, RulesetReader
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.errors import RulesetError
from portmatrix.gcpause import without_gc
from portmatrix.yamlio import read_input

__all__ = ["READERS", "RulesetReader", "load_ruleset", "parse_ruleset", "reader"]


def reader(ruleset_type: RulesetType | str) -> RulesetReader:
    """The reader for a format name (``nft-json``, ...), built in or installed."""
    return READERS.load(str(ruleset_type))


def parse_ruleset(
    text: str, *, ruleset_type: RulesetType | str, name: str = "<ruleset>"
) -> Ruleset:
    found = reader(ruleset_type)
    with without_gc():
        return found.read(text, name=name)


def load_ruleset(path: str | Path, *, ruleset_type: RulesetType | str) -> Ruleset:
    found = reader(ruleset_type)  # an unknown format fails before the file is read
    text = read_input(path, error=RulesetError)
    with without_gc():
        return found.read(text, name=str(path))

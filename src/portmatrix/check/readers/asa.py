"""Cisco ASA configurations (``show running-config``) compiled into the ruleset model.

Every extended ``access-list`` becomes a chain ending in the implicit deny; ``access-group``
lines record which interface (by ``nameif``) applies which list in which direction. Commands
that are not about access control (routes, NAT, crypto, ...) are not part of the model and are
passed over; anything inside an access-list entry that the checker cannot model is reported.
"""

from __future__ import annotations

from portmatrix.check.readers._cisco_ace import ASA, parse_entry, read_simple_entry
from portmatrix.check.readers._cisco_config import (
    Block,
    add_entry,
    declare_acl,
    open_config,
)
from portmatrix.check.readers._cisco_objects import Objects
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.errors import RulesetError


def parse_asa(text: str, *, name: str) -> Ruleset:
    return _parse(text, name=name, fast=True)


def _parse(text: str, *, name: str, fast: bool) -> Ruleset:
    """The reader itself; ``fast`` off leaves every entry to the general grammar (for the tests
    that hold the shortcut equal to it)."""
    ruleset, blocks, objects = open_config(
        text,
        name=name,
        ruleset_type=RulesetType.ASA,
        wildcard=False,
        other="IOS",
        markers=_ios_marker,
    )
    for block in blocks:
        head = block.tokens[0]
        if head == "access-list":
            _access_list(ruleset, block, objects, fast=fast)
        elif head == "access-group":
            _access_group(ruleset, block)
    if not ruleset.acls:
        raise RulesetError("no access-list found; is this an ASA configuration?", file=name, line=1)
    return ruleset


def _access_list(ruleset: Ruleset, block: Block, objects: Objects, *, fast: bool) -> None:
    tokens = _without_counters(block.tokens)
    if len(tokens) < 3:
        raise RulesetError(
            "an access-list line needs a name and a type", file=ruleset.file, line=block.line
        )
    acl, rest = tokens[1], tokens[2:]
    if rest[0] == "line" and len(rest) > 1:
        rest = rest[2:]
    kind = rest[0] if rest else ""
    if kind == "remark":
        declare_acl(ruleset, acl)
    elif kind in ("extended", "permit", "deny"):  # PIX-era lists omit "extended"
        entry = rest[1:] if kind == "extended" else rest
        simple = read_simple_entry(entry, ASA) if fast else None
        parse = (lambda: simple) if simple is not None else lambda: parse_entry(entry, ASA, objects)
        add_entry(ruleset, acl, block.line, block.text, parse)
    else:
        reason = f"{kind or 'this'} access-lists do not filter traffic through the ASA; only extended ones are checked"
        ruleset.unsupported_at(block.line, block.text, reason)


def _ios_marker(block: Block) -> bool:
    """Commands only IOS has: named lists (``ip access-list``) and ``ip access-group``."""
    if block.tokens[:2] in (["ip", "access-list"], ["ipv6", "access-list"]):
        return True
    return any(tokens[:2] == ["ip", "access-group"] for _, _, tokens in block.children)


def _without_counters(tokens: list[str]) -> list[str]:
    """Drop the ``(hitcnt=3) 0x1a2b3c4d`` tail that ``show access-list`` adds."""
    for index, token in enumerate(tokens):
        if token.startswith("(hitcnt="):
            return tokens[:index]
    return tokens


def _access_group(ruleset: Ruleset, block: Block) -> None:
    tokens = block.tokens
    if len(tokens) >= 3 and tokens[2] == "global":
        ruleset.bind(tokens[1], None, "in")
    elif len(tokens) >= 5 and tokens[3] == "interface" and tokens[2] in ("in", "out"):
        ruleset.bind(tokens[1], tokens[4], "in" if tokens[2] == "in" else "out")
    else:
        ruleset.unsupported_at(block.line, block.text, "access-group form not understood")


class AsaReader:
    name = RulesetType.ASA.value
    description = "show running-config of a Cisco ASA, or just its objects and access-lists"

    def read(self, text: str, *, name: str) -> Ruleset:
        return parse_asa(text, name=name)

"""Cisco IOS / IOS XE access lists compiled into the ruleset model.

Named (``ip access-list extended|standard NAME``, ``ipv6 access-list NAME``) and numbered
(``access-list 101 ...``) lists become chains ending in the implicit deny; ``ip access-group``
and ``ipv6 traffic-filter`` under an ``interface`` record where each list applies. IOS ACLs are
stateless: the checker judges the packet that opens a connection, so an ``established`` entry
never matches it and replies are out of scope.
"""

from __future__ import annotations

import functools

from portmatrix.check.readers._cisco_ace import (
    IOS_V4,
    IOS_V6,
    Dialect,
    parse_entry,
    parse_standard,
    read_simple_entry,
)
from portmatrix.check.readers._cisco_config import (
    Block,
    add_entry,
    declare_acl,
    open_config,
)
from portmatrix.check.readers._cisco_objects import Objects
from portmatrix.check.readers._conditions import Condition
from portmatrix.check.ruleset import Action, Ruleset, RulesetType
from portmatrix.errors import RulesetError


def parse_ios(text: str, *, name: str) -> Ruleset:
    return _parse(text, name=name, fast=True)


def _parse(text: str, *, name: str, fast: bool) -> Ruleset:
    """The reader itself; ``fast`` off leaves every entry to the general grammar (for the tests
    that hold the shortcut equal to it)."""
    ruleset, blocks, objects = open_config(
        text,
        name=name,
        ruleset_type=RulesetType.IOS,
        wildcard=True,
        other="ASA",
        markers=_asa_marker,
    )
    for block in blocks:
        tokens = block.tokens
        if tokens[:2] == ["ip", "access-list"] and len(tokens) >= 4:
            standard = tokens[2] == "standard"
            _named(ruleset, block, objects, standard=standard, dialect=IOS_V4, fast=fast)
        elif tokens[:2] == ["ipv6", "access-list"] and len(tokens) >= 3:
            _named(ruleset, block, objects, standard=False, dialect=IOS_V6, fast=fast)
        elif tokens[0] == "access-list" and len(tokens) >= 3:
            _numbered(ruleset, block, objects, fast=fast)
        elif tokens[0] == "interface" and len(tokens) >= 2:
            _interface(ruleset, block)
    if not ruleset.acls:
        raise RulesetError("no access list found; is this an IOS configuration?", file=name, line=1)
    return ruleset


def _named(
    ruleset: Ruleset,
    block: Block,
    objects: Objects,
    *,
    standard: bool,
    dialect: Dialect,
    fast: bool,
) -> None:
    acl = block.tokens[-1]
    declare_acl(ruleset, acl)
    for line, text, tokens in block.children:
        words = tokens[1:] if tokens[0].isdigit() else tokens
        if words[:1] == ["sequence"]:
            words = words[2:]
        if not words or words[0] == "remark":
            continue
        simple = read_simple_entry(words, dialect) if fast and not standard else None
        if simple is not None:
            add_entry(ruleset, acl, line, text, functools.partial(_given, simple))
            continue
        parse = parse_standard if standard else parse_entry
        add_entry(ruleset, acl, line, text, functools.partial(parse, words, dialect, objects))


def _given(entry: tuple[Action, Condition]) -> tuple[Action, Condition]:
    return entry


def _numbered(ruleset: Ruleset, block: Block, objects: Objects, *, fast: bool) -> None:
    number, words = block.tokens[1], block.tokens[2:]
    if not (number.isascii() and number.isdigit() and len(number) <= 5):
        ruleset.unsupported_at(
            block.line, block.text, f"access-list {number!r} is not a numbered list"
        )
        return
    value = int(number)
    if words[0] == "remark":
        declare_acl(ruleset, number)
    elif 1 <= value <= 99 or 1300 <= value <= 1999:
        add_entry(
            ruleset, number, block.line, block.text, lambda: parse_standard(words, IOS_V4, objects)
        )
    elif 100 <= value <= 199 or 2000 <= value <= 2699:
        simple = read_simple_entry(words, IOS_V4) if fast else None
        if simple is not None:
            add_entry(ruleset, number, block.line, block.text, functools.partial(_given, simple))
            return
        add_entry(
            ruleset, number, block.line, block.text, lambda: parse_entry(words, IOS_V4, objects)
        )
    else:
        ruleset.unsupported_at(
            block.line, block.text, f"access-list {number} is not an IP access list"
        )


def _asa_marker(block: Block) -> bool:
    """Commands only an ASA has: ``access-group``, ``access-list NAME extended``, ``nameif``."""
    tokens = block.tokens
    if tokens[0] == "access-group" or (
        tokens[0] == "access-list" and len(tokens) > 2 and tokens[2] in ("extended", "webtype")
    ):
        return True
    return any(child[:1] == ["nameif"] for _, _, child in block.children)


def _interface(ruleset: Ruleset, block: Block) -> None:
    interface = block.tokens[1]
    for line, _, tokens in block.children:
        if tokens[:2] not in (["ip", "access-group"], ["ipv6", "traffic-filter"]):
            continue
        if len(tokens) != 4 or tokens[3] not in ("in", "out"):
            raise RulesetError(
                f"'{' '.join(tokens[:2])}' takes a list and 'in' or 'out'",
                file=ruleset.file,
                line=line,
            )
        ruleset.bind(tokens[2], interface, "in" if tokens[3] == "in" else "out")


class IosReader:
    name = RulesetType.IOS.value
    description = "the ACL part of a Cisco IOS / IOS XE configuration"

    def read(self, text: str, *, name: str) -> Ruleset:
        return parse_ios(text, name=name)

"""What ASA and IOS configurations share: indented blocks, objects, and ACLs as chains.

A configuration is a list of top-level commands, each with the indented lines under it. Both
parsers read it into blocks once, collect the object definitions, then compile their own
access-list syntax through :func:`add_entry`, which makes every ACL a chain ending in the
implicit deny.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._cisco_objects import (
    CiscoInvalid,
    CiscoUnsupported,
    ObjectBlock,
    Objects,
)
from portmatrix.check.ruleset import Action, Origin, Rule, Ruleset, RulesetType
from portmatrix.errors import RulesetError

Entry = tuple[Action, cond.Condition] | None


@dataclass
class Block:
    line: int
    text: str
    tokens: list[str]
    children: list[tuple[int, str, list[str]]] = field(default_factory=list)


def read_blocks(text: str) -> list[Block]:
    """Top-level commands with their indented lines; comments (``!``, ``:``) and blanks dropped."""
    blocks: list[Block] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("!", ":")):
            continue
        tokens = stripped.split()
        if raw[:1].isspace() and blocks:
            blocks[-1].children.append((number, stripped, tokens))
        else:
            blocks.append(Block(number, stripped, tokens))
    return blocks


def collect_objects(blocks: list[Block], objects: Objects) -> None:
    for block in blocks:
        head = block.tokens[0]
        if head in ("object", "object-group") and len(block.tokens) >= 3:
            kind, name = block.tokens[1], block.tokens[2]
            definition = ObjectBlock(
                kind, head == "object-group", name, block.line, block.tokens[3:]
            )
            definition.members = [(line, tokens) for line, _, tokens in block.children]
            objects.blocks[name] = definition


def declare_acl(ruleset: Ruleset, name: str) -> None:
    if name not in ruleset.chains:
        ruleset.acls.append(name)
        chain = ruleset.chain(name)
        chain.set_policy(
            False,
            line=None,
            text=f"implicit deny at the end of access-list {name}",
            what="implicit deny",
        )


def add_entry(ruleset: Ruleset, acl: str, line: int, text: str, parse: Callable[[], Entry]) -> None:
    """Compile one entry into ACL ``acl``; an entry the checker cannot model is reported instead."""
    declare_acl(ruleset, acl)
    try:
        entry = parse()
    except CiscoUnsupported as exc:
        ruleset.unsupported_at(line, text, str(exc))
        return
    except CiscoInvalid as exc:
        raise RulesetError(str(exc), file=ruleset.file, line=exc.line or line) from None
    except RecursionError:
        raise RulesetError(
            "object-groups nest too deeply to resolve", file=ruleset.file, line=line
        ) from None
    except (IndexError, ValueError, KeyError) as exc:
        # A member or entry cut short where the grammar expects more words: the platform
        # refuses it too, so it is an error, never a guess.
        raise RulesetError(
            f"cannot read this entry or an object it uses ({type(exc).__name__}): {_cut(text)}",
            file=ruleset.file,
            line=line,
        ) from None
    if entry is not None:
        action, condition = entry
        ruleset.chains[acl].rules.append(Rule(Origin(line, text, acl), tuple(condition), action))


def _cut(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def refuse_other_dialect(
    blocks: list[Block], *, file: str, reading: str, other: str, markers: Callable[[Block], bool]
) -> None:
    """A file of the other Cisco dialect is refused, not read as a list of unsupported lines."""
    for block in blocks:
        if markers(block):
            raise RulesetError(
                f"this looks like a Cisco {other} configuration ({_cut(block.text)!r}), "
                f"not {reading}; use --type {other.lower()}",
                file=file,
                line=block.line,
            )


def open_config(
    text: str,
    *,
    name: str,
    ruleset_type: RulesetType,
    wildcard: bool,
    other: str,
    markers: Callable[[Block], bool],
) -> tuple[Ruleset, list[Block], Objects]:
    """What both Cisco readers start with: the blocks, the other dialect refused, the objects."""
    blocks = read_blocks(text)
    reading = "ASA" if ruleset_type is RulesetType.ASA else "IOS"
    refuse_other_dialect(blocks, file=name, reading=reading, other=other, markers=markers)
    objects = Objects(wildcard=wildcard)
    collect_objects(blocks, objects)
    return Ruleset(name, ruleset_type), blocks, objects

"""``nft -j list ruleset`` compiled into the ruleset model.

Every base chain on a packet's path takes part, ordered by hook and priority: on the way in,
ingress, prerouting and input chains; across the box, ingress, prerouting, forward and
postrouting. A packet one base chain accepts goes on to the next; a drop anywhere is final.
Named sets, concatenated and interval sets and verdict maps are expanded in place.

JSON has no rule lines, so a finding carries two positions: the rule's ``handle`` (what
``nft -a list ruleset`` shows and ``nft delete rule ... handle N`` takes) and the line of the
file on which the rule's object starts. ``nft -j`` prints everything on line 1; pretty-printed
JSON (``nft -j list ruleset | jq .``) gives every rule a line of its own.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._nft_expr import ExprCompiler, NftInvalid, NftUnsupported
from portmatrix.check.readers._nft_shortcut import Shortcut, read_simple_rule
from portmatrix.check.readers._nft_text import format_rule
from portmatrix.check.ruleset import Action, Origin, Path, Rule, Ruleset, RulesetType, Stage
from portmatrix.errors import RulesetError

#: How deep an object of the ``nftables`` list may nest; real rules nest about ten levels, and
#: the walker (and the printer of rule text) recurse over the nesting.
MAX_DEPTH = 64
_PRIORITY_RANGE = (-(2**31), 2**31 - 1)
_KNOWN_FAMILIES = frozenset({"ip", "ip6", "inet", "arp", "bridge", "netdev"})
_KNOWN_HOOKS = frozenset(
    {"ingress", "prerouting", "input", "forward", "output", "postrouting", "egress"}
)
_KNOWN_TYPES = frozenset({"filter", "nat", "route"})
_HOOK_RANK = {"ingress": 0, "prerouting": 1, "input": 2, "forward": 2, "postrouting": 3}
_PATH_HOOKS = {
    Path.INPUT: frozenset({"ingress", "prerouting", "input"}),
    Path.FORWARD: frozenset({"ingress", "prerouting", "forward", "postrouting"}),
}
_FAMILIES = {
    "ip": frozenset({4}),
    "ip6": frozenset({6}),
    "inet": frozenset({4, 6}),
    "netdev": frozenset({4, 6}),
}
_PRIORITY_NAMES = {
    "raw": -300,
    "mangle": -150,
    "dstnat": -100,
    "filter": 0,
    "security": 50,
    "srcnat": 100,
}
_VERDICTS = {
    "accept": Action.ACCEPT,
    "drop": Action.DROP,
    "reject": Action.DROP,
    "return": Action.RETURN,
    "continue": Action.NONE,
}
#: Statements that act on a packet and let the rule go on.
_CONTINUING = frozenset(
    {"counter", "log", "mangle", "set", "flow", "secmark", "snat", "masquerade", "meta"}
)
_UNMODELLED = {
    "dnat": "destination NAT changes where the packet goes",
    "redirect": "redirection changes where the packet goes",
    "tproxy": "transparent proxying changes where the packet goes",
    "queue": "a userspace program decides the verdict",
    "notrack": "untracked packets never match connection-state rules",
    "xt": "an iptables extension inside nftables (xt) is opaque in JSON",
    "fwd": "forwarding to another device bypasses the path",
    "dup": "duplication is not modelled",
    "synproxy": "synproxy is not modelled",
}
#: Top-level objects that hold no filtering logic of their own.
_PASSIVE = frozenset(
    {
        "metainfo",
        "table",
        "flowtable",
        "counter",
        "quota",
        "ct helper",
        "ct timeout",
        "ct expectation",
        "limit",
        "secmark",
        "synproxy",
        "element",
    }
)


def parse_nft_json(text: str, *, name: str) -> Ruleset:
    """Compile ``nft -j list ruleset`` output (compact or pretty-printed)."""
    return _parse(text, name=name, fast=True)


def _parse(text: str, *, name: str, fast: bool) -> Ruleset:
    """The reader itself; ``fast`` off leaves every rule to the general compiler (for the tests
    that hold the shortcut equal to it)."""
    document = _Document(Ruleset(name, RulesetType.NFT_JSON), fast=fast)
    for obj, line in _elements(text, name):
        document.add(obj, line)
    document.finish()
    return document.ruleset


#: nft writes handles, priorities and counters; none comes near this many digits.
MAX_DIGITS = 40


def _integer(text: str) -> int:
    """``json``'s integer parser, refusing numbers no ruleset holds before Python would."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _HugeNumber(len(text.lstrip("-")))
    return int(text)


class _HugeNumber(ValueError):
    def __init__(self, digits: int):
        super().__init__(digits)
        self.digits = digits


def _elements(text: str, name: str) -> Iterator[tuple[Any, int]]:
    """The objects of the top-level ``nftables`` array with the line each one starts on."""
    try:
        data = json.loads(text, parse_int=_integer)
    except _HugeNumber as exc:
        raise RulesetError(
            f"a number of {exc.digits} digits; nft never writes one longer than {MAX_DIGITS}",
            file=name,
        ) from None
    except json.JSONDecodeError as exc:
        raise RulesetError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from exc
    except RecursionError:
        raise RulesetError(
            f"JSON nested too deeply (nft output nests at most a few levels; the limit is {MAX_DEPTH})",
            file=name,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("nftables"), list):
        raise RulesetError(
            "not nft JSON: expected an object with an 'nftables' list (nft -j list ruleset)",
            file=name,
            line=1,
        )
    lines = _start_lines(text, len(data["nftables"]))
    for index, obj in enumerate(data["nftables"]):
        yield obj, lines[index] if index < len(lines) else 1


def _depth(value: Any) -> int:
    """How deep lists and objects nest in ``value``, walked level by level (no recursion)."""
    if not isinstance(value, (dict, list)):
        return 0
    depth, level = 0, [value]
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            break
        below: list[Any] = []
        for item in level:
            below.extend(item.values() if isinstance(item, dict) else item)
        level = [item for item in below if isinstance(item, (dict, list))]
    return depth


def _start_lines(text: str, count: int) -> list[int]:
    if "\n" not in text.rstrip():
        return [1] * count  # nft -j prints one line
    opening = re.search(r'"nftables"\s*:\s*\[', text)
    if opening is None:
        return []
    breaks = [match.start() for match in re.finditer("\n", text)]
    decoder, whitespace = json.JSONDecoder(parse_int=_integer), re.compile(r"[\s,]*")
    pos, lines = opening.end(), []
    for _ in range(count):
        pos = whitespace.match(text, pos).end()  # type: ignore[union-attr]
        lines.append(bisect.bisect_right(breaks, pos - 1) + 1)
        _, pos = decoder.raw_decode(text, pos)
    return lines


@dataclass
class _Base:
    key: str
    families: frozenset[int]
    hook: str
    priority: int
    order: int


@dataclass
class _Document:
    ruleset: Ruleset
    sets: dict[tuple[str, str], dict[str, list[Any]]] = field(default_factory=dict)
    rules: list[tuple[dict[str, Any], int, Shortcut | None]] = field(default_factory=list)
    bases: list[_Base] = field(default_factory=list)
    fast: bool = False  # read rules of the common shape in one step (see _nft_shortcut)

    def add(self, obj: Any, line: int) -> None:
        simple = (
            read_simple_rule(obj["rule"])
            if self.fast and isinstance(obj, dict) and len(obj) == 1 and "rule" in obj
            else None
        )
        if simple is None and _depth(obj) > MAX_DEPTH:  # a rule of the simple shape is flat
            raise self.fail(
                line, f"object nested more than {MAX_DEPTH} levels deep; nft output nests far less"
            )
        if not isinstance(obj, dict) or len(obj) != 1:
            raise RulesetError(
                "each entry of the 'nftables' list must be one object",
                file=self.ruleset.file,
                line=line,
            )
        kind, body = next(iter(obj.items()))
        if kind in ("chain", "set", "map", "rule") and not isinstance(body, dict):
            raise self.fail(line, f"a {kind} must be an object, not {_shape(body)}")
        if kind == "chain":
            self._chain(body, line)
        elif kind in ("set", "map"):
            family, table_name = self._names(body, line, kind, "family", "table", "name")[:2]
            elements = body.get("elem", [])
            if not isinstance(elements, list):
                raise self.fail(line, f"the elements of {kind} {body['name']} must be a list")
            table = self.sets.setdefault((family, table_name), {})
            table[str(body["name"])] = list(elements)
        elif kind == "rule":
            self._names(body, line, "rule", "family", "table", "chain")
            self.rules.append((body, line, simple))
        elif kind not in _PASSIVE:
            self.ruleset.unsupported_at(
                line, json.dumps(obj)[:200], f"nft object {kind!r} is not understood"
            )

    def fail(self, line: int, message: str) -> RulesetError:
        return RulesetError(message, file=self.ruleset.file, line=line)

    def _names(self, body: dict[str, Any], line: int, kind: str, *keys: str) -> list[str]:
        """The string fields an object must have (its family, table, name), or an error."""
        found = []
        for key in keys:
            value = body.get(key)
            if not isinstance(value, str) or not value:
                what = "missing" if value is None else f"{_shape(value)}, not a name"
                raise self.fail(line, f"{kind} without a valid {key!r} ({what})")
            found.append(value)
        return found

    def _chain(self, body: dict[str, Any], line: int) -> None:
        family, table, chain_name = self._names(body, line, "chain", "family", "table", "name")
        key = f"{family} {table} {chain_name}"
        if family not in _KNOWN_FAMILIES:
            raise self.fail(line, f"chain {key}: {_shape(family)} is not an nft family")
        chain = self.ruleset.chain(key)
        if "hook" not in body:
            return
        hook, chain_type = body["hook"], body.get("type")
        if not (isinstance(hook, str) and hook in _KNOWN_HOOKS) or not (
            isinstance(chain_type, str) and chain_type in _KNOWN_TYPES
        ):
            raise self.fail(
                line,
                f"chain {key}: type {_shape(body.get('type'))} hook {_shape(body['hook'])} "
                "is not a base chain nft knows",
            )
        policy = body.get("policy", "accept")
        if policy not in ("accept", "drop"):
            raise self.fail(
                line, f"chain {key} has policy {_shape(policy)}; nft knows only accept and drop"
            )
        priority = self._priority(body.get("prio", 0), key, line)
        text = f"type {body.get('type')} hook {body['hook']} priority {body.get('prio')}; policy {policy};"
        chain.set_policy(policy == "accept", line=line, text=text)
        if family == "bridge":
            self.ruleset.unsupported_at(
                line, text, f"bridge chain {key}: bridged traffic is not modelled"
            )
        elif (
            family in _FAMILIES and body.get("type") == "filter" and str(body["hook"]) in _HOOK_RANK
        ):
            self.bases.append(
                _Base(key, _FAMILIES[family], str(body["hook"]), priority, len(self.bases))
            )

    def _priority(self, value: Any, key: str, line: int) -> int:
        if isinstance(value, str) and value in _PRIORITY_NAMES:
            return _PRIORITY_NAMES[value]
        if isinstance(value, int) and not isinstance(value, bool):
            if _PRIORITY_RANGE[0] <= value <= _PRIORITY_RANGE[1]:
                return value
            raise self.fail(line, f"chain {key} has priority {value}, outside nft's 32 bits")
        raise self.fail(
            line,
            f"chain {key} has priority {_shape(value)}; expected a number or one of "
            + ", ".join(_PRIORITY_NAMES),
        )

    def finish(self) -> None:
        for body, line, simple in self.rules:
            self._rule(body, line, simple)
        for path, hooks in _PATH_HOOKS.items():
            bases = sorted((b for b in self.bases if b.hook in hooks), key=_stage_order)
            self.ruleset.paths[path] = [Stage(b.key, b.families, b.priority) for b in bases]

    def _rule(self, body: dict[str, Any], line: int, simple: Shortcut | None) -> None:
        family, table = str(body.get("family")), str(body.get("table"))
        key = f"{family} {table} {body.get('chain')}"
        handle = body.get("handle") if isinstance(body.get("handle"), int) else None
        if key not in self.ruleset.chains:
            raise RulesetError(
                f"rule handle {handle} belongs to undeclared chain {key}",
                file=self.ruleset.file,
                line=line,
            )
        if simple is not None:
            text, box, action = simple
            self.ruleset.chains[key].rules.append(
                Rule(Origin(line, text, key, handle), (box,), action)
            )
            return
        exprs = body.get("expr", [])
        text = format_rule(exprs if isinstance(exprs, list) else [exprs], body.get("comment"))
        origin = Origin(line, text, key, handle)
        compiler = _RuleCompiler(
            ExprCompiler(self.sets.get((family, table), {})), origin, f"{family} {table}"
        )
        try:
            rules = compiler.compile(exprs if isinstance(exprs, list) else [exprs])
        except NftUnsupported as exc:
            self.ruleset.unsupported_at(line, text, str(exc), handle=handle)
            return
        except NftInvalid as exc:
            raise self.fail(line, f"rule handle {handle}: {exc}") from None
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            # The shape is not what nft prints (a list where an object belongs, ...): an error
            # at the rule, never a rule guessed at.
            raise self.fail(
                line, f"rule handle {handle} is not of the shape nft prints ({type(exc).__name__})"
            ) from None
        for rule in rules:
            if rule.target is not None and rule.target not in self.ruleset.chains:
                self.ruleset.unsupported_at(
                    line, text, f"jump to unknown chain {rule.target}", handle=handle
                )
                return
        self.ruleset.chains[key].rules.extend(rules)


def _shape(value: Any) -> str:
    """A value as a message shows it: short, whatever the input holds."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _stage_order(base: _Base) -> tuple[int, int, int]:
    return _HOOK_RANK[base.hook], base.priority, base.order


class _RuleCompiler:
    """Turns one rule's statements into model rules: one, or one per verdict-map element."""

    def __init__(self, exprs: ExprCompiler, origin: Origin, table: str):
        self.exprs = exprs
        self.origin = origin
        self.table = table

    def compile(self, statements: list[Any]) -> list[Rule]:
        conditions: list[cond.Condition] = []
        for statement in statements:
            if not isinstance(statement, dict) or len(statement) != 1:
                raise NftUnsupported(f"statement {statement!r} is not understood")
            kind, body = next(iter(statement.items()))
            if kind == "match":
                conditions.append(
                    self.exprs.match(str(body.get("op")), body.get("left"), body.get("right"))
                )
            elif kind == "vmap":
                return self._vmap(conditions, body)
            elif kind in _VERDICTS or kind in ("jump", "goto"):
                return [self._make(conditions, statement)]
            elif kind in ("limit", "quota"):
                conditions.append(cond.truth(not (isinstance(body, dict) and body.get("inv"))))
            elif kind in _UNMODELLED:
                raise NftUnsupported(f"{kind}: {_UNMODELLED[kind]}")
            elif body is None and kind not in _CONTINUING:
                raise NftInvalid(f"{_shape(kind)} is not an nft verdict or statement")
            elif kind not in _CONTINUING:
                raise NftUnsupported(f"statement {kind!r} is not understood")
        return [Rule(self.origin, tuple(cond.all_of(conditions)), Action.NONE)]

    def _vmap(self, conditions: list[cond.Condition], body: dict[str, Any]) -> list[Rule]:
        base = cond.all_of(conditions)
        return [
            self._make([base, element], verdict)
            for element, verdict in self.exprs.verdict_map(body.get("key"), body.get("data"))
        ]

    def _make(self, conditions: list[cond.Condition], verdict: Any) -> Rule:
        if not isinstance(verdict, dict) or len(verdict) != 1:
            raise NftInvalid(f"verdict {_shape(verdict)} is not an nft verdict")
        kind, body = next(iter(verdict.items()))
        match = tuple(cond.all_of(conditions))
        if kind in _VERDICTS:
            return Rule(self.origin, match, _VERDICTS[kind])
        if (
            kind in ("jump", "goto")
            and isinstance(body, dict)
            and isinstance(body.get("target"), str)
        ):
            action = Action.JUMP if kind == "jump" else Action.GOTO
            return Rule(self.origin, match, action, f"{self.table} {body['target']}")
        raise NftInvalid(f"{_shape(kind)} is not an nft verdict")


class NftJsonReader:
    name = RulesetType.NFT_JSON.value
    description = "nft -j list ruleset (compact, or pretty-printed with jq .)"

    def read(self, text: str, *, name: str) -> Ruleset:
        return parse_nft_json(text, name=name)

"""The rule shape most nft rulesets are made of, read in one step.

``ip saddr``/``ip daddr`` compared with an IPv4 address or prefix, ``tcp``/``udp`` ``sport``/
``dport`` compared with a port or a range, counters, and a final accept or drop: that is what
``nft -j`` prints for nearly every rule of a large ruleset. Reading it here skips the general
expression compiler (keys, sets, maps, negations), which costs several times more per rule.
Anything else, or anything in it that does not read, returns None and the general compiler
takes the rule, so errors and unsupported findings come from one place; a property test holds
the two equal.
"""

from __future__ import annotations

from typing import Any

from portmatrix.check.ruleset import Action
from portmatrix.traffic import (
    ALL_ADDRESSES,
    ALL_PORTS,
    ALL_PROTOCOLS,
    PROTOCOL_NUMBERS,
    V4_BASE,
    Box,
    Intervals,
    network_interval,
)

_MATCH_KEYS = frozenset({"op", "left", "right"})
_ADDRESS_FIELDS = {"saddr": 0, "daddr": 1}
_PORT_FIELDS = {"sport": 3, "dport": 4}
_TRANSPORTS = {"tcp": PROTOCOL_NUMBERS["tcp"], "udp": PROTOCOL_NUMBERS["udp"]}
_VERDICTS = {"accept": Action.ACCEPT, "drop": Action.DROP}

Shortcut = tuple[str, Box, Action]


def read_simple_rule(body: Any) -> Shortcut | None:
    """The rule's text (as nft prints it), its one box and its verdict, or None."""
    if not isinstance(body, dict):
        return None
    statements = body.get("expr")
    comment = body.get("comment")
    if not isinstance(statements, list) or not statements or comment is not None:
        return None
    *matches, verdict = statements
    action = _verdict(verdict)
    if action is None:
        return None
    dims: list[Intervals | None] = [None] * 5
    words: list[str] = []
    for statement in matches:
        if statement == {"counter": None} or _is_counter(statement):
            words.append("counter")
        elif not _match(statement, dims, words):
            return None
    words.append(action.value)
    box = (
        dims[0] or ALL_ADDRESSES,
        dims[1] or ALL_ADDRESSES,
        dims[2] or ALL_PROTOCOLS,
        dims[3] or ALL_PORTS,
        dims[4] or ALL_PORTS,
    )
    return " ".join(words), box, action


def _verdict(statement: Any) -> Action | None:
    if not isinstance(statement, dict) or len(statement) != 1:
        return None
    kind, body = next(iter(statement.items()))
    return _VERDICTS.get(kind) if body is None else None


def _is_counter(statement: Any) -> bool:
    if not isinstance(statement, dict) or len(statement) != 1 or "counter" not in statement:
        return False
    body = statement["counter"]
    return isinstance(body, dict) and all(
        key in ("packets", "bytes") and type(value) is int for key, value in body.items()
    )


def _match(statement: Any, dims: list[Intervals | None], words: list[str]) -> bool:
    """One ``match`` on an address or a port, into ``dims``; False if it is anything else."""
    if not isinstance(statement, dict) or len(statement) != 1 or "match" not in statement:
        return False
    body = statement["match"]
    if not isinstance(body, dict) or body.keys() != _MATCH_KEYS or body["op"] != "==":
        return False
    left = body["left"]
    if not isinstance(left, dict) or len(left) != 1 or "payload" not in left:
        return False
    payload = left["payload"]
    if not isinstance(payload, dict) or len(payload) != 2:
        return False
    protocol, field = payload.get("protocol"), payload.get("field")
    if protocol == "ip" and field in _ADDRESS_FIELDS:
        return _address(body["right"], _ADDRESS_FIELDS[field], dims, words, f"ip {field}")
    if protocol in _TRANSPORTS and field in _PORT_FIELDS:
        number = _TRANSPORTS[protocol]
        if dims[2] not in (None, ((number, number),)):
            return False  # two transports: the general compiler reads it as matching nothing
        dims[2] = ((number, number),)
        return _ports(body["right"], _PORT_FIELDS[field], dims, words, f"{protocol} {field}")
    return False


def _address(
    right: Any, dim: int, dims: list[Intervals | None], words: list[str], key: str
) -> bool:
    if dims[dim] is not None:
        return False
    if isinstance(right, str) and not right.startswith("@"):
        text = right
    elif (
        isinstance(right, dict)
        and len(right) == 1
        and isinstance(right.get("prefix"), dict)
        and right["prefix"].keys() == {"addr", "len"}
        and isinstance(right["prefix"]["addr"], str)
        and type(right["prefix"]["len"]) is int
    ):
        text = f"{right['prefix']['addr']}/{right['prefix']['len']}"
    else:
        return False
    try:
        lo, hi = network_interval(text)
    except ValueError:
        return False
    if lo < V4_BASE:
        return False  # an IPv6 address under an IPv4 key: the general compiler says so
    dims[dim] = ((lo, hi),)
    words.append(f"{key} {text}")
    return True


def _ports(right: Any, dim: int, dims: list[Intervals | None], words: list[str], key: str) -> bool:
    if dims[dim] is not None:
        return False
    if type(right) is int:
        lo = hi = right
        text = str(right)
    elif (
        isinstance(right, dict)
        and len(right) == 1
        and isinstance(right.get("range"), list)
        and len(right["range"]) == 2
        and all(type(value) is int for value in right["range"])
    ):
        lo, hi = right["range"]
        text = f"{lo}-{hi}"
    else:
        return False
    if not 0 <= lo <= hi <= ALL_PORTS[0][1]:
        return False
    dims[dim] = ((lo, hi),)
    words.append(f"{key} {text}")
    return True

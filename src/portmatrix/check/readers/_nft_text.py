"""nft JSON rule expressions printed back in nft's own syntax, for findings people can read.

``nft -j`` output has no rule text; a finding that showed raw JSON would be hard to match to the
ruleset an administrator knows. Anything this module does not know is printed as compact JSON,
so nothing is hidden.
"""

from __future__ import annotations

import json
from typing import Any

_OPS = {"==": "", "in": "", "!=": "!= ", "<": "< ", ">": "> ", "<=": "<= ", ">=": ">= "}
_BARE_META = frozenset({"iifname", "oifname", "iif", "oif", "mark", "skuid", "skgid"})
_SIMPLE = frozenset({"accept", "drop", "return", "continue", "counter", "notrack"})


def format_rule(exprs: list[Any], comment: str | None = None) -> str:
    parts = [format_statement(expr) for expr in exprs]
    if comment:
        parts.append(f"comment {json.dumps(comment)}")
    return " ".join(parts)


def format_statement(expr: Any) -> str:
    if not isinstance(expr, dict) or len(expr) != 1:
        return json.dumps(expr)
    key, value = next(iter(expr.items()))
    key = str(key)
    if key == "match" and isinstance(value, dict):
        op = _OPS.get(str(value.get("op")), f"{value.get('op')} ")
        if not op and isinstance(value.get("left"), dict) and "&" in value["left"]:
            op = "== "  # nft prints the comparison after a mask
        return f"{format_value(value.get('left'))} {op}{format_value(value.get('right'))}"
    if key in _SIMPLE:
        return key
    if key in ("jump", "goto") and isinstance(value, dict):
        return f"{key} {value.get('target')}"
    if key == "vmap" and isinstance(value, dict):
        return f"{format_value(value.get('key'))} vmap {format_value(value.get('data'))}"
    if key == "reject":
        return "reject"
    if key == "log":
        prefix = value.get("prefix") if isinstance(value, dict) else None
        return f"log prefix {json.dumps(prefix)}" if prefix else "log"
    if key == "limit" and isinstance(value, dict):
        over = "over " if value.get("inv") else ""
        return f"limit rate {over}{value.get('rate')}/{value.get('per')}"
    return f"{key} {json.dumps(value)}" if value is not None else key


def format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(format_value(item) for item in value)
    if isinstance(value, dict) and len(value) == 1:
        return _format_object(*next(iter(value.items())))
    return json.dumps(value)


def _format_object(key: str, value: Any) -> str:
    if key == "payload" and isinstance(value, dict) and "protocol" in value:
        return f"{value['protocol']} {value.get('field')}"
    if key == "meta" and isinstance(value, dict):
        name = str(value.get("key"))
        return name if name in _BARE_META else f"meta {name}"
    if key == "ct" and isinstance(value, dict):
        return f"ct {value.get('key')}"
    if key == "prefix" and isinstance(value, dict):
        return f"{value.get('addr')}/{value.get('len')}"
    if key == "range" and isinstance(value, list) and len(value) == 2:
        return f"{format_value(value[0])}-{format_value(value[1])}"
    if key == "set":
        items = value if isinstance(value, list) else [value]
        return "{ " + ", ".join(_format_element(item) for item in items) + " }"
    if key == "concat" and isinstance(value, list):
        return " . ".join(format_value(item) for item in value)
    if key == "&" and isinstance(value, list) and len(value) == 2:
        return f"{format_value(value[0])} & {format_value(value[1])}"
    if key == "elem" and isinstance(value, dict):
        return format_value(value.get("val"))
    return json.dumps({key: value})


def _format_element(item: Any) -> str:
    if isinstance(item, list) and len(item) == 2:  # a verdict-map element: key : verdict
        return f"{format_value(item[0])} : {format_statement(item[1])}"
    return format_value(item)

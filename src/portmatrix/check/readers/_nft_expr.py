"""nft JSON match expressions compiled into conditions over the traffic space.

An expression compares a *key* (``ip saddr``, ``tcp dport``, ``meta l4proto``, a concatenation
such as ``ip saddr . tcp dport``) with a value, an anonymous set, a named set or a verdict map.
Keys that name a dimension of the traffic space become intervals; keys the checker can decide
outright (connection state, interfaces, packet type) become always or never; every other key is
unsupported, and the rule that uses it is reported rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._ports import port_number
from portmatrix.traffic import (
    ALL_ADDRESSES,
    ALL_PORTS,
    ALL_PROTOCOLS,
    PORT_PROTOCOLS,
    PROTOCOL_NUMBERS,
    V4,
    V6,
    Interval,
    Intervals,
    address_interval,
    complement,
    network_interval,
    normalise,
    span,
    subtract,
)


class NftUnsupported(Exception):
    """An expression the checker cannot model; the rule becomes an ``unsupported`` finding."""


class NftInvalid(Exception):
    """Something nft itself never prints (an unknown verdict): an error at the rule."""


Reader = Callable[[Any], Intervals]
Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class Key:
    """What the left side of a comparison selects, and how to read values compared with it."""

    dim: str | None = None  # a dimension of the traffic space, or None for a decided key
    read: Reader | None = None  # value -> intervals on ``dim``
    test: Predicate | None = None  # value -> does the evaluated packet have it
    within: Intervals | None = None  # where a negation stays (an address family)
    implied: cond.Condition = field(
        default_factory=lambda: cond.ALWAYS
    )  # tcp dport -> protocol tcp
    irrelevant: bool = False  # a header field of a protocol outside the traffic space (icmp type)


def _unwrap(value: Any) -> Any:
    while isinstance(value, dict) and "elem" in value and isinstance(value["elem"], dict):
        value = value["elem"].get("val")
    return value


def _read_address(within: Intervals) -> Reader:
    def read(value: Any) -> Intervals:
        value = _unwrap(value)
        try:
            if isinstance(value, str):
                found = span(*network_interval(value))
            elif isinstance(value, dict) and "prefix" in value:
                prefix = value["prefix"]
                found = span(*network_interval(f"{prefix['addr']}/{prefix['len']}"))
            elif isinstance(value, dict) and "range" in value:
                found = span(*address_interval(str(value["range"][0]), str(value["range"][1])))
            else:
                raise NftUnsupported(f"cannot read {value!r} as an address")
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise NftUnsupported(f"cannot read {value!r} as an address") from exc
        if subtract(found, within):
            raise NftUnsupported(f"address {value!r} is of the other IP family than its key")
        return found

    return read


def _number(value: Any, names: Mapping[str, int], what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    if isinstance(value, str) and value.lower() in names:
        return names[value.lower()]
    raise NftUnsupported(f"cannot read {value!r} as a {what}")


def _read_numbers(to_number: Callable[[Any], int]) -> Reader:
    def read(value: Any) -> Intervals:
        value = _unwrap(value)
        if isinstance(value, dict) and "range" in value and len(value["range"]) == 2:
            return span(to_number(value["range"][0]), to_number(value["range"][1]))
        number = to_number(value)
        return span(number, number)

    return read


def _port(value: Any) -> int:
    if isinstance(value, str) and not value.isdigit():
        try:
            return port_number(value)
        except ValueError as exc:
            raise NftUnsupported(str(exc)) from exc
    return _number(value, {}, "port")


_read_port = _read_numbers(_port)
_read_protocol = _read_numbers(lambda value: _number(value, PROTOCOL_NUMBERS, "protocol"))
_FAMILIES = {"ipv4": V4, "ip": V4, "ipv6": V6, "ip6": V6}


def _read_family(value: Any) -> Intervals:
    return _FAMILIES.get(str(_unwrap(value)), ())


def _protocol_is(*numbers: int) -> cond.Condition:
    return cond.on("protocol", normalise((number, number) for number in numbers))


_TRANSPORT = {name: PROTOCOL_NUMBERS[name] for name in ("tcp", "udp", "sctp", "dccp", "udplite")}
_TCP_FLAGS = {"payload": {"protocol": "tcp", "field": "flags"}}
_IRRELEVANT = {"icmp": 1, "icmpv6": 58, "igmp": 2, "esp": 50, "ah": 51, "gre": 47}


def _payload_key(protocol: str, field: str) -> Key:
    if protocol in ("ip", "ip6"):
        space = V4 if protocol == "ip" else V6
        if field in ("saddr", "daddr"):
            return Key("src" if field == "saddr" else "dst", _read_address(space), within=space)
        if field in ("protocol", "nexthdr"):
            return Key(
                "protocol", _read_protocol, within=ALL_PROTOCOLS, implied=cond.on("src", space)
            )
    if protocol in _TRANSPORT and field in ("sport", "dport"):
        return Key(field, _read_port, within=ALL_PORTS, implied=_protocol_is(_TRANSPORT[protocol]))
    if protocol == "th" and field in ("sport", "dport"):
        return Key(field, _read_port, within=ALL_PORTS, implied=cond.on("protocol", PORT_PROTOCOLS))
    if protocol in _IRRELEVANT:
        return Key(irrelevant=True, implied=_protocol_is(_IRRELEVANT[protocol]))
    raise NftUnsupported(f"matching on {protocol} {field} is not modelled")


def _meta_key(name: str) -> Key:
    if name == "l4proto":
        return Key("protocol", _read_protocol, within=ALL_PROTOCOLS)
    if name in ("nfproto", "protocol"):
        return Key("src", _read_family, within=ALL_ADDRESSES)
    if name in ("iifname", "oifname", "iif", "oif"):
        incoming = name.startswith("ii")
        return Key(
            test=lambda value: cond.interface_matches(str(_unwrap(value)), incoming=incoming)
        )
    if name == "pkttype":
        return Key(test=lambda value: str(_unwrap(value)) == "host")
    raise NftUnsupported(f"matching on meta {name} is not modelled")


def key_of(expr: Any) -> Key:
    if isinstance(expr, dict) and isinstance(expr.get("payload"), dict):
        payload = expr["payload"]
        if "protocol" not in payload:
            raise NftUnsupported("raw payload matches are not modelled")
        return _payload_key(str(payload["protocol"]), str(payload.get("field")))
    if isinstance(expr, dict) and isinstance(expr.get("meta"), dict):
        return _meta_key(str(expr["meta"].get("key")))
    if isinstance(expr, dict) and isinstance(expr.get("ct"), dict):
        if expr["ct"].get("key") == "state":
            return Key(test=lambda value: cond.state_matches_new([str(_unwrap(value))]))
        raise NftUnsupported(f"matching on ct {expr['ct'].get('key')} is not modelled")
    raise NftUnsupported(f"matching on {_describe(expr)} is not modelled")


def _describe(expr: Any) -> str:
    return next(iter(expr)) if isinstance(expr, dict) and expr else repr(expr)


class ExprCompiler:
    """Compiles the match and verdict-map expressions of the rules of one table."""

    def __init__(self, sets: Mapping[str, list[Any]]):
        self.sets = sets  # the table's named sets and maps: name -> elements

    def elements(self, right: Any) -> list[Any]:
        """The values a right-hand side stands for: one value, an anonymous set or a named set."""
        if isinstance(right, str) and right.startswith("@"):
            if right[1:] not in self.sets:
                raise NftUnsupported(f"set {right} is not defined in the ruleset")
            return [_unwrap(item) for item in self.sets[right[1:]]]
        if isinstance(right, dict) and "set" in right:
            items = right["set"]
            return [_unwrap(item) for item in (items if isinstance(items, list) else [items])]
        if isinstance(right, list):
            return [_unwrap(item) for item in right]
        return [_unwrap(right)]

    def match(self, op: str, left: Any, right: Any) -> cond.Condition:
        if isinstance(left, dict) and "&" in left:
            return self._masked(op, left["&"], right)
        if left == _TCP_FLAGS:
            return self._flags(op, right)
        if isinstance(left, dict) and "concat" in left:
            return self._concat(op, [key_of(part) for part in left["concat"]], self.elements(right))
        key = key_of(left)
        if key.irrelevant:
            return key.implied
        if key.test is not None:
            return cond.all_of([key.implied, self._decided(op, key.test, self.elements(right))])
        return cond.all_of([key.implied, self._on_dimension(op, key, right)])

    def _decided(self, op: str, test: Predicate, values: list[Any]) -> cond.Condition:
        if op not in ("==", "in", "!="):
            raise NftUnsupported(f"comparison {op!r} on this key is not modelled")
        return cond.truth(any(test(value) for value in values) != (op == "!="))

    def _on_dimension(self, op: str, key: Key, right: Any) -> cond.Condition:
        assert key.dim is not None and key.read is not None
        if op in ("==", "in", "!="):
            values = normalise(pair for value in self.elements(right) for pair in key.read(value))
            return cond.on(key.dim, values, negate=op == "!=", within=key.within)
        bounds = key.read(right)
        if op not in ("<", ">", "<=", ">=") or len(bounds) != 1 or key.within is None:
            raise NftUnsupported(f"comparison {op!r} is not modelled")
        return cond.on(key.dim, _compare(op, bounds[0], key.within))

    def _concat(self, op: str, keys: list[Key], values: list[Any]) -> cond.Condition:
        if op not in ("==", "in", "!="):
            raise NftUnsupported(f"comparison {op!r} on a concatenation is not modelled")
        union: cond.Condition = []
        for value in values:
            union.extend(self.element(keys, value))
        if op == "!=":
            union = complement(union)
        return cond.all_of([*(key.implied for key in keys), union])

    def element(self, keys: list[Key], value: Any) -> cond.Condition:
        """The traffic one set element selects (without what the keys themselves imply)."""
        parts = value["concat"] if isinstance(value, dict) and "concat" in value else [value]
        if len(parts) != len(keys):
            raise NftUnsupported(f"set element {value!r} does not fit a key of {len(keys)} parts")
        return cond.all_of(_single(key, part) for key, part in zip(keys, parts, strict=True))

    def _flags(self, op: str, right: Any) -> cond.Condition:
        """``tcp flags syn`` (any of them set) or ``tcp flags == syn`` (exactly these)."""
        values = {str(flag) for flag in self.elements(right)}
        if op == "in":
            return cond.all_of(
                [_protocol_is(6), cond.truth(bool(values & cond.FIRST_PACKET_FLAGS))]
            )
        if op not in ("==", "!="):
            raise NftUnsupported(f"comparison {op!r} on tcp flags is not modelled")
        exact = values == cond.FIRST_PACKET_FLAGS
        return cond.all_of([_protocol_is(6), cond.truth(exact != (op == "!="))])

    def _masked(self, op: str, operands: Any, right: Any) -> cond.Condition:
        left, mask = operands
        if left != _TCP_FLAGS:
            raise NftUnsupported("bitwise matches other than on tcp flags are not modelled")
        masks = [str(flag) for flag in self.elements(mask)]
        wanted = [str(flag) for flag in self.elements(right) if flag not in (0, "0")]
        if op not in ("==", "!="):
            raise NftUnsupported(f"comparison {op!r} on tcp flags is not modelled")
        return cond.all_of(
            [_protocol_is(6), cond.truth(cond.flags_match(masks, wanted) != (op == "!="))]
        )

    def verdict_map(self, key_expr: Any, data: Any) -> list[tuple[cond.Condition, Any]]:
        """``key vmap { value : verdict, ... }`` as (condition, verdict) pairs in order."""
        parts = (
            key_expr["concat"]
            if isinstance(key_expr, dict) and "concat" in key_expr
            else [key_expr]
        )
        keys = [key_of(part) for part in parts]
        implied = cond.all_of(key.implied for key in keys)
        pairs = []
        for item in self.elements(data):
            if not (isinstance(item, list) and len(item) == 2):
                raise NftUnsupported(f"verdict map element {item!r} is not a key : verdict pair")
            pairs.append((cond.all_of([implied, self.element(keys, _unwrap(item[0]))]), item[1]))
        return pairs


def _single(key: Key, value: Any) -> cond.Condition:
    if key.irrelevant:
        return cond.ALWAYS
    if key.test is not None:
        return cond.truth(key.test(value))
    assert key.dim is not None and key.read is not None
    return cond.on(key.dim, key.read(value))


def _compare(op: str, bound: Interval, domain: Intervals) -> Intervals:
    lo, hi = domain[0][0], domain[-1][1]
    value = bound[0] if op in ("<", ">=") else bound[1]
    if op == "<":
        return span(lo, value - 1)
    if op == "<=":
        return span(lo, value)
    if op == ">":
        return span(value + 1, hi)
    return span(value, hi)

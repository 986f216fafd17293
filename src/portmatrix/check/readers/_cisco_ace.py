"""One access-list entry (ACE) of an ASA or IOS ACL, compiled into a condition.

Both platforms share the grammar ``permit|deny PROTOCOL SRC [PORTS] DST [PORTS] [options]``;
they differ in what a mask means (ASA netmasks, IOS wildcards), what ``any`` covers, and whether
``eq`` takes several ports. A :class:`Dialect` carries those differences so the grammar is
written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._cisco_objects import (
    PORT_OPERATORS,
    CiscoInvalid,
    CiscoUnsupported,
    Objects,
    masked,
    port_operator,
    port_protocols,
    prefix,
    protocols_of,
)
from portmatrix.check.ruleset import Action
from portmatrix.traffic import (
    ALL_ADDRESSES,
    ALL_PORTS,
    ALL_PROTOCOLS,
    MAX_PORT,
    TCP,
    UDP,
    V4,
    V6,
    Intervals,
    intersect,
    span,
)

_LOG_WORDS = frozenset(
    {
        "disable",
        "default",
        "emergencies",
        "alerts",
        "critical",
        "errors",
        "warnings",
        "notifications",
        "informational",
        "debugging",
    }
)


@dataclass(frozen=True)
class Dialect:
    wildcard: bool  # masks in entries are wildcards (IOS) rather than netmasks (ASA)
    any_space: Intervals  # what ``any`` covers: both families on an ASA, one on IOS
    many_ports: bool  # IOS accepts ``eq 80 443``


ASA = Dialect(wildcard=False, any_space=ALL_ADDRESSES, many_ports=False)
IOS_V4 = Dialect(wildcard=True, any_space=V4, many_ports=True)
IOS_V6 = Dialect(wildcard=True, any_space=V6, many_ports=True)


def parse_entry(
    tokens: list[str], dialect: Dialect, objects: Objects
) -> tuple[Action, cond.Condition] | None:
    """An extended ACE as (permit/deny, condition); None for an ``inactive`` entry."""
    return _Entry(tokens, dialect, objects).extended()


_SIMPLE_PROTOCOLS = {"tcp": ((TCP, TCP),), "udp": ((UDP, UDP),), "ip": ALL_PROTOCOLS}


def read_simple_entry(tokens: list[str], dialect: Dialect) -> tuple[Action, cond.Condition] | None:
    """The entry most lists are made of, read in one step; None leaves it to :func:`parse_entry`.

    ``permit|deny tcp|udp|ip SRC DST [eq P | range A B]``, each address ``any``, ``host A`` or
    an address and mask: nearly every line of a large list. Whatever else, or whatever in it
    does not read, goes to the general grammar, which gives the error or the unsupported
    finding; a property test holds the two equal.
    """
    if len(tokens) < 4 or tokens[0] not in ("permit", "deny"):
        return None
    protocols = _SIMPLE_PROTOCOLS.get(tokens[1])
    if protocols is None:
        return None
    try:
        src, at = _simple_address(tokens, 2, dialect)
        dst, at = _simple_address(tokens, at, dialect)
    except (CiscoInvalid, CiscoUnsupported, IndexError):
        return None
    rest = tokens[at:]
    if not rest:
        ports = ALL_PORTS
    elif protocols is ALL_PROTOCOLS:
        return None
    elif len(rest) == 2 and rest[0] == "eq" and _simple_port(rest[1]):
        ports = span(int(rest[1]), int(rest[1]))
    elif (
        len(rest) == 3
        and rest[0] == "range"
        and _simple_port(rest[1])
        and _simple_port(rest[2])
        and int(rest[1]) <= int(rest[2])
    ):
        ports = span(int(rest[1]), int(rest[2]))
    else:
        return None
    action = Action.ACCEPT if tokens[0] == "permit" else Action.DROP
    return action, [(src, dst, protocols, ALL_PORTS, ports)]


def _simple_address(tokens: list[str], at: int, dialect: Dialect) -> tuple[Intervals, int]:
    word = tokens[at]
    if word == "any":
        return dialect.any_space, at + 1
    if word == "host":
        return prefix(tokens[at + 1]), at + 2
    if word[:1].isdigit() and "/" not in word and tokens[at + 1][:1].isdigit():
        return masked(word, tokens[at + 1], wildcard=dialect.wildcard), at + 2
    raise CiscoUnsupported(word)  # object, object-group, any4, interface, ...: the grammar


def _simple_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 5 and int(text) <= MAX_PORT


def parse_standard(
    tokens: list[str], dialect: Dialect, objects: Objects
) -> tuple[Action, cond.Condition]:
    """A standard ACE (``permit 10.0.0.0 0.0.0.255``): it matches on the source only."""
    entry = _Entry(tokens, dialect, objects)
    action = entry.verdict()
    if (
        entry.peek() is not None
        and entry.peek() not in ("any", "host")
        and entry.peek_at(1) in (None, "log")
    ):
        source = prefix(entry.take())  # a lone address is a host
    else:
        source = entry.address()
    if entry.options(with_ports=False, protocols=()) == "inactive":
        raise CiscoUnsupported("inactive standard entries are not modelled")
    return action, cond.on("src", source)


class _Entry:
    def __init__(self, tokens: list[str], dialect: Dialect, objects: Objects):
        self.tokens = tokens
        self.pos = 0
        self.dialect = dialect
        self.objects = objects

    def peek(self) -> str | None:
        return self.peek_at(0)

    def peek_at(self, offset: int) -> str | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise CiscoUnsupported("the entry ends too early")
        self.pos += 1
        return token

    def verdict(self) -> Action:
        word = self.take()
        if word not in ("permit", "deny"):
            raise CiscoUnsupported(f"expected permit or deny, not {word!r}")
        return Action.ACCEPT if word == "permit" else Action.DROP

    def extended(self) -> tuple[Action, cond.Condition] | None:
        action = self.verdict()
        protocol, protocols, with_ports = self.protocol()
        parts = [protocol, cond.on("src", self.address())]
        parts.append(self.ports("sport", protocols if with_ports else None))
        parts.append(cond.on("dst", self.address()))
        parts.append(self.ports("dport", protocols if with_ports else None))
        state = self.options(with_ports=with_ports, protocols=protocols)
        if state == "inactive":
            return None
        return action, (cond.NEVER if state == "never" else cond.all_of(parts))

    def protocol(self) -> tuple[cond.Condition, Intervals, bool]:
        """The protocol condition, the protocols it names, and whether ports may follow."""
        word = self.take()
        if word == "object":
            return self.objects.service(self.take()), (), False
        if word == "object-group":
            name = self.take()
            if self.objects.kind(name) == "service":
                return self.objects.service(name), (), False
            protocols = self.objects.protocols(name)
        else:
            protocols = protocols_of(word)
        try:
            port_protocols(protocols)
        except CiscoUnsupported:
            return cond.on("protocol", protocols), protocols, False
        return cond.on("protocol", protocols), protocols, True

    def address(self) -> Intervals:
        word = self.take()
        if word == "any":
            return self.dialect.any_space
        if word in ("any4", "any6"):
            return V4 if word == "any4" else V6
        if word == "host":
            return prefix(self.take())
        if word in ("object", "object-group"):
            return self.objects.network(self.take())
        if word == "interface":
            raise CiscoUnsupported("addresses of the firewall's own interfaces are not modelled")
        if "/" in word:
            return prefix(word)
        return masked(word, self.take(), wildcard=self.dialect.wildcard)

    def ports(self, dim: str, protocols: Intervals | None) -> cond.Condition:
        word = self.peek()
        if protocols is None or word is None:
            return cond.ALWAYS
        if word in PORT_OPERATORS:
            values, self.pos = port_operator(
                self.tokens, self.pos, port_protocols(protocols), many=self.dialect.many_ports
            )
            return cond.on(dim, values)
        name = self.peek_at(1)
        if word == "object-group" and name is not None and self.objects.is_port_group(name):
            self.pos += 2
            group_protocols, values = self.objects.ports(name)
            return cond.all_of(
                [cond.on("protocol", intersect(group_protocols, protocols)), cond.on(dim, values)]
            )
        return cond.ALWAYS

    def options(self, *, with_ports: bool, protocols: Intervals) -> str:
        """Reads what follows the addresses: "active", "inactive", or "never" (``established``,
        which matches only packets of an existing connection, never the first one)."""
        state, logging = "active", False
        while (word := self.peek()) is not None:
            self.pos += 1
            if word in ("log", "log-input"):
                logging = True
            elif logging and (word.isdigit() or word in _LOG_WORDS or word == "interval"):
                continue
            elif word == "inactive":
                state = "inactive"
            elif word == "established" and with_ports:
                state = "never" if state == "active" else state
            elif protocols in (((1, 1),), ((58, 58),)):
                continue  # ICMP types and their groups: outside the traffic space anyway
            else:
                raise CiscoUnsupported(f"keyword {word!r} is not modelled")
        return state

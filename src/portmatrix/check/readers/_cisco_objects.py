"""Cisco objects and object-groups (ASA and IOS), resolved into address, port and service sets.

Objects may nest (``group-object``, ``network-object object``), and a configuration may define
them in any order, so they are collected first and resolved when an access-list entry uses
them. A definition the checker cannot model (an FQDN object, an unknown member) does not stop
the file: the entries that use it are reported as unsupported, naming the object and its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._ports import MAX_PORT, port_number
from portmatrix.traffic import (
    ALL_ADDRESSES,
    ALL_PORTS,
    ALL_PROTOCOLS,
    PROTOCOL_NUMBERS,
    TCP,
    UDP,
    V4_BASE,
    Intervals,
    address_interval,
    network_interval,
    normalise,
    parse_address,
    span,
    subtract,
    union,
)


class CiscoUnsupported(Exception):
    """Something in an entry or an object it uses that the checker cannot model."""


class CiscoInvalid(Exception):
    """Something the platform itself would refuse (a bad octet, a group that contains itself):
    an error at ``line`` (the object's own line), or at the entry that met it."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class ObjectBlock:
    """``object ...`` or ``object-group ...`` with its indented member lines."""

    kind: str  # network, service, protocol, icmp-type, user, ...
    group: bool
    name: str
    line: int
    header: list[str]
    members: list[tuple[int, list[str]]] = field(default_factory=list)


# --------------------------------------------------------------------------- small grammars


def protocols_of(token: str) -> Intervals:
    """``tcp``, ``udp``, ``tcp-udp``, ``ip`` (every protocol) or a number, as protocol numbers."""
    name = token.lower()
    if name in ("ip", "ipv6"):
        return ALL_PROTOCOLS
    if name == "tcp-udp":
        return ((TCP, TCP), (UDP, UDP))
    if name.isascii() and name.isdigit():
        if len(name) > 3 or int(name) > 255:
            raise CiscoInvalid(f"protocol {name[:20]} is outside 0-255")
        return span(int(name), int(name))
    if name in PROTOCOL_NUMBERS:
        number = PROTOCOL_NUMBERS[name]
        return span(number, number)
    raise CiscoUnsupported(f"unknown protocol {token!r}")


def port_protocols(protocols: Intervals) -> tuple[int, ...]:
    """The protocols whose port names apply, or an error if ports make no sense for them."""
    found = tuple(
        number
        for number in (TCP, UDP)
        if protocols and not subtract(span(number, number), protocols)
    )
    if not found or subtract(protocols, ((TCP, TCP), (UDP, UDP))):
        raise CiscoUnsupported("port conditions need the protocol to be tcp, udp or tcp-udp")
    return found


PORT_OPERATORS = frozenset({"eq", "neq", "lt", "gt", "range"})


def port_operator(
    tokens: list[str], pos: int, protocols: tuple[int, ...], *, many: bool
) -> tuple[Intervals, int]:
    """Read ``eq P``, ``neq P``, ``lt P``, ``gt P`` or ``range A B`` at ``pos``; IOS allows ``eq P P ...``."""
    operator = tokens[pos]

    def port(at: int) -> int:
        if at >= len(tokens):
            raise CiscoInvalid(f"'{operator}' lacks its port")
        if (
            tokens[at].isascii()
            and tokens[at].isdigit()
            and (len(tokens[at]) > 5 or int(tokens[at]) > MAX_PORT)
        ):
            raise CiscoInvalid(f"port {tokens[at][:20]} is outside 0-{MAX_PORT}")
        try:
            return port_number(tokens[at], protocols=protocols)
        except ValueError as exc:
            raise CiscoUnsupported(str(exc)) from None

    if operator == "range":
        lo, hi = port(pos + 1), port(pos + 2)
        if hi < lo:
            raise CiscoInvalid(f"port range {lo}-{hi} is empty")
        return span(lo, hi), pos + 3
    value, pos = port(pos + 1), pos + 2
    if operator == "eq":
        values = [(value, value)]
        while many and pos < len(tokens) and _is_port(tokens[pos], protocols):
            values.append((port(pos), port(pos)))
            pos += 1
        return normalise(values), pos
    if operator == "neq":
        return subtract(ALL_PORTS, span(value, value)), pos
    return (span(0, value - 1) if operator == "lt" else span(value + 1, MAX_PORT)), pos


def _is_port(token: str, protocols: tuple[int, ...]) -> bool:
    try:
        port_number(token, protocols=protocols)
    except ValueError:
        return False
    return True


def parse_ip(text: str) -> int:
    """An IPv4 address or mask as a 32-bit integer."""
    try:
        value = parse_address(text)
    except ValueError:
        raise CiscoInvalid(f"{text!r} is not an IP address") from None
    if value < V4_BASE:
        raise CiscoInvalid(f"{text!r} is not an IPv4 address, so it takes no mask")
    return value - V4_BASE


def masked(address: str, mask: str, *, wildcard: bool) -> Intervals:
    """``10.0.0.0 255.255.255.0`` (ASA netmask) or ``10.0.0.0 0.0.0.255`` (IOS wildcard)."""
    host_bits = parse_ip(mask)
    if not wildcard:
        host_bits = ~host_bits & 0xFFFFFFFF
    if host_bits & (host_bits + 1):
        raise CiscoUnsupported(f"mask {mask} is not contiguous; such wildcards are not modelled")
    lo = (parse_ip(address) & ~host_bits) + V4_BASE
    return span(lo, lo + host_bits)


def prefix(text: str) -> Intervals:
    try:
        return span(*network_interval(text))
    except ValueError:
        raise CiscoInvalid(f"{text!r} is not an address or network") from None


def address_range(first: str, last: str) -> Intervals:
    try:
        return span(*address_interval(first, last))
    except ValueError as exc:
        raise CiscoInvalid(str(exc)) from None


# --------------------------------------------------------------------------- resolution


@dataclass
class Objects:
    """Every object and object-group of a configuration, resolved on demand."""

    wildcard: bool  # IOS object-groups use netmasks too, but entries use wildcards
    blocks: dict[str, ObjectBlock] = field(default_factory=dict)
    _resolving: set[str] = field(default_factory=set)

    def kind(self, name: str) -> str | None:
        block = self.blocks.get(name)
        return None if block is None else block.kind

    def is_port_group(self, name: str) -> bool:
        block = self.blocks.get(name)
        return block is not None and block.kind == "service" and len(block.header) > 0

    def _block(self, name: str, kind: str) -> ObjectBlock:
        block = self.blocks.get(name)
        if block is None:
            raise CiscoUnsupported(f"object {name!r} is not defined")
        if block.kind != kind:
            raise CiscoUnsupported(
                f"object {name!r} (line {block.line}) is a {block.kind} object, not {kind}"
            )
        if name in self._resolving:
            raise CiscoInvalid(f"object {name!r} contains itself", line=block.line)
        return block

    def _members(self, block: ObjectBlock) -> list[tuple[int, list[str]]]:
        return [
            (line, tokens)
            for line, tokens in block.members
            if tokens[0] not in ("description", "nat")
        ]

    def network(self, name: str) -> Intervals:
        block = self._block(name, "network")
        self._resolving.add(name)
        try:
            found: Intervals = ()
            for line, tokens in self._members(block):
                try:
                    found = union(found, self._network_member(tokens))
                except CiscoUnsupported as exc:
                    raise CiscoUnsupported(f"object {name} line {line}: {exc}") from None
            return found
        finally:
            self._resolving.discard(name)

    def _network_member(self, tokens: list[str]) -> Intervals:
        head, args = tokens[0], tokens[1:]
        if head == "network-object":
            head, args = (
                (args[0], args[1:]) if args and args[0] in ("host", "object") else ("subnet", args)
            )
        if head == "group-object" or (head == "object" and args):
            return self.network(args[0])
        if head == "host" and args:
            return prefix(args[0])
        if head == "range" and len(args) == 2:
            return address_range(args[0], args[1])
        if head == "any":
            return ALL_ADDRESSES
        if head == "subnet" and len(args) == 1 and "/" in args[0]:
            return prefix(args[0])
        if head == "subnet" and len(args) == 2:
            return masked(args[0], args[1], wildcard=False)
        if len(tokens) == 2 and "." in tokens[0]:  # IOS: "10.0.0.0 255.255.255.0"
            return masked(tokens[0], tokens[1], wildcard=False)
        raise CiscoUnsupported(f"network member {' '.join(tokens)!r} is not understood")

    def protocols(self, name: str) -> Intervals:
        block = self._block(name, "protocol")
        self._resolving.add(name)
        try:
            found: Intervals = ()
            for _, tokens in self._members(block):
                target = tokens[1] if len(tokens) > 1 else ""
                found = union(
                    found,
                    self.protocols(target) if tokens[0] == "group-object" else protocols_of(target),
                )
            return found
        finally:
            self._resolving.discard(name)

    def ports(self, name: str) -> tuple[Intervals, Intervals]:
        """An ASA typed service group (``object-group service N tcp``): its protocols and ports."""
        block = self._block(name, "service")
        if not block.header:
            raise CiscoUnsupported(
                f"service group {name!r} (line {block.line}) holds services, not ports"
            )
        protocols = protocols_of(block.header[0])
        self._resolving.add(name)
        try:
            found: Intervals = ()
            for _, tokens in self._members(block):
                if tokens[0] == "group-object":
                    found = union(found, self.ports(tokens[1])[1])
                elif tokens[0] == "port-object":
                    found = union(
                        found, port_operator(tokens, 1, port_protocols(protocols), many=False)[0]
                    )
                else:
                    raise CiscoUnsupported(
                        f"member {' '.join(tokens)!r} of {name} is not understood"
                    )
            return protocols, found
        finally:
            self._resolving.discard(name)

    def service(self, name: str) -> cond.Condition:
        """A service object or group used in the protocol position: protocols with their ports."""
        block = self._block(name, "service")
        if block.header:  # a typed port group stands in the protocol position only as its protocols
            protocols, ports = self.ports(name)
            return cond.all_of([cond.on("protocol", protocols), cond.on("dport", ports)])
        self._resolving.add(name)
        try:
            found: cond.Condition = []
            for _, tokens in self._members(block):
                found.extend(self._service_member(tokens))
            return found
        finally:
            self._resolving.discard(name)

    def _service_member(self, tokens: list[str]) -> cond.Condition:
        head, args = tokens[0], tokens[1:]
        if head in ("group-object", "object") or (
            head == "service-object" and args[:1] == ["object"]
        ):
            return self.service(args[-1])
        if head in ("service-object", "service"):
            return service_entry(args)
        return service_entry(tokens)  # IOS: "tcp eq 80", "udp range 1 2", "ip"


def service_entry(tokens: list[str]) -> cond.Condition:
    """``tcp [source OP] [destination OP]`` or ``tcp OP`` (destination), as a condition."""
    if not tokens:
        raise CiscoUnsupported("empty service entry")
    protocols = protocols_of(tokens[0])
    parts = [cond.on("protocol", protocols)]
    pos = 1
    while pos < len(tokens):
        dim = "dport"
        if tokens[pos] in ("source", "destination"):
            dim = "sport" if tokens[pos] == "source" else "dport"
            pos += 1
        if pos >= len(tokens) or tokens[pos] not in PORT_OPERATORS:
            if tokens[0] in ("icmp", "icmp6"):
                break  # an ICMP type; outside the traffic space either way
            raise CiscoUnsupported(f"service entry {' '.join(tokens)!r} is not understood")
        values, pos = port_operator(tokens, pos, port_protocols(protocols), many=True)
        parts.append(cond.on(dim, values))
    return cond.all_of(parts)

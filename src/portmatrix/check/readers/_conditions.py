"""The building blocks every parser uses to turn a rule's conditions into boxes.

A condition is a union of boxes (``[]`` never matches, ``[FULL]`` always does) and a rule's
match is the conjunction of its conditions. Conditions the checker can decide without looking at
addresses or ports (connection state, interfaces, TCP flags) become ALWAYS or NEVER here, under
the assumptions ``docs/check.md`` states: the packet is the first of a new connection (a SYN for
TCP) and never arrives on loopback.

The interface a packet arrives on is a *context* of the reading (:func:`arriving`): read for
``eth1``, ``-i eth1`` holds and ``-i eth0`` does not; read with no context (the default), every
input-interface match but loopback is assumed to hold, as a firewall between zones cannot be
told which of its own interfaces a flow crosses. Every input interface a ruleset names is
recorded, so the checker knows whether a verdict can depend on the interface at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from portmatrix.traffic import (
    ALL_ADDRESSES,
    ALL_PORTS,
    ALL_PROTOCOLS,
    DIMENSIONS,
    FULL,
    Box,
    Intervals,
    conjoin,
    intersect,
    subtract,
)

Condition = list[Box]
ALWAYS: Condition = [FULL]
NEVER: Condition = []

_DOMAINS = {
    "src": ALL_ADDRESSES,
    "dst": ALL_ADDRESSES,
    "protocol": ALL_PROTOCOLS,
    "sport": ALL_PORTS,
    "dport": ALL_PORTS,
}

#: TCP flags of the packet the checker evaluates: the SYN that opens a connection.
FIRST_PACKET_FLAGS = frozenset({"syn"})
TCP_FLAGS = frozenset({"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"})


def on(
    dim: str, values: Intervals, *, negate: bool = False, within: Intervals | None = None
) -> Condition:
    """Traffic whose ``dim`` lies in ``values`` (or, negated, in ``within`` but not in ``values``)."""
    if negate:
        values = subtract(within if within is not None else _DOMAINS[dim], values)
    if not values:
        return NEVER
    index = DIMENSIONS.index(dim)
    box = list(FULL)
    box[index] = values
    return [(box[0], box[1], box[2], box[3], box[4])]


def truth(value: bool) -> Condition:
    return ALWAYS if value else NEVER


def all_of(conditions: Iterable[Sequence[Box]]) -> Condition:
    """The conjunction of conditions; stops early once nothing can match."""
    result: Condition = ALWAYS
    for condition in conditions:
        if len(result) == 1 and len(condition) == 1:
            result = _narrow(result[0], condition[0])
        else:
            result = conjoin(result, condition)
        if not result:
            return NEVER
    return result


def _narrow(box: Box, other: Box) -> Condition:
    """Two single boxes intersected, skipping the dimensions ``other`` leaves whole (most of them)."""
    dims = list(box)
    for index, values in enumerate(other):
        if values is not FULL[index]:
            dims[index] = intersect(dims[index], values)
            if not dims[index]:
                return NEVER
    return [(dims[0], dims[1], dims[2], dims[3], dims[4])]


def state_matches_new(states: Iterable[str]) -> bool:
    """Whether a connection-state list (``NEW,ESTABLISHED``, ``{new, related}``) holds a new connection."""
    return any(state.strip().lower() == "new" for state in states)


@dataclass
class Arrival:
    """The interface packets arrive on while a ruleset is read (None: not known), and every
    input-interface name the ruleset's rules test."""

    interface: str | None = None
    seen: set[str] = field(default_factory=set)


_ARRIVAL: ContextVar[Arrival | None] = ContextVar("portmatrix_arrival", default=None)


@contextmanager
def arriving(arrival: Arrival) -> Iterator[Arrival]:
    """Read a ruleset as seen by packets arriving on ``arrival.interface``."""
    token = _ARRIVAL.set(arrival)
    try:
        yield arrival
    finally:
        _ARRIVAL.reset(token)


def interface_hit(pattern: str, interface: str) -> bool:
    """``-i eth+`` / ``iifname "eth*"`` match by prefix; any other name exactly."""
    if pattern.endswith(("+", "*")):
        return interface.startswith(pattern[:-1])
    return pattern == interface


def interface_matches(name: str, *, incoming: bool = True) -> bool:
    """Whether traffic meets an interface match (``incoming``: the interface it arrives on).

    Network traffic never arrives on loopback. With a known arrival interface an input match
    holds only for that interface; otherwise (and for output matches) any other interface is
    taken to be the one it uses.
    """
    arrival = _ARRIVAL.get()
    if not incoming or arrival is None:
        return name != "lo"
    arrival.seen.add(name)
    if arrival.interface is None:
        return name != "lo"
    return interface_hit(name, arrival.interface)


def flags_match(mask: Iterable[str], wanted: Iterable[str]) -> bool:
    """``(flags & mask) == wanted`` for the opening SYN, as ``--tcp-flags`` and ``tcp flags`` test it."""
    mask_set = {flag.lower() for flag in mask}
    if "all" in mask_set:
        mask_set = set(TCP_FLAGS)
    wanted_set = {flag.lower() for flag in wanted} - {"none"}
    if "all" in wanted_set:
        wanted_set = set(TCP_FLAGS)
    return (FIRST_PACKET_FLAGS & mask_set) == wanted_set

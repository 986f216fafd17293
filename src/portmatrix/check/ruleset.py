"""One model for every firewall the checker reads: chains of rules over boxes of traffic.

nftables, iptables, ASA and IOS differ in syntax and in how chains are wired, but each
evaluates a packet the same way: walk an ordered list of rules, the first whose match holds
decides (accept, drop), or sends the packet into another chain (jump, goto) or back (return).
Each reader compiles its format into this model, so the engine knows nothing of syntax (nor
of vendors) and each reader nothing of evaluation. Policies and the implicit deny at the end of
an ACL are rules too (matching everything), so every decision points at something in the file.

How chains are wired is data too: a path (to the host, or across it) is a list of
:class:`Stage` s. A netfilter base chain is a stage every packet on its hook meets; a Cisco
``access-group`` or ``ip access-group`` binding is a stage met only by packets that enter
(``in``) or leave (``out``) through its interface, and a global binding is met by all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from portmatrix.options import RulesetType as RulesetType
from portmatrix.traffic import FULL, Box


class Action(StrEnum):
    ACCEPT = "accept"
    DROP = "drop"
    JUMP = "jump"
    GOTO = "goto"
    RETURN = "return"
    NONE = "none"  # counts, logs or marks; the packet goes on to the next rule


class Path(StrEnum):
    """Which way through the firewall: to the host itself, or across it."""

    INPUT = "input"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a decision comes from in the user's file: what a finding points at."""

    line: int | None
    text: str
    chain: str
    handle: int | None = None
    what: str = "rule"  # "rule", "policy", "implicit deny" or "default" (nothing filters)

    def where(self) -> str:
        """How a message names this place: ``line 14``, ``handle 7 at line 1``, ``the policy ...``."""
        line = f"line {self.line}" if self.line is not None else None
        if self.what == "policy":
            return f"the policy of chain {self.chain}" + (f" ({line})" if line else "")
        if self.what == "implicit deny":
            return f"the implicit deny at the end of access-list {self.chain}"
        if self.what == "default":
            return "the kernel default (no chain filters this path)"
        if self.handle is not None:
            return f"handle {self.handle}" + (f" at {line}" if line else "")
        return line or f"a rule of {self.chain}"


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """A compiled rule: the traffic it matches (a union of boxes) and what it does with it.

    Compared by identity: one line of a verdict map becomes several rules with one origin.
    """

    origin: Origin
    match: tuple[Box, ...]
    action: Action
    target: str | None = None  # the chain of a jump or goto


@dataclass
class Chain:
    name: str
    rules: list[Rule] = field(default_factory=list)
    policy: Rule | None = None  # base chains only; user chains return to their caller

    def set_policy(
        self, accept: bool, *, line: int | None, text: str, what: str = "policy"
    ) -> None:
        origin = Origin(line, text, self.name, what=what)
        self.policy = Rule(origin, (FULL,), Action.ACCEPT if accept else Action.DROP)


Direction = Literal["in", "out"]


@dataclass(frozen=True, slots=True)
class Stage:
    """A chain on a packet's path; stages run in order and any of them may drop.

    ``interface`` None: every packet on the path meets it (a netfilter base chain, an ASA
    global access-group). Otherwise only packets entering (``in``) or leaving (``out``) through
    that interface do.
    """

    chain: str
    families: frozenset[int] = frozenset({4, 6})
    priority: int = 0
    interface: str | None = None
    direction: Direction = "in"

    def meets(self, entering: str | None, leaving: str | None) -> bool:
        """Whether traffic entering and leaving through these interfaces passes this stage."""
        if self.interface is None:
            return True
        through = entering if self.direction == "in" else leaving
        return through is not None and through.lower() == self.interface.lower()


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A construct the parser read but cannot model; its rule is left out of the evaluation."""

    line: int | None
    text: str
    reason: str
    handle: int | None = None


@dataclass
class Ruleset:
    file: str
    type: str  # the reader's name: a RulesetType for the built-in formats
    chains: dict[str, Chain] = field(default_factory=dict)
    paths: dict[Path, list[Stage]] = field(default_factory=dict)
    #: Chains a user may pick by name (``--acl``): a Cisco file's access-lists, in file order.
    acls: list[str] = field(default_factory=list)
    unsupported: list[Unsupported] = field(default_factory=list)
    families: frozenset[int] = frozenset({4, 6})
    #: The text it was read from, so it can be read again for one arrival interface.
    text: str | None = None
    #: The input-interface names its rules test (``-i eth1``, ``iifname``), as read.
    input_interfaces: frozenset[str] = frozenset()
    #: The interface packets arrive on, as this copy was read for (None: assumed to match).
    arrival: str | None = None

    def chain(self, name: str) -> Chain:
        return self.chains.setdefault(name, Chain(name))

    def bind(self, chain: str, interface: str | None, direction: Direction) -> None:
        """Put ``chain`` on both paths for traffic through ``interface`` (None: all traffic)."""
        for path in Path:
            self.paths.setdefault(path, []).append(
                Stage(chain, interface=interface, direction=direction)
            )

    def unsupported_at(
        self, line: int | None, text: str, reason: str, *, handle: int | None = None
    ) -> None:
        self.unsupported.append(Unsupported(line, text, reason, handle))

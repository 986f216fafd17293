"""``iptables-save`` / ``ip6tables-save`` output compiled into the ruleset model.

Tables and chains keep their kernel order: on the way in a packet meets raw and mangle
PREROUTING, mangle INPUT, filter INPUT and security INPUT; across the box, the FORWARD chains
instead. The nat table filters nothing, but DNAT and REDIRECT change where a packet goes, which
the checker does not model, so they are reported as unsupported.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._ports import parse_port_range
from portmatrix.check.ruleset import Action, Origin, Path, Rule, Ruleset, RulesetType, Stage
from portmatrix.errors import RulesetError
from portmatrix.traffic import (
    ALL_PROTOCOLS,
    PROTOCOL_NUMBERS,
    Intervals,
    address_interval,
    family_space,
    network_interval,
    normalise,
    span,
    subtract,
)

_PATHS = {
    Path.INPUT: [
        ("raw", "PREROUTING"),
        ("mangle", "PREROUTING"),
        ("mangle", "INPUT"),
        ("filter", "INPUT"),
        ("security", "INPUT"),
    ],
    Path.FORWARD: [
        ("raw", "PREROUTING"),
        ("mangle", "PREROUTING"),
        ("mangle", "FORWARD"),
        ("filter", "FORWARD"),
        ("security", "FORWARD"),
        ("mangle", "POSTROUTING"),
    ],
}

_VERDICTS = {
    "ACCEPT": Action.ACCEPT,
    "DROP": Action.DROP,
    "REJECT": Action.DROP,
    "RETURN": Action.RETURN,
}
#: Targets that act on a packet and let it go on to the next rule.
_CONTINUING = frozenset(
    {
        "LOG",
        "NFLOG",
        "ULOG",
        "MARK",
        "CONNMARK",
        "TCPMSS",
        "CLASSIFY",
        "DSCP",
        "TOS",
        "TTL",
        "HL",
        "SECMARK",
        "CONNSECMARK",
        "AUDIT",
        "TRACE",
        "CHECKSUM",
        "IDLETIMER",
        "LED",
        "RATEEST",
        "SNAT",
        "MASQUERADE",
    }
)
_UNMODELLED = {
    "DNAT": "destination NAT changes where the packet goes",
    "REDIRECT": "redirection changes where the packet goes",
    "NETMAP": "address mapping changes where the packet goes",
    "NOTRACK": "untracked packets never match connection-state rules",
    "QUEUE": "a userspace program decides the verdict",
    "NFQUEUE": "a userspace program decides the verdict",
    "TPROXY": "transparent proxying changes where the packet goes",
}
_MODULES = frozenset(
    {
        "tcp",
        "udp",
        "multiport",
        "state",
        "conntrack",
        "comment",
        "iprange",
        "icmp",
        "icmp6",
        "limit",
    }
)


def chain_key(table: str, chain: str) -> str:
    return chain if table == "filter" else f"{table}:{chain}"


def parse_iptables_save(text: str, *, name: str) -> Ruleset:
    """Compile the text of ``iptables-save`` (or ``ip6tables-save``) output."""
    ruleset = Ruleset(name, RulesetType.IPTABLES_SAVE, families=frozenset({_family(text)}))
    reader = _Reader(ruleset, name)
    for number, raw in enumerate(text.splitlines(), start=1):
        reader.line(number, raw.strip())
    if reader.table is not None:
        raise RulesetError(
            f"table {reader.table!r} has no COMMIT", file=name, line=reader.table_line
        )
    if not reader.seen_table:
        raise RulesetError("no table found; is this iptables-save output?", file=name, line=1)
    for path, stages in _PATHS.items():
        ruleset.paths[path] = [
            Stage(chain_key(*stage)) for stage in stages if chain_key(*stage) in ruleset.chains
        ]
    return ruleset


def _family(text: str) -> int:
    head = "\n".join(line for line in text.splitlines()[:5] if line.startswith("#"))
    if "ip6tables" in head:
        return 6
    if "iptables" in head:
        return 4
    for token in text.split():
        if "/" in token and ":" in token.split("/")[0]:
            return 6
    return 4


@dataclass
class _Reader:
    ruleset: Ruleset
    name: str
    table: str | None = None
    table_line: int = 0
    seen_table: bool = False
    chains: set[str] = field(default_factory=set)

    def fail(self, number: int, message: str) -> RulesetError:
        return RulesetError(message, file=self.name, line=number)

    def line(self, number: int, text: str) -> None:
        if not text or text.startswith("#"):
            return
        if text.startswith("*"):
            self._open_table(number, text[1:].strip())
        elif text == "COMMIT":
            if self.table is None:
                raise self.fail(number, "COMMIT outside a table")
            self.table = None
        elif self.table is None:
            raise self.fail(
                number, f"{text.split()[0]!r} outside a table (expected '*filter' first)"
            )
        elif text.startswith(":"):
            self._declare(number, text)
        elif text.startswith(("-A ", "[")):
            self._rule(number, text)
        else:
            raise self.fail(
                number, f"cannot read {text[:40]!r}; expected ':CHAIN', '-A CHAIN' or COMMIT"
            )

    def _open_table(self, number: int, table: str) -> None:
        if self.table is not None:
            raise self.fail(
                number, f"table {table!r} starts before table {self.table!r} has its COMMIT"
            )
        self.table, self.table_line, self.seen_table = table, number, True

    def _declare(self, number: int, text: str) -> None:
        parts = text[1:].split()
        if len(parts) < 2:
            raise self.fail(number, "a chain line needs a name and a policy: ':INPUT DROP [0:0]'")
        assert self.table is not None
        key = chain_key(self.table, parts[0])
        chain = self.ruleset.chain(key)
        self.chains.add(key)
        policy = parts[1].upper()
        if policy in ("ACCEPT", "DROP"):
            chain.set_policy(policy == "ACCEPT", line=number, text=text)
        elif policy != "-":
            raise self.fail(number, f"unknown policy {parts[1]!r} for chain {parts[0]}")

    def _rule(self, number: int, text: str) -> None:
        if text.startswith("["):  # counters from `iptables-save -c`
            text = text.split("]", 1)[1].strip()
        try:
            tokens = (
                shlex.split(text) if '"' in text or "'" in text or "\\" in text else text.split()
            )
        except ValueError as exc:
            raise self.fail(number, f"cannot split the rule into words: {exc}") from exc
        assert self.table is not None
        key = chain_key(self.table, tokens[1]) if len(tokens) > 1 else ""
        if key not in self.chains:
            raise self.fail(
                number, f"rule for undeclared chain {tokens[1] if len(tokens) > 1 else ''!r}"
            )
        parsed = _RuleParser(tokens[2:], self.table, self.ruleset.families).parse()
        if parsed.problem is not None:
            self.ruleset.unsupported_at(number, text, parsed.problem)
            return
        if parsed.action in (Action.JUMP, Action.GOTO):
            target = chain_key(self.table, parsed.target or "")
            if target not in self.chains:
                self.ruleset.unsupported_at(number, text, f"unknown target {parsed.target!r}")
                return
            parsed.target = target
        origin = Origin(number, text, key)
        self.ruleset.chains[key].rules.append(
            Rule(origin, tuple(cond.all_of(parsed.conditions)), parsed.action, parsed.target)
        )


class _Unsupported(Exception):
    """Raised inside the rule parser; becomes an ``unsupported`` finding at the rule's line."""


@dataclass
class _Parsed:
    conditions: list[cond.Condition] = field(default_factory=list)
    action: Action = Action.NONE
    target: str | None = None
    problem: str | None = None


#: Option -> (handler, its leading arguments); every handler takes ``negate`` last.
_OPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "-s": ("_address", ("src",)),
    "--source": ("_address", ("src",)),
    "-d": ("_address", ("dst",)),
    "--destination": ("_address", ("dst",)),
    "-p": ("_protocol", ()),
    "--protocol": ("_protocol", ()),
    "-i": ("_interface", ()),
    "--in-interface": ("_interface", ()),
    "-o": ("_interface", ()),
    "--out-interface": ("_interface", ()),
    "-m": ("_module", ()),
    "--match": ("_module", ()),
    "--sport": ("_ports", ("sport",)),
    "--source-port": ("_ports", ("sport",)),
    "--dport": ("_ports", ("dport",)),
    "--destination-port": ("_ports", ("dport",)),
    "--sports": ("_ports", ("sport",)),
    "--source-ports": ("_ports", ("sport",)),
    "--dports": ("_ports", ("dport",)),
    "--destination-ports": ("_ports", ("dport",)),
    "--ports": ("_either_port", ()),
    "--syn": ("_syn", ()),
    "--tcp-flags": ("_tcp_flags", ()),
    "--state": ("_state", ()),
    "--ctstate": ("_state", ()),
    "--src-range": ("_range", ("src",)),
    "--dst-range": ("_range", ("dst",)),
    "--comment": ("_skip_value", ()),
    "--limit": ("_skip_value", ()),
    "--limit-burst": ("_skip_value", ()),
    "--icmp-type": ("_skip_value", ()),
    "--icmpv6-type": ("_skip_value", ()),
    "-j": ("_jump", ()),
    "--jump": ("_jump", ()),
    "-g": ("_goto", ()),
    "--goto": ("_goto", ()),
}


class _RuleParser:
    """Reads the words after ``-A CHAIN``: matches, modules and their options, then the target."""

    def __init__(self, tokens: list[str], table: str, families: frozenset[int]):
        self.tokens = tokens
        self.pos = 0
        self.table = table
        self.space = family_space(next(iter(families)))
        self.out = _Parsed()
        self.module = ""

    def parse(self) -> _Parsed:
        try:
            while self.pos < len(self.tokens):
                negate = self.tokens[self.pos] == "!"
                if negate:
                    self.pos += 1
                option = self._take()
                if option not in _OPTIONS:
                    raise _Unsupported(f"option {option!r} is not understood")
                method, arguments = _OPTIONS[option]
                getattr(self, method)(*arguments, negate)
        except _Unsupported as exc:
            self.out.problem = str(exc)
        return self.out

    def _take(self) -> str:
        if self.pos >= len(self.tokens):
            raise _Unsupported(f"option {self.tokens[self.pos - 1]!r} lacks its value")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _skip_value(self, negate: bool) -> None:
        self._take()

    def _syn(self, negate: bool) -> None:
        self._flags(["SYN", "RST", "ACK", "FIN"], ["SYN"], negate)

    def _tcp_flags(self, negate: bool) -> None:
        mask, wanted = self._take().split(","), self._take().split(",")
        self._flags(mask, wanted, negate)

    def _add(self, condition: cond.Condition) -> None:
        self.out.conditions.append(condition)

    def _address(self, dim: str, negate: bool) -> None:
        values: list[tuple[int, int]] = []
        for text in self._take().split(","):
            try:
                lo, hi = network_interval(text)
            except ValueError:
                raise _Unsupported(f"{text!r} is not an address or network") from None
            values.append((lo, hi))
        self._add(cond.on(dim, self._checked(normalise(values)), negate=negate, within=self.space))

    def _checked(self, values: Intervals) -> Intervals:
        if subtract(values, self.space):
            raise _Unsupported("the address belongs to the other IP family than the file's")
        return values

    def _range(self, dim: str, negate: bool) -> None:
        first, _, last = self._take().partition("-")
        try:
            values = span(*address_interval(first, last or first))
        except ValueError as exc:
            raise _Unsupported(str(exc)) from None
        self._add(cond.on(dim, self._checked(values), negate=negate, within=self.space))

    def _protocol(self, negate: bool) -> None:
        name = self._take().lower()
        if name in ("all", "0"):
            values = ALL_PROTOCOLS
        elif name.isdigit():
            values = span(int(name), int(name))
        elif name in PROTOCOL_NUMBERS:
            values = span(PROTOCOL_NUMBERS[name], PROTOCOL_NUMBERS[name])
        else:
            raise _Unsupported(f"unknown protocol {name!r}")
        self._add(cond.on("protocol", values, negate=negate))

    def _interface(self, negate: bool) -> None:
        self._add(cond.truth(cond.interface_matches(self._take()) != negate))

    def _module(self, negate: bool) -> None:
        self.module = self._take()
        if self.module not in _MODULES:
            raise _Unsupported(f"match module {self.module!r} is not modelled")

    def _ports(self, dim: str, negate: bool) -> None:
        text = self._take()
        try:
            values = normalise(parse_port_range(part, separator=":") for part in text.split(","))
        except ValueError as exc:
            raise _Unsupported(str(exc)) from None
        self._add(cond.on(dim, values, negate=negate))

    def _either_port(self, negate: bool) -> None:
        text = self._take()
        try:
            values = normalise(parse_port_range(part, separator=":") for part in text.split(","))
        except ValueError as exc:
            raise _Unsupported(str(exc)) from None
        if negate:
            self._add(
                cond.all_of(
                    [cond.on("sport", values, negate=True), cond.on("dport", values, negate=True)]
                )
            )
        else:
            self._add([*cond.on("sport", values), *cond.on("dport", values)])

    def _flags(self, mask: list[str], wanted: list[str], negate: bool) -> None:
        self._add(cond.truth(cond.flags_match(mask, wanted) != negate))

    def _state(self, negate: bool) -> None:
        states = self._take().split(",")
        if any(state.upper() == "UNTRACKED" for state in states) and not negate:
            raise _Unsupported("untracked packets are not modelled")
        self._add(cond.truth(cond.state_matches_new(states) != negate))

    def _jump(self, negate: bool) -> None:
        target = self._take()
        rest = self.tokens[self.pos :]
        self.pos = len(self.tokens)
        if target in _VERDICTS:
            self.out.action = _VERDICTS[target]
        elif target in _UNMODELLED or (target == "CT" and "--notrack" in rest):
            raise _Unsupported(
                f"target {target}: {_UNMODELLED.get(target, _UNMODELLED['NOTRACK'])}"
            )
        elif target in _CONTINUING or target == "CT":
            self.out.action = Action.NONE
        else:
            self.out.action, self.out.target = Action.JUMP, target

    def _goto(self, negate: bool) -> None:
        self.out.action, self.out.target = Action.GOTO, self._take()


class IptablesSaveReader:
    name = RulesetType.IPTABLES_SAVE.value
    description = "iptables-save or ip6tables-save output (one family per file)"

    def read(self, text: str, *, name: str) -> Ruleset:
        return parse_iptables_save(text, name=name)

"""``iptables-save`` / ``ip6tables-save`` output compiled into the ruleset model.

Tables and chains keep their kernel order: on the way in a packet meets raw and mangle
PREROUTING, mangle INPUT, filter INPUT and security INPUT; across the box, the FORWARD chains
instead. The nat table filters nothing, but DNAT and REDIRECT change where a packet goes, which
the checker does not model, so they are reported as unsupported.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from portmatrix.check.readers import _conditions as cond
from portmatrix.check.readers._ports import parse_port_range
from portmatrix.check.ruleset import Action, Origin, Path, Rule, Ruleset, RulesetType, Stage
from portmatrix.errors import RulesetError
from portmatrix.traffic import (
    ALL_ADDRESSES,
    ALL_PORTS,
    ALL_PROTOCOLS,
    PROTOCOL_NUMBERS,
    V4,
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


#: The chains each table has without being declared; their policy is ACCEPT until set.
_BUILTIN_CHAINS = {
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
_PORT_PROTOCOLS = frozenset({"tcp", "udp", "sctp", "dccp", "udplite"})
_PORT_MODULES = _PORT_PROTOCOLS | {"multiport"}
_MAX_QUOTE = 60

#: The common rule shape the reader takes in one step (see ``_Reader._shortcut``).
_SHORTCUT = re.compile(
    r"-A (?P<chain>[A-Za-z0-9_][^\s\"'\\]*)"
    r"(?: -s (?P<src>[0-9./]+))?"
    r"(?: -d (?P<dst>[0-9./]+))?"
    r"(?: -p (?P<proto>tcp|udp)(?: -m (?P=proto))?"
    r"(?: --sport (?P<sport>[0-9:]+))?"
    r"(?: --dport (?P<dport>[0-9:]+))?)?"
    r" -j (?P<target>[A-Za-z0-9_][^\s\"'\\]*)"
)
_SHORTCUT_PROTOCOLS = {
    "tcp": (PROTOCOL_NUMBERS["tcp"],) * 2,
    "udp": (PROTOCOL_NUMBERS["udp"],) * 2,
}


def _shortcut_addresses(text: str | None) -> Intervals:
    """One IPv4 address or network of the shortcut; ValueError sends the line to the parser."""
    if text is None:
        return ALL_ADDRESSES
    return (network_interval(text),)  # the pattern lets through IPv4 text only


def _shortcut_ports(text: str | None) -> Intervals:
    return ALL_PORTS if text is None else (parse_port_range(text, separator=":"),)


def parse_iptables_save(text: str, *, name: str) -> Ruleset:
    """Compile the text of ``iptables-save`` (or ``ip6tables-save``) output.

    What ``iptables-restore`` accepts is read too: built-in chains used without a ``:CHAIN``
    line, ``-N``, ``-P``, ``-A``/``--append`` and ``-I``/``--insert`` with a position.
    """
    return _parse(text, name=name, fast=True)


def _parse(text: str, *, name: str, fast: bool) -> Ruleset:
    """The reader itself; ``fast`` off leaves every line to the general parser (for the tests
    that hold the shortcut equal to it)."""
    ruleset = Ruleset(name, RulesetType.IPTABLES_SAVE, families=frozenset({_family(text)}))
    reader = _Reader(ruleset, name, fast=fast and ruleset.families == {4})
    for number, raw in enumerate(text.splitlines(), start=1):
        reader.line(number, raw.strip())
    if reader.table is not None:
        raise RulesetError(
            f"table {reader.table!r} has no COMMIT", file=name, line=reader.table_line
        )
    if not reader.seen_table:
        raise RulesetError("no table found; is this iptables-save output?", file=name, line=1)
    for key, slots in reader.slots.items():
        ruleset.chains[key].rules = [rule for rule in slots if rule is not None]
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


def _quote(text: str) -> str:
    return repr(text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…")


@dataclass
class _Reader:
    ruleset: Ruleset
    name: str
    table: str | None = None
    table_line: int = 0
    seen_table: bool = False
    chains: set[str] = field(default_factory=set)
    declared: dict[str, int] = field(default_factory=dict)  # chain -> its line, in this table
    #: Per chain, one slot per kernel rule (None: left out as unsupported), so ``-I N`` lands
    #: where the kernel puts it.
    slots: dict[str, list[Rule | None]] = field(default_factory=dict)
    fast: bool = False  # try the shortcut for the common rule shape first (IPv4 files)

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
                number, f"{_quote(text.split()[0])} outside a table (expected '*filter' first)"
            )
        elif text.startswith(":"):
            self._declare(number, text)
        elif text.startswith(("-", "[")):
            self._command(number, text)
        else:
            raise self.fail(
                number, f"cannot read {_quote(text)}; expected ':CHAIN', '-A CHAIN' or COMMIT"
            )

    def _open_table(self, number: int, table: str) -> None:
        if self.table is not None:
            raise self.fail(
                number, f"table {table!r} starts before table {self.table!r} has its COMMIT"
            )
        if table not in _BUILTIN_CHAINS:
            raise self.fail(
                number,
                f"unknown table {_quote(table)} (known: {', '.join(_BUILTIN_CHAINS)})",
            )
        self.table, self.table_line, self.seen_table = table, number, True
        self.declared = {}

    def _key(self, chain: str) -> str:
        assert self.table is not None
        return chain_key(self.table, chain)

    def _declare(self, number: int, text: str) -> None:
        parts = text[1:].split()
        if len(parts) < 2:
            raise self.fail(number, "a chain line needs a name and a policy: ':INPUT DROP [0:0]'")
        name, policy = parts[0], parts[1]
        first = self.declared.get(name)
        if first is not None:
            raise self.fail(number, f"chain {name} is declared twice (first at line {first})")
        self.declared[name] = number
        key = self._new_chain(name)
        if policy.upper() in ("ACCEPT", "DROP"):
            if not self._builtin(name):
                raise self.fail(number, f"only built-in chains have a policy, not {name}")
            self.ruleset.chains[key].set_policy(policy.upper() == "ACCEPT", line=number, text=text)
        elif policy != "-":
            raise self.fail(number, f"unknown policy {_quote(policy)} for chain {name}")

    def _builtin(self, name: str) -> bool:
        assert self.table is not None
        return name in _BUILTIN_CHAINS[self.table]

    def _new_chain(self, name: str) -> str:
        key = self._key(name)
        self.ruleset.chain(key)
        self.chains.add(key)
        self.slots.setdefault(key, [])
        return key

    def _chain(self, number: int, name: str | None) -> str:
        """The chain a command names; a built-in chain exists without a ``:CHAIN`` line."""
        if name is None:
            raise self.fail(number, "the command lacks its chain name")
        key = self._key(name)
        if key in self.chains:
            return key
        if not self._builtin(name):
            raise self.fail(number, f"rule for undeclared chain {_quote(name)}")
        key = self._new_chain(name)
        self.ruleset.chains[key].set_policy(
            True, line=None, text=f"built-in chain {name} without a policy line (ACCEPT)"
        )
        return key

    def _command(self, number: int, text: str) -> None:
        if text.startswith("["):  # counters from `iptables-save -c`
            text = text.split("]", 1)[1].strip() if "]" in text else ""
        if self.fast and self._shortcut(number, text):
            return
        try:
            tokens = (
                shlex.split(text) if '"' in text or "'" in text or "\\" in text else text.split()
            )
        except ValueError as exc:
            raise self.fail(number, f"cannot split the rule into words: {exc}") from exc
        command = tokens[0] if tokens else ""
        chain = tokens[1] if len(tokens) > 1 else None
        if command in ("-A", "--append"):
            key = self._chain(number, chain)
            self._rule(number, text, key, tokens[2:], len(self.slots[key]))
        elif command in ("-I", "--insert"):
            key = self._chain(number, chain)
            rest, position = tokens[2:], 1
            if rest and rest[0].isascii() and rest[0].isdigit() and len(rest[0]) <= 9:
                position, rest = int(rest[0]), rest[1:]
            if not 1 <= position <= len(self.slots[key]) + 1:
                raise self.fail(
                    number,
                    f"cannot insert at position {position}: chain {chain} has "
                    f"{len(self.slots[key])} rules",
                )
            self._rule(number, text, key, rest, position - 1)
        elif command in ("-N", "--new-chain"):
            if chain is None or len(tokens) != 2:
                raise self.fail(number, "-N takes one chain name")
            if self._key(chain) in self.chains:
                raise self.fail(number, f"chain {chain} already exists")
            self.declared[chain] = number
            self._new_chain(chain)
        elif command in ("-P", "--policy"):
            self._policy(number, text, tokens)
        else:
            raise self.fail(
                number,
                f"command {_quote(command)} is not read here; give iptables-save output "
                "(':CHAIN POLICY', '-A', '-I', '-N', '-P' and COMMIT)",
            )

    def _policy(self, number: int, text: str, tokens: list[str]) -> None:
        if len(tokens) != 3 or tokens[2].upper() not in ("ACCEPT", "DROP"):
            raise self.fail(number, "-P takes a built-in chain and ACCEPT or DROP")
        if not self._builtin(tokens[1]):
            raise self.fail(number, f"only built-in chains have a policy, not {tokens[1]}")
        key = self._chain(number, tokens[1])
        self.ruleset.chains[key].set_policy(tokens[2].upper() == "ACCEPT", line=number, text=text)

    def _shortcut(self, number: int, text: str) -> bool:
        """Reads the line if it has the shape most rules have, else leaves it (False).

        ``-A CHAIN [-s NET] [-d NET] [-p tcp|udp [-m tcp|udp] [--sport P] [--dport P]] -j T``
        with IPv4 networks and numeric ports is what iptables-save prints for nearly every
        rule; reading it with one regular expression is several times quicker than the option
        loop. Anything else, or anything in it that does not read (a bad address, an empty
        range, a target that is not a verdict or a chain), goes to the general parser, which
        gives the error or the unsupported finding; a property test holds the two equal.
        """
        found = _SHORTCUT.fullmatch(text)
        if found is None:
            return False
        target = found["target"]
        if target in _CONTINUING or target in _UNMODELLED or target == "CT":
            return False
        try:
            box = (
                _shortcut_addresses(found["src"]),
                _shortcut_addresses(found["dst"]),
                span(*_SHORTCUT_PROTOCOLS[found["proto"]]) if found["proto"] else ALL_PROTOCOLS,
                _shortcut_ports(found["sport"]),
                _shortcut_ports(found["dport"]),
            )
        except ValueError:
            return False
        key = self._chain(number, found["chain"])
        parsed = _Parsed([[box]], _VERDICTS.get(target, Action.JUMP))
        if parsed.action is Action.JUMP:
            parsed.target = target
        self._place(number, text, key, parsed, len(self.slots[key]))
        return True

    def _rule(self, number: int, text: str, key: str, words: list[str], at: int) -> None:
        try:
            parsed = _RuleParser(words, self.ruleset.families).parse()
        except _Invalid as exc:
            raise self.fail(number, str(exc)) from None
        self._place(number, text, key, parsed, at)

    def _place(self, number: int, text: str, key: str, parsed: _Parsed, at: int) -> None:
        assert self.table is not None
        rule: Rule | None = None
        if parsed.problem is not None:
            self.ruleset.unsupported_at(number, text, parsed.problem)
        elif parsed.action in (Action.JUMP, Action.GOTO) and (
            self._key(parsed.target or "") not in self.chains
        ):
            self.ruleset.unsupported_at(
                number, text, f"unknown target {_quote(parsed.target or '')}"
            )
        else:
            target = self._key(parsed.target) if parsed.target is not None else None
            origin = Origin(number, text, key)
            rule = Rule(origin, tuple(cond.all_of(parsed.conditions)), parsed.action, target)
        self.slots[key].insert(at, rule)


class _Unsupported(Exception):
    """Raised inside the rule parser; becomes an ``unsupported`` finding at the rule's line."""


class _Invalid(Exception):
    """Raised inside the rule parser for what iptables itself would refuse: an error at the line."""


@dataclass
class _Parsed:
    conditions: list[cond.Condition] = field(default_factory=list)
    action: Action = Action.NONE
    target: str | None = None
    problem: str | None = None


class _RuleParser:
    """Reads the words after ``-A CHAIN``: matches, modules and their options, then the target."""

    def __init__(self, tokens: list[str], families: frozenset[int]):
        self.tokens = tokens
        self.pos = 0
        self.space = family_space(next(iter(families)))
        self.out = _Parsed()
        self.protocol: str | None = None  # what -p named, for the matches that need it
        self.modules: set[str] = set()

    def parse(self) -> _Parsed:
        try:
            while self.pos < len(self.tokens):
                negate = self.tokens[self.pos] == "!"
                if negate:
                    self.pos += 1
                option = self._take("!")
                handler = _OPTIONS.get(option)
                if handler is None:
                    if not option.startswith("-"):
                        raise _Invalid(f"{_quote(option)} is not an option")
                    raise _Unsupported(f"option {_quote(option)} is not understood")
                handler(self, negate)
        except _Unsupported as exc:
            self.out.problem = str(exc)
        return self.out

    def _take(self, option: str) -> str:
        if self.pos >= len(self.tokens):
            raise _Invalid(f"option {_quote(option)} lacks its value")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def value(self, option: str) -> str:
        return self._take(self.tokens[self.pos - 1] if self.pos else option)

    def skip_value(self, negate: bool) -> None:
        self.value("")

    def _add(self, condition: cond.Condition) -> None:
        self.out.conditions.append(condition)

    def _need_protocol(self, option: str, allowed: frozenset[str]) -> None:
        if self.protocol not in allowed:
            wanted = " or ".join(f"-p {name}" for name in sorted(allowed))
            given = f"-p {self.protocol}" if self.protocol else "no -p"
            raise _Invalid(f"{option} needs {wanted} before it, but the rule has {given}")

    def address(self, dim: str, negate: bool) -> None:
        values: list[tuple[int, int]] = []
        for text in self.value("-s").split(","):
            try:
                lo, hi = network_interval(text)
            except ValueError:
                raise _Invalid(f"{_quote(text)} is not an address or network") from None
            values.append((lo, hi))
        self._add(cond.on(dim, self._checked(normalise(values)), negate=negate, within=self.space))

    def _checked(self, values: Intervals) -> Intervals:
        if subtract(values, self.space):
            family = "IPv4" if self.space == V4 else "IPv6"
            raise _Invalid(f"an address of the other family in a file of {family} rules")
        return values

    def address_range(self, dim: str, negate: bool) -> None:
        first, _, last = self.value("--src-range").partition("-")
        try:
            values = span(*address_interval(first, last or first))
        except ValueError as exc:
            raise _Invalid(str(exc)) from None
        self._add(cond.on(dim, self._checked(values), negate=negate, within=self.space))

    def protocol_match(self, negate: bool) -> None:
        name = self.value("-p").lower()
        if name in ("all", "0"):
            values = ALL_PROTOCOLS
        elif name.isascii() and name.isdigit():
            if len(name) > 3 or int(name) > 255:
                raise _Invalid(f"protocol {name[:20]} is outside 0-255")
            values = span(int(name), int(name))
        elif name in PROTOCOL_NUMBERS:
            values = span(PROTOCOL_NUMBERS[name], PROTOCOL_NUMBERS[name])
        else:
            raise _Unsupported(f"unknown protocol {_quote(name)}")
        if not negate:
            self.protocol = next(
                (
                    known
                    for known, number in PROTOCOL_NUMBERS.items()
                    if span(number, number) == values
                ),
                name,
            )
        self._add(cond.on("protocol", values, negate=negate))

    def interface(self, negate: bool) -> None:
        self._add(cond.truth(cond.interface_matches(self.value("-i")) != negate))

    def out_interface(self, negate: bool) -> None:
        self._add(cond.truth(cond.interface_matches(self.value("-o"), incoming=False) != negate))

    def module(self, negate: bool) -> None:
        module = self.value("-m")
        if module in _PORT_PROTOCOLS:
            self._need_protocol(f"-m {module}", frozenset({module}))
        elif module == "multiport":
            self._need_protocol("-m multiport", _PORT_PROTOCOLS)
        if module not in _MODULES:
            raise _Unsupported(f"match module {_quote(module)} is not modelled")
        self.modules.add(module)

    def _port_values(self, option: str) -> Intervals:
        self._need_protocol(option, _PORT_PROTOCOLS)
        text = self.value(option)
        try:
            return normalise(parse_port_range(part, separator=":") for part in text.split(","))
        except ValueError as exc:
            raise _Invalid(f"{option} {_quote(text)}: {exc}") from None

    def ports(self, dim: str, option: str, negate: bool) -> None:
        self._add(cond.on(dim, self._port_values(option), negate=negate))

    def either_port(self, negate: bool) -> None:
        values = self._port_values("--ports")
        if negate:
            self._add(
                cond.all_of(
                    [cond.on("sport", values, negate=True), cond.on("dport", values, negate=True)]
                )
            )
        else:
            self._add([*cond.on("sport", values), *cond.on("dport", values)])

    def syn(self, negate: bool) -> None:
        self._need_protocol("--syn", frozenset({"tcp"}))
        self._flags(["SYN", "RST", "ACK", "FIN"], ["SYN"], negate)

    def tcp_flags(self, negate: bool) -> None:
        self._need_protocol("--tcp-flags", frozenset({"tcp"}))
        mask, wanted = self.value("--tcp-flags").split(","), self.value("--tcp-flags").split(",")
        unknown = {flag.lower() for flag in (*mask, *wanted)} - cond.TCP_FLAGS - {"all", "none"}
        if unknown:
            raise _Invalid(f"unknown TCP flag {_quote(sorted(unknown)[0])}")
        self._flags(mask, wanted, negate)

    def _flags(self, mask: list[str], wanted: list[str], negate: bool) -> None:
        self._add(cond.truth(cond.flags_match(mask, wanted) != negate))

    def state(self, negate: bool) -> None:
        states = self.value("--state").split(",")
        known = {"NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED", "SNAT", "DNAT"}
        unknown = [state for state in states if state.upper() not in known]
        if unknown:
            raise _Invalid(f"unknown connection state {_quote(unknown[0])}")
        if any(state.upper() == "UNTRACKED" for state in states) and not negate:
            raise _Unsupported("untracked packets are not modelled")
        self._add(cond.truth(cond.state_matches_new(states) != negate))

    def jump(self, negate: bool) -> None:
        target = self.value("-j")
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

    def family_only(self, family: int, negate: bool) -> None:
        """``-4``/``-6``: iptables-restore loads the rule only into its own family's table."""
        self._add(cond.truth((self.space == family_space(family)) != negate))

    def goto(self, negate: bool) -> None:
        self.out.action, self.out.target = Action.GOTO, self.value("-g")


Handler = Callable[[_RuleParser, bool], None]


def _on(method: Callable[..., None], *arguments: str) -> Handler:
    """A handler that calls ``method`` with its leading arguments and ``negate``."""
    return lambda parser, negate: method(parser, *arguments, negate)


_OPTIONS: dict[str, Handler] = {
    "-s": _on(_RuleParser.address, "src"),
    "--source": _on(_RuleParser.address, "src"),
    "-d": _on(_RuleParser.address, "dst"),
    "--destination": _on(_RuleParser.address, "dst"),
    "-p": _RuleParser.protocol_match,
    "--protocol": _RuleParser.protocol_match,
    "-i": _RuleParser.interface,
    "--in-interface": _RuleParser.interface,
    "-o": _RuleParser.out_interface,
    "--out-interface": _RuleParser.out_interface,
    "-m": _RuleParser.module,
    "--match": _RuleParser.module,
    "--sport": _on(_RuleParser.ports, "sport", "--sport"),
    "--source-port": _on(_RuleParser.ports, "sport", "--source-port"),
    "--dport": _on(_RuleParser.ports, "dport", "--dport"),
    "--destination-port": _on(_RuleParser.ports, "dport", "--destination-port"),
    "--sports": _on(_RuleParser.ports, "sport", "--sports"),
    "--source-ports": _on(_RuleParser.ports, "sport", "--source-ports"),
    "--dports": _on(_RuleParser.ports, "dport", "--dports"),
    "--destination-ports": _on(_RuleParser.ports, "dport", "--destination-ports"),
    "--ports": _RuleParser.either_port,
    "--syn": _RuleParser.syn,
    "--tcp-flags": _RuleParser.tcp_flags,
    "--state": _RuleParser.state,
    "--ctstate": _RuleParser.state,
    "--src-range": _on(_RuleParser.address_range, "src"),
    "--dst-range": _on(_RuleParser.address_range, "dst"),
    "--comment": _RuleParser.skip_value,
    "--limit": _RuleParser.skip_value,
    "--limit-burst": _RuleParser.skip_value,
    "--icmp-type": _RuleParser.skip_value,
    "--icmpv6-type": _RuleParser.skip_value,
    "-4": lambda parser, negate: parser.family_only(4, negate),
    "--ipv4": lambda parser, negate: parser.family_only(4, negate),
    "-6": lambda parser, negate: parser.family_only(6, negate),
    "--ipv6": lambda parser, negate: parser.family_only(6, negate),
    "-j": _RuleParser.jump,
    "--jump": _RuleParser.jump,
    "-g": _RuleParser.goto,
    "--goto": _RuleParser.goto,
}


class IptablesSaveReader:
    name = RulesetType.IPTABLES_SAVE.value
    description = "iptables-save or ip6tables-save output (one family per file)"

    def read(self, text: str, *, name: str) -> Ruleset:
        return parse_iptables_save(text, name=name)

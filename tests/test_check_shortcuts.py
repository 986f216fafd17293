"""The readers' shortcuts for the common rule shapes read exactly what the general parsers read.

Each reader takes the line shapes most rulesets are made of in one step and leaves everything
else to its general parser. Here rule lines are built from a grammar of those shapes, with
every part also drawn wrong now and then (addresses of the other family or out of range, empty
port ranges, protocols that do not match their module, targets that are not verdicts), and each
file is read both ways: the same rules, findings and errors must come out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portmatrix.check.readers import asa, ios, iptables_save, nft_json
from portmatrix.check.readers._nft_shortcut import read_simple_rule
from portmatrix.check.ruleset import Ruleset
from portmatrix.errors import RulesetError

SHORTCUTS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_ADDRESSES = [
    "10.0.0.1",
    "10.0.0.1/32",
    "10.1.0.0/16",
    "10.0.0.5/24",
    "0.0.0.0/0",
    "192.168.1.0/25",
]
_ODD_ADDRESSES = ["1.2.3", "10.0.0.1/33", "300.1.1.1", "01.2.3.4", "10.0.0.0/8,10.1.0.0/16"]
_ODD_ADDRESSES += ["2001:db8::1", "10.0.0.1/", "10.0.0.1/08"]
_PORTS = ["80", "80:90", ":1024", "1024:", "0", "65535", "1:65535"]
_ODD_PORTS = ["90:80", "65536", "70000", "ssh", "1,2", "8o"]
_TARGETS = ["ACCEPT", "DROP", "REJECT", "RETURN", "custom"]
_ODD_TARGETS = ["LOG", "DNAT", "CT", "nowhere", "accept", "MARK", "-s"]


def _pick(draw: st.DrawFn, usual: list[str], odd: list[str]) -> str:
    """Mostly a usual value, now and then an odd one: a file of many lines still often reads."""
    return draw(st.sampled_from(odd if draw(st.integers(0, 9)) == 0 else usual))


@st.composite
def _iptables_line(draw: st.DrawFn) -> str:
    chain = _pick(draw, ["INPUT", "FORWARD", "OUTPUT", "custom"], ["undeclared", "-s", "lo:x"])
    words = ["-A", chain]
    for option in ("-s", "-d"):
        if draw(st.booleans()):
            words += [option, _pick(draw, _ADDRESSES, _ODD_ADDRESSES)]
    protocol = draw(st.sampled_from([None, "tcp", "udp", "tcp", "udp", "icmp", "TCP"]))
    if protocol is not None:
        words += ["-p", protocol]
    module = draw(st.sampled_from([None, protocol, protocol, "tcp", "udp", "state"]))
    if module is not None:
        words += ["-m", module]
    for option in ("--sport", "--dport"):
        if draw(st.booleans()):
            words += [option, _pick(draw, _PORTS, _ODD_PORTS)]
    if draw(st.integers(0, 19)) == 0:
        words += [draw(st.sampled_from(["!", "-i", "--state", "NEW", "-m"]))]
    target = _pick(draw, _TARGETS, _ODD_TARGETS)
    words += ["-j", target]
    if draw(st.integers(0, 9)) == 0:
        words += ["--reject-with", "tcp-reset"]
    counters = draw(st.sampled_from(["", "", "[0:0] "]))
    return counters + " ".join(words)


def _iptables_file(lines: list[str]) -> str:
    head = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"]
    return "\n".join([*head, ":custom - [0:0]", *lines, "COMMIT", ""])


def _shape(ruleset: Ruleset) -> Any:
    """Everything the engine and the reports see of a ruleset, comparable by value."""
    chains = {
        name: (
            [(rule.origin, rule.match, rule.action, rule.target) for rule in chain.rules],
            None if chain.policy is None else (chain.policy.origin, chain.policy.action),
        )
        for name, chain in ruleset.chains.items()
    }
    return chains, ruleset.paths, ruleset.unsupported, ruleset.families, ruleset.acls


def _outcome(parse: Callable[..., Ruleset], text: str, *, fast: bool) -> Any:
    try:
        return "read", _shape(parse(text, name="f", fast=fast))
    except RulesetError as exc:
        return "error", str(exc)


def _assert_same(parse: Callable[..., Ruleset], text: str, what: object = None) -> None:
    assert _outcome(parse, text, fast=True) == _outcome(parse, text, fast=False), what


@SHORTCUTS
@given(st.lists(_iptables_line(), min_size=1, max_size=4))
def test_iptables_shortcut_reads_like_the_option_parser(lines: list[str]) -> None:
    text = _iptables_file(lines)
    _assert_same(iptables_save._parse, text)


def test_the_shortcut_takes_the_common_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property above compares something: the common lines do go through the shortcut."""
    text = _iptables_file(
        [
            "-A FORWARD -s 10.0.0.1/32 -d 10.1.0.0/16 -p tcp -m tcp --dport 80:90 -j ACCEPT",
            "-A FORWARD -d 10.1.0.0/16 -p udp -m udp --sport 53 -j custom",
            "-A FORWARD -m comment --comment x -j DROP",
        ]
    )
    shortcut = iptables_save._Reader._shortcut
    taken: list[str] = []

    def spy(reader: iptables_save._Reader, number: int, line: str) -> bool:
        done = shortcut(reader, number, line)
        taken.extend([line] if done else [])
        return done

    monkeypatch.setattr(iptables_save._Reader, "_shortcut", spy)
    iptables_save._parse(text, name="f.rules", fast=True)
    assert [line.split()[-1] for line in taken] == ["ACCEPT", "custom"]


_NFT_ADDRESSES: list[Any] = [
    "10.0.0.1",
    {"prefix": {"addr": "10.1.0.0", "len": 16}},
    {"prefix": {"addr": "10.0.0.5", "len": 24}},
    "10.2.0.0/24",
]
_ODD_NFT_ADDRESSES: list[Any] = [
    "2001:db8::1",
    "@blocked",
    "10.0.0.300",
    {"prefix": {"addr": "10.1.0.0", "len": 40}},
    {"prefix": {"addr": "10.1.0.0"}},
    {"range": ["10.0.0.1", "10.0.0.9"]},
    {"set": ["10.0.0.1", "10.0.0.2"]},
    7,
]
_NFT_PORTS: list[Any] = [80, 0, 65535, {"range": [1000, 2000]}, {"range": [1, 65535]}]
_ODD_NFT_PORTS: list[Any] = [70000, -1, True, "80", "ssh", {"range": [2000, 1000]}, {"set": [1, 2]}]
_NFT_KEYS = [("ip", "saddr"), ("ip", "daddr"), ("tcp", "dport"), ("udp", "dport"), ("tcp", "sport")]
_ODD_NFT_KEYS = [("ip6", "saddr"), ("th", "dport"), ("sctp", "dport"), ("ip", "protocol")]


def _pick_any(draw: st.DrawFn, usual: list[Any], odd: list[Any]) -> Any:
    """One nft rule errs alone (no rule stops the file), so odd values may come more often."""
    return draw(st.sampled_from(odd if draw(st.integers(0, 4)) == 0 else usual))


@st.composite
def _nft_statement(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 7)) == 0:
        return draw(
            st.sampled_from(
                [{"counter": None}, {"counter": {"packets": 0, "bytes": 0}}, {"log": None}]
            )
        )
    protocol, field = _pick_any(draw, _NFT_KEYS, _ODD_NFT_KEYS)
    address = field in ("saddr", "daddr")
    right = _pick_any(
        draw,
        _NFT_ADDRESSES if address else _NFT_PORTS,
        _ODD_NFT_ADDRESSES if address else _ODD_NFT_PORTS,
    )
    op = draw(st.sampled_from(["==", "==", "==", "!=", "in"]))
    return {
        "match": {
            "op": op,
            "left": {"payload": {"protocol": protocol, "field": field}},
            "right": right,
        }
    }


_VERDICTS: list[Any] = [{"accept": None}, {"drop": None}]
_ODD_VERDICTS: list[Any] = [
    {"jump": {"target": "other"}},
    {"accept": {}},
    {"return": None},
    {"dnat": {}},
]


@st.composite
def _nft_rule(draw: st.DrawFn) -> Any:
    statements = draw(st.lists(_nft_statement(), max_size=4))
    statements.append(_pick_any(draw, _VERDICTS, _ODD_VERDICTS))
    body: dict[str, Any] = {"family": "inet", "table": "fw", "chain": "forward", "expr": statements}
    body["chain"] = _pick_any(draw, ["forward", "other"], ["missing"])
    if draw(st.integers(0, 9)) == 0:
        body["comment"] = "from the matrix"
    return {"rule": body}


def _nft_file(rules: list[Any]) -> str:
    chains = [
        {"table": {"family": "inet", "name": "fw", "handle": 1}},
        {
            "chain": {
                "family": "inet",
                "table": "fw",
                "name": "forward",
                "handle": 1,
                "type": "filter",
                "hook": "forward",
                "prio": 0,
                "policy": "drop",
            }
        },
        {"chain": {"family": "inet", "table": "fw", "name": "other", "handle": 2}},
    ]
    for handle, rule in enumerate(rules, start=3):
        rule["rule"]["handle"] = handle
    return json.dumps({"nftables": [*chains, *rules]}, indent=draw_indent(rules))


def draw_indent(rules: list[Any]) -> int | None:
    """Pretty-printed when the rule count is even: rules then start on lines of their own."""
    return 2 if len(rules) % 2 == 0 else None


@SHORTCUTS
@given(st.lists(_nft_rule(), min_size=1, max_size=4))
def test_nft_shortcut_reads_like_the_expression_compiler(rules: list[Any]) -> None:
    text = _nft_file(rules)
    _assert_same(nft_json._parse, text)


def test_the_nft_shortcut_takes_the_common_rules() -> None:
    simple = {
        "expr": [
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": "ip", "field": "daddr"}},
                    "right": "10.0.0.1",
                }
            },
            {
                "match": {
                    "op": "==",
                    "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                    "right": {"range": [80, 90]},
                }
            },
            {"counter": {"packets": 0, "bytes": 0}},
            {"accept": None},
        ]
    }
    found = read_simple_rule(simple)
    assert found is not None and found[0] == "ip daddr 10.0.0.1 tcp dport 80-90 counter accept"
    assert read_simple_rule({"expr": [{"jump": {"target": "x"}}]}) is None


def test_nft_shortcut_on_every_single_match() -> None:
    """Every key, value and operator above, alone in a rule: rare values need not wait for luck."""
    keys = [*_NFT_KEYS, *_ODD_NFT_KEYS]
    values = [*_NFT_ADDRESSES, *_ODD_NFT_ADDRESSES, *_NFT_PORTS, *_ODD_NFT_PORTS]
    for protocol, field in keys:
        for right in values:
            for op in ("==", "!="):
                left = {"payload": {"protocol": protocol, "field": field}}
                match = {"match": {"op": op, "left": left, "right": right}}
                rule = {"family": "inet", "table": "fw", "chain": "forward"}
                text = _nft_file([{"rule": {**rule, "expr": [match, {"accept": None}]}}])
                _assert_same(nft_json._parse, text, (protocol, field, right, op))


def test_iptables_shortcut_on_every_single_option() -> None:
    """Every address, port and target above, alone in a rule."""
    lines = [
        f"-A INPUT {option} {value} -j ACCEPT"
        for option in ("-s", "-d")
        for value in [*_ADDRESSES, *_ODD_ADDRESSES]
    ]
    lines += [
        f"-A INPUT -p tcp -m tcp {option} {value} -j ACCEPT"
        for option in ("--sport", "--dport")
        for value in [*_PORTS, *_ODD_PORTS]
    ]
    lines += [f"-A INPUT -p udp -j {target}" for target in [*_TARGETS, *_ODD_TARGETS]]
    for line in lines:
        text = _iptables_file([line])
        _assert_same(iptables_save._parse, text, line)


_ASA_ADDRESSES = ["any", "host 10.0.0.1", "10.1.0.0 255.255.0.0", "10.0.0.5 255.255.255.0"]
_ODD_ASA_ADDRESSES = ["host 10.0.0.300", "10.0.0.0 255.0.255.0", "10.0.0.0/8", "any4", "host"]
_ODD_ASA_ADDRESSES += ["object web", "10.0.0.0 host", "interface inside", "host 2001:db8::1"]
_ASA_PORTS = ["", "eq 80", "range 1000 2000", "eq 65535", "range 1 65535"]
_ODD_ASA_PORTS = ["eq 70000", "range 2000 1000", "eq www", "neq 80", "lt 1024", "eq", "eq 80 log"]
_ODD_ASA_PORTS += ["inactive", "log", "eq 80 443", "established"]


@st.composite
def _asa_line(draw: st.DrawFn) -> str:
    verdict = _pick(draw, ["permit", "deny"], ["allow"])
    protocol = _pick(draw, ["tcp", "udp", "ip"], ["icmp", "tcp-udp", "300", "6"])
    words = ["access-list", "FW", "extended", verdict, protocol]
    words.append(_pick(draw, _ASA_ADDRESSES, _ODD_ASA_ADDRESSES))
    if draw(st.integers(0, 9)) == 0:
        words.append("eq 53")
    words.append(_pick(draw, _ASA_ADDRESSES, _ODD_ASA_ADDRESSES))
    words.append(_pick(draw, _ASA_PORTS, _ODD_ASA_PORTS))
    return " ".join(word for word in words if word)


@SHORTCUTS
@given(st.lists(_asa_line(), min_size=1, max_size=4))
def test_asa_shortcut_reads_like_the_entry_grammar(lines: list[str]) -> None:
    text = "\n".join(["object network web", " host 10.9.0.1", *lines, "access-group FW global", ""])
    _assert_same(asa._parse, text)


def test_asa_shortcut_on_every_single_part() -> None:
    """Every address and port form above, alone in an entry."""
    lines = [
        f"access-list FW extended permit tcp {a} any"
        for a in [*_ASA_ADDRESSES, *_ODD_ASA_ADDRESSES]
    ]
    lines += [
        f"access-list FW extended deny udp any host 10.0.0.1 {p}"
        for p in [*_ASA_PORTS, *_ODD_ASA_PORTS]
    ]
    lines += [f"access-list FW extended permit ip any any {p}" for p in _ASA_PORTS]
    for line in lines:
        _assert_same(asa._parse, f"{line}\naccess-group FW global\n", line)


_IOS_ADDRESSES = ["any", "host 10.0.0.1", "10.1.0.0 0.0.255.255", "10.0.0.5 0.0.0.255"]
_ODD_IOS_ADDRESSES = ["10.0.0.0 0.255.0.255", "host 2001:db8::1", "object-group web", "host"]


def test_ios_shortcut_on_every_single_part() -> None:
    """Named, numbered and IPv6 lists: every address and port form alone in an entry."""
    addresses = [*_IOS_ADDRESSES, *_ODD_IOS_ADDRESSES, *_ODD_ASA_ADDRESSES]
    ports = [*_ASA_PORTS, *_ODD_ASA_PORTS]
    entries = [f"permit tcp {a} any" for a in addresses]
    entries += [f"deny udp any host 10.0.0.1 {p}" for p in ports]
    entries += [f"permit ip any any {p}" for p in _ASA_PORTS]
    binding = "interface Gi0/0\n ip access-group FW in\n ipv6 traffic-filter FW6 in\n"
    for entry in entries:
        for text in (
            f"ip access-list extended FW\n 10 {entry}\n{binding}",
            f"access-list 101 {entry}\n{binding.replace('FW', '101')}",
            f"ipv6 access-list FW6\n {entry.replace('10.0.0.1', '2001:db8::9')}\n{binding}",
        ):
            _assert_same(ios._parse, text, text)

"""The readers' shortcuts for the common rule shapes read exactly what the general parsers read.

Each reader takes the line shapes most rulesets are made of in one step and leaves everything
else to its general parser. Here rule lines are built from a grammar of those shapes, with
every part also drawn wrong now and then (addresses of the other family or out of range, empty
port ranges, protocols that do not match their module, targets that are not verdicts), and each
file is read both ways: the same rules, findings and errors must come out.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portmatrix.check.readers import iptables_save
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


def _outcome(read: Any) -> Any:
    try:
        return "read", _shape(read())
    except RulesetError as exc:
        return "error", str(exc)


@SHORTCUTS
@given(st.lists(_iptables_line(), min_size=1, max_size=4))
def test_iptables_shortcut_reads_like_the_option_parser(lines: list[str]) -> None:
    text = _iptables_file(lines)
    fast = _outcome(lambda: iptables_save._parse(text, name="f.rules", fast=True))
    general = _outcome(lambda: iptables_save._parse(text, name="f.rules", fast=False))
    assert fast == general


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

"""nftables JSON parsing and evaluation: hooks and priorities, sets, maps, jumps, positions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from portmatrix.check import RulesetType, load_ruleset, parse_ruleset
from portmatrix.check.engine.verdict import verdict
from portmatrix.check.readers._nft_text import format_rule
from portmatrix.check.ruleset import Path as Hook
from portmatrix.check.ruleset import Ruleset
from portmatrix.errors import RulesetError

DATA = Path(__file__).resolve().parent / "data" / "rulesets"


@pytest.fixture(scope="module")
def features() -> Ruleset:
    return load_ruleset(DATA / "features.nft.json", ruleset_type=RulesetType.NFT_JSON)


CASES = [
    # src, dst, protocol, dport, accepted, deciding handle (None: a policy)
    ("10.0.0.7", "10.5.0.1", "tcp", 22, True, 11),  # concatenated interval set, prefix element
    ("10.1.0.1", "10.5.0.1", "tcp", 1500, True, 11),  # concatenated set, range element
    ("10.1.0.2", "10.5.0.1", "tcp", 1500, False, 21),  # not in the set; the limit rule drops
    ("10.2.0.1", "10.5.0.1", "tcp", 80, True, 12),  # named verdict map: accept
    ("10.2.0.1", "10.5.0.1", "tcp", 81, False, 12),  # named verdict map: drop
    ("10.2.0.1", "10.5.0.1", "tcp", 82, True, 6),  # verdict map jumps into web, web accepts
    ("10.0.0.5", "10.5.0.1", "tcp", 82, False, 21),  # web returns it; evaluation goes on
    ("10.2.0.1", "10.5.0.1", "udp", 53, True, 14),  # meta l4proto set + th dport
    ("10.2.0.1", "10.5.0.1", "tcp", 443, True, 17),  # negated anonymous set, port set
    ("10.9.3.3", "10.5.0.1", "tcp", 443, False, 21),  # inside the negated prefix
    ("10.8.0.9", "10.5.0.1", "tcp", 8000, False, 21),  # inside the negated range
    ("10.2.0.1", "10.5.0.1", "tcp", 8080, False, 2),  # accepted at priority 0, dropped at 10
    ("10.2.0.1", "10.5.0.1", "tcp", 9, True, 19),  # tcp flags & (syn|ack) == syn holds for a SYN
    ("10.2.0.1", "10.5.0.1", "tcp", 8, False, 20),  # tcp dport < 10
    ("2001:db8::1", "2001:db8::2", "udp", 5000, False, None),  # goto web, falls off: policy drop
    ("2001:db8::1", "2001:db8::2", "tcp", 8080, False, 21),  # "ip saddr != ..." implies IPv4
    ("2001:db8::1", "2001:db8::2", "udp", 53, True, 14),  # the inet table sees IPv6 too
]


@pytest.mark.parametrize(("src", "dst", "protocol", "dport", "accepted", "handle"), CASES)
def test_first_match(
    features: Ruleset,
    src: str,
    dst: str,
    protocol: str,
    dport: int,
    accepted: bool,
    handle: int | None,
) -> None:
    decision = verdict(features, src=src, dst=dst, protocol=protocol, dport=dport)
    assert (decision.accepted, decision.rule.origin.handle) == (accepted, handle)


def test_base_chains_run_in_priority_order_across_tables(features: Ruleset) -> None:
    assert [stage.chain for stage in features.paths[Hook.INPUT]] == [
        "inet f input",
        "ip late input",
    ]
    assert [stage.families for stage in features.paths[Hook.INPUT]] == [
        frozenset({4, 6}),
        frozenset({4}),
    ]
    assert features.paths[Hook.FORWARD] == []
    forward = verdict(
        features, src="10.2.0.1", dst="10.5.0.1", protocol="tcp", dport=8080, path=Hook.FORWARD
    )
    assert forward.accepted and forward.rule.origin.what == "default"


def test_rules_print_back_in_nft_syntax(features: Ruleset) -> None:
    texts = {
        rule.origin.handle: rule.origin.text
        for chain in features.chains.values()
        for rule in chain.rules
    }
    assert texts[11] == "ip saddr . tcp dport @allowed accept"
    assert texts[17] == (
        'ip saddr != { 10.8.0.1-10.8.0.9, 10.9.0.0/16 } tcp dport { 443, 8000-8080 } counter accept comment "hello"'
    )
    assert texts[19] == "tcp flags & syn,ack == syn tcp dport 9 accept"


def _pretty_lines(text: str) -> dict[int, int]:
    """Rule handle -> the line its ``{"rule": ...}`` object starts on, found independently."""
    lines = text.splitlines()
    found = {}
    for number, line in enumerate(lines, start=1):
        if line.strip() == '"rule": {':
            for later in lines[number:]:
                if later.strip().startswith('"handle"'):
                    found[int(later.split(":")[1].strip(" ,"))] = number - 1
                    break
    return found


def test_positions_are_handles_and_the_lines_rule_objects_start_on(
    features: Ruleset, tmp_path: Path
) -> None:
    compact = {rule.origin.line for chain in features.chains.values() for rule in chain.rules}
    assert compact == {1}
    pretty = json.dumps(json.loads((DATA / "features.nft.json").read_text()), indent=2)
    ruleset = parse_ruleset(pretty, ruleset_type=RulesetType.NFT_JSON, name="pretty.json")
    expected = _pretty_lines(pretty)
    got = {
        rule.origin.handle: rule.origin.line
        for chain in ruleset.chains.values()
        for rule in chain.rules
    }
    assert got == expected and len(expected) == 14


def document(*rules: list[Any], extra: list[Any] = ()) -> str:  # type: ignore[assignment]
    items: list[Any] = [
        {"table": {"family": "inet", "name": "t", "handle": 1}},
        {
            "chain": {
                "family": "inet",
                "table": "t",
                "name": "in",
                "handle": 1,
                "type": "filter",
                "hook": "input",
                "prio": 0,
                "policy": "drop",
            }
        },
        *extra,
    ]
    for handle, expr in enumerate(rules, start=2):
        items.append(
            {
                "rule": {
                    "family": "inet",
                    "table": "t",
                    "chain": "in",
                    "handle": handle,
                    "expr": expr,
                }
            }
        )
    return json.dumps({"nftables": items}, indent=1)


def match(left: Any, right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


DPORT = {"payload": {"protocol": "tcp", "field": "dport"}}


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ([match({"meta": {"key": "mark"}}, 1), {"accept": None}], "meta mark"),
        (
            [match({"fib": {"flags": ["daddr"], "result": "type"}}, "local"), {"accept": None}],
            "fib",
        ),
        ([match(DPORT, 80), {"dnat": {"addr": "10.0.0.9"}}], "dnat"),
        ([{"xt": {"type": "match", "name": "recent"}}, {"drop": None}], "xt"),
        (
            [match({"payload": {"base": "th", "offset": 16, "len": 16}}, 80), {"accept": None}],
            "raw payload",
        ),
        ([match(DPORT, "@nosuchset"), {"accept": None}], "not defined"),
        ([match(DPORT, 80), {"jump": {"target": "nowhere"}}], "unknown chain"),
        ([match(DPORT, 80), {"queue": {"num": 1}}], "userspace"),
    ],
)
def test_unmodelled_expressions_are_reported_with_handle_and_line(
    expr: list[Any], reason: str
) -> None:
    ruleset = parse_ruleset(
        document(expr, [match(DPORT, 22), {"accept": None}]), ruleset_type=RulesetType.NFT_JSON
    )
    (item,) = ruleset.unsupported
    assert reason in item.reason and item.handle == 2 and item.line is not None and item.line > 1
    assert [rule.origin.handle for rule in ruleset.chains["inet t in"].rules] == [3]


def test_ct_state_new_and_interfaces_are_decided() -> None:
    ct = {"ct": {"key": "state"}}
    text = document(
        [match({"meta": {"key": "iifname"}}, "lo"), {"accept": None}],
        [match(ct, ["established", "related"], "in"), {"accept": None}],
        [
            match(ct, "new", "in"),
            match({"meta": {"key": "iifname"}}, "eth*"),
            match(DPORT, 22),
            {"accept": None},
        ],
        [match({"meta": {"key": "oifname"}}, "lo", "!="), match(DPORT, 23), {"accept": None}],
    )
    ruleset = parse_ruleset(text, ruleset_type=RulesetType.NFT_JSON)
    assert (
        ruleset.chains["inet t in"].rules[0].match == ()
    )  # loopback never carries network traffic
    assert ruleset.chains["inet t in"].rules[1].match == ()
    assert (
        verdict(
            ruleset, src="10.0.0.1", dst="10.0.0.2", protocol="tcp", dport=22
        ).rule.origin.handle
        == 4
    )
    assert (
        verdict(
            ruleset, src="10.0.0.1", dst="10.0.0.2", protocol="tcp", dport=23
        ).rule.origin.handle
        == 5
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('{"nftables": [\n  {"table": {}},\n  oops\n]}', 3, "invalid JSON"),
        ('{"tables": []}', 1, "not nft JSON"),
        (
            '{"nftables": [\n{"rule": {"family": "ip", "table": "x", "chain": "y", "handle": 3, "expr": []}}\n]}',
            2,
            "undeclared chain",
        ),
    ],
)
def test_malformed_documents_fail_at_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(text, ruleset_type=RulesetType.NFT_JSON, name="bad.json")
    assert caught.value.line == line and words in str(caught.value)


def test_format_rule_falls_back_to_json_for_the_unknown() -> None:
    assert format_rule([{"frobnicate": {"x": 1}}, {"accept": None}]) == 'frobnicate {"x": 1} accept'

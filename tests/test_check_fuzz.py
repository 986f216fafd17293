"""Fuzzing every ruleset reader: whatever the input, only ``RulesetError`` may escape.

Seeds are the fixtures and the public rulesets; Hypothesis mutates them line by line and word
by word (dropping, repeating, swapping in hostile words), and for nft JSON also replaces parts
of the parsed document with arbitrary JSON. A reader may accept a mutant (then it returns a
ruleset) or refuse it with a ``RulesetError``; any other exception is a crash. Bounded to a few
seconds per reader; ``FUZZ_EXAMPLES=20000 pytest tests/test_check_fuzz.py`` runs them longer.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portmatrix.check import RulesetType, parse_ruleset
from portmatrix.check.ruleset import Ruleset
from portmatrix.errors import RulesetError
from test_check_cisco import ASA_CONFIG, IOS_CONFIG

DATA = Path(__file__).resolve().parent / "data" / "rulesets"
HOSTILE = [
    "",
    "!",
    "-A",
    "-I",
    "-N",
    "-P",
    "-p",
    "-m",
    "-j",
    "-s",
    "-d",
    "--dport",
    "--sports",
    "tcp",
    "udp",
    "999",
    "0",
    "65536",
    "-1",
    "::/3",
    "::/8",
    "::ffff:0:0/96",
    "10.0.0.256",
    "0.0.0.0/0",
    "1.2.3.4/33",
    "ACCEPT",
    "DROP",
    "RETURN",
    "maybe",
    "INPUT",
    "*filter",
    "COMMIT",
    ":INPUT",
    "[0:0]",
    "host",
    "any",
    "eq",
    "range",
    "object-group",
    "group-object",
    "permit",
    "deny",
    "255.255.255.0",
    "0.0.0.255",
    "access-list",
    "extended",
    "interface",
    "in",
    "out",
    "ip",
    "'",
    '"',
    "\\",
    "\x00",
    "9" * 5000,  # past the digits Python's int reads
    "²",  # a digit to str.isdigit, not to int
    "٣",
    "é",
    "{",
    "}",
    "[",
    "]",
    "1:",
    ":2",
    "5:1",
    "lo",
]


def seeds(*names: str) -> list[str]:
    return [(DATA / name).read_text(encoding="utf-8") for name in names]


def public(suffix: str) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted((DATA / "public").glob(suffix))]


@st.composite
def mutants(draw: st.DrawFn, texts: list[str]) -> str:
    lines = draw(st.sampled_from(texts)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines.append(draw(st.sampled_from(HOSTILE)))
            continue
        at = draw(st.integers(0, len(lines) - 1))
        words = lines[at].split(" ")
        operation = draw(st.sampled_from(["drop", "repeat", "word", "cut", "insert", "text"]))
        if operation == "drop":
            del lines[at]
        elif operation == "repeat":
            lines.insert(at, lines[at])
        elif operation == "word":
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(HOSTILE))
            lines[at] = " ".join(words)
        elif operation == "cut":
            lines[at] = " ".join(words[: draw(st.integers(0, len(words)))])
        elif operation == "insert":
            words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(HOSTILE)))
            lines[at] = " ".join(words)
        else:
            lines.insert(at, draw(st.text(max_size=40)))
    return "\n".join(lines) + "\n"


def read_or_refuse(text: str, ruleset_type: RulesetType) -> Ruleset | None:
    try:
        return parse_ruleset(text, ruleset_type=ruleset_type, name="fuzz")
    except RulesetError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return None


FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutants(seeds("db-host.iptables-save") + public("*.rules")))
def test_iptables_save_reader_never_crashes(text: str) -> None:
    read_or_refuse(text, RulesetType.IPTABLES_SAVE)


@FUZZ
@given(mutants([ASA_CONFIG, *public("*.asa")]))
def test_asa_reader_never_crashes(text: str) -> None:
    read_or_refuse(text, RulesetType.ASA)


@FUZZ
@given(mutants([IOS_CONFIG, *public("*.ios")]))
def test_ios_reader_never_crashes(text: str) -> None:
    read_or_refuse(text, RulesetType.IOS)


@FUZZ
@given(mutants(seeds("db-host.nft.json") + public("*.json")))
def test_nft_json_reader_never_crashes_on_broken_text(text: str) -> None:
    read_or_refuse(text, RulesetType.NFT_JSON)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=12)
    | st.sampled_from(["accept", "drop", "maybe", "tcp", "ip", "inet", "input", "@s", "::/3"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "match",
                    "left",
                    "right",
                    "op",
                    "payload",
                    "meta",
                    "key",
                    "set",
                    "prefix",
                    "range",
                    "concat",
                    "vmap",
                    "elem",
                    "jump",
                    "target",
                    "accept",
                    "family",
                    "table",
                    "chain",
                    "name",
                    "expr",
                    "hook",
                    "prio",
                    "policy",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def _replace(document: Any, path: list[int], value: Any) -> Any:
    """``document`` with the node that ``path`` picks (child indexes, wrapped) set to ``value``."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return value
    if isinstance(document, dict):
        keys = list(document)
        key = keys[path[0] % len(keys)]
        return {**document, key: _replace(document[key], path[1:], value)}
    index = path[0] % len(document)
    return [*document[:index], _replace(document[index], path[1:], value), *document[index + 1 :]]


@FUZZ
@given(
    st.sampled_from(seeds("db-host.nft.json", "features.nft.json") + public("*.json")),
    st.lists(st.integers(0, 50), min_size=1, max_size=8),
    JSON_VALUES,
)
def test_nft_json_reader_never_crashes_on_odd_shapes(
    text: str, path: list[int], value: Any
) -> None:
    mutated = _replace(json.loads(text), path, value)
    read_or_refuse(json.dumps(mutated), RulesetType.NFT_JSON)


def test_numbers_python_cannot_read_are_refused_not_crashed() -> None:
    """Each reader's fast path and general parser meet a port, a protocol and a position of
    5,000 digits and a superscript digit."""
    huge, odd = "9" * 5000, "²"
    texts = {
        RulesetType.IPTABLES_SAVE: [
            f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport {huge} -j ACCEPT\nCOMMIT\n",
            f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p {huge} -j ACCEPT\nCOMMIT\n",
            f"*filter\n:INPUT ACCEPT [0:0]\n-I INPUT {huge} -p tcp -j ACCEPT\nCOMMIT\n",
            f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport {odd} -j ACCEPT\nCOMMIT\n",
        ],
        RulesetType.ASA: [
            f"access-list X extended permit tcp any any eq {huge}\n",
            f"access-list X extended permit {huge} any any\n",
            f"access-list X extended permit tcp any any eq {odd}\n",
        ],
        RulesetType.IOS: [
            f"ip access-list extended X\n permit tcp any any eq {huge}\n",
            f"access-list {huge} permit ip any any\n",
            f"access-list {odd} permit ip any any\n",
        ],
        RulesetType.NFT_JSON: [
            json.dumps({"nftables": [{"rule": {"family": "inet", "table": "t", "chain": "c",
                "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp",
                "field": "dport"}}, "right": value}}, {"accept": None}]}}]})
            for value in (huge, odd)
        ],
    }  # fmt: skip
    for kind, cases in texts.items():
        for text in cases:
            with contextlib.suppress(RulesetError):
                parse_ruleset(text, ruleset_type=kind, name="huge")

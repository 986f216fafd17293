"""Rulesets from other projects' test suites (``tests/data/rulesets/public/``, origins in its
README) are read with no false rejection, and what they say is modelled where it can be."""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix.check import RulesetType, load_ruleset, verdict
from portmatrix.check.ruleset import Path as Hook
from portmatrix.check.ruleset import Ruleset

PUBLIC = Path(__file__).resolve().parent / "data" / "rulesets" / "public"
TYPES = {
    ".rules": RulesetType.IPTABLES_SAVE,
    ".json": RulesetType.NFT_JSON,
    ".asa": RulesetType.ASA,
    ".ios": RulesetType.IOS,
}
FILES = sorted(path for path in PUBLIC.iterdir() if path.suffix in TYPES)


def read(name: str) -> Ruleset:
    path = PUBLIC / name
    return load_ruleset(path, ruleset_type=TYPES[path.suffix])


def test_the_corpus_has_every_format_and_a_readme() -> None:
    assert {path.suffix for path in FILES} == set(TYPES)
    readme = (PUBLIC / "README.md").read_text(encoding="utf-8")
    assert all(path.name.split("-", 1)[0] in readme for path in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_public_ruleset_is_read(path: Path) -> None:
    ruleset = load_ruleset(path, ruleset_type=TYPES[path.suffix])
    assert all(item.line is not None for item in ruleset.unsupported)


def test_docker_nft_forward_chain_and_its_late_declared_user_chain() -> None:
    ruleset = read("nftables-json-docker.json")
    assert [stage.chain for stage in ruleset.paths[Hook.FORWARD]] == ["ip filter FORWARD"]
    jumps = [rule.target for rule in ruleset.chains["ip filter FORWARD"].rules if rule.target]
    assert "ip filter DOCKER-USER" in jumps
    decision = verdict(
        ruleset, src="192.0.2.1", dst="192.0.2.2", protocol="tcp", dport=22, path=Hook.FORWARD
    )
    assert decision.accepted  # the opaque xt rules are left out, the interface rules all hold


def test_set_statement_rule_accepts_ssh() -> None:
    ruleset = read("nftables-json-set_statements.json")
    assert verdict(ruleset, src="192.0.2.1", dst="192.0.2.2", protocol="tcp", dport=22).accepted


def test_batfish_iptables_without_a_chain_line_uses_the_builtin_input_chain() -> None:
    ruleset = read("batfish-unsupported_rule_spec_match.rules")
    rules = ruleset.chains["INPUT"].rules
    assert len(rules) == 3 and not ruleset.unsupported  # -6 never holds in an IPv4 file
    assert verdict(ruleset, src="192.0.2.1", dst="192.0.2.2", protocol="tcp", dport=80).accepted
    assert rules[1].match == ()


def test_batfish_asa_bindings_and_masked_host_bits() -> None:
    filters = read("batfish-asa-filters.asa")
    stages = {(s.chain, s.interface, s.direction) for s in filters.paths[Hook.FORWARD]}
    assert ("FILTER_IN4", "name4", "in") in stages and ("FILTER_OUT5", "name5", "out") in stages
    acl = read("batfish-aclAsa.asa")
    inside = verdict(acl, src="1.2.3.77", dst="4.3.200.1", protocol="udp", dport=53, acl="acl")
    outside = verdict(acl, src="1.2.4.1", dst="4.3.200.1", protocol="udp", dport=53, acl="acl")
    assert inside.accepted and not outside.accepted


def test_aerleon_mixed_ios_lists_keep_their_families() -> None:
    ruleset = read("aerleon-CiscoTest.testMixed.ios")
    assert ruleset.acls == ["mixed_acl", "ipv6-mixed_acl"]
    v4 = verdict(ruleset, src="192.0.2.1", dst="10.9.9.9", protocol="tcp", dport=1, acl="mixed_acl")
    v6 = verdict(
        ruleset,
        src="2001:db8::1",
        dst="2001:4860:8000::1",
        protocol="tcp",
        dport=1,
        acl="ipv6-mixed_acl",
    )
    assert v4.accepted and v6.accepted

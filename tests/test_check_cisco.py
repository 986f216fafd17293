"""Cisco ASA and IOS access lists: objects and groups, port operators, masks, ACL selection."""

from __future__ import annotations

import pytest

from portmatrix.check import RulesetType, check_ruleset, parse_ruleset
from portmatrix.check.engine.verdict import verdict
from portmatrix.check.ruleset import Path, Ruleset
from portmatrix.errors import LookupFailure, RulesetError
from portmatrix.model import Endpoint, Flow, Matrix, Protocol

ASA_CONFIG = """\
: Saved
ASA Version 9.16(4)
hostname fw1
interface GigabitEthernet0/0
 nameif outside
interface GigabitEthernet0/1
 nameif inside
object network H
 host 10.5.0.1
object network NET
 subnet 10.0.0.0 255.255.255.0
object service SSH
 service tcp destination eq ssh
object-group network CLIENTS
 network-object object NET
 network-object host 10.1.0.1
 group-object MORE
object-group network MORE
 network-object 10.2.0.0 255.255.0.0
object-group service APP tcp
 port-object range 1000 2000
 port-object eq 82
object-group service MIXED
 service-object udp destination eq domain
 service-object tcp-udp destination range 5000 5010
 service-object object SSH
object-group protocol TU
 protocol-object tcp
 protocol-object udp
object network WEBSITE
 fqdn www.example.com
access-list OUT_IN remark allow things
access-list OUT_IN extended permit object SSH object NET object H
access-list OUT_IN extended permit tcp object-group CLIENTS object H object-group APP
access-list OUT_IN extended permit object-group MIXED host 10.1.0.1 host 10.5.0.1 log
access-list OUT_IN extended deny tcp any any eq 82
access-list OUT_IN extended permit object-group TU any host 10.5.0.1 eq 9999 inactive
access-list OUT_IN extended permit tcp any host 10.5.0.1 eq www time-range WORK
access-list OUT_IN line 9 extended permit tcp any object WEBSITE eq https
access-list OUT_IN extended permit tcp any host 10.5.0.1 gt 60000 (hitcnt=12) 0x1a2b3c4d
access-list OUT_IN extended permit icmp any any echo
access-list OUT_IN extended permit tcp any4 host 10.5.0.1 neq 1
access-list IN_OUT extended permit ip any any
access-list SPLIT standard permit 10.0.0.0 255.0.0.0
access-group OUT_IN in interface outside
access-group IN_OUT in interface inside
access-list OLD permit tcp any host 10.5.0.1 eq 22
"""


@pytest.fixture(scope="module")
def asa() -> Ruleset:
    return parse_ruleset(ASA_CONFIG, ruleset_type=RulesetType.ASA, name="fw1.cfg")


ASA_CASES = [
    # src, protocol, dport, accepted, line (None: the implicit deny)
    ("10.0.0.7", "tcp", 22, True, 33),  # service object as the protocol
    ("10.2.9.9", "tcp", 1500, True, 34),  # nested network groups, typed port group
    ("10.1.0.1", "tcp", 82, True, 34),
    ("10.3.0.1", "tcp", 82, False, 36),  # not a client: the explicit deny
    ("10.1.0.1", "udp", 53, True, 35),  # service group: udp domain
    ("10.1.0.1", "tcp", 5005, True, 35),  # service group: tcp-udp range
    ("10.1.0.1", "tcp", 53, True, 42),  # not in the service group (udp only): neq 1 admits it
    ("10.3.0.1", "udp", 9999, False, None),  # the inactive entry does not count
    ("10.3.0.1", "tcp", 61000, True, 40),  # gt, with show access-list counters stripped
]


@pytest.mark.parametrize(("src", "protocol", "dport", "accepted", "line"), ASA_CASES)
def test_asa_first_match(
    asa: Ruleset, src: str, protocol: str, dport: int, accepted: bool, line: int | None
) -> None:
    decision = verdict(asa, src=src, dst="10.5.0.1", protocol=protocol, dport=dport, acl="OUT_IN")
    assert decision.accepted == accepted
    assert decision.rule.origin.line == line


def test_asa_reports_what_it_cannot_model(asa: Ruleset) -> None:
    reasons = {item.line: item.reason for item in asa.unsupported}
    assert set(reasons) == {38, 39, 44}
    assert "time-range" in reasons[38] and "fqdn" in reasons[39] and "standard" in reasons[44]


def test_asa_neq_and_any4(asa: Ruleset) -> None:
    decision = verdict(asa, src="10.3.0.1", dst="10.5.0.1", protocol="tcp", dport=1, acl="OUT_IN")
    assert not decision.accepted and decision.rule.origin.what == "implicit deny"


def test_asa_lists_without_the_extended_keyword(asa: Ruleset) -> None:
    decision = verdict(asa, src="10.3.0.1", dst="10.5.0.1", protocol="tcp", dport=22, acl="OLD")
    assert decision.accepted and decision.rule.origin.line == 47


def test_asa_bindings_become_stages_on_both_paths(asa: Ruleset) -> None:
    for path in Path:
        stages = {(s.chain, s.interface, s.direction) for s in asa.paths[path]}
        assert stages == {
            ("OUT_IN", "outside", "in"),
            ("IN_OUT", "inside", "in"),
        }


IOS_CONFIG = """\
hostname r1
!
object-group network CLIENTS
 host 10.1.0.1
 10.0.0.0 255.255.255.0
object-group service WEB
 tcp eq 82
 tcp range 1000 2000
!
interface GigabitEthernet0/1
 ip access-group EDGE in
!
ip access-list extended EDGE
 remark test
 10 permit tcp 10.0.0.0 0.0.0.255 host 10.5.0.1 eq 22
 20 permit object-group WEB object-group CLIENTS host 10.5.0.1
 30 permit udp any host 10.5.0.1 eq domain ntp
 40 permit tcp any any established
 50 deny   tcp host 10.1.0.1 host 10.5.0.1 eq 82
 60 permit tcp any host 10.5.0.1 lt 10
 70 permit tcp 10.0.0.0 0.255.0.255 any eq 443
 80 permit ip any any log
!
ip access-list standard MGMT
 permit host 10.9.0.1
 deny any log
access-list 101 permit tcp any host 10.5.0.1 eq 8443
access-list 101 deny ip any any
ipv6 access-list V6
 sequence 10 permit tcp 2001:db8::/32 any eq 22
"""


@pytest.fixture(scope="module")
def ios() -> Ruleset:
    return parse_ruleset(IOS_CONFIG, ruleset_type=RulesetType.IOS, name="r1.cfg")


IOS_CASES = [
    ("EDGE", "10.0.0.9", "tcp", 22, True, 15),  # wildcard mask
    ("EDGE", "10.1.0.1", "tcp", 1500, True, 16),  # service and network groups
    ("EDGE", "10.1.0.1", "tcp", 82, True, 16),  # the later deny never sees it
    ("EDGE", "10.7.0.1", "udp", 123, True, 17),  # eq with several ports, by name
    ("EDGE", "10.7.0.1", "tcp", 5, True, 20),  # established never matches a SYN; lt does
    ("EDGE", "10.7.0.1", "tcp", 443, True, 22),  # the non-contiguous wildcard was left out
    ("MGMT", "10.9.0.1", "tcp", 5, True, 25),  # standard list: source only
    ("MGMT", "10.9.0.2", "tcp", 5, False, 26),
    ("101", "10.9.0.2", "tcp", 8443, True, 27),  # numbered extended list
    ("101", "10.9.0.2", "tcp", 8444, False, 28),
]


@pytest.mark.parametrize(("acl", "src", "protocol", "dport", "accepted", "line"), IOS_CASES)
def test_ios_first_match(
    ios: Ruleset, acl: str, src: str, protocol: str, dport: int, accepted: bool, line: int
) -> None:
    decision = verdict(ios, src=src, dst="10.5.0.1", protocol=protocol, dport=dport, acl=acl)
    assert (decision.accepted, decision.rule.origin.line) == (accepted, line)


def test_ios_ipv6_list(ios: Ruleset) -> None:
    assert verdict(
        ios, src="2001:db8::5", dst="2001:db9::1", protocol="tcp", dport=22, acl="V6"
    ).accepted
    assert not verdict(
        ios, src="10.0.0.1", dst="10.5.0.1", protocol="tcp", dport=22, acl="V6"
    ).accepted


def test_ios_reports_non_contiguous_wildcards(ios: Ruleset) -> None:
    (item,) = ios.unsupported
    assert item.line == 21 and "contiguous" in item.reason


ENDPOINTS = {"h": "10.5.0.1/32", "c": "10.1.0.1/32", "inside-host": "10.6.0.1/32"}


def matrix() -> Matrix:
    flows = (Flow("c", "h", Protocol.TCP, 82, 82, "x.web", ENDPOINTS["c"], ENDPOINTS["h"]),)
    zones = {"outside": ("c",), "inside": ("h", "inside-host")}
    return Matrix(
        "m", {name: Endpoint(name, address) for name, address in ENDPOINTS.items()}, flows, zones
    )


def test_acl_choice_follows_bindings_zones_and_the_acl_option(asa: Ruleset, ios: Ruleset) -> None:
    between = check_ruleset(matrix(), asa, between=("outside", "inside"))
    assert between.flows and all(result.allowed for result in between.flows)
    with pytest.raises(LookupFailure, match="choose one with --acl"):
        check_ruleset(matrix(), asa, host="h")
    assert check_ruleset(matrix(), asa, host="h", acl="OUT_IN").flows[0].allowed
    assert check_ruleset(matrix(), ios, host="h").flows[0].allowed  # EDGE is the only list in use
    with pytest.raises(LookupFailure, match=r"no access-list 'EDGF'.*EDGE"):
        check_ruleset(matrix(), ios, host="h", acl="EDGF")


def test_a_file_without_access_lists_is_refused() -> None:
    with pytest.raises(RulesetError, match="no access-list"):
        parse_ruleset("hostname fw\n", ruleset_type=RulesetType.ASA, name="empty.cfg")
    with pytest.raises(RulesetError, match="no access list"):
        parse_ruleset("hostname r\n", ruleset_type=RulesetType.IOS, name="empty.cfg")

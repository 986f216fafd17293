"""check judges ``-i``/``iifname`` rules for the interface each flow really arrives on.

The rulesets are loaded into a throw-away namespace (``iptables-restore``, ``nft -f``) and the
kernel's own dumps are checked, against a side-B router with a public address on eth0 and a
private one on eth1: its MDS traffic from the side-A router arrives on eth1, the DMP traffic
from the PG on eth0, both with UDP 39500-39999 heartbeats on the same ports.
"""

from __future__ import annotations

import pytest

from portmatrix import InventoryText, Project
from portmatrix.check import Report, RulesetType, parse_ruleset
from portmatrix.check.report.findings import FindingKind
from portmatrix.check.ruleset import Ruleset
from portmatrix.netns import Netns

INVENTORY = """\
name: router-pair
hosts:
  - name: rtr-a
    addresses: {public: 10.10.1.11, private: 192.168.10.11}
    roles: [{role: cce.router, side: A, instance: 2}]
  - name: rtr-b
    addresses: {public: 10.10.2.11, private: 192.168.20.11}
    interfaces: {public: eth0, private: eth1}
    roles: [{role: cce.router, side: B, instance: 2}]
  - name: pg-a
    addresses: {public: 10.10.1.21, private: 192.168.10.21}
    roles: [{role: cce.pg, side: A, instance: 2}]
"""

#: The private interface is trusted; the public one opens DMP's TCP ports and CSFS; the UDP
#: heartbeat range is open on both. The "narrow" variant refuses it on the public interface
#: first: read as if every interface match held, that refusal would block the private
#: heartbeats too.
IPTABLES = """\
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp --dport 39500:39999 -j ACCEPT
-A INPUT -i eth1 -j ACCEPT
-A INPUT -i eth0 -p tcp -m multiport --dports 41082:41083,41097,40015 -j ACCEPT
COMMIT
"""
NARROWING = "-A INPUT -i eth0 -p udp --dport 39500:39999 -j DROP\n"

#: The shape firewalld's nftables backend writes: per-interface dispatch to zone chains.
FIREWALLD = """\
table inet firewalld {
  chain filter_INPUT {
    type filter hook input priority filter + 10; policy accept;
    ct state { established, related } accept
    iifname "lo" accept
    jump filter_INPUT_ZONES
    reject with icmpx admin-prohibited
  }
  chain filter_INPUT_ZONES {
    iifname "eth1" goto filter_IN_internal
    iifname "eth0" goto filter_IN_public
    goto filter_IN_public
  }
  chain filter_IN_public {
    jump filter_IN_public_allow
  }
  chain filter_IN_public_allow {
    tcp dport { 40015, 41082-41083, 41097 } ct state { new, untracked } accept
    udp dport 39500-39999 ct state { new, untracked } accept
  }
  chain filter_IN_internal {
    jump filter_IN_internal_allow
  }
  chain filter_IN_internal_allow {
    ip saddr 192.168.10.0/24 ct state { new, untracked } accept
  }
}
"""

pytestmark = pytest.mark.netns


def _kernel(ns: Netns, text: str, kind: RulesetType) -> Ruleset:
    if kind is RulesetType.IPTABLES_SAVE:
        ns.run(["iptables-restore"], input=text)
        dump = ns.run(["iptables-save"]).stdout
    else:
        ns.run(["nft", "-f", "-"], input=text)
        dump = ns.run(["nft", "-j", "list", "ruleset"]).stdout
    return parse_ruleset(dump, ruleset_type=kind, name="kernel")


def _narrow(text: str, kind: RulesetType) -> str:
    """The ruleset refusing UDP 39500-39999 on the public interface."""
    if kind is RulesetType.IPTABLES_SAVE:
        return text.replace("-A INPUT -p udp", NARROWING + "-A INPUT -p udp")
    return "\n".join(line for line in text.splitlines() if "udp dport 39500" not in line) + "\n"


def _check(ruleset: Ruleset, inventory: str = INVENTORY) -> Report:
    return Project(InventoryText(inventory)).check(ruleset, ruleset_type=ruleset.type, host="rtr-b")


def _blocked(report: Report) -> set[tuple[str, str, int, int]]:
    return {
        (r.flow.rule, r.flow.protocol.value, r.flow.port_start, r.flow.port_end)
        for r in report.flows
        if not r.allowed
    }


SOURCES = [(IPTABLES, RulesetType.IPTABLES_SAVE), (FIREWALLD, RulesetType.NFT_JSON)]


@pytest.mark.parametrize(("text", "kind"), SOURCES, ids=["iptables", "firewalld-nft"])
def test_each_flow_is_judged_on_the_interface_it_arrives_on(
    netns: Netns, text: str, kind: RulesetType
) -> None:
    report = _check(_kernel(netns, text, kind))
    judged = {r.flow.rule for r in report.flows}
    assert {"cce.router.mds-private", "cce.router.dmp-b"} <= judged
    assert _blocked(report) == set()
    assert report.count(FindingKind.INTERFACE_UNKNOWN) == 0
    assert "by arrival interface" in report.scope and "on eth1" in report.scope


@pytest.mark.parametrize(("text", "kind"), SOURCES, ids=["iptables", "firewalld-nft"])
def test_the_same_ports_are_allowed_on_one_interface_and_blocked_on_the_other(
    netns: Netns, text: str, kind: RulesetType
) -> None:
    report = _check(_kernel(netns, _narrow(text, kind), kind))
    # The PG's DMP heartbeats arrive on eth0, where nothing admits UDP; the router's MDS
    # heartbeats on the very same ports arrive on eth1, which trusts the private network.
    assert _blocked(report) == {("cce.router.dmp-b", "udp", 39500, 39999)}
    private = [r for r in report.flows if r.flow.rule == "cce.router.mds-private"]
    assert private and all(r.allowed for r in private)
    assert {r.flow.dst_address for r in private} == {"192.168.20.11/32"}
    # what a rule opens is said per address: the private one is labelled after its network
    assert {f.dst for f in report.findings if f.kind is FindingKind.EXCESS} <= {
        "rtr-b",
        "rtr-b@private",
    }
    assert report.exit_status() == 1


@pytest.mark.parametrize(("text", "kind"), SOURCES, ids=["iptables", "firewalld-nft"])
def test_an_unnamed_interface_is_a_finding_not_a_guess(
    netns: Netns, text: str, kind: RulesetType
) -> None:
    inventory = INVENTORY.replace("    interfaces: {public: eth0, private: eth1}\n", "")
    report = _check(_kernel(netns, _narrow(text, kind), kind), inventory)
    unknown = [f for f in report.findings if f.kind is FindingKind.INTERFACE_UNKNOWN]
    rules = {rule for f in unknown for rule in f.details["rules"]}
    assert {"cce.router.mds-private", "cce.router.dmp-b"} <= rules
    assert all("depends on the interface it arrives on" in f.message for f in unknown)
    # none of them is judged either way ...
    undecided = {(f.details["rules"][0], f.protocol, f.port_start) for f in unknown}
    judged = {(r.flow.rule, r.flow.protocol.value, r.flow.port_start) for r in report.flows}
    assert not undecided & judged
    # ... and a flow every interface denies alike is still judged blocked (firewalld: DMP's
    # UDP from the PG's public address, refused by both zones)
    assert _blocked(report) <= {("cce.router.dmp-b", "udp", 39500, 39999)}
    assert any("interface the inventory does not name" in reason for reason in report.skipped)
    assert report.exit_status() == 1
    # a rule some interface reaches is not shadowed (iptables: the UDP accept after eth0's drop)
    assert report.count(FindingKind.SHADOWED) == 0
    data = unknown[0].as_dict()
    assert data["kind"] == "interface-unknown" and data["dst"] == "rtr-b"


def test_a_ruleset_that_tests_no_interface_is_checked_once() -> None:
    text = IPTABLES.replace("-i eth1 ", "").replace("-i eth0 ", "")
    ruleset = parse_ruleset(text, ruleset_type=RulesetType.IPTABLES_SAVE)
    assert ruleset.input_interfaces == {"lo"}
    report = _check(ruleset)
    assert "by arrival interface" not in report.scope
    assert report.count(FindingKind.INTERFACE_UNKNOWN) == 0


def test_an_interface_wildcard_matches_by_prefix() -> None:
    text = _narrow(IPTABLES, RulesetType.IPTABLES_SAVE).replace("-i eth0 -p udp", "-i eth+ -p udp")
    report = _check(parse_ruleset(text, ruleset_type=RulesetType.IPTABLES_SAVE))
    # eth+ holds on eth1 too: both heartbeat flows are refused now
    assert _blocked(report) == {
        ("cce.router.dmp-b", "udp", 39500, 39999),
        ("cce.router.mds-private", "udp", 39500, 39999),
    }

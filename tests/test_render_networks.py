"""Host firewalls of a host with several addresses match both ends of every flow.

Matching the source alone would admit the partner router's private MDS traffic on the public
address too; examples/duplex-cce.yaml gives the routers and PGs a public and a private address.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix.check import RulesetType, check_ruleset, parse_ruleset
from portmatrix.render import render
from portmatrix.resolve import resolve_file

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"
MATRIX = resolve_file(EXAMPLE)


def rules(target: str, host: str) -> str:
    return render(MATRIX, target, host=host, skip_unbound=True, force=True, egress=True).text


def test_nftables_names_the_private_address_the_mds_row_goes_to() -> None:
    text = rules("nftables", "rtr-b")
    assert "ip saddr . ip daddr . tcp dport @input_tcp4 accept" in text
    assert "192.168.10.11 . 192.168.20.11 . 41044-41045" in text
    assert "10.10.1.11 . 192.168.20.11" not in text  # rtr-a's public address: no private port
    assert "10.10.1.21 . 10.10.2.11 . 41042-41043" in text  # pg-a's DMP on the public network


def test_iptables_and_windows_name_the_local_address() -> None:
    assert "-s 192.168.10.11/32 -d 192.168.20.11/32 -p tcp" in rules("iptables", "rtr-b")
    assert "-RemoteAddress '192.168.10.11/32' -LocalAddress '192.168.20.11/32'" in rules(
        "windows", "rtr-b"
    )


def test_a_host_with_one_address_keeps_source_only_rules() -> None:
    text = rules("nftables", "lgr-a")
    assert "ip saddr . tcp dport @input_tcp4 accept" in text
    assert "daddr . tcp dport @input" not in text


@pytest.mark.parametrize("host", ["rtr-a", "rtr-b", "pg-a", "pg-b"])
def test_the_rendered_rules_of_a_two_network_host_check_clean(host: str) -> None:
    text = render(MATRIX, "iptables", host=host, skip_unbound=True, force=True).text
    ruleset = parse_ruleset(text, ruleset_type=RulesetType.IPTABLES_SAVE, name=host)
    report = check_ruleset(MATRIX, ruleset, host=host)
    assert report.flows and report.findings == []


@pytest.mark.parametrize("target", ["asa", "ios"])
def test_a_zone_pair_no_flow_crosses_is_an_explicit_deny(target: str) -> None:
    from portmatrix import Project

    project = Project(Path(__file__).parent.parent / "examples" / "duplex-cce.yaml")
    assert not project.matrix.flows_between("private-a", "services")
    text = project.render(target, between=("private-a", "services"), skip_unbound=True).text
    aces = [
        line for line in text.splitlines() if " permit " in f" {line.strip()} " or "deny" in line
    ]
    assert aces and all("deny ip any" in line for line in aces), text

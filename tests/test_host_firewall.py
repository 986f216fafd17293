"""Host rulesets stay manageable: ping and IPv6 neighbour discovery by an explicit default the
inventory changes, and a Windows script that says what it does to other allow rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from portmatrix.project import Project

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


def inventory(**host_firewall: bool) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if host_firewall:
        data["host_firewall"] = host_firewall
    return data


def rendered(target: str, data: dict[str, Any], **options: Any) -> str:
    return Project(data).render(target, host="rtr-a", skip_unbound=True, force=True, **options).text


def test_ping_and_neighbour_discovery_are_the_default() -> None:
    text = rendered("nftables", inventory())
    assert 'icmp type echo-request accept comment "ping (host_firewall.icmp_echo)"' in text
    assert "icmpv6 type echo-request accept" in text
    assert "nd-neighbor-solicit" in text
    rules = rendered("iptables", inventory())
    assert "-p icmp -m icmp --icmp-type echo-request" in rules


@pytest.mark.parametrize("target", ["nftables", "iptables", "windows"])
def test_the_inventory_turns_ping_off(target: str) -> None:
    text = rendered(target, inventory(icmp_echo=False))
    assert "host_firewall.icmp_echo" not in text
    assert "host_firewall.icmp_echo" in rendered(target, inventory())


def test_the_inventory_turns_neighbour_discovery_off() -> None:
    text = rendered("nftables", inventory(icmpv6_nd=False))
    assert "nd-neighbor" not in text and "icmp type echo-request" in text


def test_an_unknown_host_firewall_key_is_an_input_error() -> None:
    from portmatrix.errors import InventoryError

    with pytest.raises(InventoryError, match="icmp_ech"):
        Project({**inventory(), "host_firewall": {"icmp_ech": False}}).matrix  # noqa: B018


def test_windows_states_it_keeps_other_allow_rules_by_default() -> None:
    text = rendered("windows", inventory())
    assert "# Other allow rules: KEPT." in text and "--exact" in text
    assert "Disable-NetFirewallRule" not in text
    assert "-Protocol ICMPv4 -IcmpType 8" in text
    assert "-IcmpType 135" not in text  # Windows' own Core Networking rules carry ND here


def test_windows_exact_mode_reduces_the_host_to_the_matrix() -> None:
    text = rendered("windows", inventory(), exact=True, egress=True)
    assert "# Other allow rules: DISABLED (exact mode)." in text
    lines = text.splitlines()
    disable = lines.index("$others | Disable-NetFirewallRule")
    assert "Where-Object { $_.Group -ne $group" in lines[disable - 3]
    assert "Add-Content" in lines[disable - 1]  # names kept to undo, appended on a rerun
    assert "-Direction Inbound -Action Allow -Protocol ICMPv6 -IcmpType 135" in text
    assert "-Direction Outbound -Action Allow -Protocol ICMPv6 -IcmpType 135" in text
    first_rule = next(i for i, line in enumerate(lines) if "-LocalPort" in line)
    assert disable < first_rule  # other rules go before the matrix's own are created

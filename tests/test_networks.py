"""Hosts with one address per network: flows travel on the network their catalog row names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix import InventoryText, Project
from portmatrix.catalog import PackText, load_catalog
from portmatrix.cli import main
from portmatrix.errors import CatalogError, InventoryError
from portmatrix.model import Flow

#: A duplex router pair and PG pair at instance 2, each with a public and a private address;
#: rtr-a writes its public address as ``address:`` (the fallback for every other network).
TWO_NETWORKS = """\
name: two-networks
zones:
  side-a: [rtr-a@public, pg-a@public]
  side-b: [rtr-b@public, pg-b@public]
  private-a: [192.168.10.0/24]
  private-b: [192.168.20.0/24]
hosts:
  - name: rtr-a
    address: 10.10.1.11
    addresses: {private: 192.168.10.11}
    roles: [{role: cce.router, side: A, instance: 2}]
  - name: rtr-b
    addresses: {public: 10.10.2.11, private: 192.168.20.11}
    roles: [{role: cce.router, side: B, instance: 2}]
  - name: pg-a
    addresses: {public: 10.10.1.21, private: 192.168.10.21}
    roles: [{role: cce.pg, side: A, instance: 2}]
  - name: pg-b
    addresses: {public: 10.10.2.21, private: 192.168.20.21}
    roles: [{role: cce.pg, side: B, instance: 2}]
  - name: lgr-a
    address: 10.10.1.12
    roles: [{role: cce.logger, side: A, instance: 2}]
  - name: lgr-b
    addresses: {public: 10.10.2.12, private: 192.168.20.12}
    roles: [{role: cce.logger, side: B, instance: 2}]
"""

ADDRESS = {
    ("rtr-a", "public"): "10.10.1.11/32",
    ("rtr-a", "private"): "192.168.10.11/32",
    ("rtr-b", "public"): "10.10.2.11/32",
    ("rtr-b", "private"): "192.168.20.11/32",
    ("pg-a", "public"): "10.10.1.21/32",
    ("pg-a", "private"): "192.168.10.21/32",
    ("pg-b", "public"): "10.10.2.21/32",
    ("pg-b", "private"): "192.168.20.21/32",
    ("lgr-a", "public"): "10.10.1.12/32",
    ("lgr-b", "public"): "10.10.2.12/32",
}


def _project(text: str = TWO_NETWORKS) -> Project:
    return Project(InventoryText(text, name="two.yaml"))


def _flows(rule: str, project: Project | None = None) -> list[Flow]:
    flows = [f for f in (project or _project()).matrix.flows if f.rule == rule]
    assert flows, rule
    return flows


def _ends(flow: Flow, network: str) -> tuple[str | None, str | None]:
    return ADDRESS.get((flow.src, network)), ADDRESS.get((flow.dst, network))


@pytest.mark.parametrize(
    ("rule", "network"),
    [
        ("cce.router.mds-private", "private"),
        ("cce.pg1.mds-private", "private"),
        ("cce.pg1.pgagent", "public"),
        ("cce.router.dmp-a", "public"),
        ("cce.router.dmp-b", "public"),
    ],
)
def test_a_flow_travels_between_the_addresses_of_its_network(rule: str, network: str) -> None:
    for flow in _flows(rule):
        assert flow.network == network
        assert (flow.src_address, flow.dst_address) == _ends(flow, network)


def test_the_private_heartbeats_travel_on_the_private_network() -> None:
    udp = [f for f in _flows("cce.pg1.mds-private") if f.protocol == "udp"]
    assert [(f.port_start, f.port_end) for f in udp] == [(39500, 39999)] * 2
    assert {f.src_address for f in udp} == {"192.168.10.21/32", "192.168.20.21/32"}


def test_every_table_1_network_row_names_its_network() -> None:
    catalog = load_catalog()
    private = {"cce.router.mds-private", *(f"cce.pg{n}.mds-private" for n in (1, 2, 3))}
    public = {
        "cce.router.dmp-a",
        "cce.router.dmp-b",
        "cce.router.cicm-incrpnic-a",
        "cce.router.cicm-incrpnic-b",
        *(f"cce.pg{n}.pgagent" for n in (1, 2, 3)),
        *(e.id for e in catalog.entries if e.id.startswith("cce.livedata.") and "-tip-" in e.id),
    }
    assert len(public) == 13
    named = {e.id: e.network for e in catalog.entries if e.network}
    assert named == {**dict.fromkeys(private, "private"), **dict.fromkeys(public, "public")}


def test_a_flow_naming_no_network_uses_the_main_address() -> None:
    project = _project()
    plain = [f for f in project.matrix.network_flows() if f.network is None and not f.unbound]
    assert plain
    for flow in plain:
        # the main address: address: for rtr-a, the first network under addresses: for the rest
        assert (flow.src_address, flow.dst_address) == _ends(flow, "public")


def test_a_host_lacking_the_network_falls_back_to_its_address() -> None:
    text = TWO_NETWORKS.replace("    addresses: {private: 192.168.10.11}\n", "")
    flows = _flows("cce.router.mds-private", _project(text))
    assert {(f.src, f.src_address) for f in flows} == {("rtr-a", "10.10.1.11/32")}
    assert {f.dst_address for f in flows} == {"192.168.20.11/32"}


def test_a_host_lacking_the_network_and_an_address_is_an_error_at_its_line() -> None:
    text = TWO_NETWORKS.replace(
        "{public: 10.10.2.21, private: 192.168.20.21}", "{public: 10.10.2.21}"
    )
    with pytest.raises(InventoryError) as caught:
        _ = _project(text).matrix
    assert caught.value.file == "two.yaml"
    assert caught.value.line == 19  # pg-b's addresses:
    assert "'pg-b' has no address on the private network" in caught.value.message


def test_a_host_with_no_address_at_all_is_an_error() -> None:
    text = TWO_NETWORKS.replace("    addresses: {public: 10.10.2.11, private: 192.168.20.11}\n", "")
    with pytest.raises(InventoryError, match="'rtr-b' has no address"):
        _ = _project(text).deployment


def test_an_address_used_twice_across_networks_is_an_error() -> None:
    text = TWO_NETWORKS.replace("private: 192.168.20.21", "private: 192.168.20.11")
    with pytest.raises(
        InventoryError, match=r"same address 192\.168\.20\.11/32 as 'rtr-b'"
    ) as caught:
        _ = _project(text).deployment
    assert caught.value.line == 19


def test_a_zone_member_on_a_network_the_host_lacks_is_an_error() -> None:
    text = TWO_NETWORKS.replace("side-a: [rtr-a@public", "side-a: [pg-a@privte")
    with pytest.raises(InventoryError, match="no address on network 'privte'; did you mean"):
        _ = _project(text).deployment


def test_an_acl_between_private_zones_holds_only_private_flows() -> None:
    project = _project()
    crossing = project.between("private-a", "private-b")
    assert {flow.network for flow in crossing} == {"private"}
    assert {flow.rule for flow in crossing} == {"cce.router.mds-private", "cce.pg1.mds-private"}
    text = project.render("asa", between=("private-a", "private-b"), skip_unbound=True).text
    assert "host 192.168.20.21 host 192.168.10.21" in text and "10.10." not in text


def test_an_acl_between_public_zones_holds_no_private_flow() -> None:
    project = _project()
    crossing = project.between("side-a", "side-b")
    assert crossing and "private" not in {flow.network for flow in crossing}
    text = project.render("asa", between=("side-a", "side-b"), skip_unbound=True).text
    assert "10.10.2.21" in text and "192.168." not in text


def test_a_host_firewall_admits_each_peer_at_its_network_address() -> None:
    text = _project().render("iptables", host="rtr-b", skip_unbound=True, force=True).text
    assert "-s 192.168.10.11/32" in text  # rtr-a's private address, for the MDS rows
    assert "-s 10.10.1.21/32" in text  # pg-a's public address, for DMP


def test_every_listing_format_carries_the_network(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(TWO_NETWORKS)

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, [*args, "-q"], catch_exceptions=False)
        return result.stdout

    listing = json.loads(run("resolve", str(path), "--format", "json"))
    networks = {row["rule"]: row["network"] for row in listing["requests"]}
    assert networks["cce.router.mds-private"] == "private"
    assert networks["cce.router.dmp-a"] == "public"
    assert None in networks.values()
    assert "network" in run("resolve", str(path), "--format", "csv").splitlines()[0].split(",")
    table = run("resolve", str(path))
    assert table.splitlines()[0].split()[4] == "network"
    assert any("private" in line and "mds-private" in line for line in table.splitlines())
    book = tmp_path / "cr.xlsx"
    run("resolve", str(path), "-o", str(book))
    from openpyxl import load_workbook

    sheet = load_workbook(book)["Requests"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("network")
    cells = {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"private", "public"} <= cells
    markdown = run("resolve", str(path), "--format", "md")
    assert "| network |" in markdown and "| private |" in markdown
    explained = json.loads(
        run("resolve", str(path), "--explain", "rtr-a", "rtr-b", "--format", "json")
    )
    by_rule = {d["rule"]: d["network"] for d in explained["decisions"]}
    assert by_rule["cce.router.mds-private"] == "private"
    assert "network: private" in run("resolve", str(path), "--explain", "rtr-a", "rtr-b")


def test_diff_sees_a_private_address_move(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(TWO_NETWORKS)
    new.write_text(TWO_NETWORKS.replace("private: 192.168.10.21", "private: 192.168.10.99"))
    result = CliRunner().invoke(
        main, ["diff", str(old), str(new), "--format", "json", "-q"], catch_exceptions=False
    )
    assert result.exit_code == 1
    rows = json.loads(result.stdout)["requests"]
    assert rows and {row["network"] for row in rows} == {"private"}
    moved = {row["src_address"] for row in rows} | {row["dst_address"] for row in rows}
    assert {"192.168.10.21/32", "192.168.10.99/32"} <= moved


PACK = """\
schema_version: 1
product: netpack
title: {en: t}
document: t.txt
roles:
  np.box: {name: Box}
entries:
  - id: np.sync
    component: Box
    role: {role: np.box}
    peers: [{role: np.box}]
    network: NETWORK
    ports: [{protocol: tcp, ports: "9000"}]
    notes: {en: sync}
    source: {document: t.txt, table: "1", row: 1}
"""


def test_a_pack_entry_network_must_be_a_name() -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog([PackText(PACK.replace("NETWORK", '"Private Net"'), name="np.yaml")])
    assert caught.value.file == "np.yaml" and caught.value.line == 12
    load_catalog([PackText(PACK.replace("NETWORK", "private"), name="np.yaml")])


def test_the_aerleon_export_names_a_further_network_after_its_host() -> None:
    text = _project().render("aerleon", host="rtr-b", skip_unbound=True, force=True).text
    assert "RTR_A_PRIVATE:" in text and "- address: 192.168.10.11/32" in text
    assert "NET_192_168_10_11_32" not in text


def test_the_audit_names_every_address_of_a_host() -> None:
    from portmatrix.audit.address import Address
    from portmatrix.audit.report import AddressBook

    book = AddressBook(_project().matrix)
    assert book.name(Address.parse("192.168.20.21")) == "pg-b"
    assert book.name(Address.parse("10.10.2.21")) == "pg-b"


def test_an_acl_between_private_zones_checks_clean_against_those_zones() -> None:
    from portmatrix.check import RulesetType, parse_ruleset

    project = _project()
    text = project.render("asa", between=("private-a", "private-b"), skip_unbound=True).text
    ruleset = parse_ruleset(text, ruleset_type=RulesetType.ASA, name="priv.asa")
    report = project.check(ruleset, ruleset_type="asa", between=("private-a", "private-b"))
    assert report.flows and all(result.allowed for result in report.flows)
    assert {result.flow.network for result in report.flows} == {"private"}
    assert report.findings == []


#: The held-out review inventory's router and PG pairs, given a private network each.
PRIVATE = {
    "rtr-a": "10.99.1.11",
    "rtr-b": "10.99.2.11",
    "pg-a": "10.99.1.21",
    "pg-b": "10.99.2.21",
}


def test_the_held_out_deployment_keeps_private_flows_on_the_private_addresses() -> None:
    import ipaddress

    import yaml

    path = Path(__file__).resolve().parent / "data" / "heldout-cce2-cuc.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    public = {host["name"]: str(ipaddress.ip_network(host["address"])) for host in data["hosts"]}
    for host in data["hosts"]:
        if host["name"] in PRIVATE:
            host["addresses"] = {"private": PRIVATE[host["name"]]}
    matrix = Project(data).matrix
    private = [f for f in matrix.network_flows() if f.network == "private"]
    assert {f.rule for f in private} == {"cce.router.mds-private", "cce.pg1.mds-private"}
    for flow in private:
        assert (flow.src_address, flow.dst_address) == (
            f"{PRIVATE[flow.src]}/32",
            f"{PRIVATE[flow.dst]}/32",
        )
    assert {(f.src, f.dst) for f in private} == {
        ("rtr-a", "rtr-b"),
        ("pg-a", "pg-b"),
        ("pg-b", "pg-a"),
    }
    others = [f for f in matrix.network_flows() if f.network != "private" and not f.unbound]
    assert others
    for flow in others:
        assert flow.src_address == public.get(flow.src, flow.src_address)
        assert flow.dst_address == public.get(flow.dst, flow.dst_address)
        assert not (flow.src_address or "").startswith("10.99.")


def test_an_interface_for_a_network_without_an_address_is_an_error() -> None:
    text = TWO_NETWORKS.replace(
        "    roles: [{role: cce.router, side: B, instance: 2}]\n",
        "    interfaces: {mgmt: eth9}\n    roles: [{role: cce.router, side: B, instance: 2}]\n",
    )
    with pytest.raises(InventoryError, match="interface for network 'mgmt'") as caught:
        _ = _project(text).deployment
    assert caught.value.line == 14


def test_the_emulator_listens_and_answers_on_every_network() -> None:
    from portmatrix.verify.emulate import SourceFilter, emulator_for

    matrix = _project().matrix
    emulator = emulator_for(matrix, "rtr-b")
    assert list(emulator.addresses) == ["10.10.2.11", "192.168.20.11"]
    sources = SourceFilter.of(matrix)
    assert sources.admits("192.168.10.11") and sources.admits("10.10.1.11")
    assert not sources.admits("192.168.99.1")

"""Features as options, PIMs on PGs, configured client ports and missing-piece warnings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from portmatrix import Project
from portmatrix.cli import main
from portmatrix.errors import CatalogError, InventoryError
from portmatrix.model import Flow


def _hosts(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": "rtr-a", "address": "10.0.1.1", "roles": [{"role": "cce.router", "side": "A"}]},
        {"name": "dc", "address": "10.0.9.1", "roles": ["domain-controller"]},
        *extra,
    ]


def _flows(hosts: list[dict[str, Any]], **options: Any) -> list[Flow]:
    project = Project({"name": "t", "options": options, "hosts": hosts})
    return list(project.matrix.flows)


def _warnings(hosts: list[dict[str, Any]], **options: Any) -> tuple[str, ...]:
    return Project({"name": "t", "options": options, "hosts": hosts}).warnings


ADMIN = {"name": "admin", "address": "10.0.8.0/24", "roles": ["admin-workstation"]}
SERVER = {"name": "srv", "address": "10.0.2.1", "roles": ["cce.server"]}


def test_remote_access_defaults_to_rdp_only() -> None:
    rules = {flow.rule for flow in _flows(_hosts(ADMIN, SERVER))}
    assert "cce.mgmt.rdp" in rules
    assert not rules & {"cce.mgmt.telnet", "cce.mgmt.vnc", "cce.mgmt.pcanywhere"}


def test_remote_access_lists_the_tools_opened() -> None:
    flows = _flows(_hosts(ADMIN, SERVER), remote_access=["vnc", "telnet"])
    rules = {flow.rule for flow in flows}
    assert {"cce.mgmt.vnc", "cce.mgmt.telnet"} <= rules
    assert not rules & {"cce.mgmt.rdp", "cce.mgmt.pcanywhere"}
    assert {(f.port_start, f.dst) for f in flows if f.rule == "cce.mgmt.telnet"} == {(23, "srv")}


def test_remote_access_refuses_an_unknown_tool_at_its_line() -> None:
    text = "name: t\noptions:\n  remote_access: [rdp, ssh]\nhosts:\n  - {name: a, address: 10.0.0.1, roles: [cce.server]}\n"
    from portmatrix.project import InventoryText

    with pytest.raises(InventoryError, match="'ssh' is not one of") as caught:
        assert Project(InventoryText(text, name="t.yaml")).deployment is None
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("options", "present"),
    [({}, False), ({"contact_sharing": True}, True)],
)
def test_contact_sharing_row_only_when_configured(options: dict[str, Any], present: bool) -> None:
    live = {"name": "ld", "address": "10.0.3.1", "roles": ["cce.livedata"]}
    rules = {flow.rule for flow in _flows(_hosts(live), **options)}
    assert ("cce.router.contact-sharing" in rules) is present


def test_livedata_coresident_gives_cuic_the_tip_ports_and_standalone_does_not() -> None:
    cuic = {"name": "cuic", "address": "10.0.3.2", "roles": ["cuic"]}
    live = {"name": "ld", "address": "10.0.3.1", "roles": ["cce.livedata"]}

    def tip_sources(**options: Any) -> set[str]:
        flows = _flows(_hosts(cuic, live), **options)
        return {f.src for f in flows if f.rule == "cce.livedata.router-tip-events"}

    assert tip_sources() == {"ld"}
    assert tip_sources(livedata="coresident") == {"ld", "cuic"}
    assert tip_sources(livedata="none") == set()


def test_coresident_cuic_without_the_livedata_role_is_warned() -> None:
    cuic = {"name": "cuic", "address": "10.0.3.2", "roles": ["cuic"]}
    both = {"name": "cuic2", "address": "10.0.3.3", "roles": ["cuic", "cce.livedata"]}
    found = [w for w in _warnings(_hosts(cuic, both), livedata="coresident") if "coresident" in w]
    assert len(found) == 1 and "cuic " in found[0] and "cuic2" not in found[0]
    assert not [w for w in _warnings(_hosts(cuic, both)) if "coresident" in w]


def test_cuc_sccp_rows_only_with_an_sccp_integration() -> None:
    hosts = [
        {"name": "cuc", "address": "10.1.0.1", "roles": [{"role": "cuc.server", "cluster": "c"}]},
        {"name": "ucm", "address": "10.1.0.2", "roles": ["unified-cm"]},
    ]
    sccp = {(f.port_start, f.rule) for f in _flows(hosts, secure_integration=True)}
    assert {(2000, "cuc.out.sccp"), (2443, "cuc.out.sccp")} <= sccp
    sip = {(f.port_start, f.rule) for f in _flows(hosts, cuc_integration="sip")}
    assert not {rule for _, rule in sip} & {"cuc.out.sccp"}
    # Certificates are fetched by TFTP for encrypted SIP as well (table 1-2 row 3).
    both = _flows(hosts, cuc_integration="sip", secure_integration=True)
    assert any(f.rule == "cuc.out.tftp" for f in both)


# --------------------------------------------------------------------------- PIMs

UCM = {"name": "ucm", "address": "10.0.5.1", "roles": ["unified-cm"]}
AVAYA = {"name": "acd", "address": "10.0.5.2", "roles": ["avaya-acd"]}


def _pg(name: str, address: str, **params: Any) -> dict[str, Any]:
    return {"name": name, "address": address, "roles": [{"role": "cce.pg", "side": "A", **params}]}


def test_pim_rows_only_for_pgs_with_that_pim() -> None:
    hosts = _hosts(UCM, AVAYA, _pg("pg-ucm", "10.0.4.1", pims=["ucm"]))
    hosts.append(_pg("pg-avaya", "10.0.4.2", pims=["avaya"]))
    flows = _flows(hosts)
    jtapi = {f.src for f in flows if f.rule == "cce.periph.cti-qbe-jtapi"}
    avaya = {f.dst for f in flows if f.rule == "cce.periph.avaya-pim" and f.port_start == 6060}
    assert jtapi == {"pg-ucm"}
    assert avaya == {"pg-avaya"}


def test_pg_without_pims_gets_every_pim_row_and_one_warning() -> None:
    hosts = _hosts(UCM, AVAYA, _pg("pg-1", "10.0.4.1"), _pg("pg-2", "10.0.4.2", pg=2))
    flows = _flows(hosts)
    assert {f.src for f in flows if f.rule == "cce.periph.cti-qbe-jtapi"} == {"pg-1", "pg-2"}
    assumed = [w for w in _warnings(hosts) if "pims" in w]
    assert len(assumed) == 1
    assert "pg-1, pg-2" in assumed[0] and "assumed" in assumed[0]


# --------------------------------------------------------------------------- CTI Server clients

CG = [
    {
        "name": "cg-a",
        "address": "10.0.6.1",
        "roles": [{"role": "cce.cg", "side": "A", "instance": 2}],
    },
    {
        "name": "cg-b",
        "address": "10.0.6.2",
        "roles": [{"role": "cce.cg", "side": "B", "instance": 2}],
    },
]
CRM = {"name": "crm", "address": "10.0.7.1", "roles": ["crm.connector"]}


def _crm_ports(**options: Any) -> set[tuple[str, int]]:
    flows = _flows(_hosts(*CG, CRM), crm_connector="salesforce", **options)
    return {(f.dst, f.port_start) for f in flows if f.rule.startswith("crm.connector.cti-side")}


def test_crm_connector_reaches_the_cti_servers_real_listeners() -> None:
    assert _crm_ports() == {("cg-a", 42027 + 80), ("cg-b", 43027 + 80)}


def test_crm_port_a_overrides_and_a_mismatch_is_warned() -> None:
    assert _crm_ports(Port_A=42107, Port_B=44027) == {("cg-a", 42107), ("cg-b", 44027)}
    warnings = _warnings(_hosts(*CG, CRM), crm_connector="salesforce", Port_A=42107, Port_B=44027)
    mismatch = [w for w in warnings if "Port_" in w]
    assert len(mismatch) == 1
    assert "Port_B = 44027" in mismatch[0] and "43107" in mismatch[0]


def test_cad_ged188_goes_to_each_sides_own_port() -> None:
    cdbs = {"name": "cdbs", "address": "10.0.7.2", "roles": ["cad.base-services"]}
    flows = _flows(_hosts(*CG, cdbs), cad=True)
    got = {(f.dst, f.port_start) for f in flows if f.rule == "cad.cdbs.ged188"}
    assert got == {("cg-a", 42107), ("cg-b", 43107)}


def test_role_with_every_row_switched_off_is_warned() -> None:
    cdbs = {"name": "cdbs", "address": "10.0.7.2", "roles": ["cad.base-services"]}
    warnings = _warnings(_hosts(cdbs))
    assert any("cad.base-services on cdbs" in w and "cad is False" in w for w in warnings)


# --------------------------------------------------------------------------- missing pieces


def test_no_domain_controller_is_warned() -> None:
    hosts = [h for h in _hosts() if h["name"] != "dc"]
    assert any("domain-controller" in w and "Active Directory" in w for w in _warnings(hosts))
    assert not any("Active Directory" in w for w in _warnings(_hosts()))


def test_router_and_logger_apart_is_warned_and_together_is_not() -> None:
    logger = {
        "name": "lgr-a",
        "address": "10.0.1.2",
        "roles": [{"role": "cce.logger", "side": "A"}],
    }
    apart = [w for w in _warnings(_hosts(logger)) if "Router-Logger" in w]
    assert len(apart) == 1 and "rtr-a" in apart[0] and "lgr-a" in apart[0]
    together = _hosts()
    together[0]["roles"].append({"role": "cce.logger", "side": "A"})
    assert not [w for w in _warnings(together) if "Router-Logger" in w]


def test_cuc_only_site_gets_no_cce_warning() -> None:
    hosts = [
        {"name": "cuc", "address": "10.1.0.1", "roles": [{"role": "cuc.server", "cluster": "c"}]}
    ]
    assert not [w for w in _warnings(hosts) if "domain-controller" in w or "Router" in w]


# --------------------------------------------------------------------------- the options command


def _options(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["options", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_options_lists_every_option_with_default_and_gated_entries() -> None:
    data = _options()
    by_name = {row["option"]: row for row in data["options"]}
    project = Project()
    assert set(by_name) == set(project.catalog.options)
    assert by_name["remote_access"]["default"] == ["rdp"]
    assert by_name["remote_access"]["type"] == "list"
    assert "cce.mgmt.telnet" in by_name["remote_access"]["gates"]
    assert by_name["cuc_integration"]["gates"] == ["cuc.out.sccp"]
    assert "cce.livedata.router-tip-events" in by_name["livedata"]["gates"]
    assert by_name["Port_A"]["ports"] == ["crm.connector.cti-side-a"]
    assert by_name["Port_A"]["default"] is None
    # every gate named is an entry whose conditions mention the option
    for row in data["options"]:
        for entry_id in row["gates"]:
            entry = project.entry(entry_id)
            keys = set(entry.when) | {k for i in entry.ports for k in i.when}
            keys |= {k for p in entry.peers for k in p.when}
            assert row["option"] in keys, (row["option"], entry_id)


def test_options_by_product_and_language() -> None:
    data = _options("--product", "CUC", "--lang", "ja")
    assert {row["product"] for row in data["options"]} == {"cuc"}
    assert data["summary"]["options"] == len(data["options"])
    row = next(r for r in data["options"] if r["option"] == "cuc_integration")
    assert "連動" in row["description"]


def test_options_text_view() -> None:
    result = CliRunner().invoke(main, ["options", "--product", "cce"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "remote_access" in result.output and "[rdp]" in result.output


# --------------------------------------------------------------------------- pack checks


def _pack(**entry_extra: Any) -> dict[str, Any]:
    return {
        "product": "site",
        "title": {"en": "site"},
        "document": "x",
        "options": {"tools": {"type": "list", "choices": ["a", "b"], "description": {"en": "x"}}},
        "roles": {"site.box": {"name": "box"}},
        "entries": [
            {
                "id": "site.box.x",
                "component": "x",
                "role": {"role": "site.box"},
                "ports": [{"protocol": "tcp", "ports": "1"}],
                "notes": {"en": "x"},
                "source": {"document": "x", "table": "1", "row": 1},
                **entry_extra,
            }
        ],
    }


def test_pack_condition_on_a_list_option_must_name_a_choice() -> None:
    with pytest.raises(CatalogError, match="can never hold"):
        assert Project(catalogs=[_pack(when={"tools": "c"})]).catalog.entries
    assert Project(catalogs=[_pack(when={"tools": "a"})]).catalog.entries


def test_pack_peer_condition_is_checked() -> None:
    peers = [{"role": "site.box", "when": {"tools": "z"}}]
    with pytest.raises(CatalogError, match="can never hold"):
        assert Project(catalogs=[_pack(peers=peers)]).catalog.entries


def test_pack_override_must_name_an_int_option() -> None:
    ports = [{"protocol": "tcp", "ports": "1", "override": "tools"}]
    with pytest.raises(CatalogError, match="must be an int option"):
        assert Project(catalogs=[_pack(ports=ports)]).catalog.entries

"""Resolution semantics, driven through a small made-up product so each rule is visible."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from portmatrix.catalog import Catalog, load_catalog
from portmatrix.errors import InventoryError, LookupFailure
from portmatrix.inventory import build_deployment, load_inventory
from portmatrix.model import Exposure, Flow, Matrix
from portmatrix.resolve import explain, resolve
from portmatrix.yamlio import parse_yaml

DATA = Path(__file__).resolve().parent / "data"
INVENTORY = DATA / "acme-inventory.yaml"


@pytest.fixture(scope="module")
def acme() -> Catalog:
    return load_catalog([DATA / "acme-pack.yaml"])


def _inventory() -> dict[str, Any]:
    return yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))


def _resolve(catalog: Catalog, data: dict[str, Any], *, strict: bool = False) -> Matrix:
    text = yaml.safe_dump(data, sort_keys=False)
    parsed, lines = parse_yaml(text, name="inv.yaml", error=InventoryError)
    return resolve(
        build_deployment(parsed, catalog, file="inv.yaml", lines=lines), catalog, strict=strict
    )


def _pairs(matrix: Matrix, rule: str) -> set[tuple[str, str, str, int, int]]:
    return {
        (f.src, f.dst, f.protocol.value, f.port_start, f.port_end)
        for f in matrix.flows
        if f.rule == rule
    }


def test_duplex_pair_talks_within_its_instance(acme: Catalog) -> None:
    matrix = _resolve(acme, _inventory())
    assert _pairs(matrix, "acme.switch.sync") == {
        ("sw-b", "sw-a", "tcp", 50044, 50044),
        ("sw-a", "sw-b", "tcp", 51044, 51044),
        ("sw-b", "sw-a", "udp", 39500, 39999),
        ("sw-a", "sw-b", "udp", 39500, 39999),
    }


def test_option_removes_conditional_ports(acme: Catalog) -> None:
    data = _inventory()
    data["options"] = {"acme_qos": False}
    assert any(
        f.protocol == "udp" for f in _resolve(acme, data).flows if f.rule == "acme.switch.sync"
    )
    data["options"] = {"acme_qos": True, "acme_base": 30000}
    matrix = _resolve(acme, data)
    assert not any(f.protocol == "udp" for f in matrix.flows if f.rule == "acme.switch.sync")
    assert ("console", "sw2-a", "tcp", 30002, 30002) in _pairs(matrix, "acme.switch.registry")


def test_missing_formula_option_is_named_with_its_line(acme: Catalog) -> None:
    data = _inventory()
    data["options"] = {"acme_qos": True}
    with pytest.raises(InventoryError, match="acme_base") as caught:
        _resolve(acme, data)
    assert caught.value.line is not None and caught.value.file == "inv.yaml"


def test_local_only_ports_stay_in_the_matrix_without_a_network_source(acme: Catalog) -> None:
    matrix = _resolve(acme, _inventory())
    local = [f for f in matrix.flows if f.rule == "acme.switch.debug"]
    assert {f.dst for f in local} == {"sw-a", "sw-b", "sw2-a"}
    assert all(f.exposure is Exposure.LOCAL_ONLY and f.src == f.dst for f in local)
    assert not any(f.rule == "acme.switch.debug" for f in matrix.network_flows())


def test_cluster_only_flows_stay_inside_the_cluster(acme: Catalog) -> None:
    pairs = _pairs(_resolve(acme, _inventory()), "acme.vault.replication")
    assert pairs == {
        ("vault-2", "vault-1", "tcp", 7000, 7001),
        ("vault-1", "vault-2", "tcp", 7000, 7001),
    }


def test_sites_scope_flows_and_serves_widens_them(acme: Catalog) -> None:
    media = {
        (src, dst) for src, dst, *_ in _pairs(_resolve(acme, _inventory()), "acme.vault.media")
    }
    assert ("phones-north", "vault-1") in media and ("phones-north", "vault-2") in media
    assert ("phones-east", "vault-3") in media, "vault-3 serves east"
    assert ("phones-north", "vault-3") not in media
    assert not any(src == "phones-west" for src, _ in media)


def test_port_list_options_feed_port_expressions(acme: Catalog) -> None:
    tcp = {
        (lo, hi)
        for s, d, p, lo, hi in _pairs(_resolve(acme, _inventory()), "acme.vault.media")
        if p == "tcp"
    }
    assert tcp == {(5060, 5062)}


def test_unbound_roles_are_listed_warned_and_strict_fails(acme: Catalog) -> None:
    matrix = _resolve(acme, _inventory())
    unbound = [f for f in matrix.flows if f.rule == "acme.vault.licence"]
    assert {f.dst for f in unbound} == {"role:acme.licence"} and all(f.unbound for f in unbound)
    assert {f.src for f in unbound} == {"vault-1", "vault-2", "vault-3"}
    assert any("acme.licence" in warning for warning in matrix.warnings)
    with pytest.raises(InventoryError, match="strict"):
        _resolve(acme, _inventory(), strict=True)


def test_a_bound_role_gives_its_unbound_flows_the_network_on_either_end(acme: Catalog) -> None:
    unbound = _pairs(_resolve(acme, _inventory()), "acme.vault.licence")
    data = _inventory()
    data["bind"] = {"acme.licence": "10.8.0.0/24"}
    matrix = _resolve(acme, data, strict=True)  # strict: nothing is unbound any more
    flows = [f for f in matrix.flows if f.rule == "acme.vault.licence"]
    assert _pairs(matrix, "acme.vault.licence") == unbound  # the same flows, now addressed
    assert {f.dst_address for f in flows} == {"10.8.0.0/24"} and not any(f.unbound for f in flows)
    assert "role:acme.licence" not in matrix.endpoints  # a binding is not a host


def test_outbound_rows_flow_from_the_owner_to_the_peer(acme: Catalog) -> None:
    data = _inventory()
    data["hosts"].append({"name": "lic", "address": "10.8.0.1", "roles": ["acme.licence"]})
    pairs = _pairs(_resolve(acme, data, strict=True), "acme.vault.licence")
    assert ("vault-1", "lic", "tcp", 27000, 27000) in pairs


def test_one_record_per_contiguous_range(acme: Catalog) -> None:
    matrix = _resolve(acme, _inventory())
    keys = [(f.src, f.dst, f.protocol, f.port_start, f.rule) for f in matrix.flows]
    assert len(keys) == len(set(keys))
    flow = next(f for f in matrix.flows if f.rule == "acme.switch.feed" and f.dst == "sw-a")
    assert flow.as_dict()["instance"] == 1 and flow.side == "A"
    assert flow.src_address == "10.9.0.0/24" and flow.dst_address == "10.1.0.1/32"
    assert flow.source == "acme-ports.pdf table 1 row 2"


def test_explain_gives_the_reason_for_each_decision(acme: Catalog) -> None:
    deployment = load_inventory(INVENTORY, acme)
    decisions = explain(deployment, acme, "sw2-a", "sw-b")
    reasons = [d.reason for d in decisions if d.rule == "acme.switch.sync" and not d.made]
    assert any("instance differs" in reason for reason in reasons)
    made = explain(deployment, acme, "sw-a", "sw-b")
    assert any(d.made and d.rule == "acme.switch.sync" for d in made)
    with pytest.raises(LookupFailure, match="did you mean"):
        explain(deployment, acme, "sw-c", "sw-b")


BAD = [
    (
        lambda d: d["hosts"][0]["roles"].__setitem__(0, {"role": "acme.swtch", "side": "A"}),
        "did you mean acme.switch",
    ),
    (lambda d: d["hosts"][0]["roles"][0].__setitem__("instance", 25), "outside 0-24"),
    (lambda d: d["hosts"][0]["roles"][0].__setitem__("side", "C"), "must be one of A, B"),
    (lambda d: d["hosts"][0]["roles"][0].pop("side"), "needs 'side'"),
    (lambda d: d["hosts"][1].__setitem__("name", "sw-a"), "used twice"),
    (lambda d: d["hosts"][1].__setitem__("address", "10.1.0.1"), "same address"),
    (lambda d: d["hosts"][1].__setitem__("address", "10.1.0.300"), "not an IP address"),
    (lambda d: d.__setitem__("options", {"acme_qoss": True}), "did you mean acme_qos"),
    (
        lambda d: d["hosts"][0]["roles"].append({"role": "acme.vault", "cluster": "c1"}),
        "both need tcp/50047",
    ),
    (lambda d: d["hosts"][0]["roles"][0].__setitem__("colour", "red"), "no parameter 'colour'"),
    (lambda d: d.__setitem__("zones", {"dmz": ["nothere"]}), "neither a host name nor a network"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_bad_inventories_fail_with_a_located_message(
    acme: Catalog, mutate: Any, message: str
) -> None:
    data = _inventory()
    mutate(data)
    with pytest.raises(InventoryError) as caught:
        _resolve(acme, data)
    assert message in str(caught.value)
    assert str(caught.value).startswith("inv.yaml:"), str(caught.value)


def test_zones_from_hosts_and_networks(acme: Catalog) -> None:
    data = _inventory()
    data["zones"] = {"core": ["sw-a", "10.2.0.0/16"]}
    data["hosts"][-1]["zone"] = "edge"
    matrix = _resolve(acme, data)
    assert set(matrix.zones["core"]) == {"sw-a", "vault-1", "vault-2", "vault-3"}
    assert matrix.zones["edge"] == ("phones-west",)


# ------------------------------------------------------------------ properties


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 23), st.integers(1, 3))
def test_renumbering_shifts_exactly_the_formula_ports(instance: int, step: int) -> None:
    catalog = load_catalog([DATA / "acme-pack.yaml"])
    step = min(step, 24 - instance)
    if step == 0:
        return
    before, after = _inventory(), _inventory()
    for data, value in ((before, instance), (after, instance + step)):
        for host in data["hosts"][:2]:
            host["roles"][0]["instance"] = value
        data["hosts"].pop(2)  # sw2-a would collide at some instances
    old, new = _resolve(catalog, before), _resolve(catalog, after)
    formula_rules = {"acme.switch.sync", "acme.switch.feed"}
    shifted = {
        (f.src, f.dst, f.protocol, f.port_start + 40 * step, f.rule)
        for f in old.flows
        if f.rule in formula_rules and f.protocol == "tcp"
    }
    assert shifted == {
        (f.src, f.dst, f.protocol, f.port_start, f.rule)
        for f in new.flows
        if f.rule in formula_rules and f.protocol == "tcp"
    }
    fixed = lambda m: {f for f in m.flows if f.rule not in formula_rules or f.protocol != "tcp"}  # noqa: E731
    assert {(f.src, f.dst, f.port_start, f.rule) for f in fixed(old)} == {
        (f.src, f.dst, f.port_start, f.rule) for f in fixed(new)
    }


role_choices = st.sampled_from(
    [
        {"role": "acme.phone"},
        {"role": "acme.console"},
        {"role": "acme.licence"},
        {"role": "acme.vault", "cluster": "c1"},
        {"role": "acme.switch", "side": "B", "instance": 2},
    ]
)


@settings(max_examples=25, deadline=None)
@given(role_choices, st.sampled_from([None, "north", "east", "south"]))
def test_adding_an_endpoint_never_removes_a_flow(role: dict[str, Any], site: str | None) -> None:
    catalog = load_catalog([DATA / "acme-pack.yaml"])
    base = _inventory()
    grown = copy.deepcopy(base)
    host: dict[str, Any] = {"name": "newcomer", "address": "10.77.0.1", "roles": [role]}
    if site:
        host["site"] = site
    grown["hosts"].append(host)
    before = _resolve(catalog, base)
    after = _resolve(catalog, grown)

    def bound(flows: tuple[Flow, ...]) -> set[tuple[str, str, str, int, int, str]]:
        return {
            (f.src, f.dst, f.protocol, f.port_start, f.port_end, f.rule)
            for f in flows
            if not f.unbound
        }

    assert bound(before.flows) <= bound(after.flows)

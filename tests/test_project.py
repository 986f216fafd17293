"""The Project facade: built from paths, YAML text or plain dicts; each stage computed once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import portmatrix.resolve as resolve_module
from portmatrix.catalog import PackText
from portmatrix.errors import InventoryError, LookupFailure
from portmatrix.project import InventoryText, Project

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "duplex-cce.yaml"


def pack(*entries: dict[str, Any], roles: dict[str, Any] | None = None) -> dict[str, Any]:
    """A small pack as plain data: roles `x.server` (cluster optional) and `x.client`."""
    return {
        "product": "x",
        "title": {"en": "X"},
        "document": "x.pdf",
        "roles": roles
        or {
            "x.server": {"name": "X server", "params": {"cluster": {"type": "str"}}},
            "x.client": {"name": "X client"},
        },
        "entries": list(entries),
    }


def entry(entry_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": entry_id,
        "component": entry_id,
        "role": {"role": "x.server"},
        "ports": [{"protocol": "tcp", "ports": "7000"}],
        "notes": {"en": "test"},
        "source": {"document": "x.pdf", "table": "1", "row": 1},
    }
    return {**base, **fields}


def inventory(*hosts: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": "t", "hosts": list(hosts), **more}


def test_paths_text_and_dicts_give_the_same_matrix() -> None:
    from_path = Project(EXAMPLE)
    from_text = Project(InventoryText(EXAMPLE.read_text(encoding="utf-8"), name="dup.yaml"))
    import yaml

    from_data = Project(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    assert from_path.matrix.flows == from_text.matrix.flows == from_data.matrix.flows
    assert from_path.matrix.flows  # not trivially equal


def test_each_stage_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = resolve_module.resolve
    monkeypatch.setattr(resolve_module, "resolve", lambda *a, **k: calls.append(1) or real(*a, **k))
    project = Project(EXAMPLE)
    assert project.matrix is project.matrix
    project.render("windows", host="rtr-a")
    project.listing()
    assert calls == [1]


def test_catalog_questions_need_no_inventory() -> None:
    project = Project()
    assert project.find_port(40087)[0].id == "cce.router.rtfeed-a"
    assert project.entries(product="CUC") and project.entries(product="cuc")
    with pytest.raises(LookupFailure, match="needs an inventory"):
        assert project.matrix
    with pytest.raises(LookupFailure) as info:
        project.entries(product="cucc")
    assert "cuc" in info.value.candidates


def test_between_lists_both_directions_and_suggests_names() -> None:
    project = Project(EXAMPLE)
    flows = project.between("rtr-a", "rtr-b")
    assert {(f.src, f.dst) for f in flows} == {("rtr-a", "rtr-b"), ("rtr-b", "rtr-a")}
    assert project.between("side-a", "side-b")
    with pytest.raises(LookupFailure) as info:
        project.between("rtr-a", "rtr-c")
    assert "rtr-a" in info.value.candidates or "rtr-b" in info.value.candidates


def test_a_user_pack_as_text_works_like_a_file() -> None:
    text = """
product: y
title: {en: Y}
document: y.pdf
roles: {y.box: {name: Y box}}
entries:
  - id: y.box.admin
    component: admin
    role: {role: y.box}
    peers: [{role: y.box}]
    ports: [{protocol: tcp, ports: 9443}]
    notes: {en: boxes talk}
    source: {document: y.pdf, table: "1", row: 1}
"""
    hosts = [{"name": f"b{n}", "address": f"10.0.0.{n}", "roles": ["y.box"]} for n in (1, 2)]
    project = Project(inventory(*hosts), catalogs=[PackText(text, name="y.yaml")])
    assert {(f.src, f.dst, f.port_start) for f in project.matrix.flows} == {
        ("b1", "b2", 9443),
        ("b2", "b1", 9443),
    }


# ---------------------------------------------------------------- blind spots (issue 9 item 6)


def test_a_cluster_only_port_needs_a_cluster_on_both_sides() -> None:
    """Two servers without any cluster are not "in the same cluster" (None == None)."""
    rows = pack(
        entry("x.repl", exposure="cluster", peers=[{"role": "x.server", "same": ["cluster"]}])
    )
    servers = [{"name": f"s{n}", "address": f"10.0.0.{n}", "roles": ["x.server"]} for n in (1, 2)]
    assert Project(inventory(*servers), catalogs=[rows], bundled=False).matrix.flows == ()
    clustered = [{**host, "roles": [{"role": "x.server", "cluster": "c1"}]} for host in servers]
    flows = Project(inventory(*clustered), catalogs=[rows], bundled=False).matrix.flows
    assert {(f.src, f.dst) for f in flows} == {("s1", "s2"), ("s2", "s1")}


def test_ephemeral_ranges_never_clash_but_services_do() -> None:
    """Two roles on one host may both use the client range; two listeners on one port clash."""
    ephemeral = {"protocol": "tcp", "ports": "49152-65535", "ephemeral": True}
    linux_clients = {"protocol": "tcp", "ports": "32768-60999", "ephemeral": True}
    roles = {
        "x.server": {"name": "X server"},
        "x.other": {"name": "X other"},
        "x.client": {"name": "X client"},
    }
    rows = pack(
        entry("x.a", ports=[ephemeral], peers=[{"role": "x.client"}]),
        entry("x.b", role={"role": "x.other"}, ports=[linux_clients], peers=[{"role": "x.client"}]),
        roles=roles,
    )
    hosts = [
        {"name": "both", "address": "10.0.0.1", "roles": ["x.server", "x.other"]},
        {"name": "c", "address": "10.0.0.2", "roles": ["x.client"]},
    ]
    assert Project(inventory(*hosts), catalogs=[rows], bundled=False).matrix.flows
    fixed = {"protocol": "tcp", "ports": "49160"}
    clashing = pack(
        entry("x.a", ports=[fixed], peers=[{"role": "x.client"}]),
        entry("x.b", role={"role": "x.other"}, ports=[fixed], peers=[{"role": "x.client"}]),
        roles=roles,
    )
    with pytest.raises(InventoryError, match="both need tcp/49160"):
        assert Project(inventory(*hosts), catalogs=[clashing], bundled=False).matrix


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("10.0.0.0", True),
        ("10.0.0.255", True),
        ("10.0.1.0", False),
        ("9.255.255.255", False),
        ("10.0.0.128/25", True),
        ("10.0.0.0/23", False),
    ],
)
def test_zone_networks_hold_exactly_their_own_addresses(address: str, inside: bool) -> None:
    rows = pack(entry("x.svc", peers=[{"role": "x.client"}]))
    hosts = [
        {"name": "srv", "address": "192.0.2.1", "roles": ["x.server"]},
        {"name": "probe", "address": address, "roles": ["x.client"]},
    ]
    project = Project(
        inventory(*hosts, zones={"lan": ["10.0.0.0/24"]}), catalogs=[rows], bundled=False
    )
    assert ("probe" in project.matrix.zones.get("lan", ())) is inside

"""The bundled example resolves to what the two documents require, and nothing exposure forbids."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from portmatrix.catalog import Catalog
from portmatrix.errors import InventoryError
from portmatrix.inventory import build_deployment, load_inventory
from portmatrix.model import Exposure, Matrix
from portmatrix.resolve import resolve
from portmatrix.yamlio import parse_yaml

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


@pytest.fixture(scope="module")
def matrix(catalog: Catalog) -> Matrix:
    return resolve(load_inventory(EXAMPLE, catalog), catalog)


def admits(matrix: Matrix, src: str, dst: str, proto: str, port: int) -> bool:
    return any(
        f.src == src and f.dst == dst and f.protocol == proto and f.port_start <= port <= f.port_end
        for f in matrix.network_flows()
    )


REQUIRED = [
    ("aw-1", "rtr-a", "tcp", 40047),  # router A rtfeed at instance 1: 40007 + 1*40
    ("aw-1", "rtr-b", "tcp", 41047),  # router B rtfeed: 41007 + 1*40
    ("rtr-a", "rtr-b", "tcp", 41044),  # router B private low: 41004 + 40
    ("rtr-a", "rtr-b", "udp", 39500),
    ("pg-a", "pg-b", "tcp", 43046),  # PG1 pgagent test-other-side: 43006 + 40
    ("pg-b", "pg-a", "tcp", 43046),
    ("cuc-sub", "cuc-pub", "tcp", 20500),
    ("cuc-pub", "cuc-sub", "tcp", 1500),
    ("cuc-pub", "cuc-sub", "tcp", 1502),
    ("phones", "cuc-pub", "tcp", 21000),
    ("phones", "cuc-sub", "tcp", 21512),
    ("phones", "cuc-pub", "udp", 16384),
    ("admin-net", "cuc-pub", "tcp", 443),
    ("admin-net", "cuc-sub", "tcp", 22),
    ("clients", "cuc-pub", "tcp", 993),
    ("cuc-pub", "ucm-1", "tcp", 2000),  # outbound SCCP to Unified CM
]


@pytest.mark.parametrize(("src", "dst", "proto", "port"), REQUIRED)
def test_required_flows(matrix: Matrix, src: str, dst: str, proto: str, port: int) -> None:
    assert admits(matrix, src, dst, proto, port)


FORBIDDEN = [
    ("phones", "cuc-pub", "tcp", 20500),  # cluster only
    ("admin-net", "cuc-pub", "tcp", 1502),  # cluster only
    ("clients", "cuc-sub", "tcp", 1515),  # cluster only
    ("pg-a", "rtr-a", "tcp", 40007),  # instance 0 port; the deployment is instance 1
    ("aw-1", "rtr-a", "tcp", 41047),  # side B port on the side A router
]


@pytest.mark.parametrize(("src", "dst", "proto", "port"), FORBIDDEN)
def test_forbidden_flows(matrix: Matrix, src: str, dst: str, proto: str, port: int) -> None:
    assert not admits(matrix, src, dst, proto, port)


@pytest.mark.parametrize(
    ("proto", "port"), [("tcp", 4904), ("tcp", 5001), ("tcp", 8005), ("udp", 7800)]
)
def test_local_only_ports_reach_nobody(matrix: Matrix, proto: str, port: int) -> None:
    for host in ("cuc-pub", "cuc-sub"):
        assert not any(
            f.dst == host and f.protocol == proto and f.port_start <= port <= f.port_end
            for f in matrix.network_flows()
        )
        assert any(
            f.dst == host and f.port_start <= port <= f.port_end for f in matrix.local_only(host)
        )


def test_cluster_only_flows_never_leave_the_cluster(matrix: Matrix) -> None:
    cluster = {"cuc-pub", "cuc-sub"}
    for flow in matrix.network_flows():
        if flow.exposure is Exposure.CLUSTER_ONLY:
            assert {flow.src, flow.dst} <= cluster, flow


def test_qos_removes_the_private_udp_range(catalog: Catalog) -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["options"]["qos_private"] = True
    parsed, lines = parse_yaml(yaml.safe_dump(data), name="qos.yaml", error=InventoryError)
    with_qos = resolve(build_deployment(parsed, catalog, file="qos.yaml", lines=lines), catalog)
    assert not admits(with_qos, "rtr-a", "rtr-b", "udp", 39500)
    assert admits(with_qos, "rtr-a", "rtr-b", "tcp", 41044)


def test_example_has_no_unbound_mandatory_peers(matrix: Matrix) -> None:
    assert not any(f.unbound for f in matrix.flows if f.rule.startswith("cuc.")), (
        "CUC peers are all present"
    )


def test_no_flow_from_a_host_to_itself_except_local_only(matrix: Matrix) -> None:
    assert all(f.local_only for f in matrix.flows if f.src == f.dst)


def _with(catalog: Catalog, mutate: object) -> Matrix:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    mutate(data)  # type: ignore[operator]
    parsed, lines = parse_yaml(
        yaml.safe_dump(data, sort_keys=False), name="x.yaml", error=InventoryError
    )
    return resolve(build_deployment(parsed, catalog, file="x.yaml", lines=lines), catalog)


def test_risdc_and_genesys_sim_clash_on_2555(catalog: Catalog) -> None:
    def add_sim(data: dict) -> None:  # type: ignore[type-arg]
        host = next(h for h in data["hosts"] if h["name"] == "cuc-pub")
        host["roles"].append("genesys.sim")
        data["hosts"].append({"name": "tsrv", "address": "10.99.0.1", "roles": ["genesys.tserver"]})

    with pytest.raises(InventoryError, match="2555") as caught:
        _with(catalog, add_sim)
    assert caught.value.line is not None


def test_two_instances_with_fixed_ports_clash(catalog: Catalog) -> None:
    def second_logger(data: dict) -> None:  # type: ignore[type-arg]
        host = next(h for h in data["hosts"] if h["name"] == "lgr-a")
        host["roles"].append({"role": "cce.logger", "side": "A", "instance": 2})

    # CSFS's 40015 has no instance term: two Logger instances on one server both want it.
    with pytest.raises(InventoryError, match="both need tcp/40015"):
        _with(catalog, second_logger)


def test_second_pg_pair_on_the_same_hosts_is_fine(catalog: Catalog) -> None:
    def pg2(data: dict) -> None:  # type: ignore[type-arg]
        for name, side in (("pg-a", "A"), ("pg-b", "B")):
            host = next(h for h in data["hosts"] if h["name"] == name)
            host["roles"].append({"role": "cce.pg", "side": side, "instance": 1, "pg": 2})

    grown = _with(catalog, pg2)
    assert admits(grown, "pg-a", "pg-b", "tcp", 45046)  # PG2 pgagent: 45006 + 40

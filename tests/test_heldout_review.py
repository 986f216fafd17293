"""Held-out review: a duplex CCE at instance 2 beside a Unity Connection cluster.

The expected flows below were written by hand from the seed documents (CCE
004_22b27dfc6c049eaa.txt, Unity Connection 000_e0967b9895897e12.txt), reading each row and
doing its arithmetic at instance 2 (base + 2 * 40 = base + 80). They are not read from the packs.
For each entry listed, the matrix must hold exactly these flows: no missing flow and no
forbidden one. A few flows that the corrections removed are listed as forbidden, each with the
reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from portmatrix import Project
from portmatrix.model import Flow
from portmatrix.project import InventoryText

INVENTORY = Path(__file__).parent / "data" / "heldout-cce2-cuc.yaml"

Key = tuple[str, str, str, int]  # src, dst, protocol, port

#: entry id -> every flow it must make in this deployment, and nothing else.
EXPECTED: dict[str, set[Key]] = {
    # Table 1 rows 26-27: real-time feed, the AW connects to each router at 40007/41007 + 80.
    "cce.router.rtfeed-a": {("aw-1", "rtr-a", "tcp", 40087)},
    "cce.router.rtfeed-b": {("aw-1", "rtr-b", "tcp", 41087)},
    # Table 1 rows 24-25: DMP public low/medium/high, each PG side to each router side.
    "cce.router.dmp-a": {
        (pg, "rtr-a", "tcp", port) for pg in ("pg-a", "pg-b") for port in (40082, 40097, 40083)
    }
    | {(pg, "rtr-a", "udp", 39500) for pg in ("pg-a", "pg-b")},
    "cce.router.dmp-b": {
        (pg, "rtr-b", "tcp", port) for pg in ("pg-a", "pg-b") for port in (41082, 41097, 41083)
    }
    | {(pg, "rtr-b", "udp", 39500) for pg in ("pg-a", "pg-b")},
    # Table 1 rows 36-37: Logger recovery, 40013/41013 + 80, from the other Logger.
    "cce.logger.recovery-a": {("lgr-b", "lgr-a", "tcp", 40093)},
    "cce.logger.recovery-b": {("lgr-a", "lgr-b", "tcp", 41093)},
    # Table 1 rows 28-29: HDS replication, 40026/40028 and 41026/41028 + 80.
    "cce.logger.hds-replication-a": {
        ("aw-1", "lgr-a", "tcp", 40106),
        ("aw-1", "lgr-a", "tcp", 40108),
    },
    "cce.logger.hds-replication-b": {
        ("aw-1", "lgr-b", "tcp", 41106),
        ("aw-1", "lgr-b", "tcp", 41108),
    },
    # Table 1 row 35, corrected: CSFS joins the two Logger sides on fixed TCP 40015.
    "cce.logger.csfs": {("lgr-a", "lgr-b", "tcp", 40015), ("lgr-b", "lgr-a", "tcp", 40015)},
    # Table 1 row 38, corrected: the administration clients reach 7890 on every CCE server.
    "cce.diagnostic-framework": {
        ("admin-net", host, "tcp", 7890)
        for host in ("rtr-a", "rtr-b", "lgr-a", "lgr-b", "pg-a", "pg-b", "aw-1")
    },
    # Table 4 row 1: GED-188, 42027 + 80 on side A and 43027 + 80 on side B; Finesse and the
    # Outbound dialer connect (CTI OS is not deployed).
    "cce.cg.ged188": {
        (client, cg, "tcp", port)
        for client in ("fin-1", "dialer-1")
        for cg, port in (("pg-a", 42107), ("pg-b", 43107))
    },
    # Table 13 rows 4-5, corrected: the connector reaches each side's real listener.
    "crm.connector.cti-side-a": {("crm-1", "pg-a", "tcp", 42107)},
    "crm.connector.cti-side-b": {("crm-1", "pg-b", "tcp", 43107)},
    # Table 14 row 39, corrected: Desktop Base Services, each side's port to that side only.
    "cad.cdbs.ged188": {("cdbs-1", "pg-a", "tcp", 42107), ("cdbs-1", "pg-b", "tcp", 43107)},
    # Table 3 row 1, corrected: Unified CM reaches the dialer's own SIP port, 58800 + 2.
    "cce.dialer.sip": {("ucm-1", "dialer-1", "udp", 58802)},
    # Table 10 rows 1-2: TIP events/TOS on the routers, 40034/41034 and 40035/41035 + 80,
    # reached by Live Data only (it runs on ld-1, not on CUIC).
    "cce.livedata.router-tip-events": {
        ("ld-1", "rtr-a", "tcp", 40114),
        ("ld-1", "rtr-b", "tcp", 41114),
    },
    "cce.livedata.router-tip-tos": {
        ("ld-1", "rtr-a", "tcp", 40115),
        ("ld-1", "rtr-b", "tcp", 41115),
    },
    # Table 10 rows 3 and 5: PG1's TIP events/TOS, 42034/43034 and 42035/43035 + 80.
    "cce.livedata.pg1-tip-events": {
        ("ld-1", "pg-a", "tcp", 42114),
        ("ld-1", "pg-b", "tcp", 43114),
    },
    "cce.livedata.pg1-tip-tos": {
        ("ld-1", "pg-a", "tcp", 42115),
        ("ld-1", "pg-b", "tcp", 43115),
    },
    # Table 10 rows 7-8, corrected: the browsers and CUIC reach Socket.IO on the Live Data server.
    "cce.livedata.socketio": {
        ("clients", "ld-1", "tcp", 12007),
        ("cuic-1", "ld-1", "tcp", 12007),
    },
    "cce.livedata.socketio-secure": {
        ("clients", "ld-1", "tcp", 12008),
        ("cuic-1", "ld-1", "tcp", 12008),
    },
    # Table 6 rows 1 and 3: the UCM PIM's JTAPI, PG to Unified CM 2748, Unified CM to PG 2789.
    "cce.periph.cti-qbe-jtapi": {("pg-a", "ucm-1", "tcp", 2748), ("pg-b", "ucm-1", "tcp", 2748)},
    "cce.periph.jtapi-app-server": {
        ("ucm-1", "pg-a", "tcp", 2789),
        ("ucm-1", "pg-b", "tcp", 2789),
    },
    # Table 6 row 2: the VRU PIM on 5000-5001, reached by CVP.
    "cce.periph.vru-pim": {
        ("cvp-1", pg, "tcp", port) for pg in ("pg-a", "pg-b") for port in (5000, 5001)
    },
    # Table 8 row 4: RDP, the one remote-control tool open by default.
    "cce.mgmt.rdp": {
        ("admin-net", host, "tcp", 3389)
        for host in ("rtr-a", "rtr-b", "lgr-a", "lgr-b", "pg-a", "pg-b", "aw-1")
    },
    # Unity Connection table 1-2 row 1: SCCP to Unified CM on 2000 (SCCP integration).
    "cuc.out.sccp": {("cuc-pub", "ucm-1", "tcp", 2000), ("cuc-sub", "ucm-1", "tcp", 2000)},
}

#: Flows the corrections removed, which must not come back under any entry.
FORBIDDEN: dict[Key, str] = {
    ("rtr-a", "rtr-b", "tcp", 40015): "CSFS is a Logger service, not the Routers'",
    ("rtr-b", "rtr-a", "tcp", 40015): "CSFS is a Logger service, not the Routers'",
    ("crm-1", "pg-a", "tcp", 42027): "42027 is the side-A listener at instance 0, not 2",
    ("crm-1", "pg-b", "tcp", 44027): "44027 is no side-B GED-188 port",
    ("cdbs-1", "pg-a", "tcp", 43107): "side B's port goes to side B only",
    ("cdbs-1", "pg-b", "tcp", 42107): "side A's port goes to side A only",
    ("dialer-1", "ucm-1", "udp", 58800): "Unified CM does not listen on the dialer's port",
    ("cuic-1", "rtr-a", "tcp", 40114): "CUIC gets TIP only when Live Data runs on it",
    ("cuic-1", "pg-a", "tcp", 42114): "CUIC gets TIP only when Live Data runs on it",
    ("admin-net", "rtr-a", "tcp", 23): "Telnet is not in the default remote_access",
    ("admin-net", "rtr-a", "tcp", 5631): "pcAnywhere is not in the default remote_access",
    ("admin-net", "rtr-a", "tcp", 5900): "VNC is not in the default remote_access",
    ("ld-1", "rtr-a", "tcp", 61616): "Contact Sharing is off by default",
    ("cvp-1", "pg-a", "tcp", 3000): "MIS is off by default",
}


@pytest.fixture(scope="module")
def flows_by_rule() -> dict[str, set[Key]]:
    found: dict[str, set[Key]] = {}
    for flow in Project(INVENTORY).matrix.flows:
        # Two adjacent ports arrive merged (40082-40083, 5000-5001) and are taken port by port;
        # a wide range (the shared UDP heartbeat range 39500-39999) by its first port.
        last = flow.port_end if flow.port_end - flow.port_start < 2 else flow.port_start
        for port in range(flow.port_start, last + 1):
            key = (flow.src, flow.dst, str(flow.protocol), port)
            found.setdefault(flow.rule, set()).add(key)
    return found


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_no_missing_and_no_extra_flow(rule: str, flows_by_rule: dict[str, set[Key]]) -> None:
    got = flows_by_rule.get(rule, set())
    assert sorted(EXPECTED[rule] - got) == [], "missing"
    assert sorted(got - EXPECTED[rule]) == [], "not in the documents"


def test_no_forbidden_flow() -> None:
    matrix = Project(INVENTORY).matrix
    hits = [
        (key, reason, flow.rule)
        for flow in matrix.flows
        for key, reason in FORBIDDEN.items()
        if (flow.src, flow.dst, str(flow.protocol)) == key[:3]
        and flow.port_start <= key[3] <= flow.port_end
    ]
    assert hits == []


def test_the_review_warns_about_the_router_and_logger_apart() -> None:
    warnings = Project(INVENTORY).warnings
    assert any("no Router-Logger row" in warning for warning in warnings)
    assert not any("domain-controller" in warning for warning in warnings)
    assert not any("pims" in warning for warning in warnings)


# The same deployment with the Router and PG pairs on two networks each, as a duplex CCE is
# cabled: the public address stays the one above, the private one is new (written by hand).
PRIVATE = {
    "rtr-a": "10.255.1.11",
    "rtr-b": "10.255.2.11",
    "pg-a": "10.255.1.21",
    "pg-b": "10.255.2.21",
}
PUBLIC = {
    "rtr-a": "192.0.2.11",
    "rtr-b": "198.51.100.11",
    "pg-a": "192.0.2.21",
    "pg-b": "198.51.100.21",
}


def bare(address: str | None) -> str | None:
    """A host's address as written in the inventory (flows carry it as a /32 prefix)."""
    return None if address is None else address.removesuffix("/32")


@pytest.fixture(scope="module")
def two_network_flows() -> list[Flow]:
    text = INVENTORY.read_text(encoding="utf-8")
    for host, public in PUBLIC.items():
        old = f"- name: {host}\n    address: {public}\n"
        assert old in text, host
        new = f"- name: {host}\n    addresses: {{public: {public}, private: {PRIVATE[host]}}}\n"
        text = text.replace(old, new)
    return list(Project(InventoryText(text, name="two-networks.yaml")).matrix.flows)


def test_private_rows_travel_between_the_private_addresses(two_network_flows: list[Flow]) -> None:
    # Table 1: MDS between the router sides and between the PG sides is on the private network.
    # Row 6 gives the router ports on side B only (side A connects); row 7's PG ports both ways.
    mds = [
        flow
        for flow in two_network_flows
        if flow.rule in ("cce.router.mds-private", "cce.pg1.mds-private")
    ]
    pairs = {(flow.src, flow.dst) for flow in mds}
    assert pairs == {("rtr-a", "rtr-b"), ("pg-a", "pg-b"), ("pg-b", "pg-a")}
    for flow in mds:
        assert flow.network == "private"
        assert (bare(flow.src_address), bare(flow.dst_address)) == (
            PRIVATE[flow.src],
            PRIVATE[flow.dst],
        )


def test_public_rows_and_the_others_keep_the_public_addresses(
    two_network_flows: list[Flow],
) -> None:
    # DMP (table 1 rows 24-25) is on the public network; the real-time feed names none, so it
    # goes to the host's main address, which here is the public one.
    dmp = [flow for flow in two_network_flows if flow.rule.startswith("cce.router.dmp-")]
    assert dmp and all(flow.network == "public" for flow in dmp)
    assert {bare(flow.dst_address) for flow in dmp} == {PUBLIC["rtr-a"], PUBLIC["rtr-b"]}
    assert {bare(flow.src_address) for flow in dmp} == {PUBLIC["pg-a"], PUBLIC["pg-b"]}
    feed = [flow for flow in two_network_flows if flow.rule.startswith("cce.router.rtfeed-")]
    assert {bare(flow.dst_address) for flow in feed} == {PUBLIC["rtr-a"], PUBLIC["rtr-b"]}
    touched = {bare(flow.src_address) for flow in two_network_flows} | {
        bare(flow.dst_address) for flow in two_network_flows
    }
    assert not any(
        flow.network != "private"
        and set(PRIVATE.values()) & {bare(flow.src_address), bare(flow.dst_address)}
        for flow in two_network_flows
    ), "a private address carries a flow of another network"
    assert set(PRIVATE.values()) <= touched


def test_two_networks_leave_the_set_of_flows_as_it_was(two_network_flows: list[Flow]) -> None:
    keys = {
        (f.src, f.dst, str(f.protocol), f.port_start, f.port_end, f.rule) for f in two_network_flows
    }
    single = {
        (f.src, f.dst, str(f.protocol), f.port_start, f.port_end, f.rule)
        for f in Project(INVENTORY).matrix.flows
    }
    assert keys == single

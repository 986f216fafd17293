"""A small hand-built matrix for the render tests: every case a renderer must print.

Nested networks (a host inside the phone subnet), ports that touch across catalog rows, a
local-only port, an IPv6-only server with its own local-only port, and two zones. Unbound and
contradictory flows are added by the tests that need them.
"""

from __future__ import annotations

from portmatrix.model import Endpoint, Exposure, Flow, Matrix, Protocol

TCP, UDP = Protocol.TCP, Protocol.UDP
DOC = "004_22b27dfc6c049eaa.txt"

ENDPOINTS = {
    endpoint.name: endpoint
    for endpoint in [
        Endpoint("rgr-a", "10.0.0.1/32", zone="dc"),
        Endpoint("rgr-b", "10.0.0.2/32", zone="dc"),
        Endpoint("pg-a", "10.0.1.1/32", zone="dc"),
        Endpoint("phones", "10.20.0.0/24", zone="agents"),
        Endpoint("aw", "10.20.0.7/32", zone="agents"),
        Endpoint("cuc6", "fd00::10/128", zone="v6"),
        Endpoint("adm6", "fd00:1::/64", zone="v6"),
    ]
}


def flow(
    src: str,
    dst: str,
    protocol: Protocol,
    start: int,
    end: int | None = None,
    *,
    rule: str,
    row: int = 1,
    exposure: Exposure = Exposure.OPEN,
) -> Flow:
    """A flow between two sample endpoints (``src`` may be ``role:x`` for an unbound one)."""
    source = ENDPOINTS.get(src)
    return Flow(
        src=src,
        dst=dst,
        protocol=protocol,
        port_start=start,
        port_end=end if end is not None else start,
        rule=rule,
        src_address=source.address if source is not None else None,
        dst_address=ENDPOINTS[dst].address,
        source=f"{DOC} table 1 row {row}",
        exposure=exposure,
    )


FLOWS = (
    flow("rgr-b", "rgr-a", TCP, 40007, rule="cce.router.mds", row=7),
    flow("rgr-b", "rgr-a", TCP, 40008, rule="cce.router.dmp", row=8),
    flow("pg-a", "rgr-a", TCP, 40017, 40020, rule="cce.router.pg", row=9),
    flow("phones", "rgr-a", UDP, 5060, rule="cce.sip", row=10),
    flow("aw", "rgr-a", UDP, 5060, rule="cce.sip", row=10),
    flow("aw", "rgr-a", TCP, 443, rule="cce.web", row=11),
    flow(
        "rgr-a",
        "rgr-a",
        TCP,
        40000,
        40001,
        rule="cce.mds-local",
        row=12,
        exposure=Exposure.LOCAL_ONLY,
    ),
    flow("rgr-a", "pg-a", TCP, 43004, rule="cce.pg.mds", row=13),
    flow("rgr-a", "aw", TCP, 1433, rule="cce.aw.sql", row=14),
    flow("adm6", "cuc6", TCP, 22, rule="cuc.ssh", row=15),
    flow("adm6", "cuc6", TCP, 443, rule="cuc.web", row=16),
    flow("cuc6", "cuc6", TCP, 5432, rule="cuc.db", row=17, exposure=Exposure.LOCAL_ONLY),
)

ZONES = {
    "dc": ("rgr-a", "rgr-b", "pg-a"),
    "agents": ("phones", "aw"),
    "v6": ("cuc6", "adm6"),
}


def sample_matrix(*extra: Flow) -> Matrix:
    return Matrix(name="sample", endpoints=dict(ENDPOINTS), flows=FLOWS + extra, zones=dict(ZONES))

"""The small database host that the held-out ruleset fixtures (tests/data/rulesets/db-host.*) guard.

Shared by the held-out, kernel and differential checker tests so they judge one matrix.
"""

from __future__ import annotations

from portmatrix.model import Endpoint, Flow, Matrix, Protocol

SERVER = "10.1.0.20"
ADDRESSES = {
    "db": f"{SERVER}/32",
    "app1": "10.1.0.10/32",
    "app2": "10.1.0.11/32",
    "mon": "10.1.0.30/32",
    "admin-net": "10.9.0.0/24",
    "backup": "10.1.0.40/32",
}


def _flow(src: str, protocol: str, lo: int, hi: int, rule: str) -> Flow:
    return Flow(src, "db", Protocol(protocol), lo, hi, rule, ADDRESSES[src], ADDRESSES["db"])


def db_matrix() -> Matrix:
    """What the database host must admit: the truth the fixtures' planted defects depart from."""
    flows = (
        _flow("app1", "tcp", 5432, 5432, "db.postgres"),
        _flow("app2", "tcp", 5432, 5432, "db.postgres"),
        _flow("mon", "tcp", 9100, 9100, "db.node-exporter"),
        _flow("mon", "tcp", 9187, 9187, "db.pg-exporter"),
        _flow("mon", "udp", 161, 161, "db.snmp"),
        _flow("admin-net", "tcp", 22, 22, "db.ssh"),
        _flow("backup", "tcp", 8000, 8010, "db.backup"),
    )
    endpoints = {name: Endpoint(name, address) for name, address in ADDRESSES.items()}
    return Matrix("db", endpoints, flows)

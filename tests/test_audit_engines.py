"""The audit's classification on DuckDB: its semantics case by case, and a brute-force matcher
against the engine on random records (IPv4 and IPv6, hosts and networks, overlapping flows)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_reference import (
    comparable,
    observed,
    random_records,
    record,
    reference,
    repeated,
    write_records,
)
from portmatrix.audit import audit_matrix, rules
from portmatrix.catalog import Catalog, load_catalog
from portmatrix.model import Matrix
from portmatrix.resolve import resolve_file

ROOT = Path(__file__).resolve().parent.parent
DUPLEX = ROOT / "examples" / "duplex-cce.yaml"
MIXED = Path(__file__).resolve().parent / "data" / "audit-mixed.yaml"
PG, RTR, DC = "10.10.1.21", "10.10.1.11", "10.10.3.61"
T0 = 1_764_583_200_000_000


@pytest.fixture(scope="module")
def duplex() -> Matrix:
    return resolve_file(DUPLEX)


@pytest.fixture(scope="module")
def mixed() -> Matrix:
    return resolve_file(MIXED)


@pytest.fixture(scope="module")
def bundled() -> Catalog:
    return load_catalog()


def run(matrix: Matrix, catalog: Catalog, folder: Path, records: list[dict], **kw: object):  # type: ignore[no-untyped-def]
    dataset = write_records(folder / "records", records)
    return audit_matrix(matrix, [dataset], catalog=catalog, **kw)  # type: ignore[arg-type]


def flow_named(report, rule: str, src: str, dst: str):  # type: ignore[no-untyped-def]
    return next(f for f in report.flows if (f.rule, f.src, f.dst) == (rule, src, dst) and f.hits)


def test_allowed_reply_attempt_and_unexpected(
    duplex: Matrix, bundled: Catalog, tmp_path: Path
) -> None:
    report = run(
        duplex,
        bundled,
        tmp_path,
        [
            record(PG, RTR, 6, 51000, 40042, bytes=100, time=T0),  # allowed: cce.router.dmp-a
            record(RTR, PG, 6, 40042, 51000, bytes=300, time=T0 + 1),  # its reply
            record(PG, RTR, 6, 51001, 40042, action="denied", time=T0 + 2),  # a blocked need
            record(PG, RTR, 6, 51002, 40042, answered=False, time=T0 + 3),  # never answered
            record("10.99.0.5", RTR, 6, 40000, 23, action="denied"),  # a blocked stranger
            record(PG, RTR, 6, 51003, 9999, bytes=7, time=T0 + 4),  # unexpected
            record(PG, RTR, 6, 51004, 9999, bytes=8, time=T0 + 9),
        ],
    )
    s = report.summary
    assert (s.records, s.allowed, s.reply, s.attempt, s.unexpected) == (7, 1, 1, 3, 2)
    assert s.coverage == pytest.approx(2 / 4)
    dmp = flow_named(report, "cce.router.dmp-a", "pg-a", "rtr-a")
    assert (dmp.hits, dmp.replies, dmp.attempts, dmp.bytes) == (1, 1, 2, 400)
    assert dmp.last_seen == "2025-12-01T10:00:00.000003Z"
    [unexpected] = report.unexpected
    assert (unexpected.src, unexpected.dst, unexpected.port, unexpected.count) == (
        "pg-a",
        "rtr-a",
        9999,
        2,
    )
    assert (unexpected.bytes, unexpected.first_seen) == (15, "2025-12-01T10:00:00.000004Z")
    needed = {a.port: a.rules for a in report.attempts}
    assert needed == {40042: ("cce.router.dmp-a",), 23: ()}
    assert not any(
        (u.rule, u.src, u.dst, u.port_start) == ("cce.router.dmp-a", "pg-a", "rtr-a", 40042)
        for u in report.unused
    )
    assert len(report.unused) == len(report.flows) - 1


def test_a_flow_only_attempted_is_not_unused(
    duplex: Matrix, bundled: Catalog, tmp_path: Path
) -> None:
    report = run(duplex, bundled, tmp_path, [record(PG, RTR, 6, 1, 445, action="denied")])
    used = {(f.rule, f.src, f.dst, f.protocol) for f in report.flows if f.attempts}
    unused = {(u.rule, u.src, u.dst, u.protocol) for u in report.unused}
    assert used == {("cce.winauth.smb", "pg-a", "rtr-a", "tcp")} and not used & unused
    assert ("cce.winauth.smb", "pg-a", "rtr-a", "udp") in unused


def test_two_flows_admitting_one_tuple_both_get_the_hit(
    duplex: Matrix, bundled: Catalog, tmp_path: Path
) -> None:
    report = run(duplex, bundled, tmp_path, [record("10.20.1.11", DC, 6, 40001, 53)])
    assert report.summary.allowed == 1 and report.summary.records == 1
    hit = sorted(f.rule for f in report.flows if f.hits)
    assert hit == ["cuc.out.dns", "cuc.out.domain-controller"]


def test_suggestion_names_the_instance_the_port_belongs_to(
    duplex: Matrix, bundled: Catalog, tmp_path: Path
) -> None:
    report = run(duplex, bundled, tmp_path, [record(PG, RTR, 6, 51000, 40082)])
    [unexpected] = report.unexpected
    assert unexpected.suggestion == (
        "pg-a -> rtr-a tcp/40082 is Router (side A) DMP (ccagent) (public low) at instance 2: "
        "is pg-a in instance 2?"
    )


def test_period_keeps_only_records_inside_it(
    duplex: Matrix, bundled: Catalog, tmp_path: Path
) -> None:
    records = [record(PG, RTR, 6, 1, 40042, time=T0 + i * 1_000_000) for i in range(5)]
    records.append(record(PG, RTR, 6, 1, 40042))  # no time: cannot be placed in a period
    report = run(duplex, bundled, tmp_path, records, since=T0 + 1_000_000, until=T0 + 3_000_000)
    assert report.summary.allowed == 2
    assert report.scope.since == "2025-12-01T10:00:01Z"
    everything = run(duplex, bundled, tmp_path / "all", records)
    assert everything.summary.allowed == 6


def test_wide_destinations_and_ipv6(mixed: Matrix, bundled: Catalog, tmp_path: Path) -> None:
    tables = rules.build(mixed)
    assert tables.wide, "phones /20 and /60 as destinations are matched by ranges"
    flows = tables.flows
    rtp = next(f for f in flows if f.dst == "phones-osaka" and f.protocol.value == "udp")
    v6 = next(f for f in flows if f.dst == "phones-fukuoka")
    records = [
        record("10.60.0.11", "10.61.31.254", 17, 30000, rtp.port_start),
        record(
            "2001:db8:63::11",
            "2001:db8:63:1f:ffff::1",
            PROTOCOLS[v6.protocol.value],
            1,
            v6.port_end,
        ),
        record("2001:db8:63::11", "2001:db8:63:20::1", 6, 1, v6.port_end),  # just outside the /60
    ]
    report = run(mixed, bundled, tmp_path, records, tables=tables)
    assert (report.summary.allowed, report.summary.unexpected) == (2, 1)
    assert report.unexpected[0].src == "cuc-fukuoka" and report.unexpected[0].dst is None


PROTOCOLS = {"tcp": 6, "udp": 17}


@pytest.mark.parametrize("inventory", [DUPLEX, MIXED], ids=["ipv4", "mixed"])
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 80))
def test_duckdb_agrees_with_brute_force(
    inventory: Path,
    bundled: Catalog,
    tmp_path_factory: pytest.TempPathFactory,
    seed: int,
    count: int,
) -> None:
    matrix = (
        _matrices[inventory]
        if inventory in _matrices
        else _matrices.setdefault(inventory, resolve_file(inventory))
    )
    tables = _tables.setdefault(inventory, rules.build(matrix))
    rng = random.Random(seed)
    records = repeated(random_records(tables.flows, rng, count), rng)
    report = run(matrix, bundled, tmp_path_factory.mktemp("rnd"), records, tables=tables)
    assert observed(report) == comparable(reference(tables.flows, records))


_matrices: dict[Path, Matrix] = {}
_tables: dict[Path, rules.RuleTables] = {}

"""A brute-force reading of the audit rules, written without the engines' cells or SQL.

Each record is tested against every audited flow with ``ipaddress`` containment: the slow,
obvious matcher the engines are checked against.
"""

from __future__ import annotations

import ipaddress
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portmatrix.audit import canonical
from portmatrix.audit.address import Address
from portmatrix.audit.report import AuditReport
from portmatrix.model import Flow

PROTOCOLS = {"tcp": 6, "udp": 17}


@dataclass
class Expected:
    classes: Counter[str] = field(default_factory=Counter)
    usage: dict[int, list[Any]] = field(default_factory=dict)
    unexpected: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    attempts: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)


def _net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text, strict=False)


def _matches(flow: Flow, src: str, dst: str, protocol: int, port: int | None) -> bool:
    if PROTOCOLS[flow.protocol.value] != protocol or port is None:
        return False
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    src_net, dst_net = _net(flow.src_address or ""), _net(flow.dst_address or "")
    return (
        s.version == src_net.version
        and d.version == dst_net.version
        and s in src_net
        and d in dst_net
        and flow.port_start <= port <= flow.port_end
    )


def _merge(into: list[Any], record: dict[str, Any]) -> None:
    into[0] += 1
    into[1] += record["bytes"] or 0
    t = record["time"]
    if t is not None:
        into[2] = t if into[2] is None else min(into[2], t)
        into[3] = t if into[3] is None else max(into[3], t)


def reference(flows: tuple[Flow, ...], records: list[dict[str, Any]]) -> Expected:
    out = Expected()
    for record in records:
        src, dst, proto = record["src"], record["dst"], record["protocol"]
        forward = [i for i, f in enumerate(flows) if _matches(f, src, dst, proto, record["dport"])]
        backward = [i for i, f in enumerate(flows) if _matches(f, dst, src, proto, record["sport"])]
        failed = record["action"] == "denied" or record["answered"] is False
        key = (src, dst, proto, record["dport"])
        if failed:
            kind, members = "attempt", forward
            entry = out.attempts.setdefault(key, [0, 0, None, None, set()])
            _merge(entry, record)
            entry[4] |= {flows[i].rule for i in forward}
        elif forward:
            kind, members = "allowed", forward
        elif backward:
            kind, members = "reply", backward
        else:
            kind, members = "unexpected", []
            _merge(out.unexpected.setdefault(key, [0, 0, None, None]), record)
        out.classes[kind] += 1
        for index in members:
            use = out.usage.setdefault(index, [Counter(), 0, None, None])
            use[0][kind] += 1
            if kind != "attempt":
                use[1] += record["bytes"] or 0
            t = record["time"]
            if t is not None:
                use[2] = t if use[2] is None else min(use[2], t)
                use[3] = t if use[3] is None else max(use[3], t)
    return out


def _micros(text: str | None) -> int | None:
    if text is None:
        return None
    from datetime import datetime

    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def observed(report: AuditReport) -> Expected:
    """The report in the reference's shape, to compare field by field."""
    out = Expected()
    for kind in ("allowed", "reply", "attempt", "unexpected"):
        if getattr(report.summary, kind):
            out.classes[kind] = getattr(report.summary, kind)
    for index, flow in enumerate(report.flows):
        if flow.hits or flow.replies or flow.attempts:
            counts = Counter(allowed=flow.hits, reply=flow.replies, attempt=flow.attempts)
            out.usage[index] = [
                +counts,
                flow.bytes,
                _micros(flow.first_seen),
                _micros(flow.last_seen),
            ]
    for u in report.unexpected:
        key = (u.src_address, u.dst_address, PROTOCOLS.get(u.protocol, _number(u.protocol)), u.port)
        out.unexpected[key] = [u.count, u.bytes, _micros(u.first_seen), _micros(u.last_seen)]
    for a in report.attempts:
        key = (a.src_address, a.dst_address, PROTOCOLS.get(a.protocol, _number(a.protocol)), a.port)
        out.attempts[key] = [
            a.count,
            None,
            _micros(a.first_seen),
            _micros(a.last_seen),
            set(a.rules),
        ]
    return out


def _number(name: str) -> int:
    return {"icmp": 1, "icmpv6": 58}.get(name, int(name) if name.isdigit() else -1)


def comparable(expected: Expected) -> Expected:
    """Attempt byte totals are not reported; drop them from the reference."""
    for entry in expected.attempts.values():
        entry[1] = None
    for use in expected.usage.values():
        use[0] = +use[0]
    return expected


def write_records(path: Path, records: list[dict[str, Any]]) -> Path:
    """``records`` as an ingested Parquet dataset at ``path``."""
    con = canonical.connect()
    staging = canonical.Staging(con)
    rows = []
    for number, r in enumerate(records, start=1):
        src, dst = Address.parse(r["src"]), Address.parse(r["dst"])
        rows.append(
            (
                r["time"],
                src.family,
                src.hi,
                src.lo,
                dst.hi,
                dst.lo,
                r["protocol"],
                r["sport"],
                r["dport"],
                r["action"],
                r["answered"],
                r["bytes"],
                None,
                None,
                "test",
                number,
                None,
            )
        )
    staging.insert_rows(rows)
    staging.write_parquet(path, staging.counts())
    return path


def record(
    src: str, dst: str, protocol: int, sport: int | None, dport: int | None, **extra: Any
) -> dict[str, Any]:
    base = {"time": None, "action": "allowed", "answered": None, "bytes": 0}
    base.update(extra)
    return {"src": src, "dst": dst, "protocol": protocol, "sport": sport, "dport": dport, **base}


def _host_in(network: str, rng: random.Random) -> str:
    net = _net(network)
    return str(net.network_address + rng.randrange(net.num_addresses))


def random_records(flows: tuple[Flow, ...], rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Records around the matrix: its flows, their replies, near misses and noise."""
    pool = sorted({a for f in flows for a in (f.src_address, f.dst_address) if a})
    out = []
    for _ in range(count):
        flow = rng.choice(flows)
        src, dst = _host_in(flow.src_address or "", rng), _host_in(flow.dst_address or "", rng)
        port = rng.randint(flow.port_start, flow.port_end)
        ephemeral = rng.choice([port, rng.randint(1024, 65535), rng.randint(49152, 49160)])
        shape = rng.random()
        proto = PROTOCOLS[flow.protocol.value]
        if shape < 0.2:  # a reply
            src, dst, sport, dport = dst, src, port, ephemeral
        elif shape < 0.35:  # a near miss on the port
            sport, dport = ephemeral, max(0, min(65535, port + rng.choice([-1, 1, 1000])))
        elif shape < 0.5:  # noise between inventory addresses
            src, dst = _host_in(rng.choice(pool), rng), _host_in(rng.choice(pool), rng)
            sport, dport = ephemeral, rng.choice([port, 22, 443, 9999])
            if ":" in src or ":" in dst:
                src, dst = (src, dst) if (":" in src) == (":" in dst) else (src, src)
        elif shape < 0.55:  # another protocol
            sport, dport, proto = None, None, rng.choice([1, 47])
        else:
            sport, dport = ephemeral, port
        action = rng.choice(["allowed"] * 6 + ["denied", "unknown"])
        answered = rng.choice([None, None, True, False])
        time = rng.choice([None, 1_764_583_200_000_000 + rng.randrange(10**9)])
        out.append(
            record(
                src,
                dst,
                proto,
                sport,
                dport,
                action=action,
                answered=answered,
                bytes=rng.randrange(5000),
                time=time,
            )
        )
    return out


def repeated(records: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """``records`` and, for about half of them, copies as flow logs write them again: the same
    tuple later, with other bytes, often another source port, sometimes denied or unanswered.

    The engines aggregate records by tuple before joining the matrix, so the matcher must see
    tuples that repeat with what the aggregation keeps apart (failure, a reply's source port).
    """
    out = list(records)
    for original in records:
        for _ in range(rng.choice([0, 0, 1, 3])):
            copy = dict(original, bytes=rng.randrange(5000))
            if copy["sport"] is not None and rng.random() < 0.6:
                copy["sport"] = rng.choice([rng.randint(1024, 65535), copy["dport"] or 1])
            if rng.random() < 0.2:
                copy["action"] = rng.choice(["allowed", "denied", "unknown"])
                copy["answered"] = rng.choice([None, True, False])
            if rng.random() < 0.5:
                copy["time"] = 1_764_583_200_000_000 + rng.randrange(10**9)
            out.append(copy)
    rng.shuffle(out)
    return out

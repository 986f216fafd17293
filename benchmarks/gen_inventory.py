#!/usr/bin/env python3
"""Generate an enterprise-sized inventory for the benchmarks (about 1,000 endpoints by default).

Shape: several CCE instances (duplex routers, loggers, three PG pairs with CTI servers, AWs),
Unity Connection clusters at hub sites each serving a group of branch sites, and per branch its
phone and client networks and voice gateways, plus shared services and admin networks. Sites
keep phones with the clusters that serve them, so flows grow with sites and instances, not with
their product.

    python benchmarks/gen_inventory.py -o /tmp/enterprise.yaml [--sites 50] [--instances 8]
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Iterator
from typing import Any

import yaml


def _addresses(prefix: str) -> Iterator[str]:
    for host in ipaddress.ip_network(prefix).hosts():
        yield str(host)


def _subnet(base: str, index: int, prefix: int) -> str:
    start = int(ipaddress.IPv4Address(base)) + index * 2 ** (32 - prefix)
    return f"{ipaddress.IPv4Address(start)}/{prefix}"


def _cce(instances: int) -> list[dict[str, Any]]:
    hosts: list[dict[str, Any]] = []
    addr = _addresses("10.100.0.0/16")
    for inst in range(instances):
        for side in "AB":
            s = side.lower()
            hosts.append(
                {
                    "name": f"rtr{inst}-{s}",
                    "address": next(addr),
                    "zone": f"cce-{s}",
                    "roles": [{"role": "cce.router", "side": side, "instance": inst}],
                }
            )
            hosts.append(
                {
                    "name": f"lgr{inst}-{s}",
                    "address": next(addr),
                    "zone": f"cce-{s}",
                    "roles": [{"role": "cce.logger", "side": side, "instance": inst}],
                }
            )
            for pg in (1, 2, 3):
                roles: list[dict[str, Any]] = [
                    {"role": "cce.pg", "side": side, "instance": inst, "pg": pg}
                ]
                if pg == 1:
                    roles.append({"role": "cce.cg", "side": side, "instance": inst})
                hosts.append(
                    {
                        "name": f"pg{pg}-{inst}-{s}",
                        "address": next(addr),
                        "zone": f"cce-{s}",
                        "roles": roles,
                    }
                )
        for primary in (True, False):
            hosts.append(
                {
                    "name": f"aw{inst}-{'p' if primary else 's'}",
                    "address": next(addr),
                    "zone": "services",
                    "roles": [{"role": "cce.aw", "instance": inst, "primary": primary}],
                }
            )
    return hosts


def _branches(sites: int, clusters: int) -> list[dict[str, Any]]:
    hosts: list[dict[str, Any]] = []
    per_cluster = max(1, sites // clusters)
    for cluster in range(clusters):
        served = [
            f"site{n}"
            for n in range(cluster * per_cluster, min(sites, (cluster + 1) * per_cluster))
        ]
        for node, role in ((1, "publisher"), (2, "subscriber")):
            hosts.append(
                {
                    "name": f"cuc{cluster}-{node}",
                    "address": f"10.90.{cluster}.{node}",
                    "site": f"hub{cluster}",
                    "zone": "voice",
                    "roles": [
                        {
                            "role": "cuc.server",
                            "cluster": f"cuc{cluster}",
                            "node": role,
                            "serves": served,
                        }
                    ],
                }
            )
        hosts.append(
            {
                "name": f"ucm{cluster}",
                "address": f"10.90.{cluster}.10",
                "site": f"hub{cluster}",
                "zone": "voice",
                "roles": [{"role": "unified-cm", "serves": served}],
            }
        )
    for site in range(sites):
        for vlan in range(10):
            hosts.append(
                {
                    "name": f"phones{site}-{vlan}",
                    "address": _subnet("172.16.0.0", site * 10 + vlan, 25),
                    "site": f"site{site}",
                    "zone": "users",
                    "roles": ["ip-phone"],
                }
            )
        for vlan in range(5):
            hosts.append(
                {
                    "name": f"clients{site}-{vlan}",
                    "address": _subnet("172.24.0.0", site * 5 + vlan, 24),
                    "site": f"site{site}",
                    "zone": "users",
                    "roles": ["client-workstation"],
                }
            )
        for gw in range(2):
            hosts.append(
                {
                    "name": f"vgw{site}-{gw}",
                    "address": _subnet("10.200.0.0", site * 2 + gw, 32).split("/")[0],
                    "site": f"site{site}",
                    "zone": "users",
                    "roles": ["voice-gateway", "sip-device"],
                }
            )
    return hosts


def _services() -> list[dict[str, Any]]:
    hosts: list[dict[str, Any]] = []
    for n in range(4):
        hosts.append(
            {
                "name": f"dc{n}",
                "address": f"10.80.0.{n + 1}",
                "zone": "services",
                "roles": ["domain-controller", "dns-server", "ntp-server"],
            }
        )
        hosts.append(
            {
                "name": f"exch{n}",
                "address": f"10.80.1.{n + 1}",
                "zone": "services",
                "roles": ["exchange", "smtp-server"],
            }
        )
        hosts.append(
            {
                "name": f"admin{n}",
                "address": f"10.81.{n}.0/24",
                "zone": "admin",
                "roles": ["admin-workstation", "cce.admin-client"],
            }
        )
    hosts.append({"name": "cuic", "address": "10.80.2.1", "zone": "services", "roles": ["cuic"]})
    hosts.append(
        {"name": "nms", "address": "10.80.3.1", "zone": "services", "roles": ["network-management"]}
    )
    hosts.append(
        {
            "name": "backup",
            "address": "10.80.4.1",
            "zone": "services",
            "roles": ["backup-server", "ftp-server"],
        }
    )
    return hosts


def generate(*, sites: int = 50, instances: int = 8, clusters: int = 8) -> dict[str, Any]:
    hosts = _cce(instances) + _branches(sites, clusters) + _services()
    return {
        "name": f"enterprise-{sites}s-{instances}i",
        "options": {"qos_private": False, "exchange": "2010", "RTPPortRangeStart": 20000},
        "hosts": hosts,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--instances", type=int, default=8)
    parser.add_argument("--clusters", type=int, default=8)
    args = parser.parse_args(argv)
    data = generate(sites=args.sites, instances=args.instances, clusters=args.clusters)
    with open(args.output, "w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)
    print(f"{args.output}: {len(data['hosts'])} endpoints", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""What a check covers: lanes of traffic, the chains each crosses, and the flows each must carry.

* ``--host H``: traffic *to* H from anywhere, through the input path (nftables input hook,
  iptables INPUT; for ASA/IOS, the chosen access-list).
* ``--between A B``: traffic between the endpoints of two zones, both ways, through the forward
  path; ASA/IOS use the lists bound to interfaces named after the zones, if there are any.
* neither: every flow of the matrix through the forward path, as for a firewall that all of
  them cross.

Only TCP and UDP to ports 1-65535 are judged: they are all the catalog speaks of. A lane is
cut into *slices*, one per destination endpoint, so each evaluation only meets the rules that
name that destination.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from portmatrix.check.report.labels import Endpoints
from portmatrix.check.ruleset import Path, Ruleset, Stage
from portmatrix.errors import LookupFailure
from portmatrix.model import Flow, Matrix
from portmatrix.suggest import unknown
from portmatrix.traffic import (
    ALL_ADDRESSES,
    TCP,
    UDP,
    Box,
    Interval,
    Intervals,
    family_of,
    family_space,
    intersect,
    network_interval,
    normalise,
    span,
)

SCOPE_PROTOCOLS: Intervals = ((TCP, TCP), (UDP, UDP))
SCOPE_PORTS: Intervals = span(1, 65535)
#: Source ports of a client opening a connection: the ephemeral ports, never a privileged one.
CLIENT_PORTS: Intervals = span(1024, 65535)


@dataclass(frozen=True)
class Slice:
    window: Interval
    label: str
    family: int


@dataclass
class Lane:
    """One direction of traffic the check covers."""

    label: str
    src: Intervals
    dst: Intervals
    pipelines: dict[int, list[str]]  # address family -> base chains, in order
    flows: list[Flow] = field(default_factory=list)
    fixed_label: str | None = None  # host mode: every slice is the host

    def box(self, family: int) -> Box:
        space = family_space(family)
        return (
            intersect(self.src, space),
            intersect(self.dst, space),
            SCOPE_PROTOCOLS,
            SCOPE_PORTS,
            SCOPE_PORTS,
        )


@dataclass
class Scope:
    description: str
    lanes: list[Lane]
    skipped: dict[str, int]  # why flows were left out -> how many


def build_scope(
    matrix: Matrix,
    ruleset: Ruleset,
    *,
    host: str | None = None,
    between: tuple[str, str] | None = None,
    acl: str | None = None,
    address: str | None = None,
) -> Scope:
    """The lanes to check; ``address`` narrows a host's lane to that one of its addresses."""
    if host is not None and between is not None:
        raise LookupFailure("give either a host or two zones, not both")
    if acl is not None and not ruleset.acls:
        raise LookupFailure("--acl applies to ASA and IOS configurations only")
    skipped: dict[str, int] = {}
    if host is not None:
        lane = _host_lane(matrix, ruleset, host, acl, address)
        flows = matrix.flows_to(host)
        if address is not None:
            flows = [flow for flow in flows if flow.dst_address == address]
        lane.flows = _checkable(flows, ruleset, skipped)
        return _named(Scope(f"traffic to {host}", [lane], skipped), ruleset)
    if between is not None:
        return _between(matrix, ruleset, between, acl, skipped)
    endpoints = Endpoints(matrix)
    lane = Lane(
        "every flow",
        ALL_ADDRESSES,
        normalise(endpoints.intervals.values()),
        pipelines_for(ruleset, Path.FORWARD, acl, None, None),
    )
    lane.flows = _checkable(matrix.network_flows(), ruleset, skipped)
    return _named(Scope("every flow of the matrix", [lane], skipped), ruleset)


def _host_lane(
    matrix: Matrix, ruleset: Ruleset, host: str, acl: str | None, address: str | None
) -> Lane:
    endpoint = matrix.endpoints.get(host)
    if endpoint is None:
        raise unknown("endpoint", host, matrix.endpoints, where="the inventory")
    addresses = [address] if address is not None else endpoint.all_addresses()
    dst = normalise(network_interval(address) for address in addresses)
    pipelines = pipelines_for(ruleset, Path.INPUT, acl, None, None)
    label = host
    if address is not None and address != endpoint.address:  # a further network: rtr-b@private
        label = next((f"{host}@{net}" for net, own in endpoint.addresses if own == address), host)
    return Lane(f"to {label}", ALL_ADDRESSES, dst, pipelines, fixed_label=label)


def _between(
    matrix: Matrix,
    ruleset: Ruleset,
    zones: tuple[str, str],
    acl: str | None,
    skipped: dict[str, int],
) -> Scope:
    for zone in zones:
        if zone not in matrix.zones:
            raise unknown("zone", zone, matrix.zones, where="the inventory")
    a, b = zones
    addresses = {
        zone: normalise(map(network_interval, _zone_addresses(matrix, zone))) for zone in zones
    }
    flows = _checkable(matrix.flows_between(a, b), ruleset, skipped)
    in_a = matrix.zone_test(a)
    lanes = []
    for src, dst in ((a, b), (b, a)):
        lane = Lane(
            f"{src} -> {dst}",
            addresses[src],
            addresses[dst],
            pipelines_for(ruleset, Path.FORWARD, acl, src, dst),
        )
        lane.flows = [flow for flow in flows if in_a(flow.src, flow.src_address) == (src == a)]
        lanes.append(lane)
    return _named(Scope(f"traffic between {a} and {b}", lanes, skipped), ruleset)


def _zone_addresses(matrix: Matrix, zone: str) -> list[str]:
    """The addresses a zone holds: its (host, address) pairs, or its members' every address."""
    ends = matrix.zone_ends.get(zone)
    if ends is not None:
        return sorted(address for _, address in ends)
    return [
        address for name in matrix.zones[zone] for address in matrix.endpoints[name].all_addresses()
    ]


def _named(scope: Scope, ruleset: Ruleset) -> Scope:
    """For Cisco files, say which access-lists the check went through."""
    if ruleset.acls:
        lists = dict.fromkeys(chain for lane in scope.lanes for chain in lane.pipelines[4])
        scope.description += f" through access-list {', '.join(lists)}"
    return scope


def _checkable(flows: Sequence[Flow], ruleset: Ruleset, skipped: dict[str, int]) -> list[Flow]:
    """Flows the check can judge; the rest are counted by reason so the report can say so."""
    kept = []
    for flow in flows:
        reason = None
        if flow.unbound or flow.dst_address is None:
            reason = "unbound (no endpoint holds the source role)"
        elif flow.src == flow.dst:
            reason = "from a host to itself (loopback)"
        elif family_of(network_interval(flow.dst_address)[0]) not in ruleset.families:
            reason = "of an IP family the ruleset does not cover"
        if reason is None:
            kept.append(flow)
        else:
            skipped[reason] = skipped.get(reason, 0) + 1
    return kept


def pipelines_for(
    ruleset: Ruleset, path: Path, acl: str | None, src_zone: str | None, dst_zone: str | None
) -> dict[int, list[str]]:
    """The chains traffic crosses on ``path``, per address family.

    Traffic between two zones enters the firewall through the interface named like the source
    zone and leaves through the one named like the destination zone, so it meets the stages
    bound to those (and the unbound ones). When a file binds its lists to interfaces the check
    cannot place (no zones, or zones named otherwise), the list to use is the file's only one,
    or the only one bound anywhere; otherwise the user names it with ``--acl``.
    """
    if acl is not None:
        if acl not in ruleset.acls:
            raise unknown("access-list", acl, ruleset.acls, where=ruleset.file)
        return {4: [acl], 6: [acl]}
    stages = [stage for stage in ruleset.paths.get(path, []) if stage.chain in ruleset.chains]
    met = [stage for stage in stages if stage.meets(src_zone, dst_zone)]
    if ruleset.acls and not (met and src_zone is not None):
        chains = _only_list(ruleset, stages)
        return {4: chains, 6: chains}
    return {family: [stage.chain for stage in met if family in stage.families] for family in (4, 6)}


def _only_list(ruleset: Ruleset, stages: Sequence[Stage]) -> list[str]:
    """The file's only access-list, or the only one bound to anything (unbound lists filter
    nothing), when the check cannot tell which interfaces the traffic crosses."""
    if len(ruleset.acls) == 1:
        return list(ruleset.acls)
    applied = list(dict.fromkeys(stage.chain for stage in stages))
    if len(applied) == 1:
        return applied
    raise LookupFailure(
        f"{ruleset.file} has access-lists {', '.join(ruleset.acls)}; choose one with --acl"
        " (or name the firewall's interfaces after the zones and use --between)"
    )


def slices(lane: Lane, endpoints: Endpoints, families: frozenset[int]) -> list[Slice]:
    """The lane's destinations cut at endpoint boundaries, each named by its endpoint."""
    out: list[Slice] = []
    for family in sorted(families):
        for lo, hi in intersect(lane.dst, family_space(family)):
            out.extend(_cut(lo, hi, endpoints, lane.fixed_label, family))
    return out


def _cut(lo: int, hi: int, endpoints: Endpoints, fixed: str | None, family: int) -> list[Slice]:
    names = endpoints.overlapping(lo, hi)
    points = sorted(
        {lo, hi + 1}
        | {
            p
            for n in names
            for p in (endpoints.intervals[n][0], endpoints.intervals[n][1] + 1)
            if lo < p <= hi
        }
    )
    out = []
    for start, stop in itertools.pairwise(points):
        label = fixed or endpoints.most_specific(start, stop - 1)
        if label is not None:
            out.append(Slice((start, stop - 1), label, family))
    return out

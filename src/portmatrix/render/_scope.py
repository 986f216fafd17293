"""From a resolved matrix to what one file must say: select the flows, then compact them.

Host mode takes every flow whose destination is the host (accepted from exactly its sources),
the host's local-only ports (dropped from everything but loopback) and, with ``egress``, the
flows the host opens itself. Network mode takes the flows that cross between two zones, in both
directions. The result, a :class:`CompactMatrix`, is all a renderer ever sees.

Flows that cannot be placed are never dropped silently: an unbound flow (its peer has no address
in the inventory) is an error unless the user asked to skip unbound flows, in which case it is
listed in the file's header and warned about; a flow that would open a port the same host keeps
local-only is a contradiction in the catalog and always an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from portmatrix.compact import Grant, compact_flows
from portmatrix.errors import LookupFailure
from portmatrix.model import Endpoint, Flow, Matrix
from portmatrix.render._protocol import Mode, RenderOptions
from portmatrix.render._refusal import UNBOUND_HINT, Problem, Skipped, raise_if
from portmatrix.suggest import unknown
from portmatrix.traffic import network_family


class Hook(StrEnum):
    """Where a section's rules apply: traffic to the host, from the host, or through a firewall."""

    INPUT = "input"
    OUTPUT = "output"
    FORWARD = "forward"


class Action(StrEnum):
    ACCEPT = "accept"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class Section:
    """Grants that share a hook and an action, e.g. everything accepted towards the host."""

    hook: Hook
    action: Action
    title: str
    grants: tuple[Grant, ...]
    #: Match both addresses, as a firewall between zones does. Set on a host with several
    #: addresses (a public and a private network): a rule admitting a peer by its source
    #: alone would admit it on every address of the host, the private MDS ports from the
    #: public network included, which ``check`` rightly reports as excess.
    both_ends: bool = False

    @property
    def matches_source(self) -> bool:
        return self.hook is not Hook.OUTPUT or self.both_ends

    @property
    def matches_destination(self) -> bool:
        return self.hook is not Hook.INPUT or self.both_ends


@dataclass(frozen=True, slots=True)
class CompactMatrix:
    """One file's worth of the matrix, selected and compacted, ready to print."""

    deployment: str
    mode: Mode
    subject: str  # "host cce-rgr-a" or "zones agents <-> datacenter"
    sections: tuple[Section, ...]
    flows: tuple[Flow, ...]  # the flows the sections express
    flows_in: int  # flows selected, including those left out
    skipped: tuple[Skipped, ...] = ()
    host: Endpoint | None = None
    zones: tuple[str, str] | None = None
    #: Every endpoint of the deployment, for targets that name addresses after hosts and roles.
    endpoints: Mapping[str, Endpoint] = field(default_factory=dict)
    site_rules: tuple[str, ...] = ()  # the inventory's exclusions, overrides and bindings

    def section(self, hook: Hook, action: Action) -> Section | None:
        return next((s for s in self.sections if s.hook is hook and s.action is action), None)

    @property
    def families(self) -> frozenset[int]:
        return frozenset(grant.family for section in self.sections for grant in section.grants)


@dataclass(frozen=True)
class FlowIndex:
    """Network flows by destination and by source, and local-only ones by host, built once."""

    by_destination: dict[str, list[Flow]] = field(default_factory=dict)
    by_source: dict[str, list[Flow]] = field(default_factory=dict)
    local: dict[str, list[Flow]] = field(default_factory=dict)

    @classmethod
    def of(cls, matrix: Matrix) -> FlowIndex:
        """The matrix's own per-host index (built once per matrix, shared with every caller)."""
        to, out, local = matrix.host_index()
        return cls(to, out, local)


def flow_family(flow: Flow) -> int | None:
    address = flow.dst_address or flow.src_address
    return network_family(address) if address else None


def _families_differ(flow: Flow) -> bool:
    if flow.src_address is None or flow.dst_address is None:
        return False
    return network_family(flow.src_address) != network_family(flow.dst_address)


def build(
    matrix: Matrix, *, target: str, options: RenderOptions, index: FlowIndex | None = None
) -> CompactMatrix:
    """Select and compact the flows for the file ``options`` describe."""
    if options.between is not None:
        return _build_network(matrix, target=target, options=options, zones=options.between)
    if options.host is None:
        raise LookupFailure("say which host to render (--host), or two zones (--between)")
    return _build_host(matrix, target=target, options=options, index=index or FlowIndex.of(matrix))


@dataclass
class _Selection:
    """Flows sorted into kept, skipped (with a reason) and impossible (problems)."""

    options: RenderOptions
    kept: list[Flow] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def take(self, flows: Iterable[Flow], *, needs: str) -> list[Flow]:
        """Keep the flows that have the address ``needs`` names and the family asked for."""
        taken = []
        for flow in flows:
            if getattr(flow, needs) is None:
                self._unbound(flow, needs)
            elif _families_differ(flow):
                why = "an IPv4 and an IPv6 endpoint cannot reach each other"
                hint = "give both endpoints addresses of one family"
                self.problems.append(Problem(flow, "src_address", why, hint))
            elif self.options.family and flow_family(flow) != self.options.family:
                self.skipped.append(Skipped(flow, f"IPv{flow_family(flow)}, not rendered"))
            else:
                taken.append(flow)
        self.kept.extend(taken)
        return taken

    def _unbound(self, flow: Flow, needs: str) -> None:
        why = "unbound: no host in the inventory holds the peer's role"
        if self.options.skip_unbound:
            self.skipped.append(Skipped(flow, why))
        else:
            self.problems.append(Problem(flow, needs, why, UNBOUND_HINT))


def _build_host(
    matrix: Matrix, *, target: str, options: RenderOptions, index: FlowIndex
) -> CompactMatrix:
    host = _endpoint(matrix, options.host or "")
    subject = f"host {host.name}"
    into = index.by_destination.get(host.name, [])
    local = index.local.get(host.name, [])
    selection = _Selection(options)
    selection.kept.extend(local)
    inbound = selection.take(into, needs="src_address")
    away = index.by_source.get(host.name, []) if options.egress else []
    outbound = selection.take(away, needs="dst_address")
    selection.problems.extend(_local_conflicts(inbound, local))
    raise_if(target, subject, selection.problems)
    several = len(host.all_addresses()) > 1
    sections = [
        Section(Hook.INPUT, Action.DROP, "local-only ports", _compact(local, any_source=True)),
        Section(Hook.INPUT, Action.ACCEPT, f"to {host.name}", _compact(inbound), several),
    ]
    if options.egress:
        sections.append(
            Section(Hook.OUTPUT, Action.ACCEPT, f"from {host.name}", _compact(outbound), several)
        )
    return CompactMatrix(
        deployment=matrix.name,
        mode=Mode.HOST,
        subject=subject,
        sections=tuple(sections),
        flows=tuple(selection.kept),
        flows_in=len(into) + len(local) + len(away),
        skipped=tuple(selection.skipped),
        host=host,
        endpoints=matrix.endpoints,
        site_rules=matrix.site_rules,
    )


def _build_network(
    matrix: Matrix, *, target: str, options: RenderOptions, zones: tuple[str, str]
) -> CompactMatrix:
    for zone in zones:
        if zone not in matrix.zones:
            raise unknown("zone", zone, matrix.zones, where=matrix.name)
    subject = f"zones {zones[0]} <-> {zones[1]}"
    crossing = matrix.flows_between(*zones)
    selection = _Selection(options)
    bound = selection.take(crossing, needs="src_address")
    raise_if(target, subject, selection.problems)
    title = f"between {zones[0]} and {zones[1]}"
    return CompactMatrix(
        deployment=matrix.name,
        mode=Mode.NETWORK,
        subject=subject,
        sections=(Section(Hook.FORWARD, Action.ACCEPT, title, _compact(bound)),),
        flows=tuple(selection.kept),
        flows_in=len(crossing),
        skipped=tuple(selection.skipped),
        zones=zones,
        endpoints=matrix.endpoints,
        site_rules=matrix.site_rules,
    )


def _compact(flows: Sequence[Flow], *, any_source: bool = False) -> tuple[Grant, ...]:
    return compact_flows(flows, any_source=any_source) if flows else ()


def _endpoint(matrix: Matrix, name: str) -> Endpoint:
    endpoint = matrix.endpoints.get(name)
    if endpoint is None:
        raise unknown("host", name, matrix.endpoints, where=matrix.name)
    return endpoint


def _local_conflicts(inbound: Sequence[Flow], local: Sequence[Flow]) -> list[Problem]:
    """Flows that would open a port the host keeps local-only: the catalog contradicts itself."""
    problems = []
    for flow in inbound:
        for blocked in local:
            overlap = (
                blocked.protocol is flow.protocol
                and blocked.port_start <= flow.port_end
                and flow.port_start <= blocked.port_end
            )
            if overlap:
                why = f"port is local-only on {flow.dst} by {blocked.rule} ({blocked.source})"
                problems.append(
                    Problem(flow, "exposure", why, "fix one of the two catalog entries")
                )
                break
    return problems

"""From a matrix to the ports an emulator opens and the checks a probe makes.

The emulator on a host and every probe aimed at it must agree on which ports exist, or a probe
would knock on a port nobody emulates and report it closed. Both therefore come from this one
module: a host's *documented ports* are every port of every flow whose destination it is
(local-only ones included, so a firewall that forgets to block them is caught), with large
ranges cut down to the same sample on both sides.

Addresses come only from the inventory (:meth:`Planner.addresses`); nothing here accepts an
address from anywhere else, so a probe cannot be pointed at a range the inventory does not name.
A network endpoint (a /24 of phones) is probed only at, and from, the ``probe_address`` the
inventory gives it: never at a guessed address, which on a real network is somebody's
machine, often the gateway. Only the lab, whose addresses exist nowhere but in its own
namespaces, invents one (``invent_addresses``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from portmatrix.errors import LookupFailure, VerifyError
from portmatrix.model import Endpoint, Flow, Matrix, Protocol
from portmatrix.options import DEFAULT_SAMPLE as DEFAULT_SAMPLE
from portmatrix.verify.probe import Expected, Probe

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Sampling:
    """How much of each port range emulators open and probes check.

    ``size``: ranges longer than this are covered by ``size`` ports spread evenly from one end
    to the other. ``include_ephemeral``: also cover dynamic client ranges (32768-61000), which
    are otherwise left out: nothing listens there on a real host.
    """

    size: int = DEFAULT_SAMPLE
    include_ephemeral: bool = False

    def __post_init__(self) -> None:
        if self.size < 2:
            raise ValueError("a sample needs at least 2 ports, one for each end of a range")

    def ports(self, flow: Flow) -> list[int]:
        if flow.ephemeral and not self.include_ephemeral:
            return []
        return sample_range(flow.port_start, flow.port_end, self.size)


def sample_range(start: int, end: int, size: int) -> list[int]:
    """``size`` ports from ``start..end`` inclusive, both ends included, evenly spread."""
    count = end - start + 1
    if count <= size:
        return list(range(start, end + 1))
    step = (end - start) / (size - 1)
    return sorted({start + round(index * step) for index in range(size)})


@dataclass(frozen=True, slots=True)
class ListenPort:
    """One port an emulator opens, and the catalog entries that document it."""

    protocol: Protocol
    port: int
    rules: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.protocol.value}/{self.port}"


class Planner:
    """Listeners and checks for one matrix, computed once per host and shared by all sources."""

    def __init__(
        self, matrix: Matrix, *, sampling: Sampling | None = None, invent_addresses: bool = False
    ):
        self.matrix = matrix
        self.sampling = sampling or Sampling()
        self.invent_addresses = invent_addresses
        self._listen: dict[str, list[ListenPort]] = {}
        self._addresses: dict[str, str] | None = None

    def endpoint(self, name: str) -> Endpoint:
        try:
            return self.matrix.endpoints[name]
        except KeyError:
            known = ", ".join(sorted(self.matrix.endpoints)) or "none"
            raise LookupFailure(f"no host {name!r} in the inventory (hosts: {known})") from None

    def addresses(self) -> dict[str, str]:
        """The one address probed (and, in the lab, assigned) for each endpoint that has one."""
        if self._addresses is None:
            self._addresses = probe_addresses(
                self.matrix.endpoints.values(), invent=self.invent_addresses
            )
        return self._addresses

    def unaddressed(self) -> list[str]:
        """Networks that are not probed because the inventory gives them no probe_address."""
        return sorted(set(self.matrix.endpoints) - set(self.addresses()))

    def address(self, name: str) -> str:
        """Where ``name`` is probed; an error naming the fix for a network without one."""
        endpoint = self.endpoint(name)
        found = self.addresses().get(name)
        if found is None:
            raise VerifyError(
                f"{name} is a network ({endpoint.address}) with no probe_address; write in the "
                "inventory the one address inside it that may be probed (the machine that runs "
                "the probe, or an emulator), never a guessed one"
            )
        return found

    def listen_ports(self, host: str) -> list[ListenPort]:
        """Every documented port of ``host``, sampled, with the entries that document it."""
        if host not in self._listen:
            self.endpoint(host)
            rules: dict[tuple[Protocol, int], list[str]] = {}
            for flow in self.matrix.flows:
                if flow.dst == host:
                    for port in self.sampling.ports(flow):
                        _add_once(rules.setdefault((flow.protocol, port), []), flow.rule)
            self._listen[host] = [
                ListenPort(protocol, port, tuple(names))
                for (protocol, port), names in sorted(rules.items())
            ]
        return self._listen[host]

    def probes(self, source: str, *, targets: Sequence[str] = ()) -> list[Probe]:
        """Every check ``source`` makes: each documented port of each target, open or blocked,
        on every path between them.

        A *path* is a pair of addresses: the main ones, and for each network both hosts have
        (or that a flow between them travels on) the source's and the target's address on that
        network, so the private MDS rows are probed between the private addresses. A port is
        expected open on a path when some flow to the target admits both of the path's
        addresses (a flow from a network the source sits in counts), as the rendered rules of a
        host with several addresses match both: a port documented only on the private network
        is expected blocked on the public path.
        """
        self.address(source)
        for name in targets:
            self.address(name)
        names = list(targets) or sorted(self.addresses())
        return [
            probe
            for name in dict.fromkeys(names)
            if name != source
            for probe in self._checks(source, name)
        ]

    def paths(self, source: str, target: str) -> list[tuple[str, str]]:
        """(source address, target address) for each network probed between the two."""
        src, dst = self.endpoint(source), self.endpoint(target)
        networks: list[str | None] = [None]
        shared = {name for name, _ in src.addresses} & {name for name, _ in dst.addresses}
        networks += sorted(shared)
        for flow in self.matrix.flows_to(target):
            if flow.network is not None and flow.src == source:
                networks.append(flow.network)
        pairs = (
            (self._address_on(source, network), self._address_on(target, network))
            for network in dict.fromkeys(networks)
        )
        return list(dict.fromkeys(pairs))

    def source_addresses(self, source: str) -> list[str]:
        """Every address ``source`` probes from: its probe address and each network's own."""
        return list(
            dict.fromkeys(
                [self.address(source)]
                + [self._address_on(source, name) for name, _ in self.endpoint(source).addresses]
            )
        )

    def _address_on(self, name: str, network: str | None) -> str:
        """``name``'s address on ``network`` when the inventory gives a single one, else the
        address it is probed at (a network endpoint has only its ``probe_address``)."""
        endpoint = self.endpoint(name)
        if network is not None and not endpoint.is_network:
            own = endpoint.address_on(network)
            if own.endswith(("/32", "/128")):
                return own.split("/", 1)[0]
        return self.address(name)

    def _checks(self, source: str, target: str) -> Iterable[Probe]:
        flows = self.matrix.flows_to(target)
        for source_address, address in self.paths(source, target):
            ends = ipaddress.ip_address(source_address), ipaddress.ip_address(address)
            admitting = [flow for flow in flows if _admits(flow, *ends)]
            for listen in self.listen_ports(target):
                flow = _covering(admitting, listen)
                expected = Expected.BLOCKED if flow is None else Expected.OPEN
                rule = listen.rules[0] if flow is None else flow.rule
                yield Probe(
                    source,
                    target,
                    address,
                    listen.protocol,
                    listen.port,
                    expected,
                    rule,
                    source_address,
                )


def probe_addresses(endpoints: Iterable[Endpoint], *, invent: bool = False) -> dict[str, str]:
    """A host's own address; for a network, its ``probe_address``.

    One representative stands for a whole network (a phones subnet): probing every address of
    a /24 would prove nothing more about the rules and would touch machines nobody listed. A
    network without a ``probe_address`` has no entry, unless ``invent`` (the lab) gives it its
    first host address that no other endpoint uses.
    """
    endpoints = list(endpoints)
    taken = {endpoint.ip for endpoint in endpoints if not endpoint.is_network}
    taken |= {endpoint.probe_address for endpoint in endpoints if endpoint.probe_address}
    chosen: dict[str, str] = {}
    for endpoint in endpoints:
        if not endpoint.is_network:
            chosen[endpoint.name] = endpoint.ip
        elif endpoint.probe_address is not None:
            chosen[endpoint.name] = endpoint.probe_address
        elif invent:
            chosen[endpoint.name] = _representative(endpoint, taken)
            taken.add(chosen[endpoint.name])
    return chosen


def _representative(endpoint: Endpoint, taken: set[str]) -> str:
    network = _network(endpoint.address)
    for host in network.hosts():
        if str(host) not in taken:
            return str(host)
    raise LookupFailure(
        f"network {endpoint.name} ({endpoint.address}) has no free address to probe"
    )


@cache
def _network(text: str) -> IPNetwork:
    return ipaddress.ip_network(text, strict=False)


def _admits(flow: Flow, source: IPAddress, destination: IPAddress) -> bool:
    return _inside(source, flow.src_address) and _inside(destination, flow.dst_address)


def _inside(address: IPAddress, network_text: str | None) -> bool:
    if network_text is None:
        return False
    network = _network(network_text)
    return network.version == address.version and address in network


def _covering(flows: Iterable[Flow], listen: ListenPort) -> Flow | None:
    for flow in flows:
        if flow.protocol is listen.protocol and flow.port_start <= listen.port <= flow.port_end:
            return flow
    return None


def _add_once(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


@dataclass(frozen=True)
class ProbePlan:
    """The checks of one probe run (or of a whole lab), planned before any is sent.

    Knowing its own total is what lets a progress bar show a true end and an ETA.
    """

    planner: Planner
    probes: tuple[Probe, ...]
    sources: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.probes)

    @classmethod
    def for_source(
        cls,
        matrix: Matrix,
        source: str,
        *,
        targets: Sequence[str] = (),
        sampling: Sampling | None = None,
    ) -> ProbePlan:
        planner = Planner(matrix, sampling=sampling)
        return cls(planner, tuple(planner.probes(source, targets=targets)), (source,))

    @classmethod
    def for_lab(cls, matrix: Matrix, *, sampling: Sampling | None = None) -> ProbePlan:
        planner = Planner(matrix, sampling=sampling, invent_addresses=True)
        sources = tuple(sorted(planner.addresses()))
        probes = tuple(probe for source in sources for probe in planner.probes(source))
        return cls(planner, probes, sources)

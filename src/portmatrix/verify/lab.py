"""The lab: a whole deployment as network namespaces on one Linux machine, proven end to end.

Every endpoint becomes a namespace holding its inventory address and, for a host with several
networks, each network's address too (a network endpoint holds its
``probe_address``, or one the lab invents, see :func:`portmatrix.verify.plan.probe_addresses`:
the lab's addresses exist only inside its own namespaces), cabled to one
bridge that lives in a namespace of its own, so nothing in the lab can reach, or be reached
from, the machine's real network. Each namespace gets its host's generated rules, emulators
listen on every documented port, and every endpoint probes every other. The namespaces are
removed when the lab closes, whether it finished, failed or was interrupted.

Emulators and probes run in this one process: a socket stays in the namespace it was created
in (:func:`portmatrix.netns.entered`), so one event loop probes from all namespaces at once,
while the emulators answer from a second thread so a busy prober never delays a reply past
its timeout. The code is the same that ``portmatrix emulate`` and ``portmatrix probe`` run on a
single host; only the socket factory differs.

Inside its own namespaces the lab switches off Linux's per-peer ICMP rate limit
(``net.ipv4.icmp_ratelimit``), which would otherwise hide most rejections after the sixth per
second; the host-wide limit stays, and the probe's pacing respects it as it would on a server.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType

from portmatrix import interrupt
from portmatrix.errors import VerifyError
from portmatrix.model import Matrix
from portmatrix.netns import Netns, entered, socket_in, unavailable_reason, unique_name
from portmatrix.render import render
from portmatrix.verify.emulate import BackgroundEmulators, Emulator, SourceFilter, StartReport
from portmatrix.verify.limits import ensure_open_files
from portmatrix.verify.pacing import DestinationPacer
from portmatrix.verify.plan import Planner, Sampling
from portmatrix.verify.probe import Probe, ProgressHook, Result, run_probes
from portmatrix.verify.runner import LAB_OPTIONS, ProbeOptions
from portmatrix.verify.sockets import SocketBackend
from portmatrix.verify.timing import RoundTrips

#: nftables ruleset text for one host of a matrix (the nftables renderer, in normal use).
RulesFor = Callable[[Matrix, str], str]

_BRIDGE = "br0"
_LINK = "eth0"
_ICMP_SYSCTLS = ("net/ipv4/icmp_ratelimit", "net/ipv6/icmp/ratelimit")


class _BySource:
    """Hands each check to the backend of the namespace it must be sent from."""

    def __init__(self, backends: Mapping[str, SocketBackend]):
        self._backends = backends

    async def check(self, probe: Probe) -> Result:
        return await self._backends[probe.src].check(probe)


class Lab:
    """The namespaces of one matrix; a context manager that always removes them."""

    def __init__(self, matrix: Matrix, *, sampling: Sampling | None = None):
        self.planner = Planner(matrix, sampling=sampling, invent_addresses=True)
        self.addresses = self.planner.addresses()
        #: Every address each namespace holds: the main one first, then each network's own.
        self.all_addresses = {host: self.planner.source_addresses(host) for host in self.addresses}
        self.namespaces: dict[str, Netns] = {}
        self._stack = contextlib.ExitStack()
        self._emulators: BackgroundEmulators | None = None

    @property
    def hosts(self) -> list[str]:
        return sorted(self.namespaces)

    def __enter__(self) -> Lab:
        reason = unavailable_reason("nft")
        if reason:
            raise VerifyError(f"the lab {reason}")
        try:
            self._build()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()

    def _build(self) -> None:
        switch = self._stack.enter_context(Netns(unique_name("switch")))
        switch.run(
            ["ip", "-batch", "-"], input=f"link add {_BRIDGE} type bridge\nlink set {_BRIDGE} up\n"
        )
        for index, host in enumerate(sorted(self.addresses)):
            namespace = self._stack.enter_context(Netns(unique_name(host)))
            self.namespaces[host] = namespace
            self._cable(namespace, switch, port=f"v{index}", addresses=self.all_addresses[host])
            _quiet_icmp_limits(namespace.name)

    def _cable(
        self, namespace: Netns, switch: Netns, *, port: str, addresses: Sequence[str]
    ) -> None:
        """One veth to the bridge carries all of a host's networks: the lab tests the rules,
        and a host firewall judges addresses, not which cable a packet came in on."""
        namespace.run(
            ["ip", "link", "add", _LINK, "type", "veth", "peer", "name", port, "netns", switch.name]
        )
        switch.run(["ip", "link", "set", port, "master", _BRIDGE, "up"])
        commands = []
        for address in addresses:
            extra = "" if ipaddress.ip_address(address).version == 4 else " nodad"
            commands.append(f"address add {address}/{_host_prefix(address)} dev {_LINK}{extra}")
        commands.append(f"link set {_LINK} up")
        versions = {ipaddress.ip_address(address).version for address in addresses}
        commands += [
            f"route add {'0.0.0.0/0' if version == 4 else '::/0'} dev {_LINK}"
            for version in sorted(versions)
        ]
        namespace.run(["ip", "-batch", "-"], input="".join(f"{line}\n" for line in commands))

    def load_rules(self, host: str, ruleset: str) -> None:
        """Replace ``host``'s whole nftables ruleset (an empty text leaves it open)."""
        try:
            self.namespaces[host].run(["nft", "-f", "-"], input=f"flush ruleset\n{ruleset}")
        except VerifyError as exc:
            raise VerifyError(f"nft refused the rules for {host}: {exc}") from exc

    def start_emulators(self) -> list[StartReport]:
        """Listeners on every documented port of every host; stopped when the lab closes."""
        sources = SourceFilter(
            f"{address}/{_host_prefix(address)}"
            for addresses in self.all_addresses.values()
            for address in addresses
        )
        emulators = [
            Emulator(
                host,
                self.planner.listen_ports(host),
                addresses=self.all_addresses[host],
                sources=sources,
                socket_factory=partial(socket_in, self.namespaces[host].name),
            )
            for host in self.hosts
        ]
        self._emulators = BackgroundEmulators(emulators)
        self._stack.callback(self._emulators.stop)
        return self._emulators.start()

    def ready(self, rules_for: RulesFor | None = None) -> list[StartReport]:
        """Every host's rules loaded (its generated nftables unless ``rules_for`` says otherwise)
        and every emulator listening: the lab as :func:`run_lab` probes it."""
        rules_for = rules_for or rendered_nftables
        for host in self.hosts:
            self.load_rules(host, rules_for(self.planner.matrix, host))
        return self.start_emulators()

    def probe(
        self,
        *,
        options: ProbeOptions | None = None,
        sources: Sequence[str] = (),
        targets: Sequence[str] = (),
        on_result: ProgressHook | None = None,
    ) -> list[Result]:
        """Every source probes every target (all hosts unless named), all at once."""
        options = options or LAB_OPTIONS
        probes = [
            probe
            for source in (sources or self.hosts)
            for probe in self.planner.probes(source, targets=targets)
        ]
        ensure_open_files(
            options.concurrency + sum(len(self.planner.listen_ports(host)) for host in self.hosts),
            what="the lab",
            advice="raise ulimit -n or lower the concurrency",
        )
        return interrupt.run(self._probe(probes, options, on_result))

    async def _probe(
        self, probes: Sequence[Probe], options: ProbeOptions, on_result: ProgressHook | None
    ) -> list[Result]:
        # Shared by every source: a destination's ICMP budget is one, and every namespace is one
        # hop away from every other on the same bridge, so one answer sets every round trip.
        pacer = DestinationPacer()
        round_trips = RoundTrips(ceiling=options.timeout, pooled=True)
        backends = {
            host: SocketBackend(
                source_address=self.addresses[host],
                retries=options.retries,
                pacer=pacer,
                round_trips=round_trips,
                socket_factory=partial(socket_in, namespace.name),
            )
            for host, namespace in self.namespaces.items()
        }
        return await run_probes(
            probes, _BySource(backends), concurrency=options.concurrency, on_result=on_result
        )


def rendered_nftables(matrix: Matrix, host: str) -> str:
    """``host``'s rules as ``portmatrix render nftables --host`` prints them.

    Flows from roles nobody in the inventory holds are left out: they have no address to admit
    and no namespace to come from. In the lab every host is a Linux namespace standing in for
    the real one, so nftables is its firewall whatever the host's platform (``force``).
    """
    return render(matrix, "nftables", host=host, skip_unbound=True, force=True).text


def run_lab(
    matrix: Matrix,
    *,
    rules_for: RulesFor = rendered_nftables,
    options: ProbeOptions | None = None,
    on_result: ProgressHook | None = None,
) -> list[Result]:
    """Build the lab, load every host's rules, emulate, probe everything, tear it all down."""
    options = options or LAB_OPTIONS
    with interrupt.signals_raise(), Lab(matrix, sampling=options.sampling) as lab:
        lab.ready(rules_for)
        return lab.probe(options=options, on_result=on_result)


def _host_prefix(address: str) -> int:
    return 32 if ipaddress.ip_address(address).version == 4 else 128


def _quiet_icmp_limits(namespace: str) -> None:
    with entered(namespace):
        for name in _ICMP_SYSCTLS:
            with contextlib.suppress(FileNotFoundError):  # no IPv6 in this kernel
                Path("/proc/sys", name).write_text("0\n")

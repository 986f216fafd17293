"""Stand-in listeners: the ports a host's roles listen on, opened before the product exists.

A firewall change can then be proven on the day it is made rather than on install day. Each
TCP listener accepts, sends a one-line token naming the host, port and catalog entries, and
closes; each UDP listener answers a datagram with the same token. The token is what lets a
probe call a UDP port *open*: silence proves nothing for UDP.

A UDP listener must not become a reflection amplifier (a forged source address gets the reply,
so any reply larger than the request multiplies an attacker's traffic). It therefore answers
only sources inside the inventory's addresses (:class:`SourceFilter`), never an empty
datagram, and never with more bytes than it received: the token is cut to the request's size,
and the prober's own datagram is long enough for the whole token.

Only the addresses asked for are bound. Ports below 1024 that this process may not bind are
collected and reported in one message while every other listener keeps running. Connections
beyond ``max_connections`` at once are reset on arrival instead of queued, so a flood cannot
exhaust the descriptors the listeners need.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import cast

from portmatrix.errors import VerifyError
from portmatrix.model import Matrix, Protocol
from portmatrix.options import DEFAULT_MAX_CONNECTIONS as DEFAULT_MAX_CONNECTIONS
from portmatrix.verify.limits import ensure_open_files
from portmatrix.verify.plan import ListenPort, Planner, Sampling
from portmatrix.verify.sockets import SocketFactory

PRIVILEGED_BELOW = 1024
LISTEN_BACKLOG = 128


def token(host: str, listen: ListenPort) -> bytes:
    """The line a stand-in listener answers with: ``portmatrix <host> <proto>/<port> <rules>``."""
    return f"portmatrix {host} {listen} {','.join(listen.rules)}\n".encode()


@dataclass(frozen=True, slots=True)
class StartReport:
    """What came up, and what could not (and why), for the person starting the emulator."""

    listening: int
    privileged: tuple[str, ...] = ()  # "tcp/443 on 10.0.0.1": below 1024 without the privilege
    in_use: tuple[str, ...] = ()  # already bound by something else on this machine

    def problems(self) -> list[str]:
        lines = []
        if self.privileged:
            lines.append(
                f"cannot listen on {len(self.privileged)} port(s) below {PRIVILEGED_BELOW} without "
                f"root or CAP_NET_BIND_SERVICE: {', '.join(self.privileged)}; "
                f"the other {self.listening} listener(s) are running"
            )
        if self.in_use:
            lines.append(
                f"{len(self.in_use)} port(s) are already in use on this machine and were skipped: "
                f"{', '.join(self.in_use)}"
            )
        return lines


@dataclass
class _Gate:
    """Counts open connections across every TCP listener of one emulator."""

    limit: int
    active: int = 0

    def enter(self) -> bool:
        if self.active >= self.limit:
            return False
        self.active += 1
        return True

    def leave(self) -> None:
        self.active -= 1


class _TokenStream(asyncio.Protocol):
    def __init__(self, reply: bytes, gate: _Gate):
        self._reply = reply
        self._gate = gate
        self._entered = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._entered = self._gate.enter()
        if not self._entered:
            transport.abort()
            return
        transport.write(self._reply)
        transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._entered:
            self._gate.leave()


class SourceFilter:
    """The sources a UDP listener answers: addresses inside the inventory's hosts and networks."""

    def __init__(self, networks: Iterable[str]):
        parsed = [ipaddress.ip_network(network, strict=False) for network in networks]
        self._hosts = frozenset(
            str(net.network_address) for net in parsed if net.num_addresses == 1
        )
        self._networks = tuple(net for net in parsed if net.num_addresses > 1)

    @classmethod
    def of(cls, matrix: Matrix) -> SourceFilter:
        return cls(
            address
            for endpoint in matrix.endpoints.values()
            for address in endpoint.all_addresses()
        )

    def admits(self, address: str) -> bool:
        if address in self._hosts:
            return True
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(ip in network for network in self._networks)


class _TokenDatagram(asyncio.DatagramProtocol):
    def __init__(self, reply: bytes, sources: SourceFilter):
        self._reply = reply
        self._sources = sources
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(
            asyncio.DatagramTransport, transport
        )  # the selector one is not a subclass

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if self._transport is None or not data or not self._sources.admits(str(addr[0])):
            return
        self._transport.sendto(self._reply[: len(data)], addr)

    def error_received(self, exc: Exception) -> None:
        """An ICMP error about an earlier reply (the prober has gone): nothing to do."""


@dataclass
class _Bound:
    sockets: list[tuple[socket.socket, ListenPort]] = field(default_factory=list)
    privileged: list[str] = field(default_factory=list)
    in_use: list[str] = field(default_factory=list)


class Emulator:
    """The stand-in listeners of one host; an async context manager that always closes them."""

    def __init__(
        self,
        host: str,
        ports: Sequence[ListenPort],
        *,
        addresses: Sequence[str],
        sources: SourceFilter,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        socket_factory: SocketFactory = socket.socket,
    ):
        if not addresses:
            raise VerifyError(f"no address to bind for {host}")
        self.host = host
        self.ports = list(ports)
        self.addresses = list(addresses)
        self.sources = sources
        self._gate = _Gate(max_connections)
        self._new_socket = socket_factory
        self._servers: list[asyncio.Server] = []
        self._datagrams: list[asyncio.BaseTransport] = []

    @property
    def descriptors(self) -> int:
        """Open files this emulator needs at most: one per listener plus its connections."""
        return len(self.ports) * len(self.addresses) + self._gate.limit

    async def start(self) -> StartReport:
        bound = _Bound()
        try:
            for address in self.addresses:
                for listen in self.ports:
                    self._bind(bound, address, listen)
            await self._serve(bound)
        except BaseException:
            for sock, _ in bound.sockets:
                sock.close()
            await self.close()
            raise
        report = StartReport(
            len(self._servers) + len(self._datagrams), tuple(bound.privileged), tuple(bound.in_use)
        )
        if report.listening == 0 and self.ports:
            await self.close()
            raise VerifyError(
                f"no listener for {self.host} could be opened; {report.problems()[0]}"
            )
        return report

    def _bind(self, bound: _Bound, address: str, listen: ListenPort) -> None:
        family = socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET
        kind = socket.SOCK_STREAM if listen.protocol is Protocol.TCP else socket.SOCK_DGRAM
        try:
            sock = self._new_socket(family, kind)
        except OSError as exc:
            raise _bind_error(exc, address, listen) from exc
        try:
            _prepare(sock, family, kind)
            sock.bind((address, listen.port))
        except OSError as exc:
            sock.close()
            where = f"{listen} on {address}"
            if exc.errno == errno.EACCES and listen.port < PRIVILEGED_BELOW:
                bound.privileged.append(where)
            elif exc.errno == errno.EADDRINUSE:
                bound.in_use.append(where)
            else:
                raise _bind_error(exc, address, listen) from exc
            return
        bound.sockets.append((sock, listen))

    async def _serve(self, bound: _Bound) -> None:
        loop = asyncio.get_running_loop()
        while bound.sockets:
            sock, listen = bound.sockets[-1]
            reply = token(self.host, listen)
            if listen.protocol is Protocol.TCP:
                sock.listen(LISTEN_BACKLOG)
                server = await loop.create_server(
                    partial(_TokenStream, reply, self._gate), sock=sock
                )
                self._servers.append(server)
            else:
                transport, _ = await loop.create_datagram_endpoint(
                    partial(_TokenDatagram, reply, self.sources), sock=sock
                )
                self._datagrams.append(transport)
            bound.sockets.pop()

    async def close(self) -> None:
        for transport in self._datagrams:
            transport.close()
        for server in self._servers:
            server.close()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._datagrams.clear()
        await asyncio.sleep(0)  # let transports finish closing before the loop goes away

    async def __aenter__(self) -> StartReport:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _prepare(sock: socket.socket, family: int, kind: int) -> None:
    sock.setblocking(False)
    if kind == socket.SOCK_STREAM:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)


def _bind_error(exc: OSError, address: str, listen: ListenPort) -> VerifyError:
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return VerifyError(
            f"ran out of open files at {listen} on {address}; raise ulimit -n or lower --sample"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return VerifyError(
            f"{address} is not an address of this machine; pass --bind with one that is"
        )
    return VerifyError(f"cannot listen on {listen} at {address}: {exc.strerror or exc}")


class BackgroundEmulators:
    """Emulators served from a thread with an event loop of its own.

    A prober on the main loop can then be as busy as it likes: the emulators still answer
    within microseconds, so a slow reply is never mistaken for a dropped packet. ``start``
    returns once every listener is up (or raises what went wrong); ``stop`` closes them all.
    """

    def __init__(self, emulators: Sequence[Emulator]):
        self._emulators = list(emulators)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._stopping = threading.Event()  # asked to stop, possibly before the loop exists
        self._thread = threading.Thread(
            target=self._run, name="portmatrix-lab-emulators", daemon=True
        )
        self.reports: list[StartReport] = []

    def start(self) -> list[StartReport]:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self.reports

    def stop(self) -> None:
        self._stopping.set()
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with contextlib.AsyncExitStack() as running:
            try:
                for emulator in self._emulators:
                    self.reports.append(await running.enter_async_context(emulator))
            except BaseException as exc:  # handed to the main thread, which re-raises it
                self._error = exc
            finally:
                self._ready.set()
            if self._error is None and not self._stopping.is_set():
                await self._stop.wait()


def emulator_for(
    matrix: Matrix,
    host: str,
    *,
    bind: Sequence[str] = (),
    sampling: Sampling | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    socket_factory: SocketFactory = socket.socket,
) -> Emulator:
    """The emulator for ``host``: its documented ports, on ``bind`` or its inventory address.

    A network's inventory address is its ``probe_address``; without one it needs ``bind``.
    UDP listeners answer only sources inside the matrix's endpoints.
    """
    planner = Planner(matrix, sampling=sampling)
    endpoint = planner.endpoint(host)
    own = endpoint.probe_address if endpoint.is_network else endpoint.ip
    if not bind and own is None:
        raise VerifyError(
            f"{host} is a network ({endpoint.address}) with no probe_address; "
            "pass --bind with this machine's address in it, or write its probe_address"
        )
    # A host with several networks listens on each of its addresses (rtr-b's private one too).
    further = [] if endpoint.is_network else [a.split("/", 1)[0] for a in endpoint.all_addresses()]
    addresses = [_checked_address(address) for address in bind] or list(
        dict.fromkeys([str(own), *further])
    )
    return Emulator(
        host,
        planner.listen_ports(host),
        addresses=addresses,
        sources=SourceFilter.of(matrix),
        max_connections=max_connections,
        socket_factory=socket_factory,
    )


def _checked_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise VerifyError(f"--bind {text!r} is not an IP address") from None


async def serve_until_stopped(
    emulator: Emulator, *, on_ready: Callable[[StartReport], None]
) -> None:
    """Run ``emulator`` until cancelled, then close every listener.

    Under :func:`portmatrix.interrupt.run` (as ``portmatrix emulate`` runs it), SIGINT and
    SIGTERM cancel it, and the listeners are closed before :class:`Interrupted` is raised.
    """
    ensure_open_files(
        emulator.descriptors,
        what=f"emulating {emulator.host}",
        advice="raise ulimit -n or lower --sample",
    )
    async with emulator as report:
        on_ready(report)
        await asyncio.Event().wait()

"""The real backend: one TCP connect or a few UDP datagrams per check, from this machine.

Everything about the local machine is injected (the source address to bind, unless a check
names its own, and the function that makes sockets), so the same backend probes from the current host, from inside a lab
namespace, or later on a real server reached over SSH.

TCP: a completed handshake is *open*; the connection is then reset at once (``SO_LINGER`` 0) so
thousands of checks leave no ``TIME_WAIT`` behind. UDP: a datagram goes to the emulator, whose
reply makes the port *open*; an ICMP error says *closed* or *blocked*; silence through every
retry is *filtered*, never open. How errors become verdicts is in :mod:`portmatrix.verify.icmp`.

How long silence is waited for is learned per destination (:mod:`portmatrix.verify.timing`);
``timeout`` is only the longest wait. Sends that may draw an ICMP error (every UDP datagram, a
TCP retry) go through the destination's pacer (:mod:`portmatrix.verify.pacing`).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import ipaddress
import socket
import struct
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from portmatrix.errors import VerifyError
from portmatrix.model import Protocol
from portmatrix.options import DEFAULT_RETRIES as DEFAULT_RETRIES
from portmatrix.options import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from portmatrix.verify.icmp import classify, read_queued_error, want_errors
from portmatrix.verify.pacing import DestinationPacer
from portmatrix.verify.probe import Observed, Probe, Result
from portmatrix.verify.timing import RoundTrips

#: Padded to 160 bytes: an emulator never answers with more than it receives (no amplification),
#: so the request carries room for the whole token.
PROBE_PAYLOAD = b"portmatrix probe ".ljust(159, b".") + b"\n"

#: ``(family, type) -> socket``: where sockets are made (this host, or a lab namespace).
SocketFactory = Callable[[int, int], socket.socket]
Outcome = tuple[Observed, str]

T = TypeVar("T")

_NO_LINGER = struct.pack("ii", 1, 0)


class SocketBackend:
    """Checks ports over real sockets; see the module docstring for the verdict rules.

    ``pacer`` and ``round_trips`` may be shared by backends that probe from several sources
    over the same paths (the lab's namespaces): what one learns about a destination's ICMP
    budget and answer time then holds for all. ``round_trips`` overrides ``timeout``.
    """

    def __init__(
        self,
        *,
        source_address: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        pacer: DestinationPacer | None = None,
        round_trips: RoundTrips | None = None,
        socket_factory: SocketFactory = socket.socket,
    ):
        if timeout <= 0 or retries < 0:
            raise VerifyError("the timeout must be positive and retries zero or more")
        self._source = source_address
        self._attempts = retries + 1
        self._round_trips = round_trips or RoundTrips(ceiling=timeout)
        self._pacer = pacer or DestinationPacer()
        self._new_socket = socket_factory

    async def check(self, probe: Probe) -> Result:
        attempt = self._tcp if probe.protocol is Protocol.TCP else self._udp
        outcome = await attempt(probe)
        if outcome is None:
            tries = f"{self._attempts} tr{'y' if self._attempts == 1 else 'ies'}"
            return Result(probe, Observed.FILTERED, f"no answer to {tries}")
        return Result(probe, *outcome)

    async def _tcp(self, probe: Probe) -> Outcome | None:
        """A first SYN goes out at once (resets are not rate-limited); a silent port's retries
        are paced, since the silence may be a rejection whose ICMP the host held back."""
        loop = asyncio.get_running_loop()
        for attempt in range(self._attempts):
            if attempt:
                await self._pacer.wait(probe.dst_address)
            with self._socket(probe, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _NO_LINGER)
                try:
                    await self._answer(loop.sock_connect(sock, _target(probe)), probe)
                except TimeoutError:
                    continue
                except OSError as exc:
                    return self._verdict(probe, sock, exc)
                return Observed.OPEN, "connected"
        return None

    async def _udp(self, probe: Probe) -> Outcome | None:
        """Every datagram goes through the pacer: closed and blocked ports answer only by ICMP."""
        loop = asyncio.get_running_loop()
        with self._socket(probe, socket.SOCK_DGRAM) as sock:
            try:  # no packet: it only fixes the peer and filters replies
                sock.connect(_target(probe))
            except OSError as exc:
                return self._verdict(probe, sock, exc)
            for _ in range(self._attempts):
                await self._pacer.wait(probe.dst_address)
                try:
                    await loop.sock_sendall(sock, PROBE_PAYLOAD)
                    reply = await self._answer(loop.sock_recv(sock, 512), probe)
                except TimeoutError:
                    continue
                except OSError as exc:
                    return self._verdict(probe, sock, exc)
                return Observed.OPEN, describe_reply(reply)
        return None

    def _verdict(self, probe: Probe, sock: socket.socket, error: OSError) -> Outcome:
        icmp = read_queued_error(sock)
        if icmp is not None:
            self._pacer.heard_icmp(probe.dst_address)
        return classify(error, icmp)

    async def _answer(self, operation: Awaitable[T], probe: Probe) -> T:
        """``operation``'s result, or TimeoutError once the destination's timeout has passed.

        Until the destination has answered anything, the timeout is looked at again every
        ``floor`` seconds, so the first checks stop waiting as soon as an estimate exists.

        On silence the operation is cancelled and *awaited*: only then has the event loop let go
        of the socket's descriptor, which must happen before the socket closes, or the loop's
        late clean-up could hit the next socket that reuses the number.
        """
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(operation)
        sent = loop.time()
        try:
            while not task.done():
                known = self._round_trips.known(probe.dst_address)
                left = sent + self._round_trips.timeout(probe.dst_address) - loop.time()
                if left <= 0:
                    raise TimeoutError
                await asyncio.wait(
                    (task,), timeout=left if known else min(left, self._round_trips.floor)
                )
            self._round_trips.record(probe.dst_address, loop.time() - sent)
            return task.result()
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait((task,))
            if not task.cancelled():
                task.exception()  # retrieved, so asyncio never logs "Task exception was never retrieved"

    @contextlib.contextmanager
    def _socket(self, probe: Probe, kind: int) -> Iterator[socket.socket]:
        family = _family(probe.dst_address)
        try:
            sock = self._new_socket(family, kind)
        except OSError as exc:
            raise _resource_error(exc) from exc
        with sock:
            sock.setblocking(False)
            want_errors(sock)
            source = probe.src_address or self._source
            if source is not None:
                self._bind_source(sock, source)
            yield sock

    def _bind_source(self, sock: socket.socket, source: str) -> None:
        """Bound explicitly, so a check on the private network leaves from the private address
        and meets the firewalls as that network's traffic does."""
        try:
            sock.bind((source, 0))
        except OSError as exc:
            if exc.errno == errno.EADDRNOTAVAIL:
                raise VerifyError(
                    f"{source} is not an address of this machine; "
                    "run the probe on the host that --from names"
                ) from exc
            raise _resource_error(exc) from exc


def describe_reply(reply: bytes) -> str:
    text = reply.decode("utf-8", "replace").strip().splitlines()
    return f"replied {text[0][:80]!r}" if text else "replied"


def _target(probe: Probe) -> tuple[str, int]:
    return probe.dst_address, probe.port


@functools.cache
def _family(address: str) -> int:
    return socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET


def _resource_error(exc: OSError) -> VerifyError:
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return VerifyError(
            "ran out of open files while probing; lower --concurrency or raise ulimit -n"
        )
    return VerifyError(f"cannot open a probe socket: {exc.strerror or exc}")

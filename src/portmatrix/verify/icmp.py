"""Reading why a connection failed: closed port, firewall rejection, or nothing at all.

An errno alone cannot tell a firewall from an absent host: Linux maps both ICMP "host
unreachable" and "communication administratively prohibited" to ``EHOSTUNREACH``. With
``IP_RECVERR`` (``IPV6_RECVERR``) set before connecting, the kernel also queues the ICMP message
itself on the socket's error queue, for TCP during the handshake as for a connected UDP socket,
and its type and code settle the question:

====================================  ==========  ==================================================
ICMP                                  verdict     typical sender
====================================  ==========  ==================================================
port unreachable (v4 3/3, v6 1/4)     closed      the host's own stack: nothing listens
admin prohibited (v4 3/9, 3/10, 3/13;
v6 1/1, 1/5, 1/6)                     blocked     ``reject with icmpx admin-prohibited``, ACL deny
any other unreachable                 filtered    no host there, no route: nobody answered
====================================  ==========  ==================================================

Without a queued message the errno decides: ``ECONNREFUSED`` (a TCP reset) is *closed*;
``EPERM``/``EACCES`` come from this host's own output rules and are *blocked*;
``ENETUNREACH`` means this machine has no route at all, which no verdict can describe, so the
probe stops with a :class:`~portmatrix.errors.VerifyError`; other unreachable errors are
*filtered*. A firewall that rejects with a TCP reset or with port-unreachable looks
exactly like a closed port from the outside; portmatrix's renderers reject with
admin-prohibited or drop, so the two stay apart.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
from dataclasses import dataclass

from portmatrix.errors import VerifyError
from portmatrix.verify.probe import Observed

IP_RECVERR = 11  # <linux/in.h>
IPV6_RECVERR = 25  # <linux/in6.h>
_ORIGIN_ICMP = 2  # SO_EE_ORIGIN_ICMP
_ORIGIN_ICMP6 = 3  # SO_EE_ORIGIN_ICMP6
_EXTENDED_ERR = struct.Struct("=IBBBBII")  # struct sock_extended_err

_CLOSED_CODES = {_ORIGIN_ICMP: {3}, _ORIGIN_ICMP6: {4}}
_BLOCKED_CODES = {_ORIGIN_ICMP: {9, 10, 13}, _ORIGIN_ICMP6: {1, 5, 6}}
_UNREACHABLE_TYPE = {_ORIGIN_ICMP: 3, _ORIGIN_ICMP6: 1}

_REFUSED_LOCALLY = {errno.EPERM, errno.EACCES}
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


@dataclass(frozen=True, slots=True)
class IcmpError:
    """The ICMP message the kernel queued for a socket."""

    origin: int
    type: int
    code: int
    sender: str | None  # the address that sent it: the host, or a firewall on the way

    @property
    def version(self) -> str:
        return "ICMPv6" if self.origin == _ORIGIN_ICMP6 else "ICMP"


def want_errors(sock: socket.socket) -> None:
    """Ask the kernel to queue ICMP errors on ``sock``; call before connecting."""
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)


def read_queued_error(sock: socket.socket) -> IcmpError | None:
    """The first ICMP error queued on ``sock``, without blocking; None if there is none."""
    try:
        _, ancillary, _, _ = sock.recvmsg(1, 512, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except OSError:
        return None
    for level, kind, data in ancillary:
        if (level, kind) in {(socket.IPPROTO_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR)}:
            return parse_extended_error(data)
    return None


def parse_extended_error(data: bytes) -> IcmpError | None:
    """Decode ``struct sock_extended_err`` and the sender's address that follows it."""
    if len(data) < _EXTENDED_ERR.size:
        return None
    _, origin, kind, code, _, _, _ = _EXTENDED_ERR.unpack_from(data)
    if origin not in _UNREACHABLE_TYPE:
        return None
    return IcmpError(origin, kind, code, _sender(data[_EXTENDED_ERR.size :]))


def _sender(sockaddr: bytes) -> str | None:
    if len(sockaddr) < 2:
        return None
    family = struct.unpack_from("=H", sockaddr)[0]
    if family == socket.AF_INET and len(sockaddr) >= 8:
        return str(ipaddress.IPv4Address(sockaddr[4:8]))
    if family == socket.AF_INET6 and len(sockaddr) >= 24:
        return str(ipaddress.IPv6Address(sockaddr[8:24]))
    return None


def classify(error: OSError, icmp: IcmpError | None) -> tuple[Observed, str]:
    """The verdict for a failed connection, and a few words saying how it was reached."""
    if icmp is not None:
        return _from_icmp(icmp)
    code = error.errno
    if code == errno.ECONNREFUSED:
        return Observed.CLOSED, "connection refused (reset)"
    if code in _REFUSED_LOCALLY:
        return Observed.BLOCKED, "refused by this host's own output rules"
    if code == errno.ENETUNREACH:  # no ICMP came back: this machine's own routing has no route
        raise VerifyError(
            "this machine has no route to the destination (network unreachable); run the "
            "probe on the host that --from names, or add the route"
        ) from error
    if code in _UNREACHABLE:
        return Observed.FILTERED, f"unreachable ({os_error_name(code)})"
    raise VerifyError(f"probe failed: {error.strerror or error}") from error


def _from_icmp(icmp: IcmpError) -> tuple[Observed, str]:
    sender = f" from {icmp.sender}" if icmp.sender else ""
    where = f"{icmp.version} {icmp.type}/{icmp.code}{sender}"
    if icmp.type != _UNREACHABLE_TYPE[icmp.origin]:
        return Observed.FILTERED, f"{where}: not a destination-unreachable message"
    if icmp.code in _CLOSED_CODES[icmp.origin]:
        return Observed.CLOSED, f"{where}: port unreachable"
    if icmp.code in _BLOCKED_CODES[icmp.origin]:
        return Observed.BLOCKED, f"{where}: administratively prohibited"
    return Observed.FILTERED, f"{where}: unreachable"


def os_error_name(code: int | None) -> str:
    return errno.errorcode.get(code or 0, str(code))

"""Linux network namespaces as throw-away test hosts.

Used by the lab (``portmatrix verify --lab``) and by the tests that hand generated rules to the
real kernel. Every namespace this module creates carries the ``pm-`` prefix and is removed on
exit, including after an exception or Ctrl-C, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator, Sequence
from types import TracebackType

from portmatrix.errors import VerifyError

PREFIX = "pm-"
NETNS_DIR = "/run/netns"  # where `ip netns add` pins the namespaces it names
_CLONE_NEWNET = 0x40000000


def unavailable_reason(*tools: str) -> str | None:
    """Why namespaces (and the named tools) cannot be used here, or None if they can."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces"
    for tool in ("ip", *tools):
        if shutil.which(tool) is None:
            return f"needs {tool!r} on PATH (apt-get install iproute2 nftables iptables)"
    return None


def unique_name(stem: str = "ns") -> str:
    """A short, collision-free namespace name (interface names are limited to 15 bytes)."""
    return f"{PREFIX}{stem[:6]}-{uuid.uuid4().hex[:6]}"


class Netns:
    """One network namespace with loopback up; a context manager that always deletes it."""

    def __init__(self, name: str | None = None):
        self.name = name or unique_name()
        self.created = False

    def create(self) -> Netns:
        reason = unavailable_reason()
        if reason:
            raise VerifyError(f"cannot create namespace {self.name}: {reason}")
        _run(["ip", "netns", "add", self.name])
        self.created = True
        self.run(["ip", "link", "set", "lo", "up"])
        return self

    def run(
        self,
        argv: Sequence[str],
        *,
        input: str | None = None,
        check: bool = True,
        timeout: float = 30,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace and return its completed process."""
        return _run(
            ["ip", "netns", "exec", self.name, *argv], input=input, check=check, timeout=timeout
        )

    def popen(self, argv: Sequence[str], **kwargs: object) -> subprocess.Popen[str]:
        process: subprocess.Popen[str] = subprocess.Popen(
            ["ip", "netns", "exec", self.name, *argv],
            text=True,
            **kwargs,  # type: ignore[call-overload]
        )
        return process

    def delete(self) -> None:
        if self.created:
            _run(["ip", "netns", "del", self.name], check=False)
            self.created = False

    def __enter__(self) -> Netns:
        return self.create()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.delete()


def _run(
    argv: Sequence[str], *, input: str | None = None, check: bool = True, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            list(argv), input=input, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise VerifyError(f"{argv[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise VerifyError(f"{' '.join(argv)} did not finish in {timeout:g}s") from exc
    if check and done.returncode != 0:
        raise VerifyError(f"{' '.join(argv)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc().setns(fd, _CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise VerifyError(f"cannot enter network namespace: {os.strerror(error)}")


@contextlib.contextmanager
def entered(name: str) -> Iterator[None]:
    """Run the calling thread inside namespace ``name`` for the ``with`` body, then come back.

    A socket belongs to the namespace it was created in for its whole life, so one process can
    serve and probe from many namespaces at once: create each socket inside ``entered(...)`` and
    hand it to one event loop. Only the calling thread moves; other threads are untouched.
    """
    try:
        target = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise VerifyError(f"no network namespace {name!r}: {exc.strerror}") from exc
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def socket_in(name: str, family: int, kind: int) -> socket.socket:
    """A new socket that lives in namespace ``name`` (see :func:`entered`)."""
    with entered(name):
        return socket.socket(family, kind)

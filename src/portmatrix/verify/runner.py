"""One probe run from the machine we are on: plan the checks, size the limits, run the core.

``portmatrix probe`` calls this on a host; the lab calls the same pieces once per namespace;
verification over SSH will run it on each real server and collect the JSON.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

from portmatrix import interrupt
from portmatrix.model import Matrix
from portmatrix.options import LAB_CONCURRENCY
from portmatrix.verify.limits import ensure_open_files
from portmatrix.verify.plan import Planner, Sampling
from portmatrix.verify.probe import DEFAULT_CONCURRENCY, ProgressHook, Result, run_probes
from portmatrix.verify.sockets import DEFAULT_RETRIES, DEFAULT_TIMEOUT, SocketBackend, SocketFactory


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """How much to check and how hard: the sample of large ranges, timeout, retries, width."""

    sampling: Sampling = field(default_factory=Sampling)
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    concurrency: int = DEFAULT_CONCURRENCY


#: How the lab probes (see :data:`portmatrix.options.LAB_CONCURRENCY`).
LAB_OPTIONS = ProbeOptions(concurrency=LAB_CONCURRENCY)


def probe_from(
    matrix: Matrix,
    source: str,
    *,
    targets: Sequence[str] = (),
    options: ProbeOptions | None = None,
    on_result: ProgressHook | None = None,
    socket_factory: SocketFactory = socket.socket,
) -> list[Result]:
    """Check, from this machine as ``source``, every documented port of every target.

    Each check leaves from ``source``'s address on its path's network (the main inventory
    address, a network's ``probe_address``, or the private address for a private-network
    path), bound explicitly, so it meets the firewalls exactly as that host's traffic will.
    """
    options = options or ProbeOptions()
    planner = Planner(matrix, sampling=options.sampling)
    probes = planner.probes(source, targets=targets)
    ensure_open_files(
        min(options.concurrency, len(probes)),
        what="probing",
        advice="raise ulimit -n or lower --concurrency",
    )
    backend = SocketBackend(
        source_address=planner.address(source),
        timeout=options.timeout,
        retries=options.retries,
        socket_factory=socket_factory,
    )
    return interrupt.run(
        run_probes(probes, backend, concurrency=options.concurrency, on_result=on_result)
    )

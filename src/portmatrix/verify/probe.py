"""The probe core: what a check is, what it found, and how many run at once.

All I/O sits behind one method, :meth:`Backend.check`, the way an HTTP client puts every request
behind one transport. The socket backend (:mod:`portmatrix.verify.sockets`) talks to the
network; the fake backend (:mod:`portmatrix.verify.fake`) answers from a table so the core, the
planner and the reports are tested without root. The core is written once, asynchronously: a
few thousand checks mostly wait on timers, and one event loop waits on all of them together.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol as TypingProtocol

from portmatrix.model import Protocol
from portmatrix.options import DEFAULT_CONCURRENCY as DEFAULT_CONCURRENCY


class Expected(StrEnum):
    """What the matrix says a port should look like from the probing host."""

    OPEN = "open"
    BLOCKED = "blocked"


class Observed(StrEnum):
    """What the wire showed.

    ``closed``: the host answered that nothing listens (TCP reset, ICMP port unreachable), so
    the packet got through every firewall. ``blocked``: a firewall answered with an
    administratively-prohibited rejection. ``filtered``: nobody answered at all.
    """

    OPEN = "open"
    CLOSED = "closed"
    BLOCKED = "blocked"
    FILTERED = "filtered"


#: Observations that count as "the firewall stopped it" for a port the matrix forbids.
STOPPED = frozenset({Observed.BLOCKED, Observed.FILTERED})


@dataclass(frozen=True, slots=True, order=True)
class Probe:
    """One check: may ``src`` reach ``protocol``/``port`` on ``dst`` at ``dst_address``?"""

    src: str
    dst: str
    dst_address: str  # bare IP address, always taken from the inventory
    protocol: Protocol
    port: int
    expected: Expected
    rule: str  # the catalog entry that documents this port
    #: The address the check leaves from (the source's address on the path's network); empty:
    #: wherever the backend binds.
    src_address: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    probe: Probe
    observed: Observed
    detail: str = ""

    @property
    def ok(self) -> bool:
        """A required port must be open; a forbidden one must be stopped by a firewall.

        ``closed`` never passes for a forbidden port: the packet reached the host, so nothing
        but the absence of a listener kept it out, and the real product will be listening.
        """
        if self.probe.expected is Expected.OPEN:
            return self.observed is Observed.OPEN
        return self.observed in STOPPED

    def as_dict(self) -> dict[str, object]:
        probe = self.probe
        return {
            "src": probe.src,
            "dst": probe.dst,
            "src_address": probe.src_address or None,
            "dst_address": probe.dst_address,
            "protocol": probe.protocol.value,
            "port": probe.port,
            "expected": probe.expected.value,
            "observed": self.observed.value,
            "ok": self.ok,
            "rule": probe.rule,
        }


class Backend(TypingProtocol):
    """Anything that can run one check. Raises only :class:`~portmatrix.errors.VerifyError`."""

    async def check(self, probe: Probe) -> Result: ...


#: Called once per check as the first pass finishes it (a progress bar, say).
ProgressHook = Callable[[Result], None]


async def run_probes(
    probes: Sequence[Probe],
    backend: Backend,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: ProgressHook | None = None,
    recheck_failures: bool = True,
) -> list[Result]:
    """Run every check with at most ``concurrency`` in flight; results in the order given.

    Checks are started round-robin across destinations, and in a shuffled (but repeatable)
    order within each, the way nmap randomises ports: a firewall's rejections, which Linux
    answers only about a thousand times a second, are then spread over the whole run instead of
    arriving as one burst, and waits for silent ports overlap with useful work.

    With ``recheck_failures`` a check that fails is run once more before it is reported, so a
    loaded machine that answers late is not mistaken for a firewall.
    """
    results = await _run_all(probes, backend, concurrency=concurrency, on_result=on_result)
    if not recheck_failures:
        return results
    retry = [index for index, result in enumerate(results) if not result.ok]
    again = await _run_all([probes[index] for index in retry], backend, concurrency=concurrency)
    for index, result in zip(retry, again, strict=True):
        results[index] = result
    return results


async def _run_all(
    probes: Sequence[Probe],
    backend: Backend,
    *,
    concurrency: int,
    on_result: ProgressHook | None = None,
) -> list[Result]:
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    slots: list[Result | None] = [None] * len(probes)
    order = iter(spread_by_destination(probes))

    async def worker() -> None:
        for index in order:  # one shared iterator: each index is taken by exactly one worker
            slots[index] = result = await backend.check(probes[index])
            if on_result is not None:
                on_result(result)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(probes))):
                group.create_task(worker())
    except BaseExceptionGroup as failures:
        raise _first_leaf(failures) from None
    return [result for result in slots if result is not None]


def spread_by_destination(probes: Sequence[Probe]) -> Iterable[int]:
    """Indices of ``probes``: destinations in turn, each one's checks in a shuffled order."""
    indices: dict[str, list[int]] = defaultdict(list)
    for index, probe in enumerate(probes):
        indices[probe.dst_address].append(index)
    shuffle = random.Random(len(probes)).shuffle  # repeatable: the same plan, the same order
    for members in indices.values():
        shuffle(members)
    rounds = deque(deque(members) for members in indices.values())
    while rounds:
        queue = rounds.popleft()
        yield queue.popleft()
        if queue:
            rounds.append(queue)


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first

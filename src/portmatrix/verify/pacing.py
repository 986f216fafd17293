"""Spacing UDP probes per destination so a host's ICMP rate limit is not read as silence.

A closed or rejected UDP port answers only with an ICMP error, and Linux sends those sparingly:
about a burst of 50 and then 1,000 per second per host (``net.ipv4.icmp_msgs_burst`` and
``icmp_msgs_per_sec``), and by default far fewer towards any one peer
(``net.ipv4.icmp_ratelimit``). Probing faster than that turns "closed" and "blocked" into
silence. The pacer keeps each destination at half the host-wide limits and lets the others
proceed meanwhile; the probe's retries cover what the per-peer limit still swallows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

#: Half of Linux's default ``icmp_msgs_per_sec`` and ``icmp_msgs_burst``.
DEFAULT_RATE = 1000.0
DEFAULT_BURST = 10


class DestinationPacer:
    """A token bucket per destination address (generic cell rate algorithm)."""

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
    ):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self._interval = 1.0 / rate
        self._slack = (burst - 1) * self._interval
        self._clock = clock
        self._due: dict[str, float] = {}  # address -> theoretical time of its next send

    def reserve(self, address: str) -> float:
        """Claim the next send slot for ``address``; returns how long to wait before sending."""
        now = self._clock()
        due = max(self._due.get(address, now), now)
        self._due[address] = due + self._interval
        return max(0.0, due - self._slack - now)

    async def wait(self, address: str) -> None:
        delay = self.reserve(address)
        if delay > 0:
            await asyncio.sleep(delay)

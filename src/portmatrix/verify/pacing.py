"""Spacing probes per destination so a host's ICMP rate limit is not read as silence.

A closed or rejected port answers a UDP probe (and a rejected one a TCP probe) only with an
ICMP error, and Linux sends those sparingly: a burst of 50 and then 1,000 per second per host
(``net.ipv4.icmp_msgs_burst`` and ``icmp_msgs_per_sec``), and by default far fewer towards any
one peer (``net.ipv4.icmp_ratelimit``). Probing faster than that turns "closed" and "blocked"
into silence.

Pacing every probe would be wasted on the common case, a firewall that drops: silence costs the
destination nothing. So the pacer watches how many ICMP errors each destination is actually
sending back. While that stays well under the host-wide budget, probes go out freely; once it
nears the budget, sends to that destination are spaced at ``rate`` per second (below Linux's
default, which the host also spends on everyone else) and the others proceed meanwhile. The
probe's retries cover what the limits still swallow.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Below Linux's default ``icmp_msgs_per_sec`` (1000) and ``icmp_msgs_burst`` (50).
DEFAULT_RATE = 800.0
DEFAULT_BURST = 20
#: ICMP errors per second from one destination above which its probes are paced.
DEFAULT_CALM = 200.0
_WINDOW = 0.1  # seconds: how quickly the ICMP rate estimate follows what arrives


@dataclass(slots=True)
class _Heard:
    level: float = 0.0  # ICMP errors in the last _WINDOW or so, decaying exponentially
    stamp: float = 0.0


class DestinationPacer:
    """A token bucket per destination (generic cell rate algorithm), used only when needed."""

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        calm: float = DEFAULT_CALM,
        clock: Callable[[], float] = time.monotonic,
    ):
        if rate <= 0 or burst < 1 or calm < 0:
            raise ValueError("rate must be positive, burst at least 1, calm not negative")
        self._interval = 1.0 / rate
        self._slack = (burst - 1) * self._interval
        self._calm_level = calm * _WINDOW
        self._clock = clock
        self._due: dict[str, float] = {}  # address -> theoretical time of its next send
        self._heard: dict[str, _Heard] = {}

    def heard_icmp(self, address: str) -> None:
        """Count an ICMP error that ``address`` sent back."""
        heard = self._heard.setdefault(address, _Heard(stamp=self._clock()))
        heard.level = self._decayed(heard) + 1.0
        heard.stamp = self._clock()

    def busy(self, address: str) -> bool:
        """Whether ``address`` is sending ICMP errors fast enough to need pacing."""
        heard = self._heard.get(address)
        return heard is not None and self._decayed(heard) > self._calm_level

    def reserve(self, address: str) -> float:
        """Claim a send slot for ``address``; returns how long to wait before sending."""
        now = self._clock()
        if not self.busy(address):
            self._due.pop(address, None)
            return 0.0
        due = max(self._due.get(address, now), now)
        self._due[address] = due + self._interval
        return max(0.0, due - self._slack - now)

    async def wait(self, address: str) -> None:
        delay = self.reserve(address)
        if delay > 0:
            await asyncio.sleep(delay)

    def _decayed(self, heard: _Heard) -> float:
        return heard.level * math.exp(-(self._clock() - heard.stamp) / _WINDOW)

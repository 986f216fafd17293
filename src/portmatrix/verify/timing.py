"""How long silence is waited for: learned per destination from the answers it gives.

A dropped packet is only ever noticed by waiting, and every port a firewall drops costs one
full wait per attempt. A fixed wait has to suit the slowest network; most destinations answer
in well under a millisecond. So, as TCP does for retransmissions (RFC 6298) and as nmap does,
each answer's round trip updates a smoothed estimate per destination, and silence is declared
after ``srtt + 4 * rttvar``, never less than ``floor`` and never more than ``ceiling`` (the
``--timeout`` the user gave, which is also the wait before the first answer has come back).

Round trips are measured from sending to the moment this process notices the answer, so a busy
event loop lengthens them and the waits with them: load makes the probe slower, not wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

#: No destination is given less than this to answer, however fast it has been so far (nmap's
#: default --min-rtt-timeout is the same 100 ms).
DEFAULT_FLOOR = 0.1


@dataclass(slots=True)
class _Estimate:
    srtt: float
    rttvar: float


class RoundTrips:
    """Per-destination round-trip estimates and the silence timeout they imply.

    ``pooled`` keeps one estimate for every destination: right where all of them sit on the
    same path, as the lab's namespaces do on one bridge of one kernel. A destination whose
    firewall drops everything never answers, and would otherwise wait out ``ceiling`` each time.
    """

    def __init__(self, *, ceiling: float, floor: float = DEFAULT_FLOOR, pooled: bool = False):
        if ceiling <= 0 or floor <= 0:
            raise ValueError("timeouts must be positive")
        self.ceiling = ceiling
        self.floor = min(floor, ceiling)
        self._pooled = pooled
        self._estimates: dict[str, _Estimate] = {}

    def record(self, address: str, seconds: float) -> None:
        key = self._key(address)
        estimate = self._estimates.get(key)
        if estimate is None:
            self._estimates[key] = _Estimate(seconds, seconds / 2)
            return
        estimate.rttvar = 0.75 * estimate.rttvar + 0.25 * abs(estimate.srtt - seconds)
        estimate.srtt = 0.875 * estimate.srtt + 0.125 * seconds

    def known(self, address: str) -> bool:
        return self._key(address) in self._estimates

    def _key(self, address: str) -> str:
        return "" if self._pooled else address

    def timeout(self, address: str) -> float:
        estimate = self._estimates.get(self._key(address))
        if estimate is None:
            return self.ceiling
        return min(self.ceiling, max(self.floor, estimate.srtt + 4 * estimate.rttvar))

"""Names for address sets in findings: an endpoint's name where one fits, else the addresses.

A finding that says ``from pg1-b`` is read at a glance; one that says ``from 10.10.2.21`` sends
the reader to the inventory. Sets that are exactly the union of some endpoints are named by
them, the whole scope is ``any``, and anything else is printed as the fewest CIDR prefixes.
"""

from __future__ import annotations

from portmatrix.check.index import IntervalIndex
from portmatrix.check.space import Interval, Intervals, format_addresses, network_interval, normalise, subtract
from portmatrix.model import Matrix

_MAX_EXCEPTIONS = 5


class Endpoints:
    """The matrix's endpoints as intervals on the traffic line."""

    def __init__(self, matrix: Matrix):
        self.names = list(matrix.endpoints)
        self.intervals: dict[str, Interval] = {
            name: network_interval(endpoint.address) for name, endpoint in matrix.endpoints.items()
        }
        self._index = IntervalIndex(
            (lo, hi, position) for position, (lo, hi) in enumerate(self.intervals[name] for name in self.names)
        )

    def overlapping(self, lo: int, hi: int) -> list[str]:
        return [self.names[position] for position in self._index.query(lo, hi)]

    def most_specific(self, lo: int, hi: int) -> str | None:
        """The smallest endpoint that holds all of ``lo..hi``."""
        holders = [
            name for name in self.overlapping(lo, hi) if self.intervals[name][0] <= lo and hi <= self.intervals[name][1]
        ]
        return min(holders, key=lambda name: self.intervals[name][1] - self.intervals[name][0], default=None)

    def exactly(self, values: Intervals) -> list[str] | None:
        """Endpoints whose addresses together are exactly ``values``, or None."""
        names: list[str] = []
        for lo, hi in values:
            inside = [n for n in self.overlapping(lo, hi) if lo <= self.intervals[n][0] and self.intervals[n][1] <= hi]
            names.extend(inside)
        if not names or normalise(self.intervals[name] for name in names) != values:
            return None
        return sorted(set(names), key=lambda name: self.intervals[name])

    def label(self, values: Intervals, scope: Intervals, *, exceptions: bool = False) -> str:
        """``any``, endpoint names, ``any except ...`` (when ``exceptions``), or addresses."""
        if values == scope:
            return "any"
        names = self.exactly(values)
        if names is not None:
            return ",".join(names)
        if exceptions:
            missing = self.exactly(subtract(scope, values))
            if missing is not None and len(missing) <= _MAX_EXCEPTIONS:
                return "any except " + ",".join(missing)
        return format_addresses(values)

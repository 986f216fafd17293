"""Names for address sets in findings: an endpoint's name where one fits, else the addresses.

A finding that says ``from pg1-b`` is read at a glance; one that says ``from 10.10.2.21`` sends
the reader to the inventory. Sets that are exactly the union of some endpoints are named by
them, the whole scope is ``any``, and anything else is printed as the fewest CIDR prefixes.
"""

from __future__ import annotations

from typing import overload

from portmatrix.check.engine.index import IntervalIndex
from portmatrix.model import Matrix
from portmatrix.traffic import (
    Interval,
    Intervals,
    covering_prefix,
    iter_prefixes,
    network_interval,
    normalise,
    span,
    subtract,
)


class Endpoints:
    """The matrix's endpoints as intervals on the traffic line."""

    def __init__(self, matrix: Matrix):
        # A host's further networks are labelled ``name@network`` (``rtr-a@private``).
        self.intervals: dict[str, Interval] = {
            name: network_interval(endpoint.address) for name, endpoint in matrix.endpoints.items()
        }
        for name, endpoint in matrix.endpoints.items():
            for network, address in endpoint.addresses:
                if address != endpoint.address:
                    self.intervals[f"{name}@{network}"] = network_interval(address)
        self.names = list(self.intervals)
        self._index = IntervalIndex(
            (lo, hi, position)
            for position, (lo, hi) in enumerate(self.intervals[name] for name in self.names)
        )
        self._by_interval: dict[Interval, str] = {}
        for name in self.names:
            self._by_interval.setdefault(self.intervals[name], name)
        self._starts = {lo for lo, _ in self.intervals.values()}
        self._ends = {hi for _, hi in self.intervals.values()}
        self._labels: dict[tuple[Intervals, Intervals, bool], str] = {}

    def overlapping(self, lo: int, hi: int) -> list[str]:
        return [self.names[position] for position in self._index.query(lo, hi)]

    def most_specific(self, lo: int, hi: int) -> str | None:
        """The smallest endpoint that holds all of ``lo..hi``."""
        holders = [
            name
            for name in self.overlapping(lo, hi)
            if self.intervals[name][0] <= lo and hi <= self.intervals[name][1]
        ]
        return min(
            holders,
            key=lambda name: self.intervals[name][1] - self.intervals[name][0],
            default=None,
        )

    def exactly(self, values: Intervals) -> list[str] | None:
        """Endpoints whose addresses together are exactly ``values``, or None."""
        names: list[str] = []
        for lo, hi in values:
            if lo not in self._starts or hi not in self._ends:
                return None  # a run no endpoint starts or ends cannot be a union of endpoints
            inside = [
                n
                for n in self.overlapping(lo, hi)
                if lo <= self.intervals[n][0] and self.intervals[n][1] <= hi
            ]
            names.extend(inside)
        if not names or normalise(self.intervals[name] for name in names) != values:
            return None
        return sorted(set(names), key=lambda name: self.intervals[name])

    def label(self, values: Intervals, scope: Intervals, *, exceptions: bool = False) -> str:
        """``any``, endpoint names, or addresses; with ``exceptions`` also ``X except Y`` (X is
        ``any`` or the smallest prefix holding the set) where that reads shorter.

        Remembered: a finding names the same sources in its message and in its excess list.
        """
        key = (values, scope, exceptions)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = self._label(values, scope, exceptions=exceptions)
        return found

    def _label(self, values: Intervals, scope: Intervals, *, exceptions: bool) -> str:
        if values == scope:
            return "any"
        best = self.names_or_addresses(values)
        if not exceptions or not values:
            return best
        bases = [(scope, "any"), (span(*covering_prefix(values[0][0], values[-1][1])), "")]
        for base, base_label in bases:
            missing = subtract(base, values)
            if not missing or subtract(values, base):
                continue
            # Only a shorter text wins, so neither part is printed past the length of the best
            # so far: "any except" one host would otherwise print a hundred prefixes for nothing.
            head = base_label or self.names_or_addresses(base, limit=len(best))
            if head is None:
                continue
            head += " except "
            tail = self.names_or_addresses(missing, limit=len(best) - 1 - len(head))
            if tail is not None:
                best = head + tail
        return best

    @overload
    def names_or_addresses(self, values: Intervals) -> str: ...
    @overload
    def names_or_addresses(self, values: Intervals, *, limit: int) -> str | None: ...

    def names_or_addresses(self, values: Intervals, *, limit: int | None = None) -> str | None:
        """Endpoint names where the set is exactly some endpoints, else prefixes, each named if it can be.

        With ``limit``, None instead of a text longer than that.
        """
        names = self.exactly(values)
        if names is not None:
            text = ",".join(names)
            return text if limit is None or len(text) <= limit else None
        parts: list[str] = []
        length = -1
        for interval, text in iter_prefixes(values):
            part = self._named(interval) or text
            length += len(part) + 1
            if limit is not None and length > limit:
                return None
            parts.append(part)
        return ",".join(parts)

    def _named(self, interval: Interval) -> str | None:
        return self._by_interval.get(interval)

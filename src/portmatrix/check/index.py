"""Which rules (or flows) can touch a destination, without scanning all of them.

A large ruleset mostly names single hosts or small networks as destinations. Those entries go
into buckets of 256 addresses; the few wide ones (``any``, a /8) sit in a list every query
reads. A query for one host then costs a dictionary look-up plus the wide list, which keeps a
check against tens of thousands of rules in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

_SHIFT = 8  # 256 addresses per bucket
_NARROW = 16  # entries spanning more buckets than this are "wide"
_SCAN = 4096  # queries spanning more buckets than this read every narrow entry


class IntervalIndex:
    """Keys of the entries whose interval overlaps a query interval, in ascending key order."""

    def __init__(self, entries: Iterable[tuple[int, int, int]]):
        self._buckets: dict[int, list[tuple[int, int, int]]] = {}
        self._wide: list[tuple[int, int, int]] = []
        for entry in entries:
            first, last = entry[0] >> _SHIFT, entry[1] >> _SHIFT
            if last - first >= _NARROW:
                self._wide.append(entry)
                continue
            for bucket in range(first, last + 1):
                self._buckets.setdefault(bucket, []).append(entry)

    def query(self, lo: int, hi: int) -> list[int]:
        keys = {key for start, end, key in self._wide if start <= hi and lo <= end}
        first, last = lo >> _SHIFT, hi >> _SHIFT
        lists: Iterable[Sequence[tuple[int, int, int]]]
        if last - first <= _SCAN:
            lists = (self._buckets.get(bucket, ()) for bucket in range(first, last + 1))
        else:
            lists = self._buckets.values()
        for entries in lists:
            keys.update(key for start, end, key in entries if start <= hi and lo <= end)
        return sorted(keys)

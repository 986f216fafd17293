"""Which rules (or flows, or pieces) overlap an interval, without scanning all of them.

Every entry's interval is cut into aligned power-of-two blocks (a CIDR prefix, a port range's
binary pieces: at most two per bit of the line), and the blocks of one size are kept as a
sorted list of starts. A query asks each size present for the blocks whose start lies between
its own start rounded down to that size and its end: one bisection per size, then exactly the
overlapping entries. Rulesets mostly name hosts and a few network sizes, so a query costs a
handful of bisections whatever the number of rules or how many of them share a /24.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

_FEW = 12  # below this many entries a scan is quicker than building the blocks


def aligned_blocks(lo: int, hi: int) -> list[tuple[int, int]]:
    """``lo..hi`` as the fewest aligned blocks, each as (start, log2 of its size)."""
    blocks = []
    while lo <= hi:
        shift = (lo & -lo).bit_length() - 1 if lo else (hi + 1).bit_length()
        shift = min(shift, (hi - lo + 1).bit_length() - 1)
        blocks.append((lo, shift))
        lo += 1 << shift
    return blocks


class IntervalIndex:
    """Keys of the entries whose interval overlaps a query interval, in ascending key order."""

    __slots__ = ("_few", "_sizes")

    def __init__(self, entries: Iterable[tuple[int, int, int]]):
        listed = list(entries)
        self._few = listed if len(listed) <= _FEW else None
        self._sizes: list[tuple[int, list[int], list[int]]] = []
        if self._few is not None:
            return
        by_size: dict[int, list[tuple[int, int]]] = {}
        for lo, hi, key in listed:
            for start, shift in aligned_blocks(lo, hi):
                by_size.setdefault(shift, []).append((start, key))
        for shift, blocks in sorted(by_size.items()):
            blocks.sort()
            self._sizes.append((shift, [start for start, _ in blocks], [key for _, key in blocks]))

    def query(self, lo: int, hi: int) -> list[int]:
        if self._few is not None:
            return sorted({key for start, end, key in self._few if start <= hi and lo <= end})
        found: list[int] = []
        for shift, starts, keys in self._sizes:
            first = bisect.bisect_left(starts, lo >> shift << shift)
            last = bisect.bisect_right(starts, hi, first)
            if last > first:
                found.extend(keys[first:last])
        if len(found) > 1:
            return sorted(set(found))
        return found

"""Pausing the cyclic garbage collector while a stage builds many acyclic records.

Resolution, ruleset reading and the check each allocate a few tuples or records per flow or
rule and free almost none of them until they finish. The collector would re-scan the growing
heap over and over (measured: resolution's exponent in flows 1.24 with it, 1.0 without; reading
and checking 50,000 rules a third slower). Reference counting still frees ordinary garbage.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_gc() -> Iterator[None]:
    """The collector off for the block, and back as it was afterwards (nesting is safe)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""An in-memory backend: the network as a lookup table, for tests that need no root.

It behaves like the socket backend from the core's point of view (it yields to the event loop,
so concurrency limits are really exercised) and records what it was asked, so tests can assert
which addresses a run would have touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from portmatrix.verify.probe import Observed, Probe, Result

#: ``(dst_address, protocol, port)`` as in a :class:`Probe`, protocol as text ("tcp"/"udp").
Key = tuple[str, str, int]
Answer = Callable[[Probe], Observed]


class FakeBackend:
    """Answers each check from ``answers`` (a table or a function), ``default`` otherwise."""

    def __init__(
        self, answers: Mapping[Key, Observed] | Answer, *, default: Observed = Observed.FILTERED
    ):
        self._answers = answers
        self._default = default
        self.checked: list[Probe] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def check(self, probe: Probe) -> Result:
        self.checked.append(probe)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            return Result(probe, self._answer(probe), detail="fake")
        finally:
            self.in_flight -= 1

    def _answer(self, probe: Probe) -> Observed:
        if callable(self._answers):
            return self._answers(probe)
        key = (probe.dst_address, probe.protocol.value, probe.port)
        return self._answers.get(key, self._default)

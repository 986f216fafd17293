"""Ctrl-C and SIGTERM as one exception that unwinds through every clean-up.

A lab run holds network namespaces, an emulator holds listening sockets, a writer holds a
temporary file: whichever signal stops them, each must be undone, and the command must then
say so in one line and exit as shells expect (128 + the signal: 130 for SIGINT, 143 for
SIGTERM), never 1, which means "checks failed". Python turns only SIGINT into an exception by
default, and inside an event loop a signal raised at an arbitrary point leaves tasks behind
("Task exception was never retrieved"). So:

* :func:`signals_raise` makes both signals raise :class:`Interrupted` in synchronous code, once:
  a second signal while the first unwinds is ignored, so it cannot cut the clean-up short;
* :func:`run` runs a coroutine the way :func:`asyncio.run` does, but a signal *cancels* the
  main task (so task groups, sockets and listeners close in order) and only then raises
  :class:`Interrupted`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Coroutine, Iterator
from types import FrameType
from typing import Any, TypeVar

from portmatrix.exitcodes import for_signal

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """The run was stopped by a signal; ``status`` is the conventional exit status.

    A ``BaseException``, like :class:`KeyboardInterrupt`, so ``except Exception`` never swallows
    it on its way to the clean-ups.
    """

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by {self.name}")

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def status(self) -> int:
        """128 + the signal, as :mod:`portmatrix.exitcodes` has it for every command."""
        return for_signal(self.signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM raise :class:`Interrupted` (the first only)."""
    if not _in_main_thread():
        yield
        return
    fired: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        if not fired:
            fired.append(signum)
            raise Interrupted(signum)

    previous = {number: signal.signal(number, interrupt) for number in SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``, with SIGINT and SIGTERM cancelling it cleanly.

    The signal cancels the main task; once everything it started has unwound, the
    cancellation becomes :class:`Interrupted`. The handlers that were in place before are put
    back afterwards (the event loop would otherwise leave the defaults behind).
    """
    import asyncio  # here: a command that never runs a loop does not pay for it

    if not _in_main_thread():
        return asyncio.run(coroutine)
    saved = {number: signal.getsignal(number) for number in SIGNALS}
    try:
        return asyncio.run(_cancelled_by_signals(coroutine))
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


async def _cancelled_by_signals(coroutine: Coroutine[Any, Any, T]) -> T:
    import asyncio

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[int] = []

    def stop(signum: int) -> None:
        if not received and task is not None:
            received.append(signum)
            task.cancel()

    for number in SIGNALS:
        loop.add_signal_handler(number, stop, number)
    try:
        result = await coroutine
    except asyncio.CancelledError:
        if not received:
            raise
    finally:
        for number in SIGNALS:
            loop.remove_signal_handler(number)
    if received:  # also when the coroutine swallowed the cancellation and returned
        raise Interrupted(received[0])
    return result

"""Progress for long work: a redrawn bar on a terminal, one line per stage in a pipe.

Verify, probe, check and rendering every host report through one :class:`Progress`. On a
terminal a stage redraws one line (count, percentage, elapsed, ETA) at most ten times a second
and leaves a line saying how long it took; elsewhere (a pipe, a CI log) it prints that one line
when the stage is done, so a log stays readable. A stage cut short by an error or a signal
erases its bar and prints nothing, so the error is the only line. ``quiet`` prints nothing.

The ETA is the time so far divided by the work done, times the work left, and only once the
estimate means something: at least one item done and half a second gone. (A bar that divides by
the first item's time shows hours for a run of seconds.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

#: The least time and work before an ETA is shown.
ETA_AFTER_SECONDS = 0.5
REDRAW_SECONDS = 0.1


def eta(done: int, total: int, elapsed: float) -> float | None:
    """Seconds left at the rate so far, or ``None`` while there is too little to go on."""
    if done <= 0 or elapsed < ETA_AFTER_SECONDS or total <= 0:
        return None
    return max(0.0, elapsed / done * (total - done))


def clock_text(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass
class Stage:
    """One named step with a known total (or ``None`` when only the end is known)."""

    label: str
    total: int | None
    progress: Progress
    done: int = 0
    started: float = 0.0
    _drawn: float = field(default=-1.0, repr=False)

    def advance(self, count: int = 1) -> None:
        self.done += count
        self.progress.redraw(self)

    def line(self, now: float) -> str:
        elapsed = now - self.started
        if self.total is None:
            return f"{self.label}: {self.done} ({clock_text(elapsed)})"
        share = self.done / self.total if self.total else 1.0
        left = eta(self.done, self.total, elapsed)
        eta_text = "ETA --:--" if left is None else f"ETA {clock_text(left)}"
        width = 24
        bar = "#" * int(share * width)
        return (
            f"{self.label} [{bar:<{width}}] {self.done}/{self.total} {share:4.0%} "
            f"{clock_text(elapsed)} {eta_text}"
        )


class Progress:
    """Where stages report; ``tty`` decides the style (by default: is ``stream`` a terminal)."""

    def __init__(
        self,
        *,
        stream: IO[str] | None = None,
        quiet: bool = False,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock

    @contextmanager
    def stage(self, label: str, total: int | None = None) -> Iterator[Stage]:
        stage = Stage(label, total, self, started=self.clock())
        try:
            yield stage
        except BaseException:
            if not self.quiet and self.tty and stage._drawn >= 0:
                self._write("\r\x1b[K")
            raise
        self._end(stage)

    def redraw(self, stage: Stage) -> None:
        if self.quiet or not self.tty:
            return
        now = self.clock()
        if stage._drawn >= 0 and now - stage._drawn < REDRAW_SECONDS:
            return
        stage._drawn = now
        self._write("\r\x1b[K" + stage.line(now))

    def _end(self, stage: Stage) -> None:
        if self.quiet:
            return
        elapsed = clock_text(self.clock() - stage.started)
        count = stage.done if stage.total is None else f"{stage.done}/{stage.total}"
        prefix = "\r\x1b[K" if self.tty else ""
        self._write(f"{prefix}portmatrix: {stage.label}: {count} done in {elapsed}\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def silent() -> Progress:
    """A progress that prints nothing (library callers, tests)."""
    return Progress(quiet=True, tty=False)

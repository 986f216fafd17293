"""Progress: a bar with a truthful ETA on a terminal, a line per stage in a pipe, nothing if quiet."""

from __future__ import annotations

import io

import pytest

from portmatrix.progress import Progress, clock_text, eta


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_eta_until_the_rate_means_something() -> None:
    assert eta(0, 400, 5.0) is None
    assert eta(1, 400, 0.01) is None  # the first frame of a 16 s run must not say 8 hours
    assert eta(100, 400, 4.0) == pytest.approx(12.0)
    assert eta(400, 400, 16.0) == 0.0


def test_a_sixteen_second_run_never_shows_hours() -> None:
    clock, screen = Clock(), Terminal()
    progress = Progress(stream=screen, clock=clock)
    with progress.stage("probing", 1600) as stage:
        for _ in range(1600):
            clock.now += 0.01
            stage.advance()
    frames = screen.getvalue().split("\r\x1b[K")
    shown = [frame for frame in frames if "ETA" in frame]
    assert len(shown) > 10 and all("ETA --:--" in f or "ETA 0:" in f for f in shown)
    assert "ETA 0:08" in screen.getvalue() or "ETA 0:07" in screen.getvalue()
    assert frames[-1] == "portmatrix: probing: 1600/1600 done in 0:16\n"


def test_a_pipe_gets_one_line_per_stage() -> None:
    clock, pipe = Clock(), io.StringIO()
    progress = Progress(stream=pipe, clock=clock)
    with progress.stage("rendering", 3) as stage:
        for _ in range(3):
            clock.now += 1
            stage.advance()
    assert pipe.getvalue().splitlines() == ["portmatrix: rendering: 3/3 done in 0:03"]


def test_a_stage_cut_short_prints_nothing_so_the_error_is_the_only_line() -> None:
    clock, pipe, screen = Clock(), io.StringIO(), Terminal()
    for stream in (pipe, screen):
        with (
            pytest.raises(KeyboardInterrupt),
            Progress(stream=stream, clock=clock).stage("x", 9) as s,
        ):
            clock.now += 1
            s.advance()
            raise KeyboardInterrupt
    assert pipe.getvalue() == ""
    assert screen.getvalue().endswith("\r\x1b[K") and "done" not in screen.getvalue()


def test_quiet_prints_nothing() -> None:
    screen = Terminal()
    with Progress(stream=screen, quiet=True).stage("probing", 2) as stage:
        stage.advance(2)
    assert screen.getvalue() == ""


def test_clock_text() -> None:
    assert (clock_text(5), clock_text(75), clock_text(3725)) == ("0:05", "1:15", "1:02:05")

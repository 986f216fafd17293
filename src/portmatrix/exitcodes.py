"""The one exit-status convention every command follows, so a script can branch on it.

======  ==========================================================================
status  meaning
======  ==========================================================================
0       the command did its work and found nothing to report
1       it did its work and found something: ``check`` found blocked or excess
        traffic, ``diff`` found differences, ``probe``/``verify`` saw a wrong
        verdict, or ``--strict`` was given and there were warnings
2       it could not do its work: a usage error or an input error (the message
        names the file and line)
130     interrupted by Ctrl-C (SIGINT); 128 + the signal number
143     terminated by SIGTERM; 128 + the signal number
======  ==========================================================================

A finding is never an error and an error is never a finding: a ``check`` that cannot read its
ruleset exits 2, never 1.
"""

from __future__ import annotations

import signal
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERRUPTED = 128 + signal.SIGINT
    TERMINATED = 128 + signal.SIGTERM


def status(*, findings: bool = False, warnings: bool = False, strict: bool = False) -> ExitCode:
    """1 when there is something to report (warnings count only under ``--strict``), else 0."""
    return ExitCode.FINDINGS if findings or (strict and warnings) else ExitCode.OK


def for_signal(signum: int) -> int:
    """The status a process stopped by ``signum`` reports, as shells do (128 + N)."""
    return 128 + signum

"""Failing closed: every flow a file cannot carry is named in one message, never dropped.

A firewall that quietly lacks one rule breaks a call centre at 9 a.m.; one that quietly has an
extra rule is worse. So selection and renderers collect every problem first and raise one
:class:`~portmatrix.errors.RenderError` naming each flow, the attribute at fault, the target and
the catalog entry, the way Aerleon rejects unsupported keywords in one aggregated error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portmatrix.errors import RenderError
from portmatrix.model import Flow

#: How many problems one message spells out before it only counts the rest.
SHOWN = 8


def describe_flow(flow: Flow) -> str:
    ports = str(flow.ports)
    return f"{flow.src} -> {flow.dst} {flow.protocol.value}/{ports}"


def describe_entry(flow: Flow) -> str:
    return f"catalog entry {flow.rule}" + (f", {flow.source}" if flow.source else "")


@dataclass(frozen=True, slots=True)
class Problem:
    """One flow a target cannot express, and why."""

    flow: Flow
    attribute: str
    why: str
    hint: str = ""  # what the user can do about it, said once per message

    def __str__(self) -> str:
        return (
            f"flow {describe_flow(self.flow)} ({describe_entry(self.flow)}): "
            f"{self.attribute}: {self.why}"
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A flow deliberately left out of a file, printed in the file's header and warned about."""

    flow: Flow
    why: str

    def __str__(self) -> str:
        return f"{describe_flow(self.flow)} ({self.flow.rule}): {self.why}"


def refuse(target: str, subject: str, problems: Sequence[Problem]) -> RenderError:
    """One error for all problems, on one line so the CLI prints it whole."""
    shown = "; ".join(str(problem) for problem in problems[:SHOWN])
    more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    count = f"{len(problems)} flow{'s' if len(problems) != 1 else ''}"
    hints = list(dict.fromkeys(problem.hint for problem in problems if problem.hint))
    tail = f" ({'; '.join(hints)})" if hints else ""
    return RenderError(
        f"{target} cannot express {count} for {subject}: {shown}{more}{tail}", problems=problems
    )


def raise_if(target: str, subject: str, problems: Sequence[Problem]) -> None:
    if problems:
        raise refuse(target, subject, problems)

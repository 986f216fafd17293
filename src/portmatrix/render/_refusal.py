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
#: What a render refused for unbound flows says after the roles and their YAML.
UNBOUND_HINT = "rerun with --skip-unbound to leave unbound flows out with a warning"
#: How many entry ids a role's line names before it only counts the rest.
SHOWN_ENTRIES = 3


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

    @property
    def unbound_role(self) -> str | None:
        """The role no host holds, when this is an unbound flow's missing address."""
        end = {"src_address": self.flow.src, "dst_address": self.flow.dst}.get(self.attribute)
        if end is None or not end.startswith("role:") or getattr(self.flow, self.attribute):
            return None
        return end.removeprefix("role:")

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
    """One error for all problems: one line for what the target cannot say, and for flows
    whose peer role no host holds, a few lines per role with the YAML that binds it."""
    unbound: dict[str, list[Problem]] = {}
    others = []
    for problem in problems:
        role = problem.unbound_role
        if role is None:
            others.append(problem)
        else:
            unbound.setdefault(role, []).append(problem)
    parts = []
    if others:
        shown = "; ".join(str(problem) for problem in others[:SHOWN])
        more = f"; and {len(others) - SHOWN} more" if len(others) > SHOWN else ""
        parts.append(shown + more)
    if unbound:
        flows = sum(len(items) for items in unbound.values())
        parts.append(
            f"{_flows(flows)} whose peer role no host holds ({', '.join(sorted(unbound))})"
        )
    hints = list(dict.fromkeys(p.hint for p in others if p.hint))
    tail = f" ({'; '.join(hints)})" if hints else ""
    message = f"{target} cannot express {_flows(len(problems))} for {subject}: "
    details = [line for role in sorted(unbound) for line in _bind_advice(role, unbound[role])]
    if unbound:
        details.append(f"  or {UNBOUND_HINT}")
    return RenderError(message + "; ".join(parts) + tail, problems=problems, details=details)


def _flows(count: int) -> str:
    return f"{count} flow{'s' if count != 1 else ''}"


def _bind_advice(role: str, problems: Sequence[Problem]) -> list[str]:
    """A role's count, the entries it affects, and the two lines of YAML that bind it."""
    rules = sorted({problem.flow.rule for problem in problems})
    named = ", ".join(rules[:SHOWN_ENTRIES])
    more = f" and {len(rules) - SHOWN_ENTRIES} more" if len(rules) > SHOWN_ENTRIES else ""
    return [
        f"  role {role}: {_flows(len(problems))} of {named}{more}; bind it to the network its "
        "clients use (or add a host holding it):",
        "      bind:",
        f"        {role}: <network>",
    ]


def raise_if(target: str, subject: str, problems: Sequence[Problem]) -> None:
    if problems:
        raise refuse(target, subject, problems)

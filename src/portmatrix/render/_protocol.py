"""The renderer extension point: one small typed Protocol, and what a renderer is handed.

A renderer is anything with a ``name``, a file ``suffix``, the :class:`Capabilities` it can
express, and two methods: ``render`` prints a compacted matrix in the target's syntax and
``count`` measures its own output for ``--stats``. It never compacts, selects or checks flows;
that happened before it was called (see :mod:`portmatrix.render._scope`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from portmatrix.model import HostFirewall

if TYPE_CHECKING:
    from portmatrix.render._scope import CompactMatrix


class Mode(StrEnum):
    """What a rendered file protects: one host (``--host``), or the link between two zones."""

    HOST = "host"
    NETWORK = "network"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a target can express; anything else is refused before its renderer runs."""

    modes: frozenset[Mode] = frozenset({Mode.HOST, Mode.NETWORK})
    families: frozenset[int] = frozenset({4, 6})
    egress: bool = True
    mixed_families: bool = True  # IPv4 and IPv6 rules in one file
    #: A host firewall installed on the host itself runs only on these platforms (see
    #: ``model.Platform``); empty for a network device's ACL, which protects any host.
    platforms: frozenset[str] = frozenset()

    def describe(self) -> str:
        parts = ["+".join(sorted(mode.value for mode in self.modes))]
        parts.append("/".join(f"IPv{family}" for family in sorted(self.families)))
        if not self.mixed_families and len(self.families) > 1:
            parts[-1] += " (one family per file)"
        if self.egress:
            parts.append("egress")
        if self.platforms:
            parts.append(f"on {'/'.join(sorted(self.platforms))} hosts")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """What the user asked for: the scope (one host, two zones) and how to treat odd flows.

    ``skip_unbound`` leaves out flows whose peer has no address in the inventory, with a warning,
    instead of failing; ``family`` (4 or 6) renders only that address family. ``exact`` asks a
    target that leaves other software's rules in place (Windows) to disable them, so the host
    admits exactly the matrix. ``host_firewall`` is the ICMP a host admits beside the matrix
    (the inventory's, filled in by the pipeline when not given).
    """

    host: str | None = None
    between: tuple[str, str] | None = None
    egress: bool = False
    skip_unbound: bool = False
    family: int | None = None
    exact: bool = False
    host_firewall: HostFirewall | None = None
    force: bool = False  # render a host firewall for a host whose platform cannot run it

    @property
    def icmp(self) -> HostFirewall:
        return self.host_firewall or HostFirewall()

    @property
    def mode(self) -> Mode:
        return Mode.NETWORK if self.between is not None else Mode.HOST


@dataclass(frozen=True, slots=True)
class Counts:
    """A rendered file measured: rules that carry flows, and the elements they list."""

    rules: int
    elements: int


@runtime_checkable
class Renderer(Protocol):
    """A firewall target. Register a class with this shape under ``portmatrix.renderers``."""

    name: str
    suffix: str
    description: str
    capabilities: Capabilities

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        """The whole file for the target, ending with a newline."""
        ...

    def count(self, text: str) -> Counts:
        """Flow-carrying rules and listed elements in ``text`` (this renderer's own output)."""
        ...

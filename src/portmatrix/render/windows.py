"""Windows Defender Firewall: a PowerShell script of ``New-NetFirewallRule`` calls.

CCE servers run Windows. Every rule the script creates sits in one group (and so one display
group), ``portmatrix``, and the script begins by removing that group, so running it twice leaves
the same rules as running it once. Block rules win over allow rules in Windows Firewall, which
is what local-only ports need; loopback traffic is not filtered by Windows Firewall at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from portmatrix.compact import Grant
from portmatrix.render._protocol import Capabilities, Counts, Mode, RenderOptions
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section
from portmatrix.render._text import (
    clip,
    grant_lines,
    header_lines,
    safe,
    section_label,
    short_reasons,
)

GROUP = "portmatrix"
DESCRIPTION_LIMIT = 1000
_LIST = re.compile(r"-(?:LocalPort|RemotePort|RemoteAddress) ((?:'[^']*',?)+)")


class WindowsRenderer:
    name = "windows"
    suffix = ".ps1"
    description = "PowerShell New-NetFirewallRule script, idempotent, one display group"
    capabilities = Capabilities(modes=frozenset({Mode.HOST}))

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        load = "powershell -ExecutionPolicy Bypass -File FILE (as Administrator)"
        lines = [f"# {line}" for line in header_lines(matrix, target=self.name, load=load)]
        lines.extend(_preamble(options))
        for section in matrix.sections:
            for number, grant in enumerate(section.grants, start=1):
                lines.extend(_rule(section, grant, number))
        return "\n".join([*lines, ""])

    def count(self, text: str) -> Counts:
        rules = [line for line in text.splitlines() if line.startswith("New-NetFirewallRule")]
        elements = sum(match.count("'") // 2 for line in rules for match in _LIST.findall(line))
        return Counts(rules=len(rules), elements=elements)


def _preamble(options: RenderOptions) -> list[str]:
    profiles = "Set-NetFirewallProfile -Profile Domain,Private,Public"
    lines = [
        "#Requires -RunAsAdministrator",
        "$ErrorActionPreference = 'Stop'",
        f"$group = '{GROUP}'",
        "# Idempotent: remove every rule an earlier run created, then create them again.",
        "Get-NetFirewallRule -Group $group -ErrorAction SilentlyContinue | Remove-NetFirewallRule",
        "# Default drop on input; established connections are admitted by the stateful firewall.",
        f"{profiles} -Enabled True -DefaultInboundAction Block",
    ]
    if options.egress:
        lines.append(f"{profiles} -DefaultOutboundAction Block")
    return lines


def _rule(section: Section, grant: Grant, number: int) -> Iterator[str]:
    inbound = section.hook is Hook.INPUT
    direction = "Inbound" if inbound else "Outbound"
    action = "Block" if section.action is Action.DROP else "Allow"
    label = section_label(section) or ("in" if inbound else "out")
    name = f"portmatrix {label} {grant.protocol.value} {number}: {', '.join(grant.rules)}"
    ports = _quoted(str(block) for block in grant.ports)
    port_kind = "LocalPort" if inbound else "RemotePort"
    remote = grant.sources if inbound else grant.destinations
    address = f" -RemoteAddress {_quoted(remote)}" if remote else ""
    description = short_reasons(grant.reasons, DESCRIPTION_LIMIT)
    yield from (f"# {line}" for line in grant_lines(grant, label=section_label(section)))
    yield (
        f"New-NetFirewallRule -Group $group -DisplayName '{clip(safe(name), 200)}'"
        f" -Direction {direction} -Action {action} -Protocol {grant.protocol.value.upper()}"
        f" -{port_kind} {ports}{address} -Description '{description}' | Out-Null"
    )


def _quoted(items: Iterable[str]) -> str:
    """A PowerShell string array: ``'40007','40010-40020'``."""
    return ",".join(f"'{item}'" for item in items)

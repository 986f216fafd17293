"""Windows Defender Firewall: a PowerShell script of ``New-NetFirewallRule`` calls.

CCE servers run Windows. Every rule the script creates sits in one group (and so one display
group), ``portmatrix``, and the script begins by removing that group, so running it twice leaves
the same rules as running it once. Block rules win over allow rules in Windows Firewall, which
is what local-only ports need; loopback traffic is not filtered by Windows Firewall at all.

Windows Firewall admits a connection that *any* enabled allow rule admits. By default the script
leaves the other allow rules (Windows' own, other software's) in place and says so in its
header: the host then admits the matrix *and* whatever those rules admit. With ``exact`` it
also disables every enabled allow rule outside its group, writing their names to a file beside
the script so they can be enabled again, and adds IPv6 neighbour discovery itself (Windows'
own Core Networking rules carried it), so the host admits exactly the matrix.
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
DISABLED_LIST = "portmatrix-disabled-rules.txt"
_LIST = re.compile(r"-(?:LocalPort|RemotePort|RemoteAddress) ((?:'[^']*',?)+)")
#: ICMPv6 neighbour and router discovery: router solicitation/advertisement, NS, NA.
_ND_TYPES = (133, 134, 135, 136)


class WindowsRenderer:
    name = "windows"
    suffix = ".ps1"
    description = "PowerShell New-NetFirewallRule script, idempotent, one display group"
    capabilities = Capabilities(modes=frozenset({Mode.HOST}), platforms=frozenset({"windows"}))

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        load = "powershell -ExecutionPolicy Bypass -File FILE (as Administrator)"
        lines = [f"# {line}" for line in header_lines(matrix, target=self.name, load=load)]
        lines.extend(_preamble(options))
        for section in matrix.sections:
            for number, grant in enumerate(section.grants, start=1):
                lines.extend(_rule(section, grant, number))
        return "\n".join([*lines, ""])

    def count(self, text: str) -> Counts:
        rules = [
            line
            for line in text.splitlines()
            if line.startswith("New-NetFirewallRule") and "-Protocol ICMP" not in line
        ]
        elements = sum(match.count("'") // 2 for line in rules for match in _LIST.findall(line))
        return Counts(rules=len(rules), elements=elements)


def _preamble(options: RenderOptions) -> list[str]:
    profiles = "Set-NetFirewallProfile -Profile Domain,Private,Public"
    lines = [
        *_statement(options),
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
    if options.exact:
        lines.extend(_disable_others(options))
    lines.extend(_icmp_rules(options))
    return lines


def _statement(options: RenderOptions) -> list[str]:
    """The header lines that say what happens to the allow rules the script did not create."""
    if options.exact:
        return [
            "# Other allow rules: DISABLED (exact mode). Every enabled allow rule outside group",
            f"# '{GROUP}' is disabled, not deleted; their names go to {DISABLED_LIST} beside this",
            "# script. Undo: Get-Content FILE | ForEach-Object { Enable-NetFirewallRule -Name $_ }",
        ]
    return [
        "# Other allow rules: KEPT. Windows' own rules and other software's still admit what they",
        "# admit, so the host admits the matrix and more; render with --exact to disable them.",
    ]


def _disable_others(options: RenderOptions) -> list[str]:
    directions = "'Inbound','Outbound'" if options.egress else "'Inbound'"
    return [
        "# Exact mode: disable every other enabled allow rule, keeping their names to undo it.",
        "$others = Get-NetFirewallRule -Enabled True -Action Allow |"
        f" Where-Object {{ $_.Group -ne $group -and $_.Direction -in @({directions}) }}",
        "# Appended, not overwritten: a second run finds nothing left to disable.",
        f"$others | Select-Object -ExpandProperty Name | Add-Content -Path (Join-Path $PSScriptRoot '{DISABLED_LIST}')",
        "$others | Disable-NetFirewallRule",
    ]


def _icmp_rules(options: RenderOptions) -> list[str]:
    """Ping, and (exact mode) IPv6 neighbour discovery, which Windows' own rules carried."""
    icmp = options.icmp
    rules = []
    if icmp.icmp_echo:
        rules.append(("ping (host_firewall.icmp_echo)", "Inbound", "ICMPv4", 8))
        rules.append(("ping (host_firewall.icmp_echo)", "Inbound", "ICMPv6", 128))
    nd = "IPv6 neighbour discovery (host_firewall.icmpv6_nd)"
    directions = ("Inbound", "Outbound") if options.egress else ("Inbound",)
    if icmp.icmpv6_nd and options.exact:
        rules.extend((nd, way, "ICMPv6", kind) for way in directions for kind in _ND_TYPES)
    return [
        f"New-NetFirewallRule -Group $group -DisplayName 'portmatrix {what} {way} {protocol} {kind}'"
        f" -Direction {way} -Action Allow -Protocol {protocol} -IcmpType {kind} | Out-Null"
        for what, way, protocol, kind in rules
    ]


def _rule(section: Section, grant: Grant, number: int) -> Iterator[str]:
    inbound = section.hook is Hook.INPUT
    direction = "Inbound" if inbound else "Outbound"
    action = "Block" if section.action is Action.DROP else "Allow"
    label = section_label(section) or ("in" if inbound else "out")
    name = f"portmatrix {label} {grant.protocol.value} {number}: {', '.join(grant.rules)}"
    ports = _quoted(str(block) for block in grant.ports)
    port_kind = "LocalPort" if inbound else "RemotePort"
    remote, own = (
        (grant.sources, grant.destinations) if inbound else (grant.destinations, grant.sources)
    )
    address = f" -RemoteAddress {_quoted(remote)}" if remote else ""
    if section.both_ends and own:  # a host with several networks: which address it is for
        address += f" -LocalAddress {_quoted(own)}"
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

"""nftables: one ``table inet portmatrix``, loaded atomically with ``nft -f``.

The file opens with ``table inet portmatrix`` / ``delete table inet portmatrix`` so loading it
replaces the table whether or not it existed, in one transaction, touching no other table.
Flows live in concatenated interval sets (``ip saddr . tcp dport @input_tcp4``), so the number of
rules is one per (hook, family, protocol, action), whatever the number of flows; each set
element carries the catalog rows behind it as a comment, with full references in ``#`` lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from portmatrix.compact import Grant, PortBlock, merge_port_blocks
from portmatrix.model import HostFirewall
from portmatrix.render._protocol import Capabilities, Counts, RenderOptions
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section
from portmatrix.render._text import bare, grant_lines, header_lines, safe, short_reasons

TABLE = "inet portmatrix"
COMMENT_LIMIT = 127  # the kernel keeps at most 128 bytes of a comment, NUL included

_PREAMBLE = {
    Hook.INPUT: [
        'iif "lo" accept comment "loopback"',
        'ct state established,related accept comment "replies to allowed connections"',
        'ct state invalid drop comment "invalid packets"',
    ],
    Hook.OUTPUT: [
        'oif "lo" accept comment "loopback"',
        'ct state established,related accept comment "replies to allowed connections"',
        'ct state invalid drop comment "invalid packets"',
    ],
    Hook.FORWARD: [
        'ct state established,related accept comment "replies to allowed connections"',
        'ct state invalid drop comment "invalid packets"',
    ],
}
_ND = {
    Hook.INPUT: "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } accept"
    ' comment "IPv6 neighbour discovery (host_firewall.icmpv6_nd)"',
    Hook.OUTPUT: "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept"
    ' comment "IPv6 neighbour discovery (host_firewall.icmpv6_nd)"',
}
_ECHO = [
    'icmp type echo-request accept comment "ping (host_firewall.icmp_echo)"',
    'icmpv6 type echo-request accept comment "ping (host_firewall.icmp_echo)"',
]


def _preamble(hook: Hook, icmp: HostFirewall) -> list[str]:
    """What a chain accepts before the matrix: loopback, replies, and the host's ICMP policy."""
    lines = list(_PREAMBLE[hook])
    if icmp.icmpv6_nd and hook in _ND:
        lines.append(_ND[hook])
    if icmp.icmp_echo and hook is Hook.INPUT:
        lines.extend(_ECHO)
    return lines


@dataclass(frozen=True, slots=True)
class _Set:
    """One named set and the single rule that matches against it."""

    name: str
    type: str
    rule: str
    lines: tuple[str, ...]  # elements, one per line, with their comment lines


class NftablesRenderer:
    name = "nftables"
    suffix = ".nft"
    description = "nftables ruleset: one table inet portmatrix, atomic with nft -f"
    capabilities = Capabilities(platforms=frozenset({"linux"}))

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        load = "nft -f FILE (replaces table inet portmatrix, leaves other tables alone)"
        head = [f"# {line}" for line in header_lines(matrix, target=self.name, load=load)]
        hooks = [hook for hook in Hook if any(s.hook is hook for s in matrix.sections)]
        sets = {
            hook: [item for s in matrix.sections if s.hook is hook for item in _sets(s)]
            for hook in hooks
        }
        parts = [_set_text(item) for hook in hooks for item in sets[hook]]
        parts.extend(_chain_text(hook, sets[hook], options.icmp) for hook in hooks)
        table = [
            f"table {TABLE}",
            f"delete table {TABLE}",
            f"table {TABLE} {{",
            "\n\n".join(parts),
            "}",
        ]
        return "\n".join(["#!/usr/sbin/nft -f", *head, "", *table, ""])

    def count(self, text: str) -> Counts:
        rules = elements = 0
        in_elements = False
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("elements = {"):
                in_elements = True
            elif in_elements and stripped == "}":
                in_elements = False
            elif in_elements and stripped and not stripped.startswith("#"):
                elements += 1
            elif " @" in stripped and not stripped.startswith("#"):
                rules += 1
        return Counts(rules=rules, elements=elements)


def _sets(section: Section) -> Iterator[_Set]:
    if section.action is Action.DROP:
        yield from _local_sets(section)
        return
    keys = sorted({(grant.family, grant.protocol.value) for grant in section.grants})
    for family, protocol in keys:
        grants = [g for g in section.grants if (g.family, g.protocol.value) == (family, protocol)]
        yield _accept_set(section, family, protocol, grants)


def _accept_set(section: Section, family: int, protocol: str, grants: Sequence[Grant]) -> _Set:
    ip, addr = ("ip", "ipv4_addr") if family == 4 else ("ip6", "ipv6_addr")
    name = f"{section.hook.value}_{protocol}{family}"
    ends = [(section.matches_source, "saddr"), (section.matches_destination, "daddr")]
    fields = ([f"{ip} {end}" for used, end in ends if used], [addr for used, _ in ends if used])
    lines = [line for grant in grants for line in _grant_elements(section, grant)]
    reasons = sorted({reason for grant in grants for reason in grant.reasons})
    comment = short_reasons(reasons, COMMENT_LIMIT)
    match = " . ".join([*fields[0], f"{protocol} dport"])
    rule = f'{match} @{name} accept comment "{comment}"'
    return _Set(name, " . ".join([*fields[1], "inet_service"]), rule, tuple(lines))


def _grant_elements(section: Section, grant: Grant) -> list[str]:
    sources = [bare(s) for s in grant.sources] if section.matches_source else [""]
    destinations = [bare(d) for d in grant.destinations] if section.matches_destination else [""]
    addresses = [[part for part in (s, d) if part] for s in sources for d in destinations]
    lines = [f"# {line}" for line in grant_lines(grant)]
    for parts in addresses:
        lines.extend(_element([*parts, str(block)], block) for block in grant.ports)
    return lines


def _element(parts: Sequence[str], block: PortBlock) -> str:
    return f'{" . ".join(parts)} comment "{short_reasons(block.reasons, COMMENT_LIMIT)}",'


def _local_sets(section: Section) -> Iterator[_Set]:
    for protocol in sorted({grant.protocol.value for grant in section.grants}):
        grants = [grant for grant in section.grants if grant.protocol.value == protocol]
        blocks = merge_port_blocks(
            (block.start, block.end, block.reasons) for grant in grants for block in grant.ports
        )
        lines = [f"# {line}" for grant in grants for line in grant_lines(grant)]
        lines.extend(_element([str(block)], block) for block in blocks)
        reasons = sorted({reason for block in blocks for reason in block.reasons})
        comment = safe("local-only: " + short_reasons(reasons, COMMENT_LIMIT - 12))
        rule = f'{protocol} dport @local_{protocol} drop comment "{comment}"'
        yield _Set(f"local_{protocol}", "inet_service", rule, tuple(lines))


def _set_text(item: _Set) -> str:
    elements = "\n".join(f"\t\t\t{line}" for line in item.lines)
    return (
        f"\tset {item.name} {{\n\t\ttype {item.type}\n\t\tflags interval\n"
        f"\t\telements = {{\n{elements}\n\t\t}}\n\t}}"
    )


def _chain_text(hook: Hook, sets: Sequence[_Set], icmp: HostFirewall) -> str:
    base = f"type filter hook {hook.value} priority filter; policy drop;"
    lines = [base, *_preamble(hook, icmp), *(item.rule for item in sets)]
    body = "\n".join(f"\t\t{line}" for line in lines)
    return f"\tchain {hook.value} {{\n{body}\n\t}}"

"""iptables: an ``iptables-restore`` file (``ip6tables-restore`` when the addresses are IPv6).

``iptables-restore`` replaces the whole filter table in one commit, so loading is atomic. Ports
use ``multiport`` (at most 15 ports per rule, a range counting two) and ``a:b`` ranges; no
ipset, so the file stands alone. One file holds one address family: a matrix that mixes them is
refused with a pointer to ``--family``, rather than half of it being dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from portmatrix.compact import Grant, PortBlock, parse_network
from portmatrix.model import HostFirewall
from portmatrix.render._protocol import Capabilities, Counts, Mode, RenderOptions
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section
from portmatrix.render._text import grant_lines, header_lines, section_label, short_reasons

COMMENT_LIMIT = 255  # xt_comment keeps 256 bytes, NUL included
MULTIPORT_SLOTS = 15  # xt_multiport: 15 ports per rule, a range takes two

_CHAIN = {Hook.INPUT: "INPUT", Hook.OUTPUT: "OUTPUT", Hook.FORWARD: "FORWARD"}
_ND = {
    Hook.INPUT: ("neighbour-solicitation", "neighbour-advertisement", "router-advertisement"),
    Hook.OUTPUT: ("neighbour-solicitation", "neighbour-advertisement", "router-solicitation"),
    Hook.FORWARD: (),
}


class IptablesRenderer:
    name = "iptables"
    suffix = ".rules"
    description = "iptables-restore file (ip6tables-restore for IPv6), multiport, no ipset"
    capabilities = Capabilities(mixed_families=False, platforms=frozenset({"linux"}))

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        family = file_family(matrix)
        tool = "iptables-restore" if family == 4 else "ip6tables-restore"
        load = f"{tool} < FILE (replaces the filter table in one commit)"
        head = [f"# {line}" for line in header_lines(matrix, target=self.name, load=load)]
        lines = [*head, "*filter", *_policies(matrix, options)]
        for hook in [hook for hook in Hook if any(s.hook is hook for s in matrix.sections)]:
            lines.extend(_preamble(hook, family, options.icmp))
            for section in (s for s in matrix.sections if s.hook is hook):
                lines.extend(_section_lines(section))
        return "\n".join([*lines, "COMMIT", ""])

    def count(self, text: str) -> Counts:
        rules = [line for line in text.splitlines() if line.startswith("-A ") and "dport" in line]
        elements = sum(_ports_in(line) for line in rules)
        return Counts(rules=len(rules), elements=elements)


def file_family(matrix: CompactMatrix) -> int:
    """The one address family of this file: its grants', else the host's, else IPv4."""
    if matrix.families:
        return max(matrix.families)
    if matrix.host is not None:
        return parse_network(matrix.host.address).version
    return 4


def _policies(matrix: CompactMatrix, options: RenderOptions) -> list[str]:
    if matrix.mode is Mode.NETWORK:
        return [":FORWARD DROP [0:0]"]
    return [":INPUT DROP [0:0]", f":OUTPUT {'DROP' if options.egress else 'ACCEPT'} [0:0]"]


def _preamble(hook: Hook, family: int, icmp: HostFirewall) -> list[str]:
    chain = _CHAIN[hook]
    lines = []
    if hook is not Hook.FORWARD:
        lo = "-i lo" if hook is Hook.INPUT else "-o lo"
        lines.append(f'-A {chain} {lo} -m comment --comment "loopback" -j ACCEPT')
    lines.append(
        f"-A {chain} -m conntrack --ctstate ESTABLISHED,RELATED "
        '-m comment --comment "replies to allowed connections" -j ACCEPT'
    )
    lines.append(
        f'-A {chain} -m conntrack --ctstate INVALID -m comment --comment "invalid" -j DROP'
    )
    if family == 6 and icmp.icmpv6_nd:
        lines.extend(
            f"-A {chain} -p ipv6-icmp -m icmp6 --icmpv6-type {kind} "
            '-m comment --comment "IPv6 neighbour discovery (host_firewall.icmpv6_nd)" -j ACCEPT'
            for kind in _ND[hook]
        )
    if icmp.icmp_echo and hook is Hook.INPUT:
        match = (
            "-p icmp -m icmp --icmp-type" if family == 4 else "-p ipv6-icmp -m icmp6 --icmpv6-type"
        )
        lines.append(
            f'-A {chain} {match} echo-request -m comment --comment "ping (host_firewall.icmp_echo)"'
            " -j ACCEPT"
        )
    return lines


def _section_lines(section: Section) -> Iterator[str]:
    target = "DROP" if section.action is Action.DROP else "ACCEPT"
    for grant in section.grants:
        yield from (f"# {line}" for line in grant_lines(grant, label=section_label(section)))
        for addresses in _address_args(section, grant):
            for chunk in port_chunks(grant.ports):
                yield _rule(section, grant, addresses, chunk, target)


def _address_args(section: Section, grant: Grant) -> list[str]:
    if section.action is Action.DROP:
        return [""]  # local-only: from everything but loopback, which was accepted above
    if not section.matches_destination:
        return [f" -s {src}" for src in grant.sources]
    if not section.matches_source:
        return [f" -d {dst}" for dst in grant.destinations]
    return [f" -s {src} -d {dst}" for src in grant.sources for dst in grant.destinations]


def _rule(
    section: Section, grant: Grant, addresses: str, chunk: Sequence[PortBlock], target: str
) -> str:
    protocol = grant.protocol.value
    ports = ",".join(f"{b.start}:{b.end}" if b.end > b.start else str(b.start) for b in chunk)
    match = f"--dport {ports}" if len(chunk) == 1 else f"-m multiport --dports {ports}"
    reasons = sorted({reason for block in chunk for reason in block.reasons})
    comment = short_reasons(reasons, COMMENT_LIMIT)
    chain = _CHAIN[section.hook]
    return (
        f'-A {chain}{addresses} -p {protocol} {match} -m comment --comment "{comment}" -j {target}'
    )


def port_chunks(blocks: Sequence[PortBlock]) -> list[list[PortBlock]]:
    """Blocks cut into groups that fit one multiport match (a range takes two of 15 slots)."""
    chunks: list[list[PortBlock]] = [[]]
    used = 0
    for block in blocks:
        cost = 1 if block.start == block.end else 2
        if used + cost > MULTIPORT_SLOTS:
            chunks.append([])
            used = 0
        chunks[-1].append(block)
        used += cost
    return [chunk for chunk in chunks if chunk]


def _ports_in(line: str) -> int:
    ports = line.split("dport", 1)[1].split()[1]
    return len(ports.split(","))

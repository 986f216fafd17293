"""Cisco syntax shared by the ASA and IOS renderers: ACL names, addresses, ports, remarks.

Both platforms read one access-control entry per line, top down, and both stop at the first
match, so the order is the same for each: local-only denies, then permits, then (for one host)
an explicit deny towards that host so that "default drop" is visible to a reviewer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from portmatrix.compact import Grant, PortBlock, parse_network
from portmatrix.render._protocol import Mode
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section
from portmatrix.render._text import clip, grant_lines, safe, section_label

REMARK_LIMIT = 100  # both platforms cut remarks at 100 characters


def acl_name(matrix: CompactMatrix, hook: Hook) -> str:
    """``PM-RGR-A-IN`` / ``PM-RGR-A-OUT`` for a host, ``PM-AGENTS-DC`` for two zones."""
    if matrix.mode is Mode.NETWORK and matrix.zones is not None:
        stem = f"PM-{matrix.zones[0]}-{matrix.zones[1]}"
    else:
        host = matrix.host.name if matrix.host is not None else "HOST"
        stem = f"PM-{host}-{'OUT' if hook is Hook.OUTPUT else 'IN'}"
    return re.sub(r"[^A-Z0-9_-]", "_", stem.upper())


def remarks(grant: Grant, *, label: str = "") -> list[str]:
    """Remark texts for a grant: who to whom, then one per catalog row (each fits 100 chars)."""
    return [clip(safe(line), REMARK_LIMIT) for line in grant_lines(grant, label=label)]


def host_address(address: str, *, wildcard: bool) -> str:
    """``host 10.0.0.1``; a network as ``10.0.0.0 0.0.0.255`` (IOS wildcard) or
    ``10.0.0.0 255.255.255.0`` (ASA netmask); IPv6 networks as ``fd00::/64`` on both."""
    network = parse_network(address)
    if network.prefixlen == network.max_prefixlen:
        return f"host {network.network_address}"
    if network.version == 6:
        return str(network)
    mask = network.hostmask if wildcard else network.netmask
    return f"{network.network_address} {mask}"


def any_address(family: int, *, asa: bool) -> str:
    return ("any4" if family == 4 else "any6") if asa else "any"


def port_match(block: PortBlock) -> str:
    return f"eq {block.start}" if block.start == block.end else f"range {block.start} {block.end}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One access-control entry before platform syntax: action, protocol and both sides."""

    action: str  # permit | deny
    protocol: str
    family: int
    sources: tuple[str, ...]  # empty: any
    destinations: tuple[str, ...]
    ports: tuple[PortBlock, ...]  # empty: every port (the closing deny)
    remarks: tuple[str, ...]


def entries(matrix: CompactMatrix, hook: Hook) -> Iterator[Entry]:
    """The entries of one ACL in order: local-only denies, permits, then the closing deny."""
    written = 0
    for section in (s for s in matrix.sections if s.hook is hook):
        for entry in _section_entries(section):
            written += 1
            yield entry
    if matrix.mode is Mode.HOST and matrix.host is not None:
        yield _closing_deny(matrix, hook)
    elif not written:
        # An ACL with no entry does not exist once cleared, and an access-group naming it then
        # fails to apply (or, on IOS, permits everything): say "nothing" as an explicit deny.
        yield Entry("deny", "ip", 4, (), (), (), ("no documented flow crosses these zones",))


def _section_entries(section: Section) -> Iterator[Entry]:
    action = "deny" if section.action is Action.DROP else "permit"
    for grant in section.grants:
        yield Entry(
            action=action,
            protocol=grant.protocol.value,
            family=grant.family,
            sources=grant.sources,
            destinations=grant.destinations,
            ports=grant.ports,
            remarks=tuple(remarks(grant, label=section_label(section))),
        )


def _closing_deny(matrix: CompactMatrix, hook: Hook) -> Entry:
    assert matrix.host is not None
    host = (matrix.host.address,)
    family = parse_network(matrix.host.address).version
    sources, destinations = ((), host) if hook is Hook.INPUT else (host, ())
    title = f"default drop {'to' if hook is Hook.INPUT else 'from'} {matrix.host.name}"
    return Entry("deny", "ip", family, sources, destinations, (), (title,))


def hooks(matrix: CompactMatrix) -> list[Hook]:
    return [hook for hook in Hook if any(s.hook is hook for s in matrix.sections)]

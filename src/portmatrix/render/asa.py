"""Cisco ASA: network and service object-groups, and an extended access-list using them.

One entry per grant: a grant's sources become one network object-group, its destinations
another and its ports a service object-group, so the ACL grows with the number of distinct
allowances, not with flows. Single members are written inline (``host 10.0.0.1``, ``eq 443``).
The file first clears its ACL and object-groups, so pasting it again replaces rather than adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portmatrix.render._cisco import (
    Entry,
    acl_name,
    any_address,
    entries,
    hooks,
    host_address,
    port_match,
)
from portmatrix.render._protocol import Capabilities, Counts, RenderOptions
from portmatrix.render._scope import CompactMatrix
from portmatrix.render._text import clip, header_lines, safe

DESCRIPTION_LIMIT = 200
#: Addresses and ports written inline in an entry rather than in an object-group.
_INLINE = re.compile(
    r"\bhost \S+|\b(?:\d+\.){3}\d+ (?:\d+\.){3}\d+|\S+:\S*/\d+|\beq \d+|\brange \d+ \d+"
)


@dataclass
class _Acl:
    """One access-list being written, and the object-groups it needs."""

    name: str
    groups: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    serial: int = 0

    def group(
        self, kind: str, suffix: str, members: list[str], note: str, protocol: str = ""
    ) -> str:
        """Define an object-group (removing any old one of that name) and return its name."""
        self.serial += 1
        name = f"{self.name}-{self.serial}-{suffix}"
        self.groups.extend(
            [
                f"no object-group {kind} {name}",
                f"object-group {kind} {name} {protocol}".rstrip(),
                f" description {clip(safe(note), DESCRIPTION_LIMIT)}",
                *(f" {member}" for member in members),
            ]
        )
        return name


class AsaRenderer:
    name = "asa"
    suffix = ".asa"
    description = "Cisco ASA object-groups (network, service) and extended access-list"
    capabilities = Capabilities()

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        load = "paste in configuration mode; apply with access-group NAME in|out interface IF"
        lines = [f"! {line}" for line in header_lines(matrix, target=self.name, load=load)]
        for hook in hooks(matrix):
            acl = _Acl(acl_name(matrix, hook))
            for entry in entries(matrix, hook):
                _write_entry(acl, entry)
            lines.extend(["!", f"clear configure access-list {acl.name}", *acl.groups, *acl.lines])
        return "\n".join([*lines, ""])

    def count(self, text: str) -> Counts:
        lines = text.splitlines()
        rules = [line for line in lines if " extended " in line and " ip " not in line]
        members = [line for line in lines if line.startswith((" network-object", " port-object"))]
        inline = sum(len(_INLINE.findall(line)) for line in rules)
        return Counts(rules=len(rules), elements=len(members) + inline)


def _write_entry(acl: _Acl, entry: Entry) -> None:
    acl.lines.extend(f"access-list {acl.name} remark {text}" for text in entry.remarks)
    note = entry.remarks[0] if entry.remarks else ""
    src = _side(acl, entry, entry.sources, "SRC", note)
    dst = _side(acl, entry, entry.destinations, "DST", note)
    ports = _ports(acl, entry, note)
    line = f"access-list {acl.name} extended {entry.action} {entry.protocol} {src} {dst} {ports}"
    acl.lines.append(line.rstrip())


def _side(acl: _Acl, entry: Entry, addresses: tuple[str, ...], suffix: str, note: str) -> str:
    if not addresses:
        return any_address(entry.family, asa=True)
    if len(addresses) == 1:
        return host_address(addresses[0], wildcard=False)
    members = [f"network-object {host_address(a, wildcard=False)}" for a in addresses]
    return f"object-group {acl.group('network', suffix, members, note)}"


def _ports(acl: _Acl, entry: Entry, note: str) -> str:
    if len(entry.ports) <= 1:
        return port_match(entry.ports[0]) if entry.ports else ""
    members = [f"port-object {port_match(block)}" for block in entry.ports]
    return f"object-group {acl.group('service', 'PORTS', members, note, entry.protocol)}"

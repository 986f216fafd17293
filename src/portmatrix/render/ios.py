"""Cisco IOS: extended named access lists (``ipv6 access-list`` beside it for IPv6).

Each ACL is removed and written again whole (``no ip access-list extended NAME`` first), so
pasting the file twice gives the same result. IOS ACLs are stateless: apply them with the
zone-based firewall or ``ip inspect`` so replies are admitted.
"""

from __future__ import annotations

from collections.abc import Iterator

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
from portmatrix.render._text import header_lines


class IosRenderer:
    name = "ios"
    suffix = ".ios"
    description = "Cisco IOS extended named ACL (and IPv6 access-list)"
    capabilities = Capabilities()

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        load = "paste in configuration mode; apply with ip access-group NAME in|out"
        lines = [f"! {line}" for line in header_lines(matrix, target=self.name, load=load)]
        for hook in hooks(matrix):
            lines.extend(_acl(acl_name(matrix, hook), list(entries(matrix, hook))))
        return "\n".join([*lines, "end", ""])

    def count(self, text: str) -> Counts:
        aces = [line for line in text.splitlines() if line.startswith((" permit ", " deny "))]
        rules = [line for line in aces if " eq " in line or " range " in line]
        return Counts(rules=len(rules), elements=len(rules))


def _acl(name: str, acl: list[Entry]) -> Iterator[str]:
    for family in (4, 6):
        chosen = [entry for entry in acl if entry.family == family]
        if not chosen:
            continue
        full = name if family == 4 else f"{name}-V6"
        kind = "ip access-list extended" if family == 4 else "ipv6 access-list"
        yield "!"
        yield f"no {kind} {full}"
        yield f"{kind} {full}"
        for entry in chosen:
            yield from (f" remark {text}" for text in entry.remarks)
            yield from _aces(entry)
        yield "exit"


def _aces(entry: Entry) -> Iterator[str]:
    any_side = [any_address(entry.family, asa=False)]
    sources = [host_address(s, wildcard=True) for s in entry.sources] or any_side
    destinations = [host_address(d, wildcard=True) for d in entry.destinations] or any_side
    ports = [port_match(block) for block in entry.ports] or [""]
    for src in sources:
        for dst in destinations:
            for port in ports:
                yield f" {entry.action} {entry.protocol} {src} {dst} {port}".rstrip()

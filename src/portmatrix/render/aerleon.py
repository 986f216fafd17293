"""Aerleon: a definitions file and a policy, as two YAML documents in one file.

Aerleon generates some thirty platforms from one policy, so this target is how a matrix reaches
every firewall portmatrix does not print itself. The first document is the definitions file
(``def/portmatrix.yaml``: networks and services), the second the policy
(``policies/pol/NAME.yaml``); :func:`split_bundle` separates them. The header names iptables and
nftables targets; add the platforms you need to ``targets``.

Aerleon only *warns* about a key it does not know and then ignores it, which would silently
widen or narrow a rule. So every mapping written here is checked against a strict list of keys
(:data:`KEYS`), and the tests pin that list against Aerleon's own keyword table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from portmatrix.compact import Grant
from portmatrix.errors import RenderError
from portmatrix.render._protocol import Capabilities, Counts, Mode, RenderOptions
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section
from portmatrix.render._text import clip, header_lines, safe, short_reasons

# The C emitter and parser are many times faster; both are safe (no Python objects).
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

COMMENT_LIMIT = 120  # Aerleon copies term comments into nftables, which keeps 128 bytes

#: Every key this renderer may write, by the kind of mapping it appears in.
KEYS: dict[str, frozenset[str]] = {
    "definitions": frozenset({"networks", "services"}),
    "network": frozenset({"values"}),
    "network-value": frozenset({"address", "comment"}),
    "service-item": frozenset({"port", "protocol", "comment"}),
    "policy": frozenset({"filters"}),
    "filter": frozenset({"header", "terms"}),
    "header": frozenset({"targets", "comment"}),
    "term": frozenset(
        {
            "name",
            "comment",
            "source-address",
            "destination-address",
            "protocol",
            "destination-port",
            "icmp-type",
            "action",
        }
    ),
}

_CHAIN = {Hook.INPUT: "INPUT", Hook.OUTPUT: "OUTPUT", Hook.FORWARD: "FORWARD"}
_LOOPBACK = {4: "127.0.0.0/8", 6: "::1/128"}
_ND = {
    Hook.INPUT: ["neighbor-solicit", "neighbor-advertisement", "router-advertisement"],
    Hook.OUTPUT: ["neighbor-solicit", "neighbor-advertisement", "router-solicit"],
}


def checked(kind: str, mapping: dict[str, Any]) -> dict[str, Any]:
    """``mapping`` unchanged if all its keys are allowed for ``kind``; a RenderError if not."""
    unknown = sorted(set(mapping) - KEYS[kind])
    if unknown:
        raise RenderError(f"aerleon: refusing to write unknown {kind} key(s) {', '.join(unknown)}")
    return mapping


@dataclass
class _Policy:
    """The definitions and filters being built, with a counter for unique names."""

    networks: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    filters: list[dict[str, Any]] = field(default_factory=list)
    serial: int = 0

    def name(self, kind: str) -> str:
        self.serial += 1
        return f"pm-{self.serial:03d}-{kind}"

    def network(self, term: str, side: str, addresses: Mapping[str, str]) -> str:
        symbol = f"{term.upper().replace('-', '_')}_{side}"
        values = [
            checked("network-value", {"address": address, "comment": safe(note)})
            for address, note in addresses.items()
        ]
        self.networks[symbol] = checked("network", {"values": values})
        return symbol

    def service(self, term: str, grant: Grant) -> str:
        symbol = f"{term.upper().replace('-', '_')}_PORTS"
        self.services[symbol] = [
            checked(
                "service-item",
                {
                    "port": str(block),
                    "protocol": grant.protocol.value,
                    "comment": short_reasons(block.reasons, 1000),
                },
            )
            for block in grant.ports
        ]
        return symbol


class AerleonRenderer:
    name = "aerleon"
    suffix = ".aerleon.yaml"
    description = "Aerleon definitions + policy (YAML) for the 30-odd platforms Aerleon generates"
    capabilities = Capabilities()

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        policy = _Policy()
        for hook in [hook for hook in Hook if any(s.hook is hook for s in matrix.sections)]:
            for family in _families(matrix, hook):
                policy.filters.append(_filter(policy, matrix, hook, family))
        definitions = checked(
            "definitions", {"networks": policy.networks, "services": policy.services}
        )
        load = "split the two documents (see split_bundle) into def/ and policies/pol/, then aclgen"
        head = [f"# {line}" for line in header_lines(matrix, target=self.name, load=load)]
        head.append("# document 1: definitions (def/portmatrix.yaml); document 2: the policy")
        docs = [definitions, checked("policy", {"filters": policy.filters})]
        return "\n".join(head) + "\n" + _dump_all(docs)

    def count(self, text: str) -> Counts:
        """Terms that match ports, and network values plus service items, read off the lines
        this renderer writes (block-style YAML, one key per line)."""
        lines = [line.strip() for line in text.splitlines()]
        rules = sum(1 for line in lines if line.startswith("destination-port: "))
        elements = sum(1 for line in lines if line.startswith(("- address: ", "- port: ")))
        return Counts(rules=rules, elements=elements)


def split_bundle(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The definitions and the policy of a rendered file, as Aerleon's API takes them."""
    docs = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    if len(docs) != 2 or not all(isinstance(doc, dict) for doc in docs):
        raise RenderError("an aerleon export holds two YAML documents: definitions, then policy")
    return docs[0], docs[1]


def _families(matrix: CompactMatrix, hook: Hook) -> list[int]:
    grants = [
        g for s in matrix.sections if s.hook is hook and s.action is Action.ACCEPT for g in s.grants
    ]
    found = {grant.family for grant in grants}
    if not found and matrix.host is not None:
        found = {6 if ":" in matrix.host.address else 4}
    return sorted(found or {4})


def _filter(policy: _Policy, matrix: CompactMatrix, hook: Hook, family: int) -> dict[str, Any]:
    af = "inet" if family == 4 else "inet6"
    targets = {"iptables": f"{_CHAIN[hook]} DROP {af}", "nftables": f"{af} {_CHAIN[hook]}"}
    comment = clip(safe(f"portmatrix {matrix.subject}, IPv{family}, {matrix.deployment}"), 200)
    terms = list(_terms(policy, matrix, hook, family))
    header = checked("header", {"targets": targets, "comment": comment})
    return checked("filter", {"header": header, "terms": terms})


def _terms(
    policy: _Policy, matrix: CompactMatrix, hook: Hook, family: int
) -> Iterator[dict[str, Any]]:
    if matrix.mode is Mode.HOST:
        name = policy.name("loopback")
        side = "source-address" if hook is Hook.INPUT else "destination-address"
        symbol = policy.network(name, "LO", {_LOOPBACK[family]: "loopback"})
        yield checked(
            "term", {"name": name, "comment": "loopback", side: symbol, "action": "accept"}
        )
        if family == 6:
            yield _neighbour_discovery(policy, hook)
    for section in (s for s in matrix.sections if s.hook is hook):
        for grant in section.grants:
            if section.action is Action.DROP or grant.family == family:
                yield _term(policy, section, grant)


def _neighbour_discovery(policy: _Policy, hook: Hook) -> dict[str, Any]:
    term = {
        "name": policy.name("nd"),
        "comment": "IPv6 neighbour discovery",
        "protocol": "icmpv6",
        "icmp-type": _ND[hook],
        "action": "accept",
    }
    return checked("term", term)


def _term(policy: _Policy, section: Section, grant: Grant) -> dict[str, Any]:
    kind = "local" if section.action is Action.DROP else section.hook.value
    name = policy.name(f"{kind}-{grant.protocol.value}")
    term: dict[str, Any] = {"name": name, "comment": short_reasons(grant.reasons, COMMENT_LIMIT)}
    if section.action is Action.ACCEPT and section.hook in (Hook.INPUT, Hook.FORWARD):
        term["source-address"] = policy.network(
            name, "SRC", _noted(grant.sources, grant.source_names)
        )
    if section.action is Action.ACCEPT and section.hook in (Hook.OUTPUT, Hook.FORWARD):
        notes = _noted(grant.destinations, grant.destination_names)
        term["destination-address"] = policy.network(name, "DST", notes)
    term["protocol"] = grant.protocol.value
    term["destination-port"] = policy.service(name, grant)
    term["action"] = "deny" if section.action is Action.DROP else "accept"
    return checked("term", term)


def _noted(addresses: tuple[str, ...], names: tuple[str, ...]) -> dict[str, str]:
    note = clip(", ".join(names), 200)
    return {address: note for address in addresses}


def _dump_all(docs: list[dict[str, Any]]) -> str:
    return yaml.dump_all(
        docs,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        explicit_start=True,
    )

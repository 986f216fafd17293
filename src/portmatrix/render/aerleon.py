"""Aerleon: definitions and a policy the way Aerleon users keep them, ready for ``aclgen``.

Aerleon generates some thirty platforms from one policy, so this target is how a matrix reaches
every firewall portmatrix does not print itself. Everything is named the way a person would:
a network per inventory host (``RTR_A``) and per role its hosts hold (``ROLE_CCE_ROUTER``, made
of the host networks), a service per catalog entry and port set (``CCE_ROUTER_RTFEED_A_TCP_
40047``), and a term per catalog entry (``cce-router-rtfeed-a-tcp``). A term's sources are the
role's network when they are exactly that role's hosts, else the hosts themselves.

One subject (``--host``, ``--between``) renders as a bundle: two YAML documents, the
definitions and the policy (:func:`split_bundle`). A folder (``render aerleon INV -o DIR/``) is
laid out as Aerleon expects (:meth:`AerleonRenderer.folder`)::

    DIR/def/networks.yaml   DIR/def/services.yaml   DIR/policies/pol/<host>.yaml

so ``aclgen --base_directory DIR/policies --definitions_directory DIR/def`` runs on it as is.
The headers name iptables and nftables targets; add the platforms you need to ``targets``.

Aerleon only *warns* about a key it does not know and then ignores it, which would silently
widen or narrow a rule. So every mapping written here is checked against a strict list of keys
(:data:`KEYS`), and the tests pin that list against Aerleon's own keyword table.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from portmatrix.compact import Grant
from portmatrix.errors import RenderError
from portmatrix.render._protocol import Capabilities, Counts, Mode, RenderOptions
from portmatrix.render._scope import Action, CompactMatrix, Hook, Section
from portmatrix.render._text import clip, header_lines, safe, short_reasons

if TYPE_CHECKING:
    from portmatrix.render._output import Folder
    from portmatrix.render._pipeline import Rendered

# The C emitter and parser are many times faster; both are safe (no Python objects).
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

COMMENT_LIMIT = 120  # Aerleon copies term comments into nftables, which keeps 128 bytes
TERM_LIMIT = 24  # Aerleon's iptables generator refuses longer term names

#: Every key this renderer may write, by the kind of mapping it appears in.
KEYS: dict[str, frozenset[str]] = {
    "definitions": frozenset({"networks", "services"}),
    "network": frozenset({"values"}),
    "network-value": frozenset({"address", "comment", "name"}),
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
_LOOPBACK = {4: ("LOOPBACK_V4", "127.0.0.0/8"), 6: ("LOOPBACK_V6", "::1/128")}
#: Ping. Aerleon 1.x's nftables generator fails on a term with exactly one ICMP type, so the
#: term also names echo-reply, which conntrack admits anyway as the reply to the host's own ping.
_PING = ("echo-request", "echo-reply")
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


def token(text: str) -> str:
    """A definitions name: ``rtr-a`` -> ``RTR_A``, ``cce.router`` -> ``CCE_ROUTER``."""
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_") or "X"


def term_name(text: str, limit: int = TERM_LIMIT) -> str:
    """A term name Aerleon's every generator accepts; a long one keeps its start and a hash."""
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    if len(name) <= limit:
        return name
    return f"{name[: limit - 5].rstrip('-')}-{_digest(name, 4)}"


def _digest(text: str, size: int) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:size]


@dataclass
class _Policy:
    """The definitions and filters being built; names are unique per filter."""

    matrix: CompactMatrix
    networks: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    filters: list[dict[str, Any]] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    by_address: dict[str, str] = field(init=False)
    holders: dict[str, list[str]] = field(init=False)
    role_by_hosts: dict[frozenset[str], str] = field(init=False)

    def __post_init__(self) -> None:
        endpoints = self.matrix.endpoints
        self.by_address = {endpoint.address: name for name, endpoint in endpoints.items()}
        for name, endpoint in endpoints.items():  # a host's further networks: RTR_A_PRIVATE
            for network, address in endpoint.addresses:
                self.by_address.setdefault(address, f"{name}@{network}")
        self.holders = {}
        for name, endpoint in sorted(endpoints.items()):
            for role in endpoint.roles:
                self.holders.setdefault(role, []).append(name)
        self.role_by_hosts = {
            frozenset(held): role for role, held in sorted(self.holders.items(), reverse=True)
        }

    def term(self, text: str) -> str:
        name = base = term_name(text)
        number = 1
        while name in self.terms:
            number += 1
            name = term_name(f"{base}-{number}")
        self.terms.add(name)
        return name

    def network(self, symbol: str, values: list[dict[str, Any]]) -> str:
        checked_values = [checked("network-value", value) for value in values]
        self.networks[symbol] = checked("network", {"values": checked_values})
        return symbol

    def addresses(self, addresses: tuple[str, ...]) -> str:
        """The network names for a set of addresses: a role's if it is exactly that role's
        hosts, else each host's (an address no host has gets a network named after itself)."""
        names = self.by_address
        hosts = frozenset(names.get(address) or "" for address in addresses)
        role = self.role_by_hosts.get(hosts) if len(hosts) > 1 and "" not in hosts else None
        if role is not None:
            return self._role_network(role)
        return " ".join(self._host_network(address, names.get(address)) for address in addresses)

    def _host_network(self, address: str, host: str | None) -> str:
        symbol = token(host or f"net-{address}")
        note = f"inventory host {host}" if host else "address"
        return self.network(symbol, [{"address": address, "comment": safe(note)}])

    def _role_network(self, role: str) -> str:
        holders = self.holders[role]
        for host in holders:
            self._host_network(self.matrix.endpoints[host].address, host)
        return self.network(f"ROLE_{token(role)}", [{"name": token(host)} for host in holders])

    def service(self, grant: Grant) -> str:
        """Named after the grant's catalog entries and ports, so one name means one thing in
        every file of a folder: ``CCE_ROUTER_RTFEED_A_TCP_40047``."""
        rules = grant.rules
        spans = [str(block).replace("-", "_") for block in grant.ports]
        shown = "_".join(spans) if len(spans) <= 4 else _digest(" ".join(spans), 6)
        more = f"_AND_{_digest(' '.join(rules[1:]), 4).upper()}" if len(rules) > 1 else ""
        symbol = f"{token(rules[0])}{more}_{grant.protocol.value.upper()}_{shown}"
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
    description = "Aerleon def/ and policies/ named after hosts, roles and entries, for aclgen"
    capabilities = Capabilities()

    def render(self, matrix: CompactMatrix, *, options: RenderOptions) -> str:
        policy = _Policy(matrix)
        for hook in [hook for hook in Hook if any(s.hook is hook for s in matrix.sections)]:
            for family in _families(matrix, hook):
                policy.terms = set()
                policy.filters.append(_filter(policy, hook, family, options))
        definitions = checked(
            "definitions",
            {
                "networks": dict(sorted(policy.networks.items())),
                "services": dict(sorted(policy.services.items())),
            },
        )
        load = (
            "render into a folder (-o DIR/) for aclgen, or split the two documents (split_bundle)"
        )
        head = [f"# {line}" for line in header_lines(matrix, target=self.name, load=load)]
        head.append("# document 1: definitions (def/); document 2: the policy (policies/pol/)")
        docs = [definitions, checked("policy", {"filters": policy.filters})]
        return "\n".join(head) + "\n" + _dump_all(docs)

    def count(self, text: str) -> Counts:
        """Terms that match ports, and network addresses plus service items, read off the lines
        this renderer writes (block-style YAML, one key per line)."""
        lines = [line.strip() for line in text.splitlines()]
        rules = sum(1 for line in lines if line.startswith("destination-port: "))
        elements = sum(1 for line in lines if line.startswith(("- address: ", "- port: ")))
        return Counts(rules=rules, elements=elements)

    def folder(self, rendered: Mapping[str, Rendered]) -> Folder:
        """``def/networks.yaml``, ``def/services.yaml`` and one ``policies/pol/<stem>.yaml``
        per subject: the folder ``aclgen`` reads."""
        from portmatrix.render._output import Folder

        networks: dict[str, Any] = {}
        services: dict[str, Any] = {}
        files: dict[str, str] = {}
        subjects: dict[str, str] = {}
        for stem, item in rendered.items():
            definitions, policy = split_bundle(item.text)
            _merge(networks, definitions.get("networks", {}), "network")
            _merge(services, definitions.get("services", {}), "service")
            path = f"policies/pol/{stem}.yaml"
            head = [line for line in item.text.splitlines() if line.startswith("# ")][:-1]
            files[path] = "\n".join(head) + "\n" + _dump_all([policy], explicit_start=False)
            subjects[stem] = path
        files["def/networks.yaml"] = _dump_all(
            [{"networks": dict(sorted(networks.items()))}], explicit_start=False
        )
        files["def/services.yaml"] = _dump_all(
            [{"services": dict(sorted(services.items()))}], explicit_start=False
        )
        return Folder(dict(sorted(files.items())), subjects)


def split_bundle(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The definitions and the policy of a rendered file, as Aerleon's API takes them."""
    docs = [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]
    if len(docs) != 2 or not all(isinstance(doc, dict) for doc in docs):
        raise RenderError("an aerleon export holds two YAML documents: definitions, then policy")
    return docs[0], docs[1]


def _merge(into: dict[str, Any], more: Mapping[str, Any], kind: str) -> None:
    for name, value in more.items():
        if into.setdefault(name, value) != value:
            raise RenderError(f"aerleon: two files define {kind} {name} differently")


def _families(matrix: CompactMatrix, hook: Hook) -> list[int]:
    grants = [
        g for s in matrix.sections if s.hook is hook and s.action is Action.ACCEPT for g in s.grants
    ]
    found = {grant.family for grant in grants}
    if not found and matrix.host is not None:
        found = {6 if ":" in matrix.host.address else 4}
    return sorted(found or {4})


def _filter(policy: _Policy, hook: Hook, family: int, options: RenderOptions) -> dict[str, Any]:
    matrix = policy.matrix
    af = "inet" if family == 4 else "inet6"
    targets = {"iptables": f"{_CHAIN[hook]} DROP {af}", "nftables": f"{af} {_CHAIN[hook]}"}
    comment = clip(safe(f"portmatrix {matrix.subject}, IPv{family}, {matrix.deployment}"), 200)
    terms = list(_terms(policy, hook, family, options))
    header = checked("header", {"targets": targets, "comment": comment})
    return checked("filter", {"header": header, "terms": terms})


def _terms(
    policy: _Policy, hook: Hook, family: int, options: RenderOptions
) -> Iterator[dict[str, Any]]:
    matrix = policy.matrix
    if matrix.mode is Mode.HOST:
        yield from _host_terms(policy, hook, family, options)
    for section in (s for s in matrix.sections if s.hook is hook):
        for grant in section.grants:
            if section.action is Action.DROP or grant.family == family:
                yield _term(policy, section, grant)


def _host_terms(
    policy: _Policy, hook: Hook, family: int, options: RenderOptions
) -> Iterator[dict[str, Any]]:
    """Loopback, and the ICMP the inventory's host_firewall admits, before the matrix."""
    symbol, address = _LOOPBACK[family]
    policy.network(symbol, [{"address": address, "comment": "loopback"}])
    side = "source-address" if hook is Hook.INPUT else "destination-address"
    term = {
        "name": policy.term("loopback"),
        "comment": "loopback",
        side: symbol,
        "action": "accept",
    }
    yield checked("term", term)
    icmp = "icmp" if family == 4 else "icmpv6"
    if family == 6 and options.icmp.icmpv6_nd and hook in _ND:
        nd = {
            "name": policy.term("neighbour-discovery"),
            "comment": "IPv6 neighbour discovery (host_firewall.icmpv6_nd)",
            "protocol": "icmpv6",
            "icmp-type": _ND[hook],
            "action": "accept",
        }
        yield checked("term", nd)
    if options.icmp.icmp_echo and hook is Hook.INPUT:
        echo = {
            "name": policy.term(f"ping-{icmp}"),
            "comment": "ping (host_firewall.icmp_echo)",
            "protocol": icmp,
            "icmp-type": list(_PING),
            "action": "accept",
        }
        yield checked("term", echo)


def _term(policy: _Policy, section: Section, grant: Grant) -> dict[str, Any]:
    rules = grant.rules
    local = section.action is Action.DROP
    name = policy.term(f"{'local-' if local else ''}{rules[0]}-{grant.protocol.value}")
    term: dict[str, Any] = {"name": name, "comment": short_reasons(grant.reasons, COMMENT_LIMIT)}
    if not local and section.matches_source:
        term["source-address"] = policy.addresses(grant.sources)
    if not local and section.matches_destination:
        term["destination-address"] = policy.addresses(grant.destinations)
    term["protocol"] = grant.protocol.value
    term["destination-port"] = policy.service(grant)
    term["action"] = "deny" if local else "accept"
    return checked("term", term)


def _dump_all(docs: list[dict[str, Any]], *, explicit_start: bool = True) -> str:
    return yaml.dump_all(
        docs,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        explicit_start=explicit_start,
        width=100000,
    )

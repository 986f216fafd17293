"""Plain typed records shared by every stage of the pipeline.

Everything here is a stdlib dataclass, cheap to build in the hundreds of thousands and free to
import: a port look-up loads the compiled catalog into these classes without importing pydantic.
Two families live here:

* **File records**: what a catalog pack and an inventory hold. When a file is read, pydantic
  validates it strictly against these very classes (unknown keys are errors, because a misspelt
  key that is silently ignored opens the wrong port; see :func:`portmatrix.yamlio.validate_document`),
  and the committed JSON Schemas in ``schemas/`` are generated from them. Field constraints are
  the markers of :mod:`portmatrix.constraints`; field descriptions are dataclass metadata.
* **Pipeline records**: the resolved endpoints, flows and matrix that renderers, the prober,
  the checker and the audit consume.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

from portmatrix.constraints import NON_EMPTY, Before, at_least, pattern

# --------------------------------------------------------------------------- vocabularies


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"


class Exposure(StrEnum):
    """Who may reach a port, as Unity Connection's OS firewall column puts it."""

    OPEN = "open"
    CLUSTER_ONLY = "cluster"  # only between servers of the same cluster
    LOCAL_ONLY = "local"  # blocked on the network; localhost only


class Direction(StrEnum):
    """The document's traffic-direction column, kept for the reader.

    It does not decide who connects to whom: flows always run from the connecting side to the
    side whose ports are listed (see :class:`PortsAt`), and stateful firewalls admit replies.
    """

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BIDIRECTIONAL = "bidirectional"


class PortsAt(StrEnum):
    """Whose ports a port item lists: the row's own component (it listens) or its peer's."""

    SELF = "self"
    PEER = "peer"


Side = Literal["A", "B"]
ScalarValue = str | int | bool
#: An option's or a role parameter's value: a scalar, or (type ``list``) the chosen items.
OptionValue = ScalarValue | tuple[str, ...]
#: A condition on options: every key must match; a list means any of its values. For a
#: ``list`` option the condition holds when the option's value contains one of them.
Conditions = dict[str, ScalarValue | list[ScalarValue]]

_FORBID: dict[str, Any] = {"extra": "forbid"}
#: A network's name (``public``, ``private``): what catalog entries and inventories agree on.
NETWORK_NAME = r"^[a-z][a-z0-9_-]*$"
NetworkName = Annotated[str, pattern(NETWORK_NAME)]


def doc(text: str, **kwargs: Any) -> Any:
    """A dataclass field with a description for the JSON Schema."""
    return field(metadata={"description": text}, **kwargs)


def _ports_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# --------------------------------------------------------------------------- catalog packs


@dataclass(frozen=True, slots=True, kw_only=True)
class Text:
    """A note in English and Japanese, both written for this project."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    en: str
    ja: str = ""

    def get(self, lang: str) -> str:
        """The text in ``lang``, falling back to English where there is no translation."""
        return self.ja if lang == "ja" and self.ja else self.en


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRef:
    """Where in which document a row comes from, so every rule traces back to it."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    document: str = doc("File name of the source document")
    table: str = doc("Table number as the document prints it, e.g. '1-1', '4'")
    row: Annotated[int, at_least(1)] = doc("Row within the table, counted from 1 in document order")

    def __str__(self) -> str:
        return f"{self.document} table {self.table} row {self.row}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamSpec:
    """One parameter a role takes in an inventory (side, instance, pg, cluster, ...)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    type: Literal["int", "str", "bool", "choice", "list"]
    choices: tuple[ScalarValue, ...] = ()
    min: int | None = None
    max: int | None = None
    default: OptionValue | None = None
    required: bool = False
    description: str = ""
    unset_means_all: bool = doc(
        "A list parameter left out holds every choice (with a warning that they were assumed)",
        default=False,
    )


#: What a role runs on, so a host firewall is only written where it can be installed:
#: ``windows`` (Windows Defender Firewall), ``linux`` (nftables, iptables), ``vos`` (Cisco's
#: Voice Operating System: Unity Connection, Unified CM), ``appliance`` (a closed appliance or
#: gateway), ``device`` (phone firmware), ``any`` (whatever the site runs it on).
Platform = Literal["windows", "linux", "vos", "appliance", "device", "any"]
PLATFORMS: tuple[str, ...] = ("windows", "linux", "vos", "appliance", "device", "any")


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpec:
    """A kind of endpoint the documents talk about: a CCE router, an IP phone, a DNS server."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    name: str
    platform: Platform | None = doc(
        "What the role runs on; a host firewall target refuses a host it cannot run on "
        "(none given: any)",
        default=None,
    )
    params: dict[str, ParamSpec] = field(default_factory=dict)
    description: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionSpec:
    """A deployment option that documents make rows or ports depend on."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    type: Literal["bool", "int", "ports", "choice", "list"]
    description: Text
    default: OptionValue | None = doc(
        "The value when the inventory sets none; a list option's default is a list of choices",
        default=None,
    )
    choices: tuple[ScalarValue, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSelector:
    """Picks endpoints by role and, optionally, literal parameter values."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    role: str
    where: dict[str, ScalarValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerSelector:
    """The remote side of a row, related to the row's own endpoint.

    ``same`` lists parameters the peer must share with the row's endpoint (``instance``,
    ``pg``, ``cluster``); ``other`` lists those that must differ (``side``: the other half of a
    duplex pair). Parameters either side lacks are not compared. ``optional`` marks clients
    that only some deployments have (a particular ACD, the ARM interface): their absence is
    expected, so it yields no unbound flow and no warning.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    role: str
    where: dict[str, ScalarValue] = field(default_factory=dict)
    same: tuple[str, ...] = ()
    other: tuple[str, ...] = ()
    optional: bool = doc(
        "An integration only some deployments have: no endpoint means no flow, not a warning",
        default=False,
    )
    when: Conditions = doc(
        "Options this peer needs, beside the entry's own (CUIC reaches the TIP ports only "
        "when Live Data runs on it)",
        default_factory=dict,
    )


Selector = RoleSelector | PeerSelector


@dataclass(frozen=True, slots=True, kw_only=True)
class PortItem:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    protocol: Protocol
    ports: Annotated[str, Before(_ports_as_text)] = doc("Port expression, see portmatrix.portspec")
    at: PortsAt = PortsAt.SELF
    side: Side | None = doc(
        "Only for the endpoint whose ports these are (the owner, or the peer for at: peer) "
        "on this side",
        default=None,
    )
    label: str | None = doc("The document's name for this port", default=None)
    exposure: Exposure | None = doc("Overrides the entry's exposure", default=None)
    when: Conditions = field(default_factory=dict)
    ephemeral: bool = doc("A dynamic client range, not a service", default=False)
    override: str | None = doc(
        "An int option that, when the inventory sets it, replaces these ports (a client's "
        "configured port); a value that differs from the ports is warned about",
        default=None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CatalogEntry:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    id: Annotated[str, pattern(r"^[a-z0-9][a-z0-9_.-]*$")]
    product: str = ""
    component: str = doc("The listener (or local component) as the document names it")
    role: RoleSelector
    process: str | None = None
    service: str | None = None
    account: str | None = None
    peers: tuple[PeerSelector, ...] = ()
    remote: str | None = doc("The document's wording for the remote device", default=None)
    direction: Direction = Direction.INBOUND
    exposure: Exposure = Exposure.OPEN
    ports: Annotated[tuple[PortItem, ...], NON_EMPTY]
    when: Conditions = field(default_factory=dict)
    optional: bool = doc("Off by default; needs an option to enable", default=False)
    network: NetworkName | None = doc(
        "The network the document says this traffic travels on (public, private); flows use "
        "each host's address on it",
        default=None,
    )
    notes: Text
    source: SourceRef
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Pack:
    """One document's worth of catalog: its roles, options and every row as an entry."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    schema_version: Literal[1] = 1
    product: Annotated[str, pattern(r"^[a-z0-9][a-z0-9_-]*$")]
    title: Text
    document: str
    options: dict[str, OptionSpec] = field(default_factory=dict)
    roles: dict[str, RoleSpec] = field(default_factory=dict)
    entries: tuple[CatalogEntry, ...] = ()


# --------------------------------------------------------------------------- inventories


def _role_item(value: Any) -> Any:
    """``cce.server`` -> ``{role: cce.server}``; every key but role/serves is a role parameter."""
    if isinstance(value, str):
        return {"role": value}
    if isinstance(value, dict):
        params = {key: item for key, item in value.items() if key not in ("role", "serves")}
        shaped = {key: value[key] for key in ("role", "serves") if key in value}
        return {**shaped, "params": params}
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleAssignment:
    """A role held by a host, with its parameters (side, instance, pg, cluster, node, ...).

    In the file the parameters sit beside ``role`` (``{role: cce.router, side: A}``); they are
    gathered into ``params`` when the file is read.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    role: str
    serves: tuple[str, ...] = doc("Sites beyond its own this role serves", default=())
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        """In the file, parameters are keys of their own, not a ``params`` mapping."""
        result = handler.resolve_ref_schema(handler(schema))
        result["properties"].pop("params", None)
        result["additionalProperties"] = {
            "anyOf": [
                {"type": ["string", "integer", "boolean"]},
                {"type": "array", "items": {"type": "string"}},
            ]
        }
        return result


RoleItem = Annotated[RoleAssignment, Before(_role_item)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Host:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    name: Annotated[str, pattern(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    address: str | None = doc(
        "An IP address or a CIDR network: every network's address, or the fallback for a "
        "network not named under addresses",
        default=None,
    )
    addresses: dict[NetworkName, str] = doc(
        "Network name -> this host's address on it (public, private)", default_factory=dict
    )
    interfaces: dict[NetworkName, str] = doc(
        "Network name -> the interface that network arrives on (eth0, eth1), for check",
        default_factory=dict,
    )
    roles: Annotated[tuple[RoleItem, ...], NON_EMPTY]
    site: str | None = None
    zone: str | None = None
    description: str = ""
    probe_address: str | None = doc(
        "For a network: the one address inside it that probes are sent to and from "
        "(a network without one is never probed)",
        default=None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HostFirewall:
    """What every host firewall admits beside the matrix, so the host stays manageable.

    The defaults keep a host reachable by ping and keep IPv6 working; an inventory turns either
    off under ``host_firewall:``. Neither opens a TCP or UDP port.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    icmp_echo: bool = doc("Accept ICMP and ICMPv6 echo requests (ping) from anywhere", default=True)
    icmpv6_nd: bool = doc(
        "Accept IPv6 neighbour and router discovery, without which IPv6 does not work",
        default=True,
    )


def _exclusion_item(value: Any) -> Any:
    """``cce.mgmt.telnet`` -> ``{id: cce.mgmt.telnet}``: a bare id or glob needs no reason."""
    return {"id": value} if isinstance(value, str) else value


def _override_ports(value: Any) -> Any:
    """Ports written as a number (``2323``) are the expression ``"2323"``, as in packs."""
    if isinstance(value, dict):
        return {key: _ports_as_text(item) for key, item in value.items()}
    return _ports_as_text(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exclusion:
    """Catalog entries a site does not want, by id or glob, and why (for the change board)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    id: str = doc("A catalog entry id, or a glob of ids (`cce.mgmt.rdp*`)")
    reason: str = doc("Why the site leaves it out; printed in every output", default="")


ExclusionItem = Annotated[Exclusion, Before(_exclusion_item)]


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A site's change to one catalog entry, without forking its pack."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    ports: Annotated[str | dict[Protocol, str] | None, Before(_override_ports)] = doc(
        "A port expression for every port item of the entry, or one per protocol "
        "(`{tcp: '2323'}`); same syntax as packs",
        default=None,
    )
    peers: tuple[str, ...] | None = doc(
        "Who connects instead of the entry's peers: role ids and host names "
        "(`role:NAME` / `host:NAME` where a name is both)",
        default=None,
    )
    reason: str = doc("Why the site changes it; printed in every output", default="")


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    name: str
    description: str = ""
    options: dict[str, OptionValue] = field(default_factory=dict)
    zones: dict[str, tuple[str, ...]] = doc(
        "Zone name -> host names (every address), host@network (one address) or CIDR networks",
        default_factory=dict,
    )
    hosts: Annotated[tuple[Host, ...], NON_EMPTY]
    host_firewall: HostFirewall = doc(
        "ICMP every host firewall admits beside the matrix", default_factory=HostFirewall
    )
    exclude: tuple[ExclusionItem, ...] = doc(
        "Catalog entries (ids or globs, bare or with a reason) the site leaves out", default=()
    )
    override: dict[str, Override] = doc(
        "Catalog entry id -> the ports and/or peers the site uses instead", default_factory=dict
    )
    bind: dict[str, str] = doc(
        "Role -> the network (CIDR or address) or 'any' its flows use, for a role no host holds",
        default_factory=dict,
    )


# --------------------------------------------------------------------------- pipeline records


@dataclass(frozen=True, slots=True)
class PortRange:
    start: int
    end: int

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}-{self.end}"

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.start <= port <= self.end


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A resolved inventory host: what renderers and probes address."""

    name: str
    address: str  # canonical ip_network text, e.g. "10.0.0.1/32" or "10.20.0.0/24"
    zone: str | None = None
    site: str | None = None
    roles: tuple[str, ...] = ()
    probe_address: str | None = None  # the inventory's probe_address: where a network is probed
    #: What its roles run on: one platform, ``any``, or several joined by ``+`` when its
    #: roles disagree (no host firewall runs there).
    platform: str = "any"
    #: (network name, canonical CIDR) for each network the inventory names under addresses.
    addresses: tuple[tuple[str, str], ...] = ()
    #: (network name, interface) for each network the inventory names under interfaces.
    interfaces: tuple[tuple[str, str], ...] = ()

    def address_on(self, network: str | None) -> str:
        """The address traffic on ``network`` uses: its own, else the host's main address."""
        for name, address in self.addresses:
            if name == network:
                return address
        return self.address

    def interface_on(self, network: str | None) -> str | None:
        """The interface ``network`` arrives on, when the inventory says."""
        for name, interface in self.interfaces:
            if name == network:
                return interface
        return None

    def interface_at(self, address: str) -> str | None:
        """The interface traffic to ``address`` arrives on: the one named for the networks at
        that address, when they agree on one."""
        found = {iface for net, iface in self.interfaces if self.address_on(net) == address}
        return found.pop() if len(found) == 1 else None

    def all_addresses(self) -> tuple[str, ...]:
        """Every address of the host, the main one first, without repeats."""
        return tuple(dict.fromkeys((self.address, *(address for _, address in self.addresses))))

    @property
    def is_network(self) -> bool:
        return not (self.address.endswith("/32") or self.address.endswith("/128"))

    @property
    def ip(self) -> str:
        """The bare address of a single host (the network address of a network)."""
        return self.address.split("/", 1)[0]


class Flow(NamedTuple):
    """One permitted connection: ``src`` may open ``protocol``/``port_start..port_end`` on ``dst``.

    A named tuple rather than a dataclass: a large deployment has a hundred thousand flows, and a
    tuple is built five times faster than a frozen dataclass while being just as immutable,
    hashable and ordered (field by field). Change one with ``flow._replace(...)``.

    ``src`` is an endpoint name, or ``role:<id>`` when the inventory has no endpoint holding a
    role the catalog needs (an *unbound* flow, which has no ``src_address``). Local-only flows
    have ``src == dst`` and exist so renderers can block those ports explicitly.
    """

    src: str
    dst: str
    protocol: Protocol
    port_start: int
    port_end: int
    rule: str
    src_address: str | None = None
    dst_address: str | None = None
    purpose: str = ""
    source: str = ""
    exposure: Exposure = Exposure.OPEN
    instance: int | None = None
    side: str | None = None
    ephemeral: bool = False  # a dynamic client range; emulators sample it only on request
    network: str | None = None  # the network the traffic travels on; None: the hosts' one address

    @property
    def unbound(self) -> bool:
        """True when one end is a role no inventory endpoint holds (``role:<id>``)."""
        return self.src_address is None or self.dst_address is None

    @property
    def local_only(self) -> bool:
        return self.exposure is Exposure.LOCAL_ONLY

    @property
    def ports(self) -> PortRange:
        return PortRange(self.port_start, self.port_end)

    def as_dict(self) -> dict[str, Any]:
        return {
            "src": self.src,
            "dst": self.dst,
            "src_address": self.src_address,
            "dst_address": self.dst_address,
            "protocol": self.protocol.value,
            "port_start": self.port_start,
            "port_end": self.port_end,
            "rule": self.rule,
            "purpose": self.purpose,
            "source": self.source,
            "exposure": self.exposure.value,
            "instance": self.instance,
            "side": self.side,
            "ephemeral": self.ephemeral,
            "network": self.network,
        }


@dataclass(frozen=True, slots=True)
class Matrix:
    """The resolved deployment: every endpoint and every flow, plus what resolution warned about.

    The look-ups by host and by tuple are indexed on first use and kept, so asking for every
    host's flows in turn, or for millions of tuples (the audit), costs one pass over the flows.
    """

    name: str
    endpoints: dict[str, Endpoint]
    flows: tuple[Flow, ...]
    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)  # zone -> endpoint names
    warnings: tuple[str, ...] = ()
    host_firewall: HostFirewall = field(default_factory=HostFirewall)
    #: zone -> the (endpoint, address) pairs inside it, where a zone holds only some of a
    #: host's addresses (``host@private``, a CIDR); a zone absent here holds its members whole.
    zone_ends: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    #: The inventory's exclusions, overrides and bindings, one line each, for every file's header.
    site_rules: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )  # not copied by replace()

    def host_index(
        self,
    ) -> tuple[dict[str, list[Flow]], dict[str, list[Flow]], dict[str, list[Flow]]]:
        """Network flows by destination, by source, and local-only flows by host (read-only)."""
        cached = self._cache.get("by_host")
        if cached is None:
            to: dict[str, list[Flow]] = {}
            out: dict[str, list[Flow]] = {}
            local: dict[str, list[Flow]] = {}
            for flow in self.flows:
                if flow.local_only:
                    local.setdefault(flow.dst, []).append(flow)
                else:
                    to.setdefault(flow.dst, []).append(flow)
                    out.setdefault(flow.src, []).append(flow)
            cached = self._cache["by_host"] = (to, out, local)
        return cached  # type: ignore[no-any-return,unused-ignore]

    def network_flows(self) -> list[Flow]:
        return [flow for flow in self.flows if not flow.local_only]

    def flows_to(self, host: str) -> list[Flow]:
        """Network flows whose destination is ``host`` (not its local-only ports)."""
        return list(self.host_index()[0].get(host, ()))

    def flows_from(self, host: str) -> list[Flow]:
        """Network flows ``host`` opens."""
        return list(self.host_index()[1].get(host, ()))

    def local_only(self, host: str) -> list[Flow]:
        return list(self.host_index()[2].get(host, ()))

    def flows_between(self, zone_a: str, zone_b: str) -> list[Flow]:
        """Flows that cross a firewall between two zones, in either direction."""
        a, b = self.zone_test(zone_a), self.zone_test(zone_b)
        return [
            flow
            for flow in self.network_flows()
            if (a(flow.src, flow.src_address) and b(flow.dst, flow.dst_address))
            or (b(flow.src, flow.src_address) and a(flow.dst, flow.dst_address))
        ]

    def in_zone(self, zone: str, name: str, address: str | None) -> bool:
        """Whether endpoint ``name``, at ``address`` (the flow's end), lies in ``zone``."""
        return bool(self.zone_test(zone)(name, address))

    def zone_test(self, zone: str) -> Callable[[str, str | None], bool]:
        """``(name, address) -> bool`` for one zone, its members read once per matrix."""
        tests: dict[str, Callable[[str, str | None], bool]]
        tests = self._cache.setdefault("zone_tests", {})
        test = tests.get(zone)
        if test is None:
            ends = self.zone_ends.get(zone)
            if ends is None:
                members = frozenset(self.zones.get(zone, ()))
                test = tests[zone] = lambda name, address: name in members
            else:
                test = tests[zone] = lambda name, address: (name, address) in ends
        return test

    def admits(
        self, src_address: str | int, dst_address: str | int, protocol: str | int, port: int
    ) -> tuple[Flow, ...]:
        """The flows (and so catalog entries) that admit one connection, through an index."""
        index = self._cache.get("admits")
        if index is None:
            traffic = importlib.import_module("portmatrix.traffic")  # only the audit needs it
            index = self._cache["admits"] = traffic.AdmitIndex(self.flows)
        found: tuple[Flow, ...] = index.admits(src_address, dst_address, protocol, port)
        return found

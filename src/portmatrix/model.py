"""Plain typed records shared by every stage of the pipeline.

Two families live here:

* **File models** (pydantic): what a catalog pack and an inventory look like on disk. They are
  validated strictly (unknown keys are errors, because a misspelt key that is silently ignored
  opens the wrong port), and the committed JSON Schemas in ``schemas/`` are generated from them.
* **Pipeline records** (frozen dataclasses): the resolved endpoints, flows and matrix that
  renderers, the prober and the checker consume. They are cheap to create in the hundreds of
  thousands and carry no validation logic of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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

# --------------------------------------------------------------------------- catalog packs


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A note in English and Japanese, both written for this project."""

    en: str
    ja: str = ""


class SourceRef(_Strict):
    """Where in which document a row comes from, so every rule traces back to it."""

    document: str = Field(description="File name of the source document")
    table: str = Field(description="Table number as the document prints it, e.g. '1-1', '4'")
    row: int = Field(ge=1, description="Row within the table, counted from 1 in document order")

    def __str__(self) -> str:
        return f"{self.document} table {self.table} row {self.row}"


class ParamSpec(_Strict):
    """One parameter a role takes in an inventory (side, instance, pg, cluster, ...)."""

    type: Literal["int", "str", "bool", "choice"]
    choices: list[ScalarValue] = []
    min: int | None = None
    max: int | None = None
    default: ScalarValue | None = None
    required: bool = False
    description: str = ""


class RoleSpec(_Strict):
    """A kind of endpoint the documents talk about: a CCE router, an IP phone, a DNS server."""

    name: str
    params: dict[str, ParamSpec] = {}
    description: Text | None = None


class OptionSpec(_Strict):
    """A deployment option that documents make rows or ports depend on."""

    type: Literal["bool", "int", "ports", "choice"]
    default: ScalarValue | None = None
    choices: list[ScalarValue] = []
    description: Text


class RoleSelector(_Strict):
    """Picks endpoints by role and, optionally, literal parameter values."""

    role: str
    where: dict[str, ScalarValue] = {}


class PeerSelector(RoleSelector):
    """The remote side of a row, related to the row's own endpoint.

    ``same`` lists parameters the peer must share with the row's endpoint (``instance``,
    ``pg``, ``cluster``); ``other`` lists those that must differ (``side``: the other half of a
    duplex pair). Parameters either side lacks are not compared. ``optional`` marks clients
    that only some deployments have (a particular ACD, the ARM interface): their absence is
    expected, so it yields no unbound flow and no warning.
    """

    same: list[str] = []
    other: list[str] = []
    optional: bool = Field(
        False,
        description="An integration only some deployments have: no endpoint means no flow, not a warning",
    )


class Condition(_Strict):
    """Options a row or port needs: every key must match (a list means any of its values)."""

    options: dict[str, ScalarValue | list[ScalarValue]] = {}


class PortItem(_Strict):
    protocol: Protocol
    ports: str = Field(description="Port expression, see portmatrix.portspec")
    at: PortsAt = PortsAt.SELF
    side: Side | None = Field(None, description="Only for the endpoint on this side")
    label: str | None = Field(None, description="The document's name for this port")
    exposure: Exposure | None = Field(None, description="Overrides the entry's exposure")
    when: dict[str, ScalarValue | list[ScalarValue]] = {}
    ephemeral: bool = Field(False, description="A dynamic client range, not a service")

    @field_validator("ports", mode="before")
    @classmethod
    def _ports_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class CatalogEntry(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    product: str = ""
    component: str = Field(description="The listener (or local component) as the document names it")
    role: RoleSelector
    process: str | None = None
    service: str | None = None
    account: str | None = None
    peers: list[PeerSelector] = []
    remote: str | None = Field(None, description="The document's wording for the remote device")
    direction: Direction = Direction.INBOUND
    exposure: Exposure = Exposure.OPEN
    ports: list[PortItem] = Field(min_length=1)
    when: dict[str, ScalarValue | list[ScalarValue]] = {}
    optional: bool = Field(False, description="Off by default; needs an option to enable")
    notes: Text
    source: SourceRef
    flags: list[str] = []


class Pack(_Strict):
    """One document's worth of catalog: its roles, options and every row as an entry."""

    schema_version: Literal[1] = 1
    product: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: Text
    document: str
    options: dict[str, OptionSpec] = {}
    roles: dict[str, RoleSpec] = {}
    entries: list[CatalogEntry] = []


# --------------------------------------------------------------------------- inventories


class RoleAssignment(BaseModel):
    """A role held by a host, with its parameters (side, instance, pg, cluster, node, ...)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    role: str
    serves: list[str] = Field(default=[], description="Sites beyond its own this role serves")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Host(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    address: str = Field(description="An IP address or a CIDR network")
    roles: list[RoleAssignment] = Field(min_length=1)
    site: str | None = None
    zone: str | None = None
    description: str = ""

    @field_validator("roles", mode="before")
    @classmethod
    def _shorthand_roles(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"role": item} if isinstance(item, str) else item for item in value]
        return value


class Inventory(_Strict):
    name: str
    description: str = ""
    options: dict[str, ScalarValue] = {}
    zones: dict[str, list[str]] = Field(
        default={}, description="Zone name -> host names or CIDR networks"
    )
    hosts: list[Host] = Field(min_length=1)


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

    @property
    def is_network(self) -> bool:
        return not (self.address.endswith("/32") or self.address.endswith("/128"))

    @property
    def ip(self) -> str:
        """The bare address of a single host (the network address of a network)."""
        return self.address.split("/", 1)[0]


@dataclass(frozen=True, slots=True, order=True)
class Flow:
    """One permitted connection: ``src`` may open ``protocol``/``port_start..port_end`` on ``dst``.

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
        }


@dataclass(frozen=True, slots=True)
class Matrix:
    """The resolved deployment: every endpoint and every flow, plus what resolution warned about."""

    name: str
    endpoints: dict[str, Endpoint]
    flows: tuple[Flow, ...]
    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)  # zone -> endpoint names
    warnings: tuple[str, ...] = ()

    def network_flows(self) -> list[Flow]:
        return [flow for flow in self.flows if not flow.local_only]

    def flows_to(self, host: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.dst == host and not flow.local_only]

    def local_only(self, host: str) -> list[Flow]:
        return [flow for flow in self.flows if flow.dst == host and flow.local_only]

    def flows_between(self, zone_a: str, zone_b: str) -> list[Flow]:
        """Flows that cross a firewall between two zones, in either direction."""
        a, b = set(self.zones.get(zone_a, ())), set(self.zones.get(zone_b, ()))
        return [
            flow
            for flow in self.network_flows()
            if (flow.src in a and flow.dst in b) or (flow.src in b and flow.dst in a)
        ]

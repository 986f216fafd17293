"""The shape of every JSON result, as typed records, for the schemas in ``schemas/result-*.json``.

Each ``--format json`` / ``--json`` output is an :mod:`~portmatrix.envelope` whose ``kind``
names one of :data:`RESULTS`. The records here are what :mod:`portmatrix.schema` turns into a
JSON Schema per kind; a test runs every command and validates its output against the committed
schema, so a field added to the code and not here (or the other way round) fails the suite.

Only the schema generator imports this module (it needs pydantic); commands never do.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from portmatrix.model import CatalogEntry

_FORBID = ConfigDict(extra="forbid")
Scope = dict[str, Any]  # what the result was computed for; its keys depend on the command


# --------------------------------------------------------------------------- resolve, diff


@with_config(_FORBID)
class RequestItem(TypedDict):
    """One row of a change request (``portmatrix.change_request.RequestRow``)."""

    src: str
    src_address: str | None
    dst: str
    dst_address: str | None
    network: str | None
    zone_pair: str | None
    protocol: Literal["tcp", "udp"]
    ports: str
    port_start: int
    port_end: int
    action: Literal["permit", "remove", "deny"]
    exposure: Literal["open", "cluster", "local"]
    rule: str
    instance: int | None
    side: str | None
    purpose: str
    source: str
    ambiguous: str | None
    request_id: None
    approved_by: None
    approval_date: None


@with_config(_FORBID)
class ListingSummary(TypedDict):
    requests: int
    local_only: int
    unbound: int
    by_action: dict[str, int]
    ambiguous: int


class _ListingResult(TypedDict):
    schema_version: Literal[1]
    scope: Scope
    summary: ListingSummary
    requests: list[RequestItem]
    local_only: list[RequestItem]
    unbound: list[RequestItem]


@with_config(_FORBID)
class MatrixResult(_ListingResult):
    """``resolve --format json``."""

    kind: Literal["matrix"]


@with_config(_FORBID)
class ChangeResult(_ListingResult):
    """``diff --format json``: permit rows to open, remove rows to close."""

    kind: Literal["change"]


@with_config(_FORBID)
class DecisionItem(TypedDict):
    rule: str
    owner: str
    peer: str | None
    made: bool
    reason: str
    network: str | None
    purpose: str
    source: str


@with_config(_FORBID)
class ExplainSummary(TypedDict):
    decisions: int
    flow: int
    no_flow: int


@with_config(_FORBID)
class ExplainResult(TypedDict):
    """``resolve --explain SRC DST --format json``."""

    schema_version: Literal[1]
    kind: Literal["explain"]
    scope: Scope
    summary: ExplainSummary
    decisions: list[DecisionItem]


# --------------------------------------------------------------------------- check


@with_config(ConfigDict(extra="allow"))
class FindingItem(TypedDict):
    """One finding; kinds add their own detail keys (``rules``, ``needed``, ``shadowed_by``)."""

    kind: Literal["blocked", "excess", "shadowed", "unsupported", "interface-unknown"]
    line: int | None
    rule_text: str
    message: str
    chain: str | None
    handle: int | None
    src: NotRequired[str | None]
    dst: NotRequired[str | None]
    protocol: NotRequired[str | None]
    port_start: NotRequired[int | None]
    port_end: NotRequired[int | None]
    purpose: NotRequired[str]


#: Functional form: one key, ``interface-unknown``, is not a Python name.
FindingCounts = TypedDict(
    "FindingCounts",
    {
        "blocked": int,
        "excess": int,
        "shadowed": int,
        "unsupported": int,
        "interface-unknown": int,
    },
)
FindingCounts.__pydantic_config__ = _FORBID  # type: ignore[attr-defined]


@with_config(_FORBID)
class CheckSummary(TypedDict):
    flows: int
    allowed: int
    blocked_flows: int
    findings: FindingCounts
    not_checked: dict[str, int]


@with_config(_FORBID)
class CheckResult(TypedDict):
    """``check --format json``."""

    schema_version: Literal[1]
    kind: Literal["check"]
    scope: Scope
    summary: CheckSummary
    findings: list[FindingItem]


# --------------------------------------------------------------------------- probe, verify


@with_config(_FORBID)
class ProbeItem(TypedDict):
    src: str
    dst: str
    src_address: str | None
    dst_address: str
    protocol: Literal["tcp", "udp"]
    port: int
    expected: Literal["open", "blocked"]
    observed: str
    ok: bool
    rule: str


@with_config(_FORBID)
class ProbeSummary(TypedDict):
    checks: int
    passed: int
    failed: int
    observed: dict[str, int]


@with_config(_FORBID)
class ProbeResult(TypedDict):
    """``probe --format json`` and ``verify --lab --format json``."""

    schema_version: Literal[1]
    kind: Literal["probe"]
    scope: Scope
    summary: ProbeSummary
    results: list[ProbeItem]


# --------------------------------------------------------------------------- look-ups


@with_config(_FORBID)
class PortMatchItem(TypedDict):
    """One way a port belongs to an entry (``portmatrix.portindex.PortMatch`` as a mapping)."""

    id: str
    product: str
    component: str
    process: str | None
    protocol: Literal["tcp", "udp"]
    port_start: int
    port_end: int
    instance: int | None
    side: str | None
    description: str
    source: str
    at: str
    formula: str


@with_config(_FORBID)
class PortSummary(TypedDict):
    matches: int
    by_protocol: dict[str, int]


@with_config(_FORBID)
class PortResult(TypedDict):
    """``port N --json``."""

    schema_version: Literal[1]
    kind: Literal["port"]
    scope: Scope
    summary: PortSummary
    matches: list[PortMatchItem]


@with_config(_FORBID)
class EntriesSummary(TypedDict):
    entries: int
    by_product: dict[str, int]


@with_config(_FORBID)
class EntriesResult(TypedDict):
    """``catalog list --json``, ``catalog show --json``, ``search --json``."""

    schema_version: Literal[1]
    kind: Literal["entries"]
    scope: Scope
    summary: EntriesSummary
    entries: list[CatalogEntry]


class ParamItem(TypedDict):
    type: str
    required: bool
    choices: NotRequired[list[str | int | bool]]
    min: NotRequired[int]
    max: NotRequired[int]
    default: NotRequired[str | int | bool]
    description: NotRequired[str]


@with_config(_FORBID)
class RoleItem(TypedDict):
    role: str
    product: str
    name: str
    platform: str | None
    params: dict[str, ParamItem]
    listens: list[str]
    connects: list[str]


@with_config(_FORBID)
class RolesSummary(TypedDict):
    roles: int
    by_product: dict[str, int]


@with_config(_FORBID)
class RolesResult(TypedDict):
    """``roles --json``."""

    schema_version: Literal[1]
    kind: Literal["roles"]
    scope: Scope
    summary: RolesSummary
    roles: list[RoleItem]


@with_config(_FORBID)
class OptionItem(TypedDict):
    option: str
    product: str
    type: Literal["bool", "int", "ports", "choice", "list"]
    choices: list[str | int | bool]
    default: str | int | bool | list[str] | None
    description: str
    gates: list[str]
    ports: list[str]


@with_config(_FORBID)
class OptionsSummary(TypedDict):
    options: int
    by_product: dict[str, int]
    gated_entries: int


@with_config(_FORBID)
class OptionsResult(TypedDict):
    """``options --json``: ``gates`` lists the entries a condition on the option switches on or
    off; ``ports`` those whose port numbers the option gives."""

    schema_version: Literal[1]
    kind: Literal["options"]
    scope: Scope
    summary: OptionsSummary
    options: list[OptionItem]


# --------------------------------------------------------------------------- render


@with_config(_FORBID)
class TargetItem(TypedDict):
    name: str
    suffix: str
    modes: list[str]
    families: list[int]
    egress: bool
    platforms: list[str]
    description: str
    can_render: str


@with_config(_FORBID)
class TargetsSummary(TypedDict):
    targets: int


@with_config(_FORBID)
class TargetsResult(TypedDict):
    """``render --list --json``."""

    schema_version: Literal[1]
    kind: Literal["targets"]
    scope: Scope
    summary: TargetsSummary
    targets: list[TargetItem]


@with_config(_FORBID)
class FileItem(TypedDict):
    subject: str
    target: str
    file: str | None
    flows_in: int
    rules_out: int
    elements_out: int
    warnings: int


@with_config(_FORBID)
class RenderSummary(TypedDict):
    files: int
    flows_in: int
    rules_out: int
    elements_out: int


@with_config(_FORBID)
class RenderResult(TypedDict):
    """``render --stats --json`` and the ``index.json`` of a render folder."""

    schema_version: Literal[1]
    kind: Literal["render"]
    scope: Scope
    summary: RenderSummary
    files: list[FileItem]


#: kind -> its record; ``schemas/result-<kind>.schema.json`` is generated from each.
RESULTS: dict[str, Any] = {
    "matrix": MatrixResult,
    "change": ChangeResult,
    "explain": ExplainResult,
    "check": CheckResult,
    "probe": ProbeResult,
    "port": PortResult,
    "entries": EntriesResult,
    "roles": RolesResult,
    "options": OptionsResult,
    "targets": TargetsResult,
    "render": RenderResult,
}

"""Questions asked of the catalog alone: which entry owns port N, which entries mention a word.

Port look-ups answer "what is this port I see in a capture?", so they cast wide: exact ports,
ranges, ports that appear only on the remote side, and formula ports solved backwards over the
instances a deployment may use. Formulas whose options have no default (RTPPortRangeStart) cannot
be solved without a deployment and are skipped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from portmatrix import portspec
from portmatrix.catalog import Catalog
from portmatrix.errors import LookupFailure, PortExpressionError
from portmatrix.model import CatalogEntry, PortItem, PortsAt, Protocol

DEFAULT_MAX_INSTANCE = 24
#: The largest ``max_instance`` a look-up accepts. A look-up solves every instance formula once
#: per instance, so the cost grows with it; CCE's roles allow instances 0-24, and 1,000 is forty
#: times that. A larger number is refused rather than left to run for minutes.
MAX_INSTANCE_CEILING = 1000


@dataclass(frozen=True, slots=True)
class PortMatch:
    """One way a port can belong to a catalog entry (JSON field names are a public contract)."""

    id: str
    product: str
    component: str
    process: str | None
    protocol: str
    port_start: int
    port_end: int
    instance: int | None
    side: str | None
    description: str
    source: str
    at: str
    formula: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def check_port(port: int) -> int:
    if not portspec.MIN_PORT <= port <= portspec.MAX_PORT:
        raise LookupFailure(f"port {port} is outside {portspec.MIN_PORT}-{portspec.MAX_PORT}")
    return port


def find_port(
    catalog: Catalog,
    port: int,
    *,
    protocol: Protocol | None = None,
    max_instance: int = DEFAULT_MAX_INSTANCE,
    lang: str = "en",
    include_ephemeral: bool = False,
) -> list[PortMatch]:
    """Every way ``port`` can belong to an entry.

    Dynamic client ranges (``ephemeral``) contain nearly every high port and would bury the
    answer, so they are left out unless asked for.
    """
    check_port(port)
    if not 0 <= max_instance <= MAX_INSTANCE_CEILING:
        raise LookupFailure(f"--max-instance must be between 0 and {MAX_INSTANCE_CEILING}")
    defaults = {
        key: spec.default for key, spec in catalog.options.items() if spec.default is not None
    }
    matches: list[PortMatch] = []
    for entry in catalog.entries:
        for item in entry.ports:
            if protocol is not None and item.protocol != protocol:
                continue
            if item.ephemeral and not include_ephemeral:
                continue
            matches.extend(_item_matches(catalog, entry, item, port, defaults, max_instance, lang))
    return matches


def _item_matches(
    catalog: Catalog,
    entry: CatalogEntry,
    item: PortItem,
    port: int,
    defaults: dict[str, portspec.Value],
    max_instance: int,
    lang: str,
) -> list[PortMatch]:
    expression = catalog.expression(item.ports)
    needs_instance = bool(expression.variables & portspec.INSTANCE_ALIASES)
    instances: list[int | None] = list(range(max_instance + 1)) if needs_instance else [None]
    found = []
    for instance in instances:
        env = dict(defaults) if instance is None else {**defaults, "instance": instance}
        try:
            ranges = portspec.evaluate(expression, env)
        except PortExpressionError:
            continue  # needs an option with no default, or leaves the port space at this instance
        for lo, hi in ranges:
            if lo <= port <= hi:
                found.append(_match(entry, item, lo, hi, instance, lang))
    return found


def _match(
    entry: CatalogEntry, item: PortItem, lo: int, hi: int, instance: int | None, lang: str
) -> PortMatch:
    side = item.side or _side_of(entry)
    note = entry.notes.ja if lang == "ja" and entry.notes.ja else entry.notes.en
    description = entry.component + (f" ({item.label})" if item.label else "")
    if note:
        description = f"{description}: {note}"
    return PortMatch(
        id=entry.id,
        product=entry.product,
        component=entry.component,
        process=entry.process,
        protocol=item.protocol.value,
        port_start=lo,
        port_end=hi,
        instance=instance,
        side=side,
        description=description,
        source=str(entry.source),
        at="remote" if item.at is PortsAt.PEER else "listener",
        formula=item.ports,
    )


def _side_of(entry: CatalogEntry) -> str | None:
    side = entry.role.where.get("side")
    return str(side) if side is not None else None


def search(catalog: Catalog, text: str) -> list[CatalogEntry]:
    """Entries whose id, component, process, service, remote or notes (either language) mention ``text``."""
    needle = text.casefold().strip()
    if not needle:
        raise LookupFailure("search text is empty")
    return [entry for entry in catalog.entries if needle in _haystack(entry)]


def _haystack(entry: CatalogEntry) -> str:
    parts = [
        entry.id,
        entry.product,
        entry.component,
        entry.process or "",
        entry.service or "",
        entry.account or "",
        entry.remote or "",
        entry.notes.en,
        entry.notes.ja,
        entry.role.role,
        *(peer.role for peer in entry.peers),
    ]
    return "\n".join(parts).casefold()

"""Questions asked of the catalog alone: which entry owns port N, which entries mention a word.

Port look-ups answer "what is this port I see in a capture?", so they cast wide: exact ports,
ranges, ports that appear only on the remote side, and formula ports solved backwards over the
instances a deployment may use. Formulas whose options have no default (RTPPortRangeStart) cannot
be solved without a deployment and are skipped.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator

from portmatrix import portspec
from portmatrix.catalog import Catalog
from portmatrix.errors import LookupFailure, PortExpressionError
from portmatrix.model import CatalogEntry, PortItem, PortsAt, Protocol
from portmatrix.portindex import (
    COMPILED_FORMAT,
    DEFAULT_MAX_INSTANCE,
    MAX_INSTANCE_CEILING,
    PortMatch,
)

__all__ = [
    "DEFAULT_MAX_INSTANCE",
    "MAX_INSTANCE_CEILING",
    "PortFinder",
    "PortMatch",
    "check_port",
    "find_port",
    "search",
]

#: One port range an item can have: entry, item, first and last port, and the instance it is for.
Record = tuple[CatalogEntry, PortItem, int, int, int | None]


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
    return [
        _match(entry, item, lo, hi, instance, lang)
        for entry, item, lo, hi, instance in port_records(catalog, max_instance)
        if lo <= port <= hi
        and (protocol is None or item.protocol == protocol)
        and (include_ephemeral or not item.ephemeral)
    ]


class PortFinder:
    """:func:`find_port` for many ports against one catalog: formulas solved once, not per port.

    An audit asks about every port it saw, often tens of thousands of them; solving every
    formula for every instance each time took seconds per hundred ports. The port line is cut
    at every range boundary, and the records covering a piece are found once, when a port in
    it is first asked about. Answers are those of :func:`find_port`, in its order.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        max_instance: int = DEFAULT_MAX_INSTANCE,
        lang: str = "en",
        include_ephemeral: bool = False,
    ):
        if not 0 <= max_instance <= MAX_INSTANCE_CEILING:
            raise LookupFailure(f"--max-instance must be between 0 and {MAX_INSTANCE_CEILING}")
        self._records = [
            record
            for record in port_records(catalog, max_instance)
            if include_ephemeral or not record[1].ephemeral
        ]
        self._lang = lang
        self._bounds = sorted({b for _, _, lo, hi, _ in self._records for b in (lo, hi + 1)})
        self._pieces: dict[int, list[int]] = {}

    def find(self, port: int, *, protocol: Protocol | None = None) -> list[PortMatch]:
        check_port(port)
        piece = bisect.bisect_right(self._bounds, port)
        if piece not in self._pieces:
            self._pieces[piece] = [
                index for index, (_, _, lo, hi, _) in enumerate(self._records) if lo <= port <= hi
            ]
        found = []
        for index in self._pieces[piece]:
            entry, item, lo, hi, instance = self._records[index]
            if protocol is None or item.protocol == protocol:
                found.append(_match(entry, item, lo, hi, instance, self._lang))
        return found


def port_records(catalog: Catalog, max_instance: int) -> Iterator[Record]:
    """Every port range of every item, formulas solved for instances 0..``max_instance``.

    Formulas whose options have no default (RTPPortRangeStart) cannot be solved without a
    deployment, and ranges that leave the port space at some instance end there; both are
    skipped rather than reported.
    """
    defaults = {
        key: spec.default
        for key, spec in catalog.options.items()
        if spec.default is not None and not isinstance(spec.default, list | tuple)
    }
    for entry in catalog.entries:
        for item in entry.ports:
            expression = catalog.expression(item.ports)
            needs_instance = bool(expression.variables & portspec.INSTANCE_ALIASES)
            instances: list[int | None] = (
                list(range(max_instance + 1)) if needs_instance else [None]
            )
            for instance in instances:
                env = dict(defaults) if instance is None else {**defaults, "instance": instance}
                try:
                    ranges = portspec.evaluate(expression, env)
                except PortExpressionError:
                    continue
                for lo, hi in ranges:
                    yield entry, item, lo, hi, instance


def compile_port_index(catalog: Catalog, fingerprint: str) -> str:
    """The JSON text of the bundled catalog's port index (see :mod:`portmatrix.portindex`)."""
    templates: list[dict[str, object]] = []
    positions: dict[tuple[str, int], int] = {}
    records = []
    for entry, item, lo, hi, instance in port_records(catalog, DEFAULT_MAX_INSTANCE):
        key = (entry.id, entry.ports.index(item))
        if key not in positions:
            positions[key] = len(templates)
            english, japanese = (
                _match(entry, item, lo, hi, instance, "en"),
                _match(entry, item, lo, hi, instance, "ja"),
            )
            template = english.as_dict()
            for varying in ("protocol", "port_start", "port_end", "instance", "description"):
                del template[varying]
            template.update(description_en=english.description, description_ja=japanese.description)
            templates.append(template)
        records.append([item.protocol.value, lo, hi, instance, item.ephemeral, positions[key]])
    data = {
        "format": COMPILED_FORMAT,
        "fingerprint": fingerprint,
        "matches": templates,
        "records": records,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _match(
    entry: CatalogEntry, item: PortItem, lo: int, hi: int, instance: int | None, lang: str
) -> PortMatch:
    side = item.side or _side_of(entry)
    note = entry.notes.get(lang)
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

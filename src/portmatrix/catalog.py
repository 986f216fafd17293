"""Catalog packs: the port-usage documents as validated data.

A pack is one YAML file per source document (see ``docs/catalog-format.md``). The bundled packs
ship inside the package; users add their own with ``--catalog FILE`` and they are held to exactly
the same rules. Loading checks more than the schema can: ids unique across packs, every role and
option an entry mentions declared, every port expression parseable with only known variables.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portmatrix import portspec
from portmatrix.errors import CatalogError, PortExpressionError
from portmatrix.model import CatalogEntry, OptionSpec, Pack, PortsAt, RoleSpec, Selector
from portmatrix.packcheck import check_pack
from portmatrix.plain import from_plain, to_plain
from portmatrix.portindex import (
    COMPILED_FORMAT,
    PORT_INDEX,
    bundled_texts,
    fingerprint,
    packs_dir,
)
from portmatrix.suggest import unknown

if TYPE_CHECKING:
    from portmatrix.yamlio import LineMap

#: The bundled packs validated and checked once, as JSON (see :func:`compile_bundled`).
COMPILED = "compiled.json"


@dataclass
class Catalog:
    """Every loaded pack merged into one namespace of entries, roles and options."""

    packs: list[Pack] = field(default_factory=list)
    entries: list[CatalogEntry] = field(default_factory=list)
    by_id: dict[str, CatalogEntry] = field(default_factory=dict)
    roles: dict[str, RoleSpec] = field(default_factory=dict)
    options: dict[str, OptionSpec] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # entry id -> pack file it came from
    role_products: dict[str, str] = field(
        default_factory=dict
    )  # role id -> first declaring product

    def entry(self, entry_id: str) -> CatalogEntry:
        try:
            return self.by_id[entry_id]
        except KeyError:
            raise unknown("catalog entry", entry_id, self.by_id) from None

    def expression(self, text: str) -> portspec.PortExpression:
        return _parse_cached(text)


def entry_as_dict(entry: CatalogEntry) -> dict[str, Any]:
    """An entry as JSON-ready data (``catalog show --json``), its reference also as one string."""
    data: dict[str, Any] = to_plain(entry)
    data["source"] = {**data["source"], "text": str(entry.source)}
    return data


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> portspec.PortExpression:
    return portspec.parse(text)


def compile_bundled() -> str:
    """The compiled form of the bundled packs: validated, cross-checked, as JSON text.

    A look-up then starts from JSON instead of YAML plus pydantic (several times faster and no
    pydantic import). The file carries a fingerprint of the YAML it came from; a pack edited in
    a checkout without recompiling is noticed and read from its YAML instead.
    """
    texts = list(bundled_texts())
    packs = []
    checked = Catalog()
    loaded = [(*load_pack_text(text, name=name), name) for name, text in texts]
    for pack, lines, name in loaded:
        _merge_declarations(checked, pack, lines, name)
    for pack, lines, name in loaded:
        _merge_entries(checked, pack, lines, name)
        packs.append({"file": name, "pack": to_plain(pack)})
    data = {"format": COMPILED_FORMAT, "fingerprint": fingerprint(texts), "packs": packs}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _compiled_packs() -> list[tuple[str, Pack]] | None:
    """The bundled packs from the compiled file, or None when it is missing or stale."""
    try:
        data = json.loads((packs_dir() / COMPILED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != COMPILED_FORMAT or data.get("fingerprint") != fingerprint(
        bundled_texts()
    ):
        return None
    return [(item["file"], from_plain(Pack, item["pack"])) for item in data["packs"]]


def load_pack_text(text: str, *, name: str) -> tuple[Pack, LineMap]:
    from portmatrix.yamlio import parse_yaml  # YAML is read only for user packs or a stale cache

    data, lines = parse_yaml(text, name=name, error=CatalogError)
    return _validate_pack(data, name=name, lines=lines), lines


def load_pack_file(path: str | Path) -> tuple[Pack, LineMap]:
    from portmatrix.yamlio import load_yaml

    data, lines = load_yaml(path, error=CatalogError)
    return _validate_pack(data, name=str(path), lines=lines), lines


def _validate_pack(data: object, *, name: str, lines: LineMap) -> Pack:
    from portmatrix.yamlio import validate_document

    pack = validate_document(
        Pack,
        data,
        file=name,
        lines=lines,
        error=CatalogError,
        expects="a catalog pack must be a mapping with 'product' and 'entries'",
    )
    entries = tuple(replace(entry, product=pack.product) for entry in pack.entries)
    return replace(pack, entries=entries)


@dataclass(frozen=True, slots=True)
class PackText:
    """A pack given as YAML text rather than a file; ``name`` is how errors cite it."""

    text: str
    name: str = "<pack>"


#: A user's pack: a file path, YAML text, or the pack as plain data (a web form, a test).
PackSource = str | Path | PackText | Mapping[str, Any]


def _load_source(source: PackSource, position: int) -> tuple[Pack, LineMap, str]:
    if isinstance(source, PackText):
        pack, lines = load_pack_text(source.text, name=source.name)
        return pack, lines, source.name
    if isinstance(source, Mapping):
        name = f"<pack data {position + 1}>"
        return _validate_pack(dict(source), name=name, lines=_no_lines()), _no_lines(), name
    pack, lines = load_pack_file(source)
    return pack, lines, str(source)


def load_catalog(extra: Sequence[PackSource] = (), *, bundled: bool = True) -> Catalog:
    """The bundled packs plus the user's, merged and cross-checked."""
    catalog = Catalog()
    sources: list[tuple[Pack, LineMap, str]] = []
    compiled = _compiled_packs() if bundled else None
    if compiled is not None:
        for name, pack in compiled:  # validated and cross-checked when compiled
            _merge_declarations(catalog, pack, _no_lines(), name)
            _merge_entries(catalog, pack, _no_lines(), name, checked=False)
    elif bundled:
        for name, text in bundled_texts():
            pack, lines = load_pack_text(text, name=name)
            sources.append((pack, lines, name))
    sources.extend(_load_source(source, position) for position, source in enumerate(extra))
    for pack, lines, name in sources:
        _merge_declarations(catalog, pack, lines, name)
    for pack, lines, name in sources:
        _merge_entries(catalog, pack, lines, name)
    return catalog


def option_uses(catalog: Catalog) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """For each option, the entries it gates (a ``when`` on the row, a port item or a peer) and
    the entries whose port numbers it gives (a formula's variable or an ``override``)."""
    gates: dict[str, list[str]] = {}
    numbers: dict[str, list[str]] = {}
    for entry in catalog.entries:
        conditions = [entry.when, *(item.when for item in entry.ports)]
        conditions += [peer.when for peer in entry.peers]
        for name in dict.fromkeys(key for when in conditions for key in when):
            gates.setdefault(name, []).append(entry.id)
        variables: dict[str, None] = {}
        for item in entry.ports:
            variables.update(dict.fromkeys(sorted(catalog.expression(item.ports).variables)))
            if item.override is not None:
                variables[item.override] = None
        for name in variables:
            if name in catalog.options:
                numbers.setdefault(name, []).append(entry.id)
    return gates, numbers


def _merge_declarations(catalog: Catalog, pack: Pack, lines: LineMap, name: str) -> None:
    catalog.packs.append(pack)
    for role_id, role in pack.roles.items():
        known = catalog.roles.get(role_id)
        if known is not None and known.params != role.params:
            raise CatalogError(
                f"role {role_id!r} is declared again with different parameters",
                file=name,
                line=lines.line(("roles", role_id)),
            )
        catalog.roles.setdefault(role_id, role)
        catalog.role_products.setdefault(role_id, pack.product)
    for option_id, option in pack.options.items():
        known_option = catalog.options.get(option_id)
        if known_option is not None and known_option.type != option.type:
            raise CatalogError(
                f"option {option_id!r} is declared again with another type",
                file=name,
                line=lines.line(("options", option_id)),
            )
        catalog.options.setdefault(option_id, option)


@lru_cache(maxsize=1)
def _no_lines() -> LineMap:
    """The line map of a pack that has no file lines (compiled, or given as data)."""
    from portmatrix.yamlio import LineMap

    return LineMap({})


def _merge_entries(
    catalog: Catalog, pack: Pack, lines: LineMap, name: str, *, checked: bool = True
) -> None:
    for index, entry in enumerate(pack.entries):
        where = ("entries", index)
        if entry.id in catalog.by_id:
            raise CatalogError(
                f"entry id {entry.id!r} is already used in {catalog.files[entry.id]}",
                file=name,
                line=lines.line((*where, "id")),
            )
        if checked:
            _check_entry(catalog, entry, lines, name, where)
        catalog.entries.append(entry)
        catalog.by_id[entry.id] = entry
        catalog.files[entry.id] = name
    if checked:
        check_pack(catalog, pack, lines=lines, file=name)


def _check_entry(
    catalog: Catalog, entry: CatalogEntry, lines: LineMap, name: str, where: tuple[str | int, ...]
) -> None:
    def fail(message: str, *path: str | int) -> CatalogError:
        return CatalogError(f"{entry.id}: {message}", file=name, line=lines.line((*where, *path)))

    selectors: list[tuple[tuple[str | int, ...], Selector]] = [
        (("role",), entry.role),
        *[(("peers", i), peer) for i, peer in enumerate(entry.peers)],
    ]
    for path, selector in selectors:
        role = catalog.roles.get(selector.role)
        if role is None:
            raise fail(f"role {selector.role!r} is not declared in any pack's 'roles'", *path)
        for param in selector.where:
            if param not in role.params:
                raise fail(f"role {selector.role!r} has no parameter {param!r}", *path, "where")
    for key in entry.when:
        if key not in catalog.options:
            raise fail(f"condition names unknown option {key!r}", "when")
    for position, peer in enumerate(entry.peers):
        for key in peer.when:
            if key not in catalog.options:
                raise fail(f"condition names unknown option {key!r}", "peers", position, "when")
    for index, item in enumerate(entry.ports):
        try:
            expression = catalog.expression(item.ports)
        except PortExpressionError as exc:
            raise fail(str(exc), "ports", index, "ports") from exc
        for variable in expression.variables - portspec.INSTANCE_ALIASES:
            if variable not in catalog.options:
                raise fail(
                    f"port expression uses {variable!r}, which no pack declares as an option",
                    "ports",
                    index,
                    "ports",
                )
        # The ports are the owner's, or each peer's for ``at: peer``: their holder's instance
        # and side decide them.
        holders = (
            [entry.role.role] if item.at is PortsAt.SELF else [peer.role for peer in entry.peers]
        )
        for holder in holders:
            if (
                expression.variables & portspec.INSTANCE_ALIASES
                and "instance" not in catalog.roles[holder].params
            ):
                raise fail(
                    f"port expression depends on the instance but role {holder!r} has none",
                    "ports",
                    index,
                    "ports",
                )
            if item.side is not None and "side" not in catalog.roles[holder].params:
                raise fail(
                    f"port is for side {item.side} but role {holder!r} has no side",
                    "ports",
                    index,
                )
        for key in item.when:
            if key not in catalog.options:
                raise fail(f"condition names unknown option {key!r}", "ports", index, "when")
        if expression.is_constant:
            try:
                portspec.evaluate(expression)
            except PortExpressionError as exc:
                raise fail(str(exc), "ports", index, "ports") from exc


def main(argv: Sequence[str]) -> int:
    """Check (or, with ``--write``, rewrite) the compiled catalog; ``make catalog`` calls it."""
    from portmatrix.lookup import compile_port_index

    texts = {COMPILED: compile_bundled()}
    stamp = fingerprint(bundled_texts())
    texts[PORT_INDEX] = compile_port_index(load_catalog(), stamp)
    stale = 0
    for name, text in texts.items():
        target = packs_dir() / name
        if "--write" in argv:
            target.write_text(text, encoding="utf-8")
        elif not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"portmatrix/packs/{name} is out of date; run `make catalog`", file=sys.stderr)
            stale += 1
    return 1 if stale else 0

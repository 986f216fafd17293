"""Browsing the catalog: ``catalog list``, ``catalog show`` and ``search``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from portmatrix.cli._common import (
    catalog_option,
    emit,
    emit_envelope,
    json_option,
    lang_option,
    main,
    project,
)
from portmatrix.envelope import Envelope, counts
from portmatrix.table import format_table

if TYPE_CHECKING:  # the catalog's models load with the catalog, not with `--help`
    from portmatrix.model import CatalogEntry


@main.group("catalog")
def catalog_group() -> None:
    """List and show catalog entries (the documents' rows as data)."""


@catalog_group.command("list")
@click.option("--product", help="Only this product (e.g. cce, cuc, or a user pack's product).")
@json_option
@catalog_option
def catalog_list(product: str | None, as_json: bool, catalogs: tuple[Path, ...]) -> None:
    """Every entry, one line each."""
    entries = project(catalogs=catalogs).entries(product=product)
    if as_json:
        emit_envelope(_entries_envelope(entries, {"product": product}))
        return
    rows = [
        (entry.id, _ports_summary(entry), entry.component, str(entry.source), ",".join(entry.flags))
        for entry in entries
    ]
    emit(format_table(("id", "ports", "component", "source", "flags"), rows, max_width=48))


@catalog_group.command("show")
@click.argument("entry_id")
@json_option
@catalog_option
def catalog_show(entry_id: str, as_json: bool, catalogs: tuple[Path, ...]) -> None:
    """One entry in full, notes in both languages."""
    entry = project(catalogs=catalogs).entry(entry_id)
    if as_json:
        emit_envelope(_entries_envelope([entry], {"id": entry_id}))
        return
    emit(_entry_text(entry))


@main.command("search")
@click.argument("text")
@json_option
@catalog_option
def search_cmd(text: str, as_json: bool, catalogs: tuple[Path, ...]) -> None:
    """Entries whose id, component, process or notes (English or Japanese) contain TEXT."""
    entries = project(catalogs=catalogs).search(text)
    if as_json:
        emit_envelope(_entries_envelope(entries, {"text": text}))
        return
    rows = [
        (entry.id, _ports_summary(entry), entry.component, entry.process or "") for entry in entries
    ]
    emit(format_table(("id", "ports", "component", "process"), rows, max_width=48))


@main.command("roles")
@click.option("--product", help="Only this product's roles (case-insensitive).")
@json_option
@catalog_option
def roles_cmd(product: str | None, as_json: bool, catalogs: tuple[Path, ...]) -> None:
    """Every role an inventory can give a host: parameters, platform, and the catalog entries
    it listens on (as their owner) or connects to (as a peer)."""
    result = project(catalogs=catalogs).roles(product=product)
    if as_json:
        emit_envelope(result)
        return
    rows = [
        (
            role["role"],
            role["product"],
            role["name"],
            ", ".join(_param_text(key, spec) for key, spec in role["params"].items()) or "-",
            role["platform"] or "-",
            len(role["listens"]),
            len(role["connects"]),
        )
        for role in result.lists["roles"]
    ]
    headers = ("role", "product", "name", "parameters", "platform", "listens", "connects")
    emit(format_table(headers, rows, max_width=60))


@main.command("options")
@click.option("--product", help="Only this product's options (case-insensitive).")
@lang_option
@json_option
@catalog_option
def options_cmd(product: str | None, lang: str, as_json: bool, catalogs: tuple[Path, ...]) -> None:
    """Every deployment option an inventory can set under options: its type, choices, default,
    description, and the catalog entries it switches on or off (gates) or numbers (ports)."""
    result = project(catalogs=catalogs).options(product=product, lang=lang)
    if as_json:
        emit_envelope(result)
        return
    rows = [
        (
            option["option"],
            option["product"],
            "|".join(str(c) for c in option["choices"]) or option["type"],
            _default_text(option["type"], option["default"]),
            ", ".join(option["gates"] + option["ports"]) or "-",
            option["description"],
        )
        for option in result.lists["options"]
    ]
    headers = ("option", "product", "values", "default", "entries", "description")
    emit(format_table(headers, rows, max_width=60))


def _default_text(kind: str, default: Any) -> str:
    if default is None:
        return "(inventory sets it)" if kind == "int" else "-"
    if isinstance(default, list):
        return "[" + ", ".join(default) + "]"
    return str(default).lower() if isinstance(default, bool) else str(default)


def _param_text(key: str, spec: dict[str, Any]) -> str:
    kind = "|".join(str(c) for c in spec["choices"]) if "choices" in spec else spec["type"]
    return f"{key}{'' if spec['required'] else '?'}={kind}"


def _entries_envelope(entries: Sequence[CatalogEntry], scope: dict[str, Any]) -> Envelope:
    from portmatrix.catalog import entry_as_dict

    summary = {"entries": len(entries), "by_product": counts(e.product for e in entries)}
    return Envelope("entries", scope, summary, {"entries": [entry_as_dict(e) for e in entries]})


def _ports_summary(entry: CatalogEntry) -> str:
    return "; ".join(
        f"{item.protocol}/{item.ports}" + (f" ({item.side})" if item.side else "")
        for item in entry.ports
    )


def _entry_text(entry: CatalogEntry) -> str:
    from portmatrix import portspec

    lines = [
        f"{entry.id}  ({entry.product})",
        f"  component : {entry.component}",
        f"  role      : {entry.role.role} {entry.role.where or ''}".rstrip(),
    ]
    for label, value in (
        ("process", entry.process),
        ("service", entry.service),
        ("account", entry.account),
    ):
        if value:
            lines.append(f"  {label:<10}: {value}")
    lines.append(f"  remote    : {entry.remote or '-'}")
    for peer in entry.peers:
        relation = ", ".join(
            [*(f"same {key}" for key in peer.same), *(f"other {key}" for key in peer.other)]
        )
        lines.append(f"  peer      : {peer.role} {peer.where or ''} {relation}".rstrip())
    lines.append(f"  direction : {entry.direction}   exposure: {entry.exposure}")
    if entry.network:
        lines.append(f"  network   : {entry.network}")
    for item in entry.ports:
        extra = [f"side {item.side}"] if item.side else []
        extra += [f"at {item.at}"] if item.at != "self" else []
        extra += [f"exposure {item.exposure}"] if item.exposure else []
        extra += [f"when {item.when}"] if item.when else []
        extra += ["ephemeral"] if item.ephemeral else []
        label = f" [{item.label}]" if item.label else ""
        text = portspec.format_spec(portspec.parse(item.ports))
        lines.append(f"  port      : {item.protocol} {text}{label} {' '.join(extra)}".rstrip())
    if entry.when:
        lines.append(f"  when      : {entry.when}")
    if entry.optional:
        lines.append("  optional  : off by default")
    if entry.flags:
        lines.append(f"  flags     : {', '.join(entry.flags)}")
    lines.append(f"  notes (en): {entry.notes.en}")
    if entry.notes.ja:
        lines.append(f"  notes (ja): {entry.notes.ja}")
    lines.append(f"  source    : {entry.source}")
    return "\n".join(lines)

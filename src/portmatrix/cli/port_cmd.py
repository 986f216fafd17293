"""``portmatrix port N``: which catalog entry owns a port, answered from the compiled index.

The most frequent command has a module of its own so that running it imports only click, this
module and the port index (see :mod:`portmatrix.portindex`).
"""

from __future__ import annotations

from pathlib import Path

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
from portmatrix.portindex import DEFAULT_MAX_INSTANCE, MAX_INSTANCE_CEILING
from portmatrix.table import format_table

HEADERS = {
    "en": ("id", "protocol", "ports", "instance", "side", "component / process", "source"),
    "ja": (
        "ID",
        "プロトコル",
        "ポート",
        "インスタンス",
        "サイド",
        "コンポーネント / プロセス",
        "出典",
    ),
}


@main.command("port")
@click.argument("port", type=int)
@click.option("--proto", type=click.Choice(["tcp", "udp"]), help="Only this protocol.")
@lang_option
@click.option(
    "--max-instance",
    type=click.IntRange(min=0, max=MAX_INSTANCE_CEILING),
    default=DEFAULT_MAX_INSTANCE,
    show_default=True,
    help="Solve formula ports for instances 0..K.",
)
@click.option("--include-ephemeral", is_flag=True, help="Also list dynamic client port ranges.")
@json_option
@catalog_option
def port_cmd(
    port: int,
    proto: str | None,
    lang: str,
    max_instance: int,
    include_ephemeral: bool,
    as_json: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Which catalog entries port PORT can belong to, formula ports solved backwards."""
    matches = project(catalogs=catalogs).find_port(
        port,
        protocol=proto,
        max_instance=max_instance,
        lang=lang,
        include_ephemeral=include_ephemeral,
    )
    if as_json:
        scope = {"port": port, "protocol": proto, "max_instance": max_instance, "lang": lang}
        summary = {"matches": len(matches), "by_protocol": counts(m.protocol for m in matches)}
        emit_envelope(Envelope("port", scope, summary, {"matches": [m.as_dict() for m in matches]}))
        return
    if not matches:
        emit(
            f"port {port}: no catalog entry"
            if lang == "en"
            else f"ポート {port}: 該当するエントリはありません"
        )
        return
    rows = [
        (
            m.id,
            m.protocol,
            f"{m.port_start}" if m.port_start == m.port_end else f"{m.port_start}-{m.port_end}",
            "" if m.instance is None else m.instance,
            m.side or "",
            (
                m.description
                if lang == "ja"
                else m.component + (f" / {m.process}" if m.process else "")
            )
            + (" (remote)" if m.at == "remote" else ""),
            m.source,
        )
        for m in matches
    ]
    emit(format_table(HEADERS[lang], rows, max_width=56))

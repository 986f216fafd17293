"""``portmatrix render``: firewall rules for one host, two zones, or every host."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import click

from portmatrix.cli._common import (
    catalog_option,
    emit,
    emit_json,
    json_option,
    main,
    mkdir_option,
    project,
    wants_mkdir,
)
from portmatrix.output import atomic_directory, write_text
from portmatrix.render import Rendered, describe_targets, renderer_for
from portmatrix.table import format_table


@main.command("render")
@click.argument("target", required=False)
@click.argument("inventory", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--host", help="Render the host firewall of this endpoint.")
@click.option(
    "--between",
    nargs=2,
    metavar="ZONE_A ZONE_B",
    help="Render the ACL for a firewall between two zones (both directions).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to FILE (with --host/--between) or, for every host, into DIR, one file per host "
    "(all or nothing: DIR is replaced whole, and only if new, empty or written by portmatrix).",
)
@mkdir_option
@click.option("--stats", is_flag=True, help="Print flows in, rules and elements out.")
@click.option("--egress", is_flag=True, help="Also filter the host's outbound connections.")
@click.option(
    "--skip-unbound",
    is_flag=True,
    help="Leave out flows whose peer has no address in the inventory (with a warning) "
    "instead of failing.",
)
@click.option(
    "--family",
    type=click.Choice(["4", "6"]),
    help="Render only IPv4 or only IPv6 flows (iptables holds one family per file).",
)
@click.option("--list", "list_targets", is_flag=True, help="List the render targets and exit.")
@json_option
@catalog_option
def render_command(
    target: str | None,
    inventory: Path | None,
    *,
    host: str | None,
    between: tuple[str, str] | None,
    output: Path | None,
    stats: bool,
    egress: bool,
    skip_unbound: bool,
    family: str | None,
    list_targets: bool,
    as_json: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Render firewall rules (nftables, iptables, windows, asa, ios, aerleon) from an inventory.

    With --host, the host firewall of one endpoint: input dropped by default, loopback and
    replies accepted, each flow to the host accepted from exactly its sources, local-only ports
    dropped. With --between, the ACL for a firewall between two zones. With neither, every host
    into -o DIR, one file per host. Every rule names its catalog id and document row.
    """
    if list_targets:
        _list_targets(as_json=as_json)
        return
    if target is None or inventory is None:
        raise click.UsageError("give a TARGET and an INVENTORY (or --list)")
    if host is not None and between:
        raise click.UsageError("--host and --between are alternatives; give one")
    renderer = renderer_for(target)  # an unknown target fails before resolution
    deployment = project(inventory, catalogs)
    wanted = int(family) if family else None
    if host is not None or between:
        one = deployment.render(
            renderer,
            host=host,
            between=between or None,
            egress=egress,
            skip_unbound=skip_unbound,
            family=wanted,
        )
        emit(one.text, output)
        done = {one.subject: one}
    else:
        directory = _directory(output)
        done = deployment.render_hosts(
            [renderer], egress=egress, skip_unbound=skip_unbound, family=wanted
        )[renderer.name]
        _write_every_host(done, directory)
    _report(done, stats=stats, as_json=as_json, to_stderr=output is None)


def _write_every_host(done: Mapping[str, Rendered], directory: Path) -> None:
    """Every host's file into ``directory``, all of them or none (see portmatrix.output)."""
    with atomic_directory(directory, mkdir=wants_mkdir()) as folder:
        for name, rendered in done.items():
            write_text(folder / f"{name}{rendered.suffix}", rendered.text)


def _directory(output: Path | None) -> Path:
    if output is None:
        raise click.UsageError("rendering every host needs -o DIR (or give --host/--between)")
    return output


def _report(done: Mapping[str, Rendered], *, stats: bool, as_json: bool, to_stderr: bool) -> None:
    for rendered in done.values():
        for warning in rendered.warnings:
            click.echo(f"portmatrix: warning: {warning}", err=True)
    if not stats:
        return
    rows = [rendered.stats() for rendered in done.values()]
    if as_json:
        text = json.dumps(rows, indent=2)
    else:
        headers = ["target", "subject", "flows in", "rules out", "elements out"]
        text = format_table(headers, [list(row.values()) for row in rows])
    click.echo(text, err=to_stderr)


def _list_targets(*, as_json: bool) -> None:
    targets = describe_targets()
    if as_json:
        emit_json(targets)
        return
    rows = [[t["name"], t["suffix"], t["can_render"], t["description"]] for t in targets]
    emit(format_table(["target", "suffix", "can render", "description"], rows, max_width=80))

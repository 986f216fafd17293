"""``resolve`` and ``diff``: an inventory becomes its flow matrix, two inventories their change."""

from __future__ import annotations

from pathlib import Path

import click

from portmatrix.cli._common import (
    catalog_option,
    emit,
    emit_listing,
    main,
    output_file_option,
    project,
    warn,
)
from portmatrix.exporters._registry import BUILTIN_EXPORTERS
from portmatrix.table import format_table

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(BUILTIN_EXPORTERS)),
    default="table",
    show_default=True,
    help="Output format.",
)
output_option = output_file_option("Write to FILE (atomically).")
strict_option = click.option(
    "--strict", is_flag=True, help="Fail when a catalog role needed by a flow has no endpoint."
)


@main.command("resolve")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@output_option
@strict_option
@click.option(
    "--explain", "pair", nargs=2, metavar="SRC DST", help="Explain the flows between two endpoints."
)
@catalog_option
def resolve_cmd(
    inventory: Path,
    fmt: str,
    output: Path | None,
    strict: bool,
    pair: tuple[str, str] | None,
    catalogs: tuple[Path, ...],
) -> None:
    """Resolve INVENTORY into its flow matrix: who may reach whom, on which ports, and why."""
    deployment = project(inventory, catalogs, strict=strict)
    if pair:
        decisions = deployment.explain(*pair)
        rows = [
            (d.rule, d.owner, d.peer or "-", "flow" if d.made else "no flow", d.reason)
            for d in decisions
        ]
        emit(format_table(("rule", "owner", "peer", "result", "why"), rows, max_width=70), output)
        return
    warn(deployment.warnings)
    emit_listing(deployment.listing(), fmt, output)


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@output_option
@catalog_option
def diff_cmd(
    old: Path, new: Path, fmt: str, output: Path | None, catalogs: tuple[Path, ...]
) -> None:
    """Flows to open and flows to close when moving from deployment OLD to NEW."""
    before = project(old, catalogs)
    after = project(new, catalogs)
    emit_listing(before.diff_listing(after), fmt, output)

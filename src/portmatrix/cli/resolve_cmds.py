"""``resolve`` and ``diff``: an inventory becomes its flow matrix, two inventories their change."""

from __future__ import annotations

import json
from pathlib import Path

import click

from portmatrix.catalog import load_catalog
from portmatrix.cli._common import catalog_option, emit, main, output_file_option
from portmatrix.diff import diff_matrices
from portmatrix.errors import PortmatrixError
from portmatrix.export import FORMATS, render_text, to_csv, to_markdown, to_table, write_xlsx
from portmatrix.inventory import load_inventory
from portmatrix.model import Matrix
from portmatrix.resolve import explain, resolve
from portmatrix.table import format_table

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)
output_option = output_file_option("Write to FILE (atomically).")
strict_option = click.option(
    "--strict", is_flag=True, help="Fail when a catalog role needed by a flow has no endpoint."
)


def _warn(matrix: Matrix) -> None:
    for warning in matrix.warnings:
        click.echo(f"portmatrix: warning: {warning}", err=True)


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
    catalog = load_catalog(catalogs)
    deployment = load_inventory(inventory, catalog)
    if pair:
        decisions = explain(deployment, catalog, *pair)
        rows = [
            (d.rule, d.owner, d.peer or "-", "flow" if d.made else "no flow", d.reason)
            for d in decisions
        ]
        emit(format_table(("rule", "owner", "peer", "result", "why"), rows, max_width=70), output)
        return
    matrix = resolve(deployment, catalog, strict=strict)
    _warn(matrix)
    if fmt == "xlsx":
        if output is None:
            raise PortmatrixError(
                "--format xlsx writes a workbook; give it a file with -o FILE.xlsx"
            )
        write_xlsx(matrix.flows, output, title=f"Flow matrix: {matrix.name}")
        return
    emit(render_text(matrix, matrix.flows, fmt), output)


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
    catalog = load_catalog(catalogs)
    before = resolve(load_inventory(old, catalog), catalog)
    after = resolve(load_inventory(new, catalog), catalog)
    change = diff_matrices(before, after)
    if fmt == "json":
        data = {
            "open": [flow.as_dict() for flow in change.to_open],
            "close": [flow.as_dict() for flow in change.to_close],
        }
        emit(json.dumps(data, indent=2, ensure_ascii=False), output)
    elif fmt == "csv":
        opened, closed = to_csv(change.to_open).splitlines(), to_csv(change.to_close).splitlines()
        rows = (
            ["change," + opened[0]]
            + [f"open,{r}" for r in opened[1:]]
            + [f"close,{r}" for r in closed[1:]]
        )
        emit("\n".join(rows) + "\n", output)
    elif fmt == "xlsx":
        if output is None:
            raise PortmatrixError(
                "--format xlsx writes a workbook; give it a file with -o FILE.xlsx"
            )
        write_xlsx(
            change.to_open,
            output,
            title=f"Change: {before.name} -> {after.name}",
            sheets=[("Flows to close", change.to_close)],
        )
    elif fmt == "table":
        text = f"to open ({len(change.to_open)}):\n{to_table(change.to_open)}\n\n"
        text += f"to close ({len(change.to_close)}):\n{to_table(change.to_close)}"
        emit(text, output)
    else:  # md
        change_name = f"{before.name} -> {after.name}"
        text = to_markdown(change.to_open, title=f"Flows to open: {change_name}")
        text += "\n" + to_markdown(change.to_close, title=f"Flows to close: {change_name}")
        emit(text, output)

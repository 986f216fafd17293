"""``resolve`` and ``diff``: an inventory becomes its flow matrix, two inventories their change."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import click

from portmatrix.cli._common import (
    catalog_option,
    choose_format,
    emit,
    emit_envelope,
    emit_listing,
    finish,
    lang_option,
    main,
    output_file_option,
    project,
    quiet_option,
    warn,
)
from portmatrix.options import EXPORT_FORMATS, EXPORT_SUFFIXES

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default=None,
    help="Output format [default: from the -o extension, else table].",
)
output_option = output_file_option(
    "Write to FILE (atomically); its extension (.xlsx .csv .json .md .txt) picks the format."
)
strict_option = click.option(
    "--strict", is_flag=True, help="Exit 1 when there are warnings (a needed role has no endpoint)."
)


@main.command("resolve")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@output_option
@strict_option
@click.option(
    "--explain",
    "pair",
    nargs=2,
    metavar="SRC DST",
    help="Explain why each catalog entry makes a flow between two endpoints, or does not.",
)
@lang_option
@quiet_option
@catalog_option
def resolve_cmd(
    inventory: Path,
    fmt: str | None,
    output: Path | None,
    strict: bool,
    pair: tuple[str, str] | None,
    lang: str,
    quiet: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Resolve INVENTORY into its flow matrix: who may reach whom, on which ports, and why.

    The workbook (-o FILE.xlsx) is a change request: a cover sheet, the requests, and the
    local-only ports and unbound flows on sheets of their own. Exit 1 under --strict when
    resolution warned.
    """
    fmt = choose_format(fmt, output, suffixes=EXPORT_SUFFIXES, default="table")
    deployment = project(inventory, catalogs)
    if pair:
        explanation = deployment.explanation(*pair, lang=lang)
        if fmt == "json":
            emit_envelope(explanation, output)
        elif fmt == "table":
            emit(explain_text(explanation.lists["decisions"]), output)
        else:
            raise click.UsageError("--explain prints a table or JSON (--format table|json)")
        return
    # Warnings follow the output, so an output that cannot be written is one line of error.
    emit_listing(deployment.listing(lang=lang), fmt, output)
    warn(deployment.warnings, quiet=quiet)
    finish(warnings=bool(deployment.warnings), strict=strict)


def explain_text(decisions: Iterable[Mapping[str, Any]]) -> str:
    """One block per decision, reasons whole: no column is cut, whatever the terminal."""
    blocks = []
    for d in decisions:
        verdict = "flow" if d["made"] else "no flow"
        head = f"{d['rule']}: {d['owner']} <- {d['peer'] or '-'}: {verdict}"
        purpose = f"\n  purpose: {d['purpose']}" if d.get("purpose") else ""
        network = f"\n  network: {d['network']}" if d.get("network") else ""
        blocks.append(f"{head}{purpose}{network}\n  why: {d['reason']}")
    return "\n".join(blocks) if blocks else "no catalog entry applies between these endpoints"


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@format_option
@output_option
@strict_option
@lang_option
@quiet_option
@catalog_option
def diff_cmd(
    old: Path,
    new: Path,
    fmt: str | None,
    output: Path | None,
    strict: bool,
    lang: str,
    quiet: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Flows to open and flows to close when moving from deployment OLD to NEW.

    Exit 0 when the two matrices are the same, 1 when there are differences.
    """
    fmt = choose_format(fmt, output, suffixes=EXPORT_SUFFIXES, default="table")
    before = project(old, catalogs)
    after = project(new, catalogs)
    listing = before.diff_listing(after, lang=lang)
    emit_listing(listing, fmt, output)
    warn(after.warnings, quiet=quiet)
    changed = any(section.rows for section in listing.sections)
    finish(findings=changed, warnings=bool(after.warnings), strict=strict)

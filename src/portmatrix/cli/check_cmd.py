"""``portmatrix check``: judge an existing firewall against the inventory's matrix."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from portmatrix.cli._common import (
    catalog_option,
    emit,
    lang_option,
    main,
    output_file_option,
    project,
    quiet_option,
    warn,
)
from portmatrix.options import CHECK_FORMATS, RulesetType


@main.command()
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--ruleset",
    "ruleset",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The firewall to check: nft -j list ruleset, iptables-save, or an ASA/IOS configuration.",
)
@click.option(
    "--type",
    "ruleset_type",
    required=True,
    type=click.Choice([t.value for t in RulesetType]),
    help="Format of the ruleset file.",
)
@click.option("--host", default=None, help="Check traffic to this endpoint (the input path).")
@click.option(
    "--between",
    nargs=2,
    default=None,
    metavar="ZONE_A ZONE_B",
    help="Check traffic between two zones, both ways (the forward path).",
)
@click.option(
    "--acl", default=None, help="ASA/IOS: the access-list to check when the file has several."
)
@click.option(
    "--format", "fmt", type=click.Choice(CHECK_FORMATS), default="table", show_default=True
)
@click.option(
    "--strict",
    is_flag=True,
    help="Also exit 1 on warnings: nothing judged, shadowed or unmodelled rules, flows not checked.",
)
@output_file_option("Write the report to this file instead of stdout.")
@lang_option
@quiet_option
@catalog_option
@click.pass_context
def check(
    ctx: click.Context,
    inventory: Path,
    ruleset: Path,
    ruleset_type: str,
    host: str | None,
    between: tuple[str, str] | None,
    acl: str | None,
    fmt: str,
    strict: bool,
    output: Path | None,
    lang: str,
    quiet: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Check an existing firewall RULESET against the flows INVENTORY requires.

    Reports required flows the ruleset blocks, openings no flow needs (with exact ports),
    shadowed rules and constructs it cannot model, each at its line. Exit 1 when a required
    flow is blocked or a rule opens traffic no flow needs; with --strict, warnings exit 1 too.
    """
    from portmatrix.check import format_report, load_ruleset
    from portmatrix.progress import Progress

    if host is not None and between is not None:
        raise click.UsageError("give either --host or --between, not both")
    deployment = project(inventory, catalogs)
    progress = Progress(quiet=quiet or not _worth_showing(ruleset))
    with progress.stage(f"reading {ruleset.name}"):
        loaded = load_ruleset(ruleset, ruleset_type=RulesetType(ruleset_type))
    with progress.stage(f"checking {deployment.inventory_name} against {ruleset.name}"):
        report = deployment.check(
            loaded, ruleset_type=ruleset_type, host=host, between=between, acl=acl
        )
    scope = deployment.scope(host=host, between=list(between) if between else None, acl=acl)
    purposes = deployment.purposes(lang)
    text = format_report(report, fmt=fmt, strict=strict, lang=lang, purposes=purposes, scope=scope)
    emit(text, output)
    warn(report.warnings(), quiet=quiet)
    ctx.exit(report.exit_status(strict=strict))


#: Rulesets at least this large (bytes) report their stages even in a pipe.
LARGE_RULESET = 256 * 1024


def _worth_showing(ruleset: Path) -> bool:
    """Stages on a terminal always; in a pipe or a log only for a large ruleset."""
    if sys.stderr.isatty():
        return True
    try:
        return ruleset.stat().st_size >= LARGE_RULESET
    except OSError:
        return False  # reading it will say what is wrong

"""``portmatrix render``: firewall rules for one host, two zones, or every host."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from portmatrix.cli._common import (
    catalog_option,
    choose_format,
    emit,
    emit_envelope,
    json_option,
    main,
    mkdir_option,
    project,
    quiet_option,
    wants_mkdir,
    warn,
)
from portmatrix.envelope import Envelope, write_envelope
from portmatrix.progress import Progress
from portmatrix.table import format_table

# The renderers are imported by the functions that use them, so that `render --help` (and the
# root `--help`, which loads every command) costs no more than click.
if TYPE_CHECKING:
    from portmatrix.project import Project
    from portmatrix.render import Rendered, Renderer


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
    metavar="FILE|DIR/",
    help="Write to FILE (its extension can name the target: .nft .rules .ps1 .asa .ios "
    ".aerleon.yaml), or into the folder DIR/ (a trailing slash or an existing directory): "
    "one file per host and an index.json; every host is all or nothing: DIR is replaced whole, "
    "and only if new, empty or written by portmatrix.",
)
@mkdir_option
@click.option("--stats", is_flag=True, help="Print flows in, rules and elements out.")
@click.option("--egress", is_flag=True, help="Also filter the host's outbound connections.")
@click.option(
    "--exact",
    is_flag=True,
    help="windows: also disable every other enabled allow rule, so the host admits exactly "
    "the matrix (nftables and iptables files always do).",
)
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
@click.option(
    "--force",
    is_flag=True,
    help="Render a host firewall even for a host whose platform cannot run it (a VOS "
    "appliance, a phone network).",
)
@click.option("--list", "list_targets", is_flag=True, help="List the render targets and exit.")
@json_option
@quiet_option
@catalog_option
def render_command(
    target: str | None,
    inventory: Path | None,
    *,
    host: str | None,
    between: tuple[str, str] | None,
    output: str | None,
    stats: bool,
    egress: bool,
    exact: bool,
    skip_unbound: bool,
    force: bool,
    family: str | None,
    list_targets: bool,
    as_json: bool,
    quiet: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Render firewall rules (nftables, iptables, windows, asa, ios, aerleon) from an inventory.

    With --host, the host firewall of one endpoint: input dropped by default, loopback, replies,
    ICMP echo and IPv6 neighbour discovery accepted (the inventory's host_firewall changes
    that), each flow to the host accepted from exactly its sources, local-only ports dropped.
    With --between, the ACL for a firewall between two zones. With neither, every host into
    -o DIR/. TARGET may be left out when the -o extension names it. Every rule names its
    catalog id and document row.
    """
    from portmatrix.render import renderer_for
    from portmatrix.render._output import is_folder, render_envelope, skip_warnings

    if list_targets:
        _list_targets(as_json=as_json)
        return
    if inventory is None and target is not None:
        inventory = Path(target)  # `render INVENTORY -o x.nft`: the target from the extension
        target = None
    if inventory is None:
        raise click.UsageError("give a TARGET and an INVENTORY (or --list)")
    if host is not None and between:
        raise click.UsageError("--host and --between are alternatives; give one")
    folder = output is not None and is_folder(output, exists_as_dir=Path(output).is_dir())
    target = _target(target, None if folder else output)
    renderer = renderer_for(target)  # an unknown target fails before resolution
    deployment = project(inventory, catalogs)
    options: dict[str, Any] = {
        "egress": egress,
        "skip_unbound": skip_unbound,
        "family": int(family) if family else None,
        "exact": exact,
        "force": force,
    }

    job = _Job(deployment, renderer, options, host, between or None, output, folder, quiet)
    done, files = _run_one(job) if host is not None or between else _run_every_host(job)
    warn(skip_warnings(done), quiet=quiet)
    if stats:
        envelope = render_envelope(done, scope=job.scope(), files=files)
        _print_stats(envelope, as_json=as_json, to_stderr=output is None)


@dataclass(frozen=True)
class _Job:
    """What one ``render`` run renders and where it writes it."""

    deployment: Project
    renderer: Renderer
    options: dict[str, Any]
    host: str | None
    between: tuple[str, str] | None
    output: str | None
    folder: bool
    quiet: bool

    def scope(self) -> dict[str, Any]:
        between = list(self.between) if self.between else None
        return self.deployment.scope(target=self.renderer.name, host=self.host, between=between)


def _run_one(job: _Job) -> tuple[dict[str, Rendered], dict[str, str]]:
    """One host or zone pair: to stdout, a file, or added to a folder."""
    from portmatrix.render._output import file_stem

    one = job.deployment.render(job.renderer, host=job.host, between=job.between, **job.options)
    done = {file_stem(one.subject): one}
    if not job.folder or job.output is None:
        emit(one.text, Path(job.output) if job.output else None)
        return done, {}
    directory = Path(job.output)
    _make_folder(directory)
    return done, _write_into(directory, _folder(job.renderer, done, job.scope()))


def _run_every_host(job: _Job) -> tuple[dict[str, Rendered], dict[str, str]]:
    """Every host into a folder that takes DIR's place in one step, all or nothing.

    The folder is claimed first, so one that cannot be replaced is refused before any work.
    """
    from portmatrix.output import atomic_directory

    output = job.output
    if not job.folder or output is None:
        is_file = output is not None and Path(output).is_file()
        where = f"{output}: it is a file, and this writes a directory; " if is_file else ""
        raise click.UsageError(
            f"{where}rendering every host writes one file per host: give -o DIR/ "
            "(a trailing slash or an existing directory), or --host/--between"
        )
    with atomic_directory(Path(output), mkdir=wants_mkdir()) as aside:
        done = _every_host(job.deployment, job.renderer, job.options, quiet=job.quiet)
        return done, _write_into(aside, _folder(job.renderer, done, job.scope()))


def _target(target: str | None, output: str | None) -> str:
    from portmatrix.render import describe_targets

    suffixes = {item["suffix"]: item["name"] for item in describe_targets()}
    if target is None and output is None:
        raise click.UsageError("give a TARGET (or -o FILE with an extension that names one)")
    return choose_format(target, output, suffixes=suffixes, default=target or "")


def _every_host(
    deployment: Project, renderer: Renderer, options: dict[str, Any], *, quiet: bool
) -> dict[str, Rendered]:
    from portmatrix.render import left_out
    from portmatrix.render._pipeline import host_count

    hosts = host_count(deployment.matrix)
    with Progress(quiet=quiet).stage(f"rendering {renderer.name}", hosts) as stage:
        everything = deployment.render_hosts(
            [renderer], on_host=lambda _name: stage.advance(), **options
        )
    if not options.get("force"):
        warn(left_out(deployment.matrix, renderer), quiet=quiet)
    return everything[renderer.name]


def _folder(
    renderer: Renderer, done: Mapping[str, Rendered], scope: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """The folder's files (relative path -> text) with its index, and file stem -> path."""
    from portmatrix.render._output import INDEX, folder_files, render_envelope

    folder = folder_files(renderer, done)
    index = io.StringIO()
    write_envelope(render_envelope(done, scope=scope, files=folder.subjects), index)
    return {**folder.files, INDEX: index.getvalue()}, folder.subjects


def _write_into(directory: Path, folder: tuple[dict[str, str], dict[str, str]]) -> dict[str, str]:
    from portmatrix.output import write_text

    files, subjects = folder
    for relative, text in files.items():
        write_text(directory / relative, text, mkdir=True)  # subfolders of the named folder
    return subjects


def _make_folder(directory: Path) -> None:
    """The folder ``-o DIR/`` names; its parent must exist unless ``--mkdir`` was given."""
    from portmatrix.errors import OutputError

    try:
        directory.mkdir(parents=wants_mkdir(), exist_ok=True)
    except OSError as exc:
        hint = " (add --mkdir to create it)" if isinstance(exc, FileNotFoundError) else ""
        raise OutputError(f"cannot write {directory}/: {exc.strerror or exc}{hint}") from exc


def _print_stats(envelope: Envelope, *, as_json: bool, to_stderr: bool) -> None:
    if as_json:
        _emit_stats_json(envelope, to_stderr=to_stderr)
        return
    rows = [
        [row["target"], row["subject"], row["flows_in"], row["rules_out"], row["elements_out"]]
        for row in envelope.lists["files"]
    ]
    headers = ["target", "subject", "flows in", "rules out", "elements out"]
    click.echo(format_table(headers, rows), err=to_stderr)


def _emit_stats_json(envelope: Envelope, *, to_stderr: bool) -> None:
    if not to_stderr:
        emit_envelope(envelope)
        return
    buffer = io.StringIO()
    write_envelope(envelope, buffer)
    click.echo(buffer.getvalue(), err=True, nl=False)


def _list_targets(*, as_json: bool) -> None:
    from portmatrix.render import describe_targets

    targets = describe_targets()
    if as_json:
        summary = {"targets": len(targets)}
        emit_envelope(Envelope("targets", {}, summary, {"targets": targets}))
        return
    rows = [[t["name"], t["suffix"], t["can_render"], t["description"]] for t in targets]
    emit(format_table(["target", "suffix", "can render", "description"], rows, max_width=80))

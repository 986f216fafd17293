"""``emulate``, ``probe`` and ``verify --lab``: proving the matrix on the wire.

Each command resolves the inventory, calls one function of :mod:`portmatrix.verify` and prints
what it returns. ``probe`` and ``verify`` exit 0 only when every check is ok, 1 when any check
failed, and 2 when they could not run at all (see :mod:`portmatrix.exitcodes`). SIGINT and
SIGTERM stop any of the three after closing listeners and removing namespaces, with exit
status 130 and 143.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from portmatrix.cli._common import (
    catalog_option,
    emit,
    emit_envelope,
    finish,
    main,
    output_file_option,
    project,
    quiet_option,
    warn,
)
from portmatrix.errors import VerifyError
from portmatrix.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_RETRIES,
    DEFAULT_SAMPLE,
    DEFAULT_TIMEOUT,
    LAB_CONCURRENCY,
    VERIFY_FORMATS,
)
from portmatrix.progress import Progress

# The verifier (sockets, asyncio, namespaces) is imported by the commands themselves, so that
# `--help` costs no more than click.
if TYPE_CHECKING:
    from portmatrix.verify.emulate import StartReport
    from portmatrix.verify.probe import Result

F = TypeVar("F", bound=Callable[..., Any])

_inventory_argument = click.argument(
    "inventory", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_output_option = output_file_option("Write the report to FILE (atomically).")
_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(VERIFY_FORMATS),
    default="table",
    show_default=True,
    help="Report format; junit is for CI gates.",
)


def _sampling_options(func: F) -> F:
    """``--sample`` and ``--include-ephemeral``: emulate and probe must be given the same."""
    func = click.option(
        "--include-ephemeral",
        is_flag=True,
        help="Also cover dynamic client ranges (32768-61000), left out by default.",
    )(func)
    return click.option(
        "--sample",
        type=click.IntRange(min=2),
        default=DEFAULT_SAMPLE,
        show_default=True,
        help="Ports kept from each longer range, both ends included.",
    )(func)


def _timing_options(*, concurrency: int, timeout: float, retries: int) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        for option in (
            click.option(
                "--retries",
                type=click.IntRange(min=0),
                default=retries,
                show_default=True,
                help="Extra attempts before silence counts as filtered.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0, min_open=True),
                default=timeout,
                show_default=True,
                help="Longest wait for an answer, per attempt, in seconds; "
                "shorter once a host's answer time is known.",
            ),
            click.option(
                "--concurrency",
                type=click.IntRange(min=1),
                default=concurrency,
                show_default=True,
                help="Checks in flight at once.",
            ),
        ):
            func = option(func)
        return func

    return decorate


@main.command()
@_inventory_argument
@click.option("--host", required=True, help="The inventory host whose ports to emulate.")
@click.option(
    "--bind",
    multiple=True,
    metavar="ADDR",
    help="Listen on ADDR only (repeatable); default: the host's inventory address.",
)
@_sampling_options
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_CONNECTIONS,
    show_default=True,
    help="Connections served at once; more are reset on arrival.",
)
@catalog_option
def emulate(
    inventory: Path,
    *,
    host: str,
    bind: tuple[str, ...],
    sample: int,
    include_ephemeral: bool,
    max_connections: int,
    catalogs: tuple[Path, ...],
) -> None:
    """Open stand-in listeners on every port HOST's roles listen on, until Ctrl-C or SIGTERM.

    TCP listeners send a one-line token naming the port and catalog entry, then close; UDP
    listeners answer each datagram from an inventory address with it, never with more bytes
    than they received. Prints `ready` once every listener is up; exits 130 (SIGINT) or 143
    (SIGTERM) once every listener is closed.
    """
    from portmatrix import interrupt
    from portmatrix.verify.emulate import emulator_for, serve_until_stopped
    from portmatrix.verify.plan import Sampling

    deployment = project(inventory, catalogs)
    if not bind:
        deployment.require_probe_address(host)
    emulator = emulator_for(
        deployment.matrix,
        host,
        bind=bind,
        sampling=Sampling(sample, include_ephemeral),
        max_connections=max_connections,
    )
    interrupt.run(serve_until_stopped(emulator, on_ready=_announce))


def _announce(report: StartReport) -> None:
    for problem in report.problems():
        click.echo(f"portmatrix: warning: {problem}", err=True)
    click.echo(f"portmatrix: {report.listening} listeners up", err=True)
    click.echo("ready")


@main.command()
@_inventory_argument
@click.option("--from", "source", required=True, help="The inventory host this machine is.")
@click.option(
    "--to",
    "targets",
    multiple=True,
    help="Only probe this inventory host (repeatable); default: every other host.",
)
@_format_option
@_output_option
@_timing_options(concurrency=DEFAULT_CONCURRENCY, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES)
@_sampling_options
@quiet_option
@catalog_option
def probe(
    inventory: Path,
    *,
    source: str,
    targets: tuple[str, ...],
    fmt: str,
    output: Path | None,
    concurrency: int,
    timeout: float,
    retries: int,
    sample: int,
    include_ephemeral: bool,
    quiet: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Check from this machine (host --from) every flow it may open, and that the other
    documented ports of each destination are blocked. Exit 0 only if every check is ok.

    Only inventory addresses are probed. Verdicts: open, closed (reached, nothing listening),
    blocked (a firewall rejected it), filtered (no answer).
    """
    from portmatrix.verify.plan import Sampling
    from portmatrix.verify.report import results_table
    from portmatrix.verify.runner import ProbeOptions, probe_from

    deployment = project(inventory, catalogs)
    options = ProbeOptions(Sampling(sample, include_ephemeral), timeout, retries, concurrency)
    plan = deployment.probe_plan(source, targets=targets, sampling=options.sampling)
    if not targets:
        warn(
            [
                f"{name} is a network with no probe_address in the inventory: not probed"
                for name in plan.planner.unaddressed()
            ],
            quiet=quiet,
        )
    with Progress(quiet=quiet).stage("probing", plan.total) as stage:
        results = probe_from(
            deployment.matrix,
            source,
            targets=targets,
            options=options,
            on_result=lambda _result: stage.advance(),
        )
    scope = deployment.scope(**{"from": source, "to": list(targets) or None})
    _report(results, fmt=fmt, output=output, table=results_table, scope=scope)


@main.command()
@_inventory_argument
@click.option("--lab", is_flag=True, help="Run the whole deployment in network namespaces here.")
@_format_option
@_output_option
@_timing_options(concurrency=LAB_CONCURRENCY, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES)
@_sampling_options
@quiet_option
@catalog_option
def verify(
    inventory: Path,
    *,
    lab: bool,
    fmt: str,
    output: Path | None,
    concurrency: int,
    timeout: float,
    retries: int,
    sample: int,
    include_ephemeral: bool,
    quiet: bool,
    catalogs: tuple[Path, ...],
) -> None:
    """Dry-run the deployment on this machine (root): a namespace per host with its generated
    nftables rules and emulators, every host probing every other, all torn down afterwards.

    Prints checks, passed and failed per host pair, then every failure in full.
    """
    from portmatrix.verify.lab import run_lab
    from portmatrix.verify.plan import Sampling
    from portmatrix.verify.runner import ProbeOptions

    if not lab:
        raise VerifyError("only --lab is available: verification across real hosts comes later")
    deployment = project(inventory, catalogs)
    options = ProbeOptions(Sampling(sample, include_ephemeral), timeout, retries, concurrency)
    plan = deployment.lab_plan(sampling=options.sampling)
    with Progress(quiet=quiet).stage("lab: probing", plan.total) as stage:
        results = run_lab(
            deployment.matrix, options=options, on_result=lambda _result: stage.advance()
        )
    _report(results, fmt=fmt, output=output, table=_lab_table, scope=deployment.scope(lab=True))


def _lab_table(results: Sequence[Result]) -> str:
    from portmatrix.verify.report import failures_table, summary_table, tally

    return f"{summary_table(results)}\n\n{tally(results)}\n\nfailures:\n{failures_table(results)}"


def _report(
    results: Sequence[Result],
    *,
    fmt: str,
    output: Path | None,
    table: Callable[[Sequence[Result]], str],
    scope: dict[str, Any],
) -> None:
    from portmatrix.verify.report import results_envelope, results_junit

    if fmt == "json":
        emit_envelope(results_envelope(results, scope=scope), output)
    elif fmt == "junit":
        emit(results_junit(results), output)
    else:
        emit(table(results), output)
    finish(findings=not all(result.ok for result in results))

"""What every command shares: the root group, the ``--catalog`` option, error handling, output.

Commands live in one module per area and attach themselves to :data:`main` when imported. The
root group knows which module holds which command (:data:`COMMAND_MODULES`), so running one
command imports only its own module, and ``--version`` imports none.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from portmatrix import __version__
from portmatrix.errors import PortmatrixError

if TYPE_CHECKING:
    from portmatrix.exporters import Listing
    from portmatrix.project import Project

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2

#: Command name -> the module that defines it, imported only when the command is asked for.
COMMAND_MODULES = {
    "catalog": "portmatrix.cli.catalog_cmds",
    "search": "portmatrix.cli.catalog_cmds",
    "port": "portmatrix.cli.port_cmd",
    "resolve": "portmatrix.cli.resolve_cmds",
    "diff": "portmatrix.cli.resolve_cmds",
    "render": "portmatrix.cli.render_cmd",
    "check": "portmatrix.cli.check_cmd",
    "emulate": "portmatrix.cli.verify_cmds",
    "probe": "portmatrix.cli.verify_cmds",
    "verify": "portmatrix.cli.verify_cmds",
}


class _Group(click.Group):
    """Loads a command's module on demand; turns library errors into one line and exit 2."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in dict.fromkeys(COMMAND_MODULES.values()):
            importlib.import_module(module)
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PortmatrixError as exc:
            click.echo(f"portmatrix: error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except BrokenPipeError:  # `portmatrix ... | head`
            sys.stderr.close()
            ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portmatrix")
def main() -> None:
    """portmatrix: vendor port tables as data, resolved into flows, rules and wire-level proof."""


def catalog_option(func: F) -> F:
    """``--catalog FILE`` (repeatable): add a user's own pack to the bundled ones."""
    return click.option(
        "--catalog",
        "catalogs",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Add a catalog pack (YAML, same schema as the bundled ones). Repeatable.",
    )(func)


def output_file_option(
    help: str = "Write to FILE instead of stdout (atomically).",
) -> Callable[[F], F]:
    """``-o/--output FILE`` as every command that writes one file spells it."""
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help
    )


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def project(
    inventory: Path | None = None, catalogs: Sequence[Path] = (), *, strict: bool = False
) -> Project:
    """The :class:`~portmatrix.project.Project` a command asks its questions of."""
    from portmatrix.project import Project

    return Project(inventory, catalogs=catalogs, strict=strict)


def warn(messages: Sequence[str]) -> None:
    for message in messages:
        click.echo(f"portmatrix: warning: {message}", err=True)


def emit(text: str, output: Path | None = None) -> None:
    """Print, or write atomically to ``output`` so a failure never leaves half a file."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from portmatrix.yamlio import atomic_write

    with atomic_write(output) as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any, output: Path | None = None) -> None:
    emit(json.dumps(data, indent=2, ensure_ascii=False), output)


def emit_listing(listing: Listing, fmt: str, output: Path | None) -> None:
    """A listing through its exporter, streamed to ``output`` or stdout."""
    from portmatrix.exporters import exporter_for
    from portmatrix.yamlio import atomic_write

    exporter = exporter_for(fmt)
    if exporter.binary:
        if output is None:
            raise PortmatrixError(
                f"--format {fmt} writes a file; give it one with -o FILE{exporter.suffix}"
            )
        with atomic_write(output, mode="wb") as handle:
            exporter.write(listing, handle)
    elif output is None:
        exporter.write(listing, sys.stdout)
    else:
        with atomic_write(output) as handle:
            exporter.write(listing, handle)

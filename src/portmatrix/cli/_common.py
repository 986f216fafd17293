"""What every command shares: the root group, the ``--catalog`` option, error handling, output."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from portmatrix import __version__
from portmatrix.errors import PortmatrixError
from portmatrix.yamlio import atomic_write

F = TypeVar("F", bound=Callable[..., Any])

EXIT_USAGE = 2


#: Command modules imported only when one of their commands is asked for (or for --help), so
#: a quick look-up does not pay for the renderers, the checker and the prober at start-up.
LAZY_MODULES = (
    "portmatrix.cli.render_cmd",
    "portmatrix.cli.check_cmd",
    "portmatrix.cli.verify_cmds",
    "portmatrix.cli.audit_cmds",
)


class _Group(click.Group):
    """Turns library errors into one line and exit 2, wherever in a command they surface."""

    def _load_all(self) -> None:
        for module in LAZY_MODULES:
            importlib.import_module(module)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._load_all()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_all()
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


def emit(text: str, output: Path | None = None) -> None:
    """Print, or write atomically to ``output`` so a failure never leaves half a file."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    with atomic_write(output) as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def emit_json(data: Any, output: Path | None = None) -> None:
    emit(json.dumps(data, indent=2, ensure_ascii=False), output)

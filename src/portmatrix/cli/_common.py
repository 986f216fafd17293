"""What every command shares: the root group, the ``--catalog`` option, error handling, output.

Commands live in one module per area and attach themselves to :data:`main` when imported. The
root group knows which module holds which command (:data:`COMMAND_MODULES`), so running one
command imports only its own module, and ``--version`` imports none.

The root group is also where every failure becomes one line: a
:class:`~portmatrix.errors.PortmatrixError` prints capped and on one line
(:func:`~portmatrix.errors.one_line`) with exit status 2; SIGINT and SIGTERM unwind through
every clean-up (:mod:`portmatrix.interrupt`) and exit 130 and 143. Every file a command writes
goes through :mod:`portmatrix.output`.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from portmatrix import __version__
from portmatrix.errors import PortmatrixError, RenderError, one_line
from portmatrix.exitcodes import ExitCode
from portmatrix.interrupt import Interrupted, signals_raise

if TYPE_CHECKING:
    from portmatrix.envelope import Envelope
    from portmatrix.exporters import Listing
    from portmatrix.project import Project

F = TypeVar("F", bound=Callable[..., Any])

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
    "ingest": "portmatrix.cli.audit_cmds",
    "audit": "portmatrix.cli.audit_cmds",
    "roles": "portmatrix.cli.catalog_cmds",
    "options": "portmatrix.cli.catalog_cmds",
    "schema": "portmatrix.cli.bundled_cmds",
    "example": "portmatrix.cli.bundled_cmds",
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
            with signals_raise():
                return super().invoke(ctx)
        except PortmatrixError as exc:
            details = exc.details if isinstance(exc, RenderError) else ()
            head = exc.message if isinstance(exc, RenderError) else str(exc)
            click.echo(one_line(f"portmatrix: error: {head}"), err=True)
            for line in details:  # each capped and on its own line, like the message
                click.echo(one_line(line), err=True)
            ctx.exit(ExitCode.USAGE)
        except click.UsageError as exc:  # one line too, with where to read more
            where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(one_line(f"portmatrix: error: {exc.format_message()}{where}"), err=True)
            ctx.exit(ExitCode.USAGE)
        except Interrupted as exc:
            click.echo(f"portmatrix: {exc}", err=True)
            ctx.exit(exc.status)
        except KeyboardInterrupt:  # raised before our handler was in place, or by a library
            stopped = Interrupted(signal.SIGINT)
            click.echo(f"portmatrix: {stopped}", err=True)
            ctx.exit(stopped.status)
        except BrokenPipeError:  # `portmatrix ... | head`
            sys.stderr.close()
            ctx.exit(ExitCode.OK)


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
    """``-o/--output FILE`` as every command that writes one file spells it, with ``--mkdir``."""
    option = click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, help=help
    )

    def decorate(func: F) -> F:
        return mkdir_option(option(func))

    return decorate


def _remember_mkdir(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[_MKDIR] = value
    return value


_MKDIR = "portmatrix.mkdir"


def mkdir_option(func: F) -> F:
    """``--mkdir``: make the output's missing parent directories (off: a typo is an error).

    Read by :func:`emit` and :func:`emit_listing` from the context, so a command that takes
    ``-o`` need not thread it through.
    """
    return click.option(
        "--mkdir",
        is_flag=True,
        expose_value=False,
        callback=_remember_mkdir,
        help="Create the output's missing parent directories.",
    )(func)


def wants_mkdir() -> bool:
    """Whether this command was given ``--mkdir``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_MKDIR, False))


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


def lang_option(func: F) -> F:
    """``--lang en|ja``: the language of catalog text; the default follows LC_ALL/LANG."""
    return click.option(
        "--lang",
        type=click.Choice(["en", "ja"]),
        default=default_lang,
        show_default="from LC_ALL, LC_MESSAGES or LANG; en unless ja_*",
        help="Language of catalog text (purposes, notes, headings).",
    )(func)


def default_lang() -> str:
    """``ja`` when the locale in effect (LC_ALL, then LC_MESSAGES, then LANG) is Japanese."""
    import os

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def quiet_option(func: F) -> F:
    return click.option(
        "-q", "--quiet", is_flag=True, help="No progress and no warnings on stderr; errors only."
    )(func)


def warn(messages: Sequence[str], *, quiet: bool = False) -> None:
    """Each distinct warning once, with how many times it came up, and a total."""
    if quiet or not messages:
        return
    from portmatrix.envelope import counts

    tally = counts(messages)
    for message in dict.fromkeys(messages):
        times = tally[message]
        click.echo(
            f"portmatrix: warning: {message}" + (f" (x{times})" if times > 1 else ""), err=True
        )
    if len(messages) > 1:
        click.echo(f"portmatrix: {len(messages)} warnings ({len(tally)} distinct)", err=True)


def finish(*, findings: bool = False, warnings: bool = False, strict: bool = False) -> None:
    """Exit with the convention's status (see :mod:`portmatrix.exitcodes`)."""
    from portmatrix.exitcodes import status

    code = status(findings=findings, warnings=warnings, strict=strict)
    if code:
        click.get_current_context().exit(code)


def choose_format(
    fmt: str | None, output: str | Path | None, *, suffixes: dict[str, str], default: str
) -> str:
    """The format asked for, or the one ``output``'s extension names; refuses a contradiction.

    ``suffixes`` maps extensions (``.xlsx``, ``.aerleon.yaml``) to format names. A file with no
    extension takes ``default``; an extension nobody claims needs ``--format``.
    """
    if output is None:
        return fmt or default
    name = Path(output).name
    matches = sorted((s for s in suffixes if name.endswith(s)), key=len, reverse=True)
    inferred = suffixes[matches[0]] if matches else None
    if fmt is not None:
        if inferred is not None and inferred != fmt:
            raise click.UsageError(
                f"--format {fmt} contradicts the extension of {name} ({inferred}); "
                "give one or make them agree"
            )
        return fmt
    if inferred is not None:
        return inferred
    if "." not in name.lstrip("."):
        return default
    raise click.UsageError(
        f"cannot tell the format of {name} from its extension "
        f"(known: {', '.join(sorted(suffixes))}); give --format"
    )


def emit(text: str, output: Path | None = None) -> None:
    """Print, or write atomically to ``output`` so a failure never leaves half a file."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from portmatrix.output import write_text

    write_text(output, text, mkdir=wants_mkdir())


def emit_json(data: Any, output: Path | None = None) -> None:
    emit(json.dumps(data, indent=2, ensure_ascii=False), output)


def emit_envelope(envelope: Envelope, output: Path | None = None) -> None:
    """A JSON result (see :mod:`portmatrix.envelope`), streamed to ``output`` or stdout."""
    from portmatrix.envelope import write_envelope
    from portmatrix.output import atomic_write

    if output is None:
        write_envelope(envelope, sys.stdout)
        return
    with atomic_write(output, mkdir=wants_mkdir()) as handle:
        write_envelope(envelope, handle)


def emit_listing(listing: Listing, fmt: str, output: Path | None) -> None:
    """A listing through its exporter, streamed to ``output`` or stdout."""
    from portmatrix.exporters import exporter_for
    from portmatrix.output import atomic_write

    exporter = exporter_for(fmt)
    if exporter.binary:
        if output is None:
            raise PortmatrixError(
                f"--format {fmt} writes a file; give it one with -o FILE{exporter.suffix}"
            )
        with atomic_write(output, mode="wb", mkdir=wants_mkdir()) as handle:
            exporter.write(listing, handle)
    elif output is None:
        exporter.write(listing, sys.stdout)
    else:
        with atomic_write(output, mkdir=wants_mkdir()) as handle:
            exporter.write(listing, handle)

"""Generate ``docs/cli.md`` from the commands' own ``--help`` so the reference cannot drift.

``python -m portmatrix.cli.docs --write`` rewrites it; without ``--write`` it exits 1 when the
committed file is stale (a test runs that check).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click

from portmatrix.cli import main

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def _walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name])


def commands() -> list[tuple[list[str], click.Command]]:
    return list(_walk(main, ["portmatrix"]))


HELP_NAMES = ["-h", "--help"]  # as the root group's context_settings declare


def help_text(path: list[str], command: click.Command) -> str:
    parent: click.Context | None = None
    for depth in range(1, len(path)):
        parent = click.Context(
            main if depth == 1 else command,
            info_name=" ".join(path[:depth]),
            parent=parent,
            help_option_names=HELP_NAMES,
        )
    ctx = click.Context(
        command,
        info_name=path[-1],
        parent=parent,
        terminal_width=100,
        max_content_width=100,
        help_option_names=HELP_NAMES,
    )
    return command.get_help(ctx)


def generate() -> str:
    parts = [
        "# Command reference",
        "",
        "Generated from `--help` by `make docs` (`python -m portmatrix.cli.docs --write`); a test fails",
        "when this file and the commands disagree. Every command exits 2 with one line on stderr for",
        "bad input.",
        "",
    ]
    for path, command in commands():
        parts += [
            f"## `{' '.join(path)}`",
            "",
            "```text",
            help_text(path, command).rstrip(),
            "```",
            "",
        ]
    return "\n".join(parts)


def main_cli(argv: list[str]) -> int:
    text = generate()
    if "--write" in argv:
        DOC.write_text(text, encoding="utf-8")
        return 0
    if not DOC.is_file() or DOC.read_text(encoding="utf-8") != text:
        print("docs/cli.md is out of date; run `make docs`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main_cli(sys.argv[1:]))

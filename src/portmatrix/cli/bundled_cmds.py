"""``schema`` and ``example``: print what the package ships, for users without a checkout."""

from __future__ import annotations

from pathlib import Path

import click

from portmatrix import bundled
from portmatrix.cli._common import emit, main, output_file_option


@main.command("schema")
@click.argument("name", required=False)
@output_file_option()
def schema_cmd(name: str | None, output: Path | None) -> None:
    """Print the JSON Schema NAME (inventory, catalog-pack, result-*); without NAME, list them."""
    _print("schemas", name, output)


@main.command("example")
@click.argument("name", required=False)
@output_file_option()
def example_cmd(name: str | None, output: Path | None) -> None:
    """Print the bundled example inventory NAME (e.g. duplex-cce); without NAME, list them."""
    _print("examples", name, output)


def _print(kind: str, name: str | None, output: Path | None) -> None:
    emit(bundled.text(kind, name) if name else "\n".join(bundled.names(kind)), output)

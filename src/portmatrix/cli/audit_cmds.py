"""``portmatrix ingest`` and ``portmatrix audit``: flow logs against the matrix."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from portmatrix.cli._common import F, catalog_option, emit, main, output_file_option
from portmatrix.errors import PortmatrixError

ENGINES = ("duckdb", "spark")


def _reader_names() -> list[str]:
    from portmatrix.audit.readers import names

    return ["auto", *names()]


def reader_options(func: F) -> F:
    """``--type``, ``--map``, ``--delimiter``, ``--year`` and ``--strict``, shared by both commands."""
    options = [
        click.option(
            "--type",
            "kind",
            default="auto",
            show_default=True,
            help="Format of SOURCES: auto, asa, pfirewall, netfilter, conntrack, nfdump-csv, "
            "nfdump-text, zeek, zeek-json, vpc, csv, parquet (or a plugin's).",
        ),
        click.option(
            "--map",
            "mapping",
            multiple=True,
            metavar="FIELD=COLUMN",
            help="--type csv: the header column holding FIELD (src, dst, protocol; time, sport, "
            "dport, action, answered, bytes, packets, direction). Repeatable.",
        ),
        click.option("--delimiter", default=None, help="--type csv: the field separator."),
        click.option(
            "--year", type=int, default=None, help="Year for syslog stamps that have none."
        ),
        click.option("--strict", is_flag=True, help="Stop at the first malformed line (exit 2)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _options(
    mapping: tuple[str, ...], delimiter: str | None, year: int | None, strict: bool
) -> Any:
    from portmatrix.audit import ReaderOptions

    pairs = []
    for item in mapping:
        field, sep, column = item.partition("=")
        if not sep or not field or not column:
            raise click.BadParameter(f"{item!r} is not FIELD=COLUMN", param_hint="--map")
        pairs.append((field.strip(), column.strip()))
    return ReaderOptions(mapping=tuple(pairs), delimiter=delimiter, year=year, strict=strict)


@contextmanager
def _progress(sources: tuple[str, ...]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when it is a terminal, counting the bytes of the raw files."""
    total = sum(Path(s).stat().st_size for s in sources if Path(s).is_file())
    if not sys.stderr.isatty() or total == 0:
        yield None
        return
    with click.progressbar(length=total, label="reading", file=sys.stderr) as bar:
        yield bar.update


def _warn_malformed(counts: Any) -> None:
    if counts.malformed:
        click.echo(f"portmatrix: warning: {counts.malformed} malformed line(s) skipped", err=True)
        for problem in counts.problems:
            click.echo(f"  {problem}", err=True)


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the canonical table to (zstd Parquet), replaced whole.",
)
@reader_options
def ingest(
    sources: tuple[str, ...],
    output: Path,
    kind: str,
    mapping: tuple[str, ...],
    delimiter: str | None,
    year: int | None,
    strict: bool,
) -> None:
    """Read flow logs (SOURCES) into the canonical table, stored as Parquet in -o DIR.

    Malformed lines are counted and cited on stderr, and skipped unless --strict.
    """
    from portmatrix.audit import ingest as run_ingest

    options = _options(mapping, delimiter, year, strict)
    with _progress(sources) as hook:
        counts = run_ingest(sources, output, kind=kind, options=options, on_progress=hook)
    _warn_malformed(counts)
    click.echo(
        f"{counts.records} records written to {output} "
        f"({counts.ignored} lines ignored, {counts.malformed} malformed)",
        err=True,
    )


def _moment(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time", param_hint=name) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


@main.command()
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("sources", nargs=-1, required=True)
@reader_options
@click.option("--engine", type=click.Choice(ENGINES), default="duckdb", show_default=True)
@click.option(
    "--spark-master",
    default=None,
    metavar="URL",
    help="--engine spark: local[*] (default), spark://HOST:7077, yarn or k8s://https://HOST.",
)
@click.option("--since", default=None, metavar="T", help="Only records at or after T (ISO 8601).")
@click.option("--until", default=None, metavar="T", help="Only records before T (ISO 8601).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "xlsx", "md"]),
    default="table",
    show_default=True,
)
@output_file_option("Write the report to this file instead of stdout (xlsx needs it).")
@catalog_option
def audit(
    inventory: Path,
    sources: tuple[str, ...],
    kind: str,
    mapping: tuple[str, ...],
    delimiter: str | None,
    year: int | None,
    strict: bool,
    engine: str,
    spark_master: str | None,
    since: str | None,
    until: str | None,
    fmt: str,
    output: Path | None,
    catalogs: tuple[Path, ...],
) -> None:
    """Audit observed traffic in SOURCES (flow logs or an ingested folder) against INVENTORY.

    Every record is allowed (a matrix flow admits it), a reply (the reverse of one), an attempt
    (denied or never answered) or unexpected. Reports unexpected tuples with suggestions,
    matrix flows never seen, per-flow hits and the coverage of observed traffic.
    """
    from portmatrix.audit import audit as run_audit
    from portmatrix.audit.output import render, write_xlsx

    if fmt == "xlsx" and output is None:
        raise PortmatrixError("--format xlsx writes a file; give it one with -o FILE.xlsx")
    options = _options(mapping, delimiter, year, strict)
    with _progress(sources) as hook:
        report = run_audit(
            inventory,
            sources,
            catalogs=catalogs,
            kind=kind,
            engine=engine,
            spark_master=spark_master,
            since=_moment(since, "--since"),
            until=_moment(until, "--until"),
            options=options,
            on_progress=hook,
        )
    if report.summary.malformed:
        click.echo(
            f"portmatrix: warning: {report.summary.malformed} malformed line(s) skipped", err=True
        )
    if fmt == "xlsx":
        assert output is not None
        write_xlsx(report, output)
        return
    emit(render(report, fmt), output)

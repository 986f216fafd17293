"""Turning what the user named into records: raw logs through their readers, Parquet as is.

``--type auto`` sniffs each file's head against the registered readers in
:data:`~portmatrix.audit.readers.SNIFF_ORDER`; a file nothing recognises is an error naming it.
A folder is taken as an ingested Parquet dataset. A URL (``s3a://``, ``hdfs://``, ...) is
handed to the engine untouched, as Parquet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from portmatrix.audit import readers
from portmatrix.audit.canonical import ReaderOptions, Staging, is_dataset
from portmatrix.audit.readers._delimited import read_head
from portmatrix.errors import InputError, PortmatrixError

AUTO = "auto"


def is_url(source: str) -> bool:
    return "://" in source


@dataclass(frozen=True, slots=True)
class Sources:
    """Raw files with the reader for each, and Parquet datasets (paths or URLs)."""

    raw: tuple[tuple[Path, str], ...]
    datasets: tuple[str, ...]


def classify(sources: Sequence[str | Path], *, kind: str = AUTO) -> Sources:
    raw: list[tuple[Path, str]] = []
    datasets: list[str] = []
    for source in sources:
        text = str(source)
        if is_url(text):
            datasets.append(text)
            continue
        path = Path(text)
        if not path.exists():
            raise InputError("no such file or folder", file=path)
        if (kind in (AUTO, "parquet")) and is_dataset(path):
            datasets.append(text)
        elif path.is_dir():
            raise InputError("a folder, but not one portmatrix ingest wrote", file=path)
        else:
            raw.append((path, detect(path) if kind == AUTO else readers.READERS.resolve_name(kind)))
    return Sources(tuple(raw), tuple(datasets))


def detect(path: Path) -> str:
    """The reader whose ``sniff`` recognises the head of ``path``."""
    try:
        head = read_head(path)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from exc
    for name in readers.SNIFF_ORDER:
        if readers.load(name).sniff(head):
            return name
    for name in readers.names():  # formats added by plugins
        if name not in readers.SNIFF_ORDER and readers.load(name).sniff(head):
            return name
    raise InputError(
        f"cannot tell the format; give --type (one of {', '.join(readers.names())})",
        file=path,
        line=1,
    )


def stage(sources: Sources, staging: Staging, *, options: ReaderOptions) -> None:
    for path, name in sources.raw:
        if name == "parquet":
            continue
        readers.load(name).stage(path, staging, options=options)
    if not sources.raw and not sources.datasets:
        raise PortmatrixError("no flow-log sources given")

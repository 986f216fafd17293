"""The bundled catalog's answer to "which service owns port N?", compiled ahead of time.

``portmatrix port N`` is the command people run most, often in a hurry and in a loop over a
capture. Answering it from the packs means importing the records, loading the catalog and
evaluating every formula for every instance; answering it from this index means reading one
small JSON file. The index is built by :func:`portmatrix.lookup.port_records`, the same code
the full look-up uses, for instances 0 to :data:`DEFAULT_MAX_INSTANCE` and the packs' option
defaults, and it carries the fingerprint of the pack texts it came from: a stale index, a
user's own pack or a wider ``--max-instance`` fall back to the full look-up.

This module imports nothing of portmatrix but its errors, on purpose.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

BUNDLED_PACKS = ("common.yaml", "cuc.yaml", "cce.yaml")
PORT_INDEX = "ports.json"
#: Formula ports are solved for instances 0..this by default (the index covers exactly these).
DEFAULT_MAX_INSTANCE = 24
#: The largest ``--max-instance`` a look-up accepts. It solves every instance formula once per
#: instance, so the cost grows with it; CCE's roles allow instances 0-24, and 1,000 is forty
#: times that. A larger number is refused rather than left to run for minutes.
MAX_INSTANCE_CEILING = 1000
#: Bumped whenever the compiled files change shape, so an old one is never misread.
COMPILED_FORMAT = 2


class PortMatch(NamedTuple):
    """One way a port can belong to a catalog entry (JSON field names are a public contract)."""

    id: str
    product: str
    component: str
    process: str | None
    protocol: str
    port_start: int
    port_end: int
    instance: int | None
    side: str | None
    description: str
    source: str
    at: str
    formula: str

    def as_dict(self) -> dict[str, object]:
        return dict(self._asdict())


def packs_dir() -> Path:
    """Where the bundled packs live: beside this module, in a checkout, a wheel or a vendored copy."""
    return Path(__file__).resolve().parent / "packs"


def bundled_texts() -> Iterator[tuple[str, str]]:
    root = packs_dir()
    for name in BUNDLED_PACKS:
        yield f"portmatrix/packs/{name}", (root / name).read_text(encoding="utf-8")


def fingerprint(texts: Iterable[tuple[str, str]]) -> str:
    """A checksum of the packs' names and texts: enough to notice an edit (zlib imports in
    microseconds, hashlib in milliseconds, and this guards against staleness, not tampering)."""
    checksum, size = zlib.crc32(str(COMPILED_FORMAT).encode()), 0
    for name, text in texts:
        data = name.encode() + b"\0" + text.encode() + b"\0"
        checksum, size = zlib.crc32(data, checksum), size + len(data)
    return f"crc32:{checksum:08x}:{size}"


def lookup(
    port: int,
    *,
    protocol: str | None = None,
    max_instance: int = DEFAULT_MAX_INSTANCE,
    lang: str = "en",
    include_ephemeral: bool = False,
) -> list[PortMatch] | None:
    """The bundled catalog's matches for ``port``, or None when the index cannot answer."""
    if not 0 <= max_instance <= DEFAULT_MAX_INSTANCE:
        return None
    try:
        data = json.loads((packs_dir() / PORT_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != COMPILED_FORMAT or data.get("fingerprint") != fingerprint(
        bundled_texts()
    ):
        return None
    templates = data["matches"]
    found = []
    for proto, lo, hi, instance, ephemeral, which in data["records"]:
        if not lo <= port <= hi or (protocol is not None and proto != protocol):
            continue
        if (ephemeral and not include_ephemeral) or (
            instance is not None and instance > max_instance
        ):
            continue
        template = templates[which]
        description = template["description_ja"] if lang == "ja" else template["description_en"]
        found.append(
            PortMatch(
                template["id"],
                template["product"],
                template["component"],
                template["process"],
                proto,
                lo,
                hi,
                instance,
                template["side"],
                description,
                template["source"],
                template["at"],
                template["formula"],
            )
        )
    return found

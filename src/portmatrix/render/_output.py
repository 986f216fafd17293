"""What a render writes: one file, or a folder with a file per host (or zone pair) and an index.

Most targets keep one file per subject (``cuc-pub.nft``). A target whose users keep a tree
(Aerleon's ``def/`` and ``policies/pol/``) implements :class:`FolderRenderer` and lays out the
folder itself. Every folder gets ``index.json``: a ``render`` result envelope naming each file,
its subject and what went into it, the same document ``render --stats --json`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from portmatrix.envelope import Envelope
from portmatrix.render._pipeline import Rendered
from portmatrix.render._protocol import Renderer
from portmatrix.render._refusal import Skipped, describe_flow

INDEX = "index.json"


@dataclass(frozen=True, slots=True)
class Folder:
    """The files of a folder (relative path -> text) and each subject's own file (stem -> path)."""

    files: dict[str, str]
    subjects: dict[str, str]


@runtime_checkable
class FolderRenderer(Protocol):
    """A renderer whose output, for a folder, is several files laid out its own way."""

    def folder(self, rendered: Mapping[str, Rendered]) -> Folder:
        """Every file of the folder, given each subject's rendered file by file stem."""
        ...


def file_stem(subject: str) -> str:
    """``host cuc-pub`` -> ``cuc-pub``; ``zones a <-> b`` -> ``a--b``: safe in any file system."""
    text = subject.removeprefix("host ").removeprefix("zones ").replace(" <-> ", "--")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def folder_files(renderer: Renderer, rendered: Mapping[str, Rendered]) -> Folder:
    """Every file a folder of ``rendered`` (by file stem) holds, the index excluded."""
    if isinstance(renderer, FolderRenderer):
        return renderer.folder(rendered)
    names = {stem: f"{stem}{item.suffix}" for stem, item in rendered.items()}
    return Folder({names[stem]: item.text for stem, item in rendered.items()}, names)


def render_envelope(
    rendered: Mapping[str, Rendered], *, scope: Mapping[str, Any], files: Mapping[str, str]
) -> Envelope:
    """What was rendered (by file stem), where it went (stem -> path), and the totals."""
    rows: list[dict[str, Any]] = [
        {**item.stats(), "file": files.get(stem), "warnings": len(item.warnings)}
        for stem, item in rendered.items()
    ]
    summary = {
        "files": len(rows),
        "flows_in": sum(row["flows_in"] for row in rows),
        "rules_out": sum(row["rules_out"] for row in rows),
        "elements_out": sum(row["elements_out"] for row in rows),
    }
    return Envelope("render", scope, summary, {"files": rows})


def is_folder(text: str, *, exists_as_dir: bool) -> bool:
    """``-o`` names a folder: it ends with a slash, or it is a directory already."""
    return text.endswith("/") or exists_as_dir


#: Flows a grouped warning names before "and N more" (each file's header lists every one).
SHOWN_SKIPS = 3


def skip_warnings(rendered: Mapping[str, Rendered]) -> list[str]:
    """One warning per reason flows were left out, counted across files, not one per flow."""
    by_reason: dict[str, list[tuple[str, Skipped]]] = {}
    for item in rendered.values():
        for skipped in item.skipped:
            by_reason.setdefault(skipped.why, []).append((item.subject, skipped))
    out = []
    for why, items in by_reason.items():
        if len(items) == 1:
            subject, skipped = items[0]
            out.append(f"{subject}: left out {skipped}")
            continue
        files = len({subject for subject, _ in items})
        shown = ", ".join(describe_flow(skipped.flow) for _, skipped in items[:SHOWN_SKIPS])
        more = f" and {len(items) - SHOWN_SKIPS} more" if len(items) > SHOWN_SKIPS else ""
        out.append(
            f"left out {len(items)} flows in {files} file{'s' if files != 1 else ''} ({why}): "
            f"{shown}{more}; each file's header lists them"
        )
    return out

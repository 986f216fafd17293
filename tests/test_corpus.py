"""The malformed-input corpus (tests/corpus/), every case driven through the CLI.

Each file names, in comment lines at its top, what it must give::

    # expect: 2 "a fragment of the message"
    # line: 12                       the file:line the message must name (packs, inventories)
    # args: resolve {file} ...       the command line (defaults below, by folder)
    # names: {fifo}                  the path the message must name, when it is not the file

``tests/corpus/packs`` are given as ``--catalog`` to ``port``, ``tests/corpus/inventories`` to
``resolve -o``; ``tests/corpus/args`` are command lines. Placeholders stand for things that
cannot be committed or must be fresh: a FIFO, a directory, a 17 MiB file, a folder holding a
user's own file, an empty output folder. Every case must end with exactly one line on stderr,
``portmatrix: error: ...``, with the expected fragment, the file (and line) it names, the
expected exit status, no traceback, and nothing left behind in any folder the test made.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"
DEFAULT_ARGS = {"packs": "port 80 --catalog {file}", "inventories": "resolve {file} -o {out}/m.txt"}
_HEADER = re.compile(r"^# (expect|line|args|names): (.*)$")


@dataclass(frozen=True)
class Case:
    path: Path
    status: int
    fragment: str
    line: int | None
    args: str
    names: str | None

    @classmethod
    def read(cls, path: Path) -> Case:
        fields: dict[str, str] = {}
        with path.open("rb") as handle:
            for raw in handle:
                found = _HEADER.match(raw.decode("utf-8", "replace").rstrip("\n"))
                if found is None:
                    break
                fields[found.group(1)] = found.group(2)
        status, fragment = fields["expect"].split(" ", 1)
        folder = path.parent.name
        return cls(
            path,
            int(status),
            fragment.strip('"'),
            int(fields["line"]) if "line" in fields else None,
            fields.get("args", DEFAULT_ARGS.get(folder, "")),
            fields.get("names", None if folder == "args" else "{file}"),
        )


CASES = sorted(path for path in CORPUS.rglob("*") if path.is_file() and path.name != "README.md")


def fixtures(tmp_path: Path, case: Case) -> dict[str, str]:
    """The placeholders' values, made fresh in ``tmp_path``."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "out").mkdir()
    (work / "dir").mkdir()
    (work / "plain.txt").write_text("a file\n")
    (work / "foreign").mkdir()
    (work / "foreign" / "notes.txt").write_text("the user's own\n")
    values = {
        "file": str(case.path),
        "example": str(EXAMPLE),
        "out": str(work / "out"),
        "dir": str(work / "dir"),
        "plain": str(work / "plain.txt"),
        "foreign": str(work / "foreign"),
    }
    if "{fifo}" in case.args:
        os.mkfifo(work / "pipe.yaml")
        values["fifo"] = str(work / "pipe.yaml")
    if "{big}" in case.args:
        with (work / "big.yaml").open("w") as handle:
            handle.write("name: big\ndescription: '" + "x" * (17 * 2**20) + "'\n")
        values["big"] = str(work / "big.yaml")
    return values


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_malformed_input_is_one_clean_line(path: Path, tmp_path: Path) -> None:
    case = Case.read(path)
    values = fixtures(tmp_path, case)
    before = tree(tmp_path)
    argv = [part.format(**values) for part in shlex.split(case.args)]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    err = result.stderr
    assert result.exit_code == case.status, err
    assert "Traceback" not in err and "Traceback" not in result.stdout
    assert err.count("\n") == 1 and err.startswith("portmatrix: error: "), err
    assert case.fragment in err, err
    if case.names is not None:
        named = case.names.format(**values)
        where = f"{named}:{case.line}: " if case.line is not None else named
        assert where in err, err
    assert len(err) < 2100
    assert tree(tmp_path) == before  # nothing half-written, no temporary left behind


def test_the_corpus_covers_every_class() -> None:
    kinds = {path.parent.name for path in CASES}
    assert kinds == {"packs", "inventories", "args"}
    assert len(CASES) >= 70

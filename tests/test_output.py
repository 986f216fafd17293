"""Writing results: whole files or none, folders all or nothing, the user's umask, one clean
line for every failure (issue 10, item 5)."""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix.change_request import COLUMNS, Wording, matrix_rows
from portmatrix.cli import main
from portmatrix.errors import OutputError
from portmatrix.exporters import Listing, Section, export_text, exporter_for
from portmatrix.exporters._cells import text_cell
from portmatrix.model import Exposure, Flow, Matrix, Protocol
from portmatrix.output import MANIFEST, atomic_directory, atomic_write, write_text

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duplex-cce.yaml"


@pytest.fixture
def umask_027() -> Iterator[None]:
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_follow_the_umask(tmp_path: Path, umask_027: None) -> None:
    write_text(tmp_path / "a.txt", "x")
    assert mode(tmp_path / "a.txt") == 0o640


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "rules.nft"
    target.write_text("old\n")
    target.chmod(0o600)
    write_text(target, "new")
    assert target.read_text() == "new\n" and mode(target) == 0o600


def test_a_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "rules.nft"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target) as handle:
        handle.write("half")
        raise RuntimeError("renderer failed")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["rules.nft"]


def test_a_symlink_is_followed_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_a_device_is_written_directly() -> None:
    write_text("/dev/null", "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/out.txt", "directory {tmp}/missing does not exist; create it, or pass --mkdir"),
        ("file.txt/out.txt", "{tmp}/file.txt is not a directory"),
        ("adir", "it is a directory; give a file name"),
    ],
)
def test_failures_are_one_output_error(tmp_path: Path, where: str, message: str) -> None:
    (tmp_path / "file.txt").write_text("x\n")
    (tmp_path / "adir").mkdir()
    with pytest.raises(OutputError) as caught:
        write_text(tmp_path / where, "x")
    assert message.format(tmp=tmp_path) in str(caught.value)


def test_proc_is_refused_cleanly() -> None:
    with pytest.raises(OutputError, match=r"cannot write /proc/portmatrix\.txt"):
        write_text("/proc/portmatrix.txt", "x")


def test_mkdir_makes_the_parents(tmp_path: Path, umask_027: None) -> None:
    write_text(tmp_path / "a" / "b" / "out.txt", "x", mkdir=True)
    assert (tmp_path / "a" / "b" / "out.txt").read_text() == "x\n"


# ------------------------------------------------------------------ folders


def test_a_folder_appears_whole(tmp_path: Path, umask_027: None) -> None:
    target = tmp_path / "rules"
    with atomic_directory(target) as folder:
        write_text(folder / "a.nft", "a")
        assert not target.exists()  # nothing is visible before the end
        write_text(folder / "b.nft", "b")
    assert sorted(os.listdir(target)) == [MANIFEST, "a.nft", "b.nft"]
    assert mode(target) == 0o750 and mode(target / "a.nft") == 0o640
    assert os.listdir(tmp_path) == ["rules"]


def test_a_failed_folder_leaves_the_old_one_untouched(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    with atomic_directory(target) as folder:
        write_text(folder / "a.nft", "old")
    with pytest.raises(RuntimeError), atomic_directory(target) as folder:
        write_text(folder / "a.nft", "new")
        raise RuntimeError("the second host failed")
    assert (target / "a.nft").read_text() == "old\n"
    assert os.listdir(tmp_path) == ["rules"]


def test_a_folder_portmatrix_wrote_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    with atomic_directory(target) as folder:
        write_text(folder / "gone.nft", "a host that left the inventory")
    with atomic_directory(target) as folder:
        write_text(folder / "kept.nft", "b")
    assert sorted(os.listdir(target)) == [MANIFEST, "kept.nft"]
    assert os.listdir(tmp_path) == ["rules"]


def test_a_folder_with_the_users_own_files_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    refused = pytest.raises(OutputError, match=r"holds files portmatrix did not write \(notes")
    with refused, atomic_directory(tmp_path) as folder:
        write_text(folder / "a.nft", "a")
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_a_folder_over_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rules").write_text("x\n")
    with pytest.raises(OutputError, match="it is a file"), atomic_directory(tmp_path / "rules"):
        pass


# ------------------------------------------------------------------ through the CLI


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    "target", ["missing/out.txt", "adir", "/proc/out.txt", "/sys/out.txt", "file.txt/x"]
)
def test_resolve_output_failures_are_one_line_exit_2(tmp_path: Path, target: str) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "file.txt").write_text("x\n")
    path = target if target.startswith("/") else str(tmp_path / target)
    before = sorted(os.listdir(tmp_path))
    code, err = run("resolve", str(EXAMPLE), "-o", path)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("portmatrix: error: ") and path in err
    assert sorted(os.listdir(tmp_path)) == before


def test_resolve_mkdir(tmp_path: Path) -> None:
    code, _ = run("resolve", str(EXAMPLE), "--format", "csv", "-o", str(tmp_path / "a/b.csv"))
    assert code == 2
    code, _ = run(
        "resolve", str(EXAMPLE), "--format", "csv", "-o", str(tmp_path / "a/b.csv"), "--mkdir"
    )
    assert code == 0 and (tmp_path / "a" / "b.csv").read_text().startswith("list,src,")


def test_render_every_host_is_all_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "fw"
    code, _ = run("render", "nftables", str(EXAMPLE), "-o", f"{target}/", "--force")
    assert code == 0
    first = sorted(os.listdir(target))
    assert MANIFEST in first and "cuc-pub.nft" in first and "index.json" in first
    (target / "cuc-pub.nft").write_text("edited\n")
    code, _ = run(
        "render", "nftables", str(EXAMPLE), "-o", str(target), "--force"
    )  # exists: a folder
    assert code == 0 and (target / "cuc-pub.nft").read_text() != "edited\n"
    assert sorted(os.listdir(target)) == first and os.listdir(tmp_path) == ["fw"]


def test_render_every_host_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    code, err = run("render", "nftables", str(EXAMPLE), "-o", str(tmp_path))
    assert code == 2 and "did not write (keep.txt)" in err
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_render_every_host_needs_mkdir_for_a_missing_parent(tmp_path: Path) -> None:
    target = tmp_path / "out" / "fw"
    code, err = run("render", "nftables", str(EXAMPLE), "-o", f"{target}/")
    assert code == 2 and "pass --mkdir" in err and not (tmp_path / "out").exists()
    code, _ = run("render", "nftables", str(EXAMPLE), "-o", f"{target}/", "--mkdir", "--force")
    assert code == 0 and (target / "cuc-pub.nft").is_file()


# ------------------------------------------------------------------ spreadsheet cells

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\x1b[31mred",
    "bell\x07inside",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_cells_that_would_run_are_text(text: str) -> None:
    cell = text_cell(text)
    assert isinstance(cell, str)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert not any(ord(char) < 32 and char not in "\t\n\r" for char in cell)


def test_plain_cells_pass_unchanged() -> None:
    assert text_cell("cce.router.rtfeed-a") == "cce.router.rtfeed-a"
    assert text_cell("40007-40010") == "40007-40010"
    assert text_cell(3) == 3 and text_cell("") == ""


def hostile_listing() -> Listing:
    flows = tuple(
        Flow(
            src=f"h{index}",
            dst="d",
            protocol=Protocol.TCP,
            port_start=80,
            port_end=80,
            rule="r",
            src_address="10.0.0.1/32",
            dst_address="10.0.0.2/32",
            purpose=text,
            source="doc table 1 row 1",
            exposure=Exposure.OPEN,
        )
        for index, text in enumerate(HOSTILE)
    )
    rows = matrix_rows(Matrix("t", {}, flows), Wording("en", {}))
    return Listing("t", tuple(Section(k, k, v) for k, v in rows.lists().items()))


def test_csv_neutralises_every_hostile_purpose() -> None:
    rows = list(csv.DictReader(io.StringIO(export_text(exporter_for("csv"), hostile_listing()))))
    assert [row["purpose"][0] for row in rows] == ["'"] * 7 + ["b"]


def test_xlsx_neutralises_and_never_crashes(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "m.xlsx"
    with atomic_write(path, mode="wb") as handle:
        exporter_for("xlsx").write(hostile_listing(), handle)
    sheet = load_workbook(path)["Requests"]
    column = COLUMNS.index("purpose")
    purposes = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(purposes) == len(HOSTILE)
    assert all(isinstance(value, str) and not value.startswith("=") for value in purposes)
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert purposes[-1] == "bell\\x07inside"

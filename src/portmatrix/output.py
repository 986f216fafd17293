"""Writing results: a whole file or none, a whole folder or none, as any Unix tool would.

A firewall file cut off half-way is worse than no file: it loads, and it lacks rules. So every
file is written to a temporary file beside its target and renamed over it only once complete,
and a folder of files (every host's rules) is written into a temporary folder beside its target
that replaces the target in one step. A failure of any kind (a read-only place, a missing
directory, a path that is a directory, a full disk, ``/proc``) is one :class:`OutputError`
naming the path, and leaves what was there before untouched.

Files get the permissions the user's umask gives a new file (``mkstemp`` alone would make them
0600), or keep the mode of the file they replace. A missing parent directory is an error unless
the caller asks for it to be made (``mkdir=True``; ``--mkdir`` on the command line), so a typo
in a path never scatters directories. An existing device or FIFO (``-o /dev/stdout``) is written
to directly: it cannot be replaced, and renaming over it would replace the device node.
See ``docs/input-safety.md``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from portmatrix.errors import OutputError

#: The file, inside a folder written by :func:`atomic_directory`, listing what portmatrix wrote.
MANIFEST = ".portmatrix-files"

_RENAME_EXCHANGE = 2  # <linux/fs.h>
_AT_FDCWD = -100


def current_umask() -> int:
    """The process's umask, read without changing it where Linux lets us (``/proc``)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it and set it back
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    return 0o666 & ~current_umask()


def _fail(path: str | Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


def _ensure_parent(path: Path, shown: str | Path, *, mkdir: bool) -> None:
    parent = path.parent
    if parent.is_dir():
        return
    if parent.exists():
        raise OutputError(f"cannot write {shown}: {parent} is not a directory")
    if not mkdir:
        raise OutputError(
            f"cannot write {shown}: directory {parent} does not exist; "
            "create it, or pass --mkdir to have it made"
        )
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(shown, exc) from exc


def _real_target(path: Path) -> Path:
    """Where writing ``path`` lands: a symlink's target is replaced, not the link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextlib.contextmanager
def atomic_write(path: str | Path, *, mode: str = "w", mkdir: bool = False) -> Iterator[Any]:
    """A handle whose content replaces ``path`` only when the ``with`` block ends cleanly.

    Anything raised inside the block removes the temporary file and leaves ``path`` as it
    was; an ``OSError`` while writing becomes an :class:`OutputError` naming ``path``.
    """
    shown = path
    target = _real_target(Path(path))
    encoding = None if "b" in mode else "utf-8"
    try:
        status = os.stat(target)
    except OSError:
        status = None
    if status is not None and stat.S_ISDIR(status.st_mode):
        raise OutputError(f"cannot write {shown}: it is a directory; give a file name")
    if status is not None and (stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode)):
        with _direct(target, shown, mode, encoding) as handle:
            yield handle
        return
    _ensure_parent(target, shown, mkdir=mkdir)
    permissions = stat.S_IMODE(status.st_mode) if status is not None else new_file_mode()
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _fail(shown, exc) from exc
    try:
        with open(fd, mode, encoding=encoding) as handle:
            os.fchmod(fd, permissions)
            yield handle
        os.replace(tmp, target)
    except OSError as exc:
        _remove_file(tmp)
        raise _fail(shown, exc) from exc
    except BaseException:
        _remove_file(tmp)
        raise


@contextlib.contextmanager
def _direct(target: Path, shown: str | Path, mode: str, encoding: str | None) -> Iterator[IO[Any]]:
    try:
        with open(target, mode, encoding=encoding) as handle:
            yield handle
    except OSError as exc:
        raise _fail(shown, exc) from exc


def _remove_file(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_text(path: str | Path, text: str, *, mkdir: bool = False) -> None:
    """``text`` as the whole of ``path`` (a final newline added if missing), atomically."""
    with atomic_write(path, mkdir=mkdir) as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


# --------------------------------------------------------------------------- folders


def _check_replaceable(path: Path) -> None:
    """An existing folder is replaced only when it is empty or portmatrix wrote all of it.

    ``-o .`` or ``-o ~`` must never delete a user's own files to make room for firewall rules.
    """
    try:
        present = set(os.listdir(path))
    except OSError as exc:
        raise _fail(path, exc) from exc
    if not present:
        return
    try:
        listed = set((path / MANIFEST).read_text(encoding="utf-8").split("\n")) - {""}
    except (OSError, UnicodeDecodeError):
        listed = set()
    foreign = sorted(present - listed - {MANIFEST})
    if MANIFEST not in present or foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise OutputError(
            f"cannot write into {path}: it holds files portmatrix did not write ({shown}); "
            "give a new or empty directory"
        )


@contextlib.contextmanager
def atomic_directory(path: str | Path, *, mkdir: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``path`` that becomes ``path`` when the block ends cleanly.

    The caller writes every file into the folder it is given. On success the folder gets a
    :data:`MANIFEST` of its files and takes the place of ``path`` in one rename (an existing
    ``path`` is swapped out atomically where the kernel can, then removed); on any failure it
    is removed and ``path`` is left exactly as it was. All or nothing.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise OutputError(f"cannot write into {path}: it is a file, and this writes a directory")
    _ensure_parent(target, path, mkdir=mkdir)
    if target.is_dir():
        _check_replaceable(target)
    try:
        folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
        os.chmod(folder, 0o777 & ~current_umask())
    except OSError as exc:
        raise _fail(path, exc) from exc
    try:
        yield folder
        names = sorted(name for name in os.listdir(folder) if name != MANIFEST)
        (folder / MANIFEST).write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
        os.chmod(folder / MANIFEST, new_file_mode())
        _put_in_place(folder, target)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise _fail(path, exc) from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _put_in_place(folder: Path, target: Path) -> None:
    if not target.exists():
        os.rename(folder, target)
        return
    if _exchange(folder, target):  # ``folder`` now holds the old contents
        shutil.rmtree(folder, ignore_errors=True)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.rename(target, old / "previous")
    try:
        os.rename(folder, target)
    except OSError:
        os.rename(old / "previous", target)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


@functools.cache
def _renameat2() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library older than glibc 2.28
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    call = _renameat2()
    if call is None:
        return False
    done = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(done == 0)

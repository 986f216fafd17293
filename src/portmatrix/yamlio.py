"""YAML in, with line numbers kept, and files out without ever leaving half a file behind.

pydantic reports *where* in the data a value is wrong (``hosts.3.roles.1.side``); users need
*where in the file*. We compose the YAML node tree once, remember the line of every path, and
translate validation errors through that map.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from portmatrix.errors import InputError

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

# The C loader is several times faster on the bundled packs; not every PyYAML build has it.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathKey = tuple[str | int, ...]


class LineMap:
    """Line numbers (1-based) of every mapping key and sequence item in a YAML document."""

    def __init__(self, lines: dict[PathKey, int]):
        self._lines = lines

    def line(self, path: PathKey) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        key = tuple(path)
        while True:
            if key in self._lines:
                return self._lines[key]
            if not key:
                return None
            key = key[:-1]


def _walk(node: yaml.Node, path: PathKey, into: dict[PathKey, int]) -> None:
    into.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            into[child] = key_node.start_mark.line + 1
            _walk(value_node, child, into)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), into)


def read_input(path: str | Path, *, error: type[InputError] = InputError) -> str:
    """A user's input file as text, or ``error`` naming the file (missing, unreadable, not UTF-8)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error("no such file", file=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read: {exc}", file=path) from exc


def load_yaml(path: str | Path, *, error: type[InputError] = InputError) -> tuple[Any, LineMap]:
    """Parse a YAML file into plain data plus its line map, or raise ``error`` at file:line."""
    return parse_yaml(read_input(path, error=error), name=str(path), error=error)


def parse_yaml(
    text: str, *, name: str, error: type[InputError] = InputError
) -> tuple[Any, LineMap]:
    loader = _Loader(text)
    try:  # one parse: compose the node tree (for lines), then construct data from it
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"invalid YAML: {problem}", file=name, line=line) from exc
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML: {exc}", file=name) from exc
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, LineMap(lines)


ModelT = TypeVar("ModelT")


def validate_document(
    model: type[ModelT],
    data: Any,
    *,
    file: str,
    lines: LineMap,
    error: type[InputError],
    expects: str,
) -> ModelT:
    """``data`` as ``model``, or ``error`` at the file:line of the first problem.

    ``expects`` says in words what the top of the document should be, for files that are not
    even a mapping (an empty file, a list pasted by mistake).
    """
    from pydantic import (
        ValidationError,
    )  # only here: a look-up from the compiled catalog never pays for it

    if not isinstance(data, dict):
        raise error(expects, file=file, line=1)
    try:
        validated: ModelT = adapter(model).validate_python(data)
        return validated
    except ValidationError as exc:
        raise validation_error(exc, file=file, lines=lines, error=error) from exc


_ADAPTERS: dict[type[Any], Any] = {}


def adapter(model: type[ModelT]) -> TypeAdapter[ModelT]:
    """pydantic's validator for one of the record classes, built once per process."""
    from pydantic import TypeAdapter

    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(model)
    found: TypeAdapter[ModelT] = _ADAPTERS[model]
    return found


def validation_error(
    exc: ValidationError,
    *,
    file: str | Path,
    lines: LineMap,
    error: type[InputError],
    prefix: PathKey = (),
) -> InputError:
    """The first pydantic complaint as one user-facing line at its file:line."""
    first = exc.errors()[0]
    loc = (*prefix, *first["loc"])
    where = ".".join(str(part) for part in loc) or "top level"
    message = first["msg"]
    if first["type"] in ("missing", "missing_keyword_only_argument", "missing_argument"):
        message = "required field is missing"
    elif first["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        message = "unknown field (check the spelling against the schema)"
    return error(f"{where}: {message}", file=file, line=lines.line(loc))


def _new_file_mode() -> int:
    mask = os.umask(0o022)  # the only portable way to read the umask is to set it back
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_write(path: str | Path, *, mode: str = "w") -> Iterator[Any]:
    """Write to a temporary file beside ``path`` and rename it into place only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _new_file_mode())  # mkstemp makes 0600; a new file follows the umask
        encoding = None if "b" in mode else "utf-8"
        with open(fd, mode, encoding=encoding) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise

"""YAML in, with line numbers kept, read so that no file can hurt or be misread.

pydantic reports *where* in the data a value is wrong (``hosts.3.roles.1.side``); users need
*where in the file*. We compose the YAML node tree once, remember the line of every path, and
translate validation errors through that map.

portmatrix turns these files into firewall rules, so a file that is *misread* is as bad as one
that is refused too late. Composition is therefore ours (:class:`_Composer`, driven by libyaml's
event parser where PyYAML has it, so the bundled packs still load at C speed) and refuses, at
the line concerned, everything YAML would otherwise accept silently or expensively:

* aliases that expand past :attr:`YamlLimits.max_nodes` nodes (a "billion laughs" document is
  refused while it is composed, after a few thousand events, without growing memory) and
  nesting deeper than :attr:`YamlLimits.max_depth`; recursive aliases;
* a key that appears twice in one mapping (a second ``ports:`` would silently replace the
  first), and keys that are not text (``on:`` is the boolean true in YAML 1.1, ``1:`` a number);
* values YAML 1.1 reads as something other than they look: dates, octal (``0443`` is 291),
  base-60 (``20:30`` is 1230), NaN and infinity, integers of more than
  :attr:`YamlLimits.max_int_digits` digits, and tags beyond plain text, numbers, true/false,
  null, lists and mappings (``!!binary``, ``!!set``, ``!!timestamp``, ``!foo``).

Input files are read by :func:`read_input`, which refuses directories, FIFOs, devices and
oversized files before reading a byte. ``docs/input-safety.md`` lists every limit.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from portmatrix.errors import InputError
from portmatrix.output import atomic_write

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

__all__ = [
    "MAX_INPUT_BYTES",
    "LineMap",
    "YamlLimits",
    "adapter",
    "atomic_write",  # its home is portmatrix.output; kept here for the callers of its old home
    "load_yaml",
    "parse_yaml",
    "read_input",
    "validate_document",
    "validation_error",
]

# libyaml's event parser is several times faster on the bundled packs; not every PyYAML build
# has it. Only its events are used: composition (where the limits live) is ours.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PathKey = tuple[str | int, ...]

#: The largest input file of any kind (rulesets included) read at all.
MAX_INPUT_BYTES = 64 * 2**20


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """How big a YAML document may be, counted as it is composed.

    ``max_nodes`` counts every node as if each alias were written out in full, which is what
    validation and resolution would have to walk; the largest realistic inventory (7,000
    endpoints) has about 100,000. ``max_depth`` is far beyond the six levels a pack needs.
    """

    max_bytes: int = 16 * 2**20
    max_nodes: int = 1_000_000
    max_depth: int = 64
    max_int_digits: int = 100


DEFAULT_LIMITS = YamlLimits()


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


def _walk(node: Node, path: PathKey, into: dict[PathKey, int]) -> None:
    into.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            into[child] = key_node.start_mark.line + 1
            _walk(value_node, child, into)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), into)


# --------------------------------------------------------------------------- reading files

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _size_text(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size:,} bytes"


def read_input(
    path: str | Path, *, error: type[InputError] = InputError, limit: int = MAX_INPUT_BYTES
) -> str:
    """A user's input file as text, or ``error`` naming the file.

    The file is looked at before it is read: a directory, FIFO, device or socket is refused
    (reading a FIFO would wait forever for a writer, a device might never end), and so is a
    file over ``limit`` bytes. It is opened with ``O_NONBLOCK`` and checked again once open,
    so a file swapped for a FIFO between the two looks cannot hang the read either.
    """
    path = Path(path)
    try:
        kind = _not_regular(os.stat(path).st_mode)
        if kind is not None:
            raise error(f"is {kind}, not a file; give the path of a file", file=path)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    except FileNotFoundError as exc:
        raise error("no such file", file=path) from exc
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", file=path) from exc
    with open(descriptor, "rb", closefd=True) as handle:
        data = _read_bounded(handle, path=path, error=error, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
            file=path,
            line=line,
        ) from exc


def _read_bounded(handle: Any, *, path: Path, error: type[InputError], limit: int) -> bytes:
    try:
        status = os.fstat(handle.fileno())
        kind = _not_regular(status.st_mode)
        if kind is not None:
            raise error(f"is {kind}, not a file; give the path of a file", file=path)
        if status.st_size > limit:
            raise _too_big(status.st_size, limit, path, error)
        data: bytes = handle.read(limit + 1)  # /proc files report size 0: count what arrives
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", file=path) from exc
    if len(data) > limit:
        raise _too_big(len(data), limit, path, error)
    return data


def _too_big(size: int, limit: int, path: str | Path, error: type[InputError]) -> InputError:
    return error(
        f"is {_size_text(size)}, over the {_size_text(limit)} limit for this kind of file",
        file=path,
    )


# --------------------------------------------------------------------------- composing YAML

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + kind for kind in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _MERGE})
_BOOL_WORDS = frozenset({"yes", "no", "true", "false", "on", "off"})
_PLAIN = "put it in quotes if you mean the text"


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


@dataclass
class _Composer:
    """Builds the node tree from parser events, refusing at the line what must not pass.

    Every node is counted as it is composed, an alias as the whole subtree it stands for, so a
    document of nested aliases is refused as soon as its expansion passes the limit, long
    before anything would walk it.
    """

    loader: Any
    fail: Callable[[str, Any], NoReturn]
    limits: YamlLimits
    anchors: dict[str, Node] = field(default_factory=dict)
    sizes: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (nodes, height)
    composing: set[int] = field(default_factory=set)  # collections not yet closed
    total: int = 0

    def document(self) -> Node | None:
        self.loader.get_event()  # stream start
        if self.loader.check_event(StreamEndEvent):
            return None
        self.loader.get_event()  # document start
        node, _ = self.node(depth=1)
        self.loader.get_event()  # document end
        if not self.loader.check_event(StreamEndEvent):
            event = self.loader.get_event()
            self.fail(
                "a second YAML document ('---') in one file; give each document a file", event
            )
        return node

    def count(self, nodes: int, event: Any) -> None:
        self.total += nodes
        if self.total > self.limits.max_nodes:
            self.fail(
                f"the document expands to more than {self.limits.max_nodes:,} values "
                "(aliases repeated inside aliases?); write it out plainly",
                event,
            )

    def node(self, *, depth: int) -> tuple[Node, int]:
        """The next node and its height (1 for a scalar).

        Path resolvers are never consulted (SafeLoader has none), so there is no
        ``descend_resolver``/``ascend_resolver`` bookkeeping per node.
        """
        event = self.loader.peek_event()
        if isinstance(event, AliasEvent):
            return self.alias(self.loader.get_event(), depth)
        if depth > self.limits.max_depth:
            self.fail(f"nested more than {self.limits.max_depth} levels deep", event)
        anchor = event.anchor
        if anchor is not None and anchor in self.anchors:
            self.fail(f"anchor &{anchor} is defined twice", event)
        before = self.total
        node: Node
        if isinstance(event, ScalarEvent):
            node, height = self.scalar(anchor), 1
        elif isinstance(event, SequenceStartEvent):
            node, height = self.sequence(anchor, depth)
        else:
            node, height = self.mapping(anchor, depth)
        if anchor is not None:
            self.sizes[id(node)] = (self.total - before, height)
        return node, height

    def alias(self, event: Any, depth: int) -> tuple[Node, int]:
        target = self.anchors.get(event.anchor)
        if target is None:
            self.fail(f"alias *{event.anchor} names no anchor defined above it", event)
        if id(target) in self.composing:
            self.fail(f"alias *{event.anchor} refers to itself", event)
        nodes, height = self.sizes[id(target)]
        if depth + height - 1 > self.limits.max_depth:
            self.fail(f"nested more than {self.limits.max_depth} levels deep", event)
        self.count(nodes, event)
        return target, height

    def scalar(self, anchor: str | None) -> ScalarNode:
        event = self.loader.get_event()
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        self.check_scalar(tag, event)
        self.count(1, event)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        if anchor is not None:
            self.anchors[anchor] = node
        return node

    def sequence(self, anchor: str | None, depth: int) -> tuple[SequenceNode, int]:
        start = self.loader.get_event()
        self.check_collection(start, _SEQ, "list")
        self.count(1, start)
        node = SequenceNode(_SEQ, [], start.start_mark, None, flow_style=start.flow_style)
        self.open(node, anchor)
        height = 0
        while not isinstance(self.loader.peek_event(), SequenceEndEvent):
            item, item_height = self.node(depth=depth + 1)
            node.value.append(item)
            height = max(height, item_height)
        node.end_mark = self.loader.get_event().end_mark
        self.composing.discard(id(node))
        return node, height + 1

    def mapping(self, anchor: str | None, depth: int) -> tuple[MappingNode, int]:
        start = self.loader.get_event()
        self.check_collection(start, _MAP, "mapping")
        self.count(1, start)
        node = MappingNode(_MAP, [], start.start_mark, None, flow_style=start.flow_style)
        self.open(node, anchor)
        height = 0
        seen: dict[str, int] = {}
        while not isinstance(self.loader.peek_event(), MappingEndEvent):
            key_event = self.loader.peek_event()
            key, _ = self.node(depth=depth + 1)
            self.check_key(key, key_event, seen)
            value, value_height = self.node(depth=depth + 1)
            node.value.append((key, value))
            height = max(height, value_height)
        node.end_mark = self.loader.get_event().end_mark
        self.composing.discard(id(node))
        return node, height + 1

    def open(self, node: Node, anchor: str | None) -> None:
        self.composing.add(id(node))
        if anchor is not None:
            self.anchors[anchor] = node

    def check_collection(self, event: Any, tag: str, what: str) -> None:
        given = event.tag
        if given is not None and given != "!" and given != tag:
            self.fail(f"the tag {_tag_name(given)} is not allowed on a {what}; remove it", event)

    def check_key(self, key: Node, event: Any, seen: dict[str, int]) -> None:
        if key.tag == _MERGE:
            return
        if not isinstance(key, ScalarNode):
            self.fail("a key must be text, not a list or a mapping", event)
        if key.tag != _STR:
            kind = {_INT: "a number", _FLOAT: "a number", _BOOL: "true/false", _NULL: "null"}
            self.fail(
                f"the key {key.value!r} is read as {kind.get(key.tag, _tag_name(key.tag))}, "
                f"not text; {_PLAIN}",
                event,
            )
        first = seen.get(key.value)
        if first is not None:
            self.fail(
                f"the key {key.value!r} appears twice in one mapping (first on line {first}); "
                "the second would silently replace the first",
                event,
            )
        seen[key.value] = key.start_mark.line + 1

    def check_scalar(self, tag: str, event: Any) -> None:
        value: str = event.value
        if tag not in _SCALAR_TAGS:
            if tag == _TAG + "timestamp":
                self.fail(f"{value!r} is read as a date; {_PLAIN}", event)
            self.fail(
                f"the tag {_tag_name(tag)} is not allowed; portmatrix files hold only text, "
                "numbers, true/false, null, lists and mappings",
                event,
            )
        problem = _scalar_problem(tag, value, self.limits)
        if problem is not None:
            self.fail(problem, event)


def _scalar_problem(tag: str, value: str, limits: YamlLimits) -> str | None:
    """Why a scalar YAML would read as ``tag`` must be refused, or None."""
    if tag == _INT:
        return _int_problem(value, limits)
    if tag == _FLOAT:
        try:
            number = float(
                value.replace("_", "").lower().replace(".inf", "inf").replace(".nan", "nan")
            )
        except ValueError:
            return f"{value!r} is not a number"
        if not math.isfinite(number):
            return f"{value!r} is not a finite number; {_PLAIN}"
    if tag == _BOOL and value.lower() not in _BOOL_WORDS:
        return f"{value!r} is not true or false"
    return None


def _int_problem(value: str, limits: YamlLimits) -> str | None:
    digits = value.replace("_", "").lstrip("+-")
    if ":" in digits:
        return f"{value!r} is read as a base-60 number (YAML 1.1); {_PLAIN}"
    if len(digits) > limits.max_int_digits:
        return f"a number of {len(digits):,} digits is too large for any field"
    base = {"0x": 16, "0b": 2}.get(digits[:2].lower(), 10)
    if base == 10 and len(digits) > 1 and digits.startswith("0"):
        return f"{value!r} has a leading zero, which YAML reads as an octal number; {_PLAIN}"
    try:
        int(digits[2:] if base != 10 else digits, base)
    except ValueError:
        return f"{value!r} is not a number"
    return None


def load_yaml(
    path: str | Path, *, error: type[InputError] = InputError, limits: YamlLimits = DEFAULT_LIMITS
) -> tuple[Any, LineMap]:
    """Parse a YAML file into plain data plus its line map, or raise ``error`` at file:line."""
    text = read_input(path, error=error, limit=limits.max_bytes)
    return parse_yaml(text, name=str(path), error=error, limits=limits)


def parse_yaml(
    text: str,
    *,
    name: str,
    error: type[InputError] = InputError,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> tuple[Any, LineMap]:
    """YAML text as plain data plus its line map; every refusal is ``error`` at name:line."""
    if len(text) > limits.max_bytes:
        raise _too_big(len(text), limits.max_bytes, name, error)

    def fail(message: str, event: Any) -> NoReturn:
        raise error(message, file=name, line=event.start_mark.line + 1)

    loader = _Loader(text)
    try:  # one parse: compose the node tree (for lines), then construct data from it
        node = _Composer(loader, fail, limits).document()
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


# --------------------------------------------------------------------------- validating

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

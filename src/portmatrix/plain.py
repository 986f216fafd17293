"""Records to plain JSON-ready data and back, for data that has already been validated.

The compiled catalog (the bundled packs, validated once when they were compiled) and the JSON
outputs use this; user files never do: they go through pydantic
(:func:`portmatrix.yamlio.validate_document`). Converters are built once per type from the
dataclasses' own annotations, so loading a few thousand records costs milliseconds and imports
nothing heavy.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")
Converter = Callable[[Any], Any]


def to_plain(value: Any) -> Any:
    """Dataclasses as dicts (every field), enums as their values, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.name: to_plain(getattr(value, item.name))
            for item in dataclasses.fields(value)
            if not item.name.startswith("_")
        }
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "_asdict"):  # a named tuple record such as Flow
        return {key: to_plain(item) for key, item in value._asdict().items()}
    if isinstance(value, tuple | list):
        return [to_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_plain(item) for key, item in value.items()}
    return value


def from_plain(cls: type[T], data: Any) -> T:
    """``cls`` rebuilt from what :func:`to_plain` made of it (no validation: trusted data)."""
    hint: Any = cls
    rebuilt: T = _converter(hint)(data)
    return rebuilt


def _identity(value: Any) -> Any:
    return value


@cache
def _converter(hint: Any) -> Converter:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_converter(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _converter(args[0])
        return lambda value: tuple(item(element) for element in value)
    if origin is list:
        item = _converter(args[0])
        return lambda value: [item(element) for element in value]
    if origin is dict:
        item = _converter(args[1])
        if item is _identity:
            return dict
        return lambda value: {key: item(element) for key, element in value.items()}
    if origin is typing.Union or origin is types.UnionType:
        return _union_converter(args)
    return _identity


def _list_as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _union_converter(args: tuple[Any, ...]) -> Converter:
    """Optional records and enums; other unions (scalars, lists of scalars) stay as they are."""
    special = [
        arg
        for arg in args
        if isinstance(arg, type) and (dataclasses.is_dataclass(arg) or issubclass(arg, enum.Enum))
    ]
    if not special:
        if any(typing.get_origin(arg) is tuple for arg in args):
            return _list_as_tuple  # a list option's default: JSON has lists, records tuples
        return _identity
    if len(special) > 1:
        raise TypeError(f"cannot rebuild an ambiguous union of {special}")
    inner = _converter(special[0])
    return lambda value: None if value is None else inner(value)


def _dataclass_converter(cls: type) -> Converter:
    hints = typing.get_type_hints(cls)
    fields = [
        (item.name, _converter(hints[item.name]))
        for item in dataclasses.fields(cls)
        if not item.name.startswith("_")
    ]

    def convert(value: Any) -> Any:
        return cls(**{name: make(value[name]) for name, make in fields if name in value})

    return convert

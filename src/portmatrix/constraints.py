"""Validation rules attached to plain dataclass fields, free until a file is validated.

The records in :mod:`portmatrix.model` are stdlib dataclasses so that a look-up never imports
pydantic. pydantic still validates the files (packs, inventories) against those same classes,
and it reads these markers from ``Annotated[...]`` through the ``__get_pydantic_core_schema__``
hook; pydantic is imported only inside that hook, at validation time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    """A constraint pydantic enforces and writes into the JSON Schema.

    ``pattern`` for text, ``ge`` for numbers, ``min_length`` for lists: each is a key of the
    core schema pydantic builds for the field's type.
    """

    pattern: str | None = None
    ge: int | None = None
    min_length: int | None = None

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        schema = dict(handler(source))
        for key in ("pattern", "ge", "min_length"):
            value = getattr(self, key)
            if value is not None:
                schema[key] = value
        return schema


@dataclass(frozen=True, slots=True)
class Before:
    """Reshape raw input before the field is validated (shorthands, numbers given as text)."""

    func: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.func, handler(source))


def pattern(regex: str) -> Rule:
    return Rule(pattern=regex)


def at_least(value: int) -> Rule:
    return Rule(ge=value)


NON_EMPTY = Rule(min_length=1)

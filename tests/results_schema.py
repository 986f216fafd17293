"""Validate a JSON result against the committed schema of its kind (``schemas/result-*.json``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@cache
def validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"result-{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def validated(text: str) -> dict[str, Any]:
    """The parsed result, after checking it against the schema its ``kind`` names."""
    result: dict[str, Any] = json.loads(text)
    validator(result["kind"]).validate(result)
    return result

"""JSON Schemas for the file formats and for every JSON result, generated and committed.

Editors and CI pipelines validate packs and inventories against ``schemas/*.schema.json``, and
programs reading portmatrix's output validate it against ``schemas/result-<kind>.schema.json``
(the records of :mod:`portmatrix.results`). A test regenerates them all and fails on drift, so
the committed files never disagree with the code. Run ``python -m portmatrix.schema --write``
(or ``make schema``) after changing a model or a result.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from portmatrix.audit.report import AuditReport
from portmatrix.model import Inventory, Pack
from portmatrix.yamlio import adapter

SCHEMAS: dict[str, type[Any]] = {
    "catalog-pack.schema.json": Pack,
    "inventory.schema.json": Inventory,
    "audit-report.schema.json": AuditReport,  # what `portmatrix audit --format json` prints
}
SERIALIZED = {"audit-report.schema.json"}  # output documents: the schema of what is written
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def generate() -> dict[str, str]:
    """File name -> schema text, stable across runs (sorted keys, trailing newline)."""
    schemas: dict[str, dict[str, Any]] = {}
    for name, model in SCHEMAS.items():
        mode: Literal["validation", "serialization"] = (
            "serialization" if name in SERIALIZED else "validation"
        )
        schemas[name] = adapter(model).json_schema(mode=mode)
    schemas.update(result_schemas())
    out: dict[str, str] = {}
    for name, schema in schemas.items():
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://portmatrix.invalid/schemas/{name}"
        out[name] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def result_schemas() -> dict[str, dict[str, Any]]:
    """``result-<kind>.schema.json`` for every JSON result kind, as written (serialised)."""
    from pydantic import TypeAdapter

    from portmatrix.results import RESULTS

    out = {}
    for kind, record in RESULTS.items():
        schema: dict[str, Any] = TypeAdapter(record).json_schema(mode="serialization")
        source = schema.get("$defs", {}).get("SourceRef")
        if source is not None:  # entries carry their reference also as one string
            source["properties"]["text"] = {"type": "string", "title": "Text"}
            source["required"] = [*source.get("required", []), "text"]
        out[f"result-{kind}.schema.json"] = schema
    return out


def main(argv: list[str]) -> int:
    texts = generate()
    if "--write" in argv:
        SCHEMA_DIR.mkdir(exist_ok=True)
        for name, text in texts.items():
            (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
        return 0
    stale = [
        name
        for name, text in texts.items()
        if not (SCHEMA_DIR / name).is_file()
        or (SCHEMA_DIR / name).read_text(encoding="utf-8") != text
    ]
    for name in stale:
        print(f"schemas/{name} is out of date; run `make schema`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The committed JSON Schemas match the models they are generated from."""

from __future__ import annotations

import json

import pytest

from portmatrix import schema

GENERATED = schema.generate()


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_committed_schema_matches_the_models(name: str) -> None:
    committed = (schema.SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == GENERATED[name], f"schemas/{name} drifted; run `make schema`"


def test_every_committed_schema_is_generated() -> None:
    assert sorted(p.name for p in schema.SCHEMA_DIR.glob("*.json")) == sorted(GENERATED)
    assert {f"result-{kind}.schema.json" for kind in ("matrix", "check", "probe")} <= set(GENERATED)


def test_result_rows_have_the_workbook_columns() -> None:
    from portmatrix.change_request import COLUMNS
    from portmatrix.results import RequestItem

    assert tuple(RequestItem.__annotations__) == COLUMNS


def test_schema_forbids_unknown_keys() -> None:
    pack = json.loads(schema.generate()["catalog-pack.schema.json"])
    assert pack["additionalProperties"] is False
    assert pack["$defs"]["CatalogEntry"]["additionalProperties"] is False


def test_check_mode_reports_drift(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "SCHEMA_DIR", tmp_path)
    assert schema.main([]) == 1
    assert schema.main(["--write"]) == 0
    assert schema.main([]) == 0


def test_port_matches_have_the_look_up_fields() -> None:
    from portmatrix.portindex import PortMatch
    from portmatrix.results import PortMatchItem

    assert tuple(PortMatchItem.__annotations__) == PortMatch._fields

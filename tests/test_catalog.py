"""The bundled catalog: every document row present, look-ups right, bad packs refused clearly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from portmatrix import portspec
from portmatrix.catalog import Catalog, load_catalog
from portmatrix.errors import CatalogError
from portmatrix.lookup import PortFinder, find_port, search
from portmatrix.model import PortsAt, Protocol

DATA = Path(__file__).resolve().parent / "data"
SEEDS = ("000_e0967b9895897e12.txt", "004_22b27dfc6c049eaa.txt")
ROW_INDEXES = ("rows_cuc.yaml", "rows_cce_a.yaml", "rows_cce_b.yaml")
FACT_FILES = ("facts_cuc.yaml", "facts_cce_a.yaml", "facts_cce_b.yaml")


def _row_index() -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for name in ROW_INDEXES:
        data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        for document, tables in data.items():
            for table, rows in tables.items():
                counts[(document, str(table))] = counts.get((document, str(table)), 0) + len(rows)
    return counts


def _facts() -> list[dict[str, object]]:
    facts: list[dict[str, object]] = []
    for name in FACT_FILES:
        data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        facts.extend(data["facts"] if isinstance(data, dict) else data)
    return facts


def test_every_document_table_is_indexed() -> None:
    tables = {key for key in _row_index()}
    assert {doc for doc, _ in tables} == set(SEEDS)
    cce_tables = {table for doc, table in tables if doc == SEEDS[1]}
    assert cce_tables >= {str(n) for n in range(1, 15)} | {"genesys"}
    assert {table for doc, table in tables if doc == SEEDS[0]} == {"1-1", "1-2"}


def test_entry_count_per_table_matches_the_hand_made_row_index(catalog: Catalog) -> None:
    expected = _row_index()
    actual = Counter((entry.source.document, entry.source.table) for entry in catalog.entries)
    assert dict(actual) == expected


def test_rows_are_numbered_once_each(catalog: Catalog) -> None:
    rows: dict[tuple[str, str], list[int]] = {}
    for entry in catalog.entries:
        rows.setdefault((entry.source.document, entry.source.table), []).append(entry.source.row)
    for key, numbers in rows.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), key


def test_ids_are_unique_and_products_known(catalog: Catalog) -> None:
    assert len(catalog.by_id) == len(catalog.entries)
    assert {entry.product for entry in catalog.entries} == {"cuc", "cce"}


@pytest.mark.parametrize(
    "fact",
    _facts(),
    ids=lambda f: (
        f"{f.get('protocol')}/{f.get('port')}-{f.get('id')}" if isinstance(f, dict) else str(f)
    ),
)
def test_reverse_lookup_facts(catalog: Catalog, fact: dict[str, object]) -> None:
    matches = find_port(
        catalog,
        int(str(fact["port"])),
        protocol=Protocol(str(fact["protocol"])),
        include_ephemeral=True,
    )
    wanted = [m for m in matches if m.id == fact["id"]]
    assert wanted, f"{fact['id']} not among {[m.id for m in matches]}"
    if fact.get("instance") is not None or fact.get("side") is not None:
        assert any(
            m.instance == fact.get("instance") and m.side == fact.get("side") for m in wanted
        ), [(m.instance, m.side) for m in wanted]


def test_router_rtfeed_solved_backwards(catalog: Catalog) -> None:
    hits = [m for m in find_port(catalog, 40087, protocol=Protocol.TCP) if m.instance == 2]
    assert any(m.side == "A" and "rtfeed" in m.id for m in hits), hits


def test_max_instance_bounds_the_search(catalog: Catalog) -> None:
    port = 40007 + 10 * 40
    assert any(m.instance == 10 for m in find_port(catalog, port, max_instance=24))
    assert not any(m.instance == 10 for m in find_port(catalog, port, max_instance=5))


@settings(max_examples=25, deadline=None)
@given(
    ports=st.lists(
        st.one_of(st.integers(1, 65535), st.integers(40000, 40200), st.integers(1020, 1030)),
        min_size=1,
        max_size=8,
    ),
    protocol=st.sampled_from([None, Protocol.TCP, Protocol.UDP]),
    ephemeral=st.booleans(),
)
def test_port_finder_answers_as_find_port(
    catalog: Catalog, ports: list[int], protocol: Protocol | None, ephemeral: bool
) -> None:
    finder = PortFinder(catalog, include_ephemeral=ephemeral)
    for port in [*ports, *ports]:  # the second time from its cache
        expected = find_port(catalog, port, protocol=protocol, include_ephemeral=ephemeral)
        assert finder.find(port, protocol=protocol) == expected


def test_remote_only_ports_are_found(catalog: Catalog) -> None:
    remote = [m for m in find_port(catalog, 2748, protocol=Protocol.TCP) if m.at == "remote"]
    assert remote, "JTAPI 2748 lives on Unified CM; the look-up must still name the PG row"


def _formula_items(catalog: Catalog) -> list[tuple[str, int]]:
    out = []
    for entry in catalog.entries:
        for index, item in enumerate(entry.ports):
            spec = portspec.parse(item.ports)
            if spec.variables and spec.variables <= portspec.INSTANCE_ALIASES:
                out.append((entry.id, index))
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_forward_formula_and_reverse_lookup_agree(catalog: Catalog, data: st.DataObject) -> None:
    items = _formula_items(catalog)
    assert items, "the CCE pack must contain instance formulas"
    entry_id, index = data.draw(st.sampled_from(items))
    instance = data.draw(st.integers(0, 24))
    item = catalog.by_id[entry_id].ports[index]
    for lo, hi in portspec.evaluate(portspec.parse(item.ports), {"instance": instance}):
        port = data.draw(st.integers(lo, hi))
        found = find_port(catalog, port, protocol=item.protocol)
        assert any(m.id == entry_id and m.instance == instance for m in found)


def test_search_matches_both_languages(catalog: Catalog) -> None:
    assert any(entry.product == "cuc" for entry in search(catalog, "imap"))
    japanese = [entry for entry in catalog.entries if entry.notes.ja]
    assert japanese, "entries carry Japanese notes"
    word = japanese[0].notes.ja[:4]
    assert japanese[0] in search(catalog, word)


def test_every_entry_has_notes_and_a_source(catalog: Catalog) -> None:
    for entry in catalog.entries:
        assert entry.notes.en.strip(), entry.id
        assert entry.notes.ja.strip(), entry.id
        assert entry.source.document in SEEDS, entry.id


def test_flagged_readings_are_explained(catalog: Catalog) -> None:
    flagged = [
        entry for entry in catalog.entries if {"ambiguous", "contradiction"} & set(entry.flags)
    ]
    assert flagged
    # The CRM connector's printed side-B port 44027 contradicts the CTI Server's 43027 base.
    assert "crm.connector.cti-side-b" in {entry.id for entry in flagged}
    assert "44027" in catalog.entry("crm.connector.cti-side-b").notes.en


def test_unity_connection_exposures(catalog: Catalog) -> None:
    exposures = Counter(entry.exposure.value for entry in catalog.entries if entry.product == "cuc")
    assert exposures["cluster"] >= 8 and exposures["local"] >= 3 and exposures["open"] >= 10
    outbound = [e for e in catalog.entries if e.source.table == "1-2"]
    assert outbound and all(item.at is PortsAt.PEER for e in outbound for item in e.ports)


# ------------------------------------------------------------------ user packs and bad input

ACME = DATA / "acme-pack.yaml"


def test_user_pack_loads_beside_the_bundled_ones() -> None:
    catalog = load_catalog([ACME])
    assert "acme.switch.sync" in catalog.by_id
    assert any(
        m.id == "acme.switch.sync" and m.instance == 3 for m in find_port(catalog, 50004 + 120)
    )


BAD_PACKS = [
    ("product: x\nentries: [\n", "invalid YAML", 3),
    (
        "schema_version: 1\nproduct: x\ndocument: d\nentries: []\n",
        "title: required field is missing",
        1,
    ),
    (
        "schema_version: 1\nproduct: x\ntitle: {en: t}\ndocument: d\nroles: {r: {name: R}}\nentries:\n"
        "  - id: x.a\n    component: A\n    role: {role: r}\n    notes: {en: n}\n"
        "    source: {document: d, table: '1', row: 1}\n    ports:\n      - {protocol: tcp, ports: 'base + 1'}\n",
        "uses 'base', which no pack declares",
        13,
    ),
    (
        "schema_version: 1\nproduct: x\ntitle: {en: t}\ndocument: d\nroles: {r: {name: R}}\nentries:\n"
        "  - id: x.a\n    component: A\n    role: {role: r}\n    notes: {en: n}\n"
        "    source: {document: d, table: '1', row: 1}\n    ports:\n      - {protocol: tcp, ports: '40 +* 2'}\n",
        "unexpected",
        13,
    ),
    (
        "schema_version: 1\nproduct: x\ntitle: {en: t}\ndocument: d\nroles: {r: {name: R}}\nentries:\n"
        "  - id: x.a\n    component: A\n    role: {role: nope}\n    notes: {en: n}\n"
        "    source: {document: d, table: '1', row: 1}\n    ports:\n      - {protocol: tcp, ports: '80'}\n",
        "role 'nope' is not declared",
        9,
    ),
    (
        "schema_version: 1\nproduct: x\ntitle: {en: t}\ndocument: d\nroles: {r: {name: R}}\nentries:\n"
        "  - id: x.a\n    component: A\n    role: {role: r}\n    notes: {en: n}\n"
        "    source: {document: d, table: '1', row: 1}\n    ports:\n      - {protocol: sctp, ports: '80'}\n",
        "entries.0.ports.0.protocol",
        13,
    ),
    (
        "schema_version: 1\nproduct: x\ntitle: {en: t}\ndocument: d\nroles: {r: {name: R}}\nentries:\n"
        "  - id: x.a\n    component: A\n    role: {role: r}\n    notes: {en: n}\n    colour: red\n"
        "    source: {document: d, table: '1', row: 1}\n    ports:\n      - {protocol: tcp, ports: '70000'}\n",
        "unknown field",
        11,
    ),
]


@pytest.mark.parametrize(("text", "message", "line"), BAD_PACKS)
def test_bad_user_packs_name_file_and_line(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    pack = tmp_path / "mine.yaml"
    pack.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog([pack])
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{pack}:{line}:"), str(caught.value)


def test_duplicate_ids_across_packs_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(ACME.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CatalogError, match="already used"):
        load_catalog([ACME, copy])

"""The compiled catalog: the bundled packs as JSON, fresh, equal to the YAML, and cheap to load."""

from __future__ import annotations

import subprocess
import sys

import pytest

from portmatrix import catalog as catalog_module
from portmatrix.catalog import Catalog, compile_bundled, load_catalog
from portmatrix.model import Pack
from portmatrix.plain import from_plain, to_plain


def test_committed_compiled_catalog_is_fresh() -> None:
    assert catalog_module.main([]) == 0, "run `make catalog`"


def test_compiled_and_yaml_catalogs_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = load_catalog()
    monkeypatch.setattr(catalog_module, "_compiled_packs", lambda: None)
    from_yaml = load_catalog()
    assert compiled.entries == from_yaml.entries
    assert compiled.roles == from_yaml.roles and compiled.options == from_yaml.options
    assert compiled.files == from_yaml.files


def test_a_stale_compiled_file_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing a pack in a checkout without recompiling must not serve the old entries."""
    texts = list(catalog_module.bundled_texts())
    edited = [(name, text + "\n# edited\n") for name, text in texts]
    monkeypatch.setattr(catalog_module, "bundled_texts", lambda: iter(edited))
    assert catalog_module._compiled_packs() is None
    assert len(load_catalog().entries) > 200  # read from the YAML instead


def test_plain_round_trip_of_every_pack(catalog: Catalog) -> None:
    for pack in catalog.packs:
        assert from_plain(Pack, to_plain(pack)) == pack


def test_a_port_lookup_imports_neither_pydantic_nor_yaml_parsing_of_packs() -> None:
    code = (
        "import sys; from portmatrix.cli import main\n"
        "try:\n    main(['port', '40087'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pydantic', 'openpyxl', 'portmatrix.render', 'portmatrix.check')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "cce.router.rtfeed-a" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_compiled_text_is_deterministic() -> None:
    assert compile_bundled() == compile_bundled()


def test_the_port_index_holds_every_record_of_the_full_lookup(catalog: Catalog) -> None:
    import json

    from portmatrix.lookup import port_records
    from portmatrix.portindex import PORT_INDEX, packs_dir

    index = json.loads((packs_dir() / PORT_INDEX).read_text(encoding="utf-8"))
    expected = [
        [item.protocol.value, lo, hi, instance, item.ephemeral, entry.id]
        for entry, item, lo, hi, instance in port_records(catalog, 24)
    ]
    found = [[*record[:5], index["matches"][record[5]]["id"]] for record in index["records"]]
    assert found == expected and len(found) > 1000


def test_the_port_index_answers_exactly_like_the_full_lookup(catalog: Catalog) -> None:
    """A spread of ports, range ends and neighbours, through both paths with varied options."""
    import random

    from portmatrix.lookup import find_port
    from portmatrix.model import Protocol
    from portmatrix.portindex import lookup

    ends = sorted({p for e in catalog.entries for i in e.ports for p in (1, 443, 2000, 40087)})
    rng = random.Random(7)
    ports = [*ends, 8443, 20055, 39500, 42067, 43027, 61000, *rng.sample(range(1, 65536), 16)]
    answered = 0
    for port, (protocol, lang, ephemeral, max_instance) in zip(
        ports,
        [(None, "en", False, 24), (Protocol.UDP, "ja", True, 3), (Protocol.TCP, "en", True, 0)]
        * len(ports),
        strict=False,
    ):
        fast = lookup(
            port,
            protocol=None if protocol is None else protocol.value,
            max_instance=max_instance,
            lang=lang,
            include_ephemeral=ephemeral,
        )
        full = find_port(
            catalog,
            port,
            protocol=protocol,
            max_instance=max_instance,
            lang=lang,
            include_ephemeral=ephemeral,
        )
        assert fast == full, (port, protocol, lang)
        answered += bool(full)
    assert answered >= 6


def test_the_port_index_steps_aside_when_it_cannot_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from portmatrix import portindex

    assert portindex.lookup(40087, max_instance=25) is None  # wider than the index
    monkeypatch.setattr(portindex, "bundled_texts", lambda: iter([("x", "edited")]))
    assert portindex.lookup(40087) is None  # stale

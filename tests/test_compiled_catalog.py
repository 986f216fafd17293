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
    texts = list(catalog_module._bundled_texts())
    edited = [(name, text + "\n# edited\n") for name, text in texts]
    monkeypatch.setattr(catalog_module, "_bundled_texts", lambda: iter(edited))
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

"""What a plain ``pip install`` user gets: packs, schemas and examples inside the wheel, the
``schema`` and ``example`` commands, and ``python -m portmatrix`` behaving like ``portmatrix``."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from portmatrix import bundled
from portmatrix.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    hatchling = Path(sys.executable).with_name("hatchling")
    if not hatchling.exists():
        pytest.skip("hatchling is not installed (pip install 'portmatrix[dev]')")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [str(hatchling), "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("portmatrix-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_carries_packs_schemas_and_examples(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for pack in ("cce.yaml", "cuc.yaml", "common.yaml", "compiled.json"):
        assert f"portmatrix/packs/{pack}" in names
    for schema in (ROOT / "schemas").glob("*.json"):
        assert f"portmatrix/_bundled/schemas/{schema.name}" in names
    for example in (ROOT / "examples").glob("*.yaml"):
        assert f"portmatrix/_bundled/examples/{example.name}" in names
    packaged = wheel.read("portmatrix/_bundled/schemas/inventory.schema.json").decode()
    assert packaged == (ROOT / "schemas" / "inventory.schema.json").read_text(encoding="utf-8")


def test_schema_and_example_print_the_bundled_files() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["schema", "inventory"], catch_exceptions=False)
    assert result.stdout == bundled.text("schemas", "inventory")
    assert result.stdout == (ROOT / "schemas" / "inventory.schema.json").read_text(encoding="utf-8")
    result = runner.invoke(main, ["example", "duplex-cce"], catch_exceptions=False)
    assert result.stdout == (ROOT / "examples" / "duplex-cce.yaml").read_text(encoding="utf-8")
    listed = runner.invoke(main, ["example"], catch_exceptions=False).stdout.split()
    assert listed == sorted(p.stem for p in (ROOT / "examples").glob("*.yaml"))


def test_an_unknown_bundled_name_suggests_one() -> None:
    result = CliRunner().invoke(main, ["example", "duplex"], catch_exceptions=False)
    assert result.exit_code == 2 and "did you mean duplex-cce?" in result.stderr


def test_python_m_portmatrix_is_the_portmatrix_command() -> None:
    module = subprocess.run(
        [sys.executable, "-m", "portmatrix", "port", "40087"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    script = CliRunner().invoke(main, ["port", "40087"], catch_exceptions=False)
    assert module.returncode == 0 and module.stdout == script.stdout
    assert "cce.router.rtfeed-a" in module.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "portmatrix", "nonsense"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "No such command" in bad.stderr


def test_shell_completion_as_documented() -> None:
    """The README's completion lines work: click's own, across the lazily loaded commands."""
    script = subprocess.run(
        [sys.executable, "-m", "portmatrix"],
        env={**_env(), "_PORTMATRIX_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "_portmatrix_completion()" in script.stdout
    words = subprocess.run(
        [sys.executable, "-m", "portmatrix"],
        env={**_env(), "_PORTMATRIX_COMPLETE": "bash_complete", "COMP_WORDS": "portmatrix ro"}
        | {"COMP_CWORD": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "plain,roles" in words.stdout.splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "_PORTMATRIX_COMPLETE=bash_source portmatrix" in readme


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)

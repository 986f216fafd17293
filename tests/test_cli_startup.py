"""Help and version cost nothing they do not print: no command module imports the library's
heavy parts (renderers, checker, verifier, catalog models, YAML, pydantic, DuckDB) until a
command runs. Measured in fresh interpreters, since this test process has imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

from portmatrix.cli._common import COMMAND_MODULES

HEAVY = (
    "portmatrix.render",
    "portmatrix.check",
    "portmatrix.verify",
    "portmatrix.audit",
    "portmatrix.project",
    "portmatrix.catalog",
    "portmatrix.model",
    "pydantic",
    "yaml",
    "duckdb",
    "openpyxl",
    "asyncio",
)

_PROBE = """
import json, sys
from portmatrix.cli import main
heavy = json.loads(sys.argv[1])
try:
    main(json.loads(sys.argv[2]), prog_name="portmatrix")
except SystemExit:
    pass
found = sorted({h for h in heavy for m in sys.modules if m == h or m.startswith(h + ".")})
print(json.dumps(found))
"""


def _heavy_imports(argv: list[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY), json.dumps(argv)],
        capture_output=True,
        text=True,
        check=True,
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_root_help_and_version_import_nothing_heavy() -> None:
    assert _heavy_imports(["--help"]) == []
    assert _heavy_imports(["--version"]) == []


def test_every_command_help_imports_nothing_heavy() -> None:
    for command in sorted(COMMAND_MODULES):
        assert _heavy_imports([command, "--help"]) == [], command


def test_the_probe_sees_a_command_that_does_import_its_library() -> None:
    """The check above can fail: listing render targets loads the renderers."""
    assert "portmatrix.render" in _heavy_imports(["render", "--list"])

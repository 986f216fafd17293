"""The exporter registry: the built-in formats in code, ``portmatrix.exporters`` on top."""

from __future__ import annotations

from portmatrix.exporters._protocol import Exporter
from portmatrix.options import EXPORT_SUFFIXES
from portmatrix.plugins import Registry, protocol_check

BUILTIN_EXPORTERS = {
    "csv": "portmatrix.exporters.as_csv:CsvExporter",
    "json": "portmatrix.exporters.as_json:JsonExporter",
    "md": "portmatrix.exporters.as_markdown:MarkdownExporter",
    "table": "portmatrix.exporters.as_table:TableExporter",
    "xlsx": "portmatrix.exporters.as_xlsx:XlsxExporter",
}

EXPORTERS: Registry[Exporter] = Registry(
    kind="export format",
    group="portmatrix.exporters",
    builtins=BUILTIN_EXPORTERS,
    accepts=protocol_check(Exporter),
    needs="name, suffix, binary, description and write()",
)


def exporter_for(name: str) -> Exporter:
    return EXPORTERS.load(name)


#: Extension -> built-in format, for ``-o FILE`` without ``--format``.
BUILTIN_SUFFIXES = EXPORT_SUFFIXES

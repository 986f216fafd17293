"""The flow matrix in the forms change processes accept: table, JSON, CSV, Markdown, XLSX.

These are listings of flows, not firewall rules (those are ``render``'s job): one row per source,
destination, protocol, contiguous port range and catalog rule, with the document reference that
justifies it, so a reviewer can approve a change request row by row. Each format is an
:class:`Exporter` plugin (group ``portmatrix.exporters``); what they are handed is a
:class:`Listing`.
"""

from __future__ import annotations

from portmatrix.exporters._protocol import Exporter, Listing, Section, export_text, export_to
from portmatrix.exporters._registry import EXPORTERS, exporter_for

__all__ = [
    "EXPORTERS",
    "Exporter",
    "Listing",
    "Section",
    "export_text",
    "export_to",
    "exporter_for",
]

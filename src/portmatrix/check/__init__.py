"""Check an existing firewall against the matrix: what it blocks that is needed, what it opens
that is not, which rules never fire, and what it says that the checker cannot model.

Three parts, one seam each:

* :mod:`~portmatrix.check.readers`: one module per ruleset format (nftables JSON,
  iptables-save, Cisco ASA, Cisco IOS, and any installed through the
  ``portmatrix.ruleset_readers`` entry points), each compiling its text into the one ruleset
  model (:mod:`portmatrix.check.ruleset`);
* :mod:`~portmatrix.check.engine`: first-match evaluation of regions of traffic, the scope of a
  check, and shadowed rules; traffic is boxes over addresses, protocol and ports
  (:mod:`portmatrix.traffic`), so ranges cost the same as single ports;
* :mod:`~portmatrix.check.report`: findings, and the report as a table, JSON or JUnit.

See ``docs/check.md``.
"""

from __future__ import annotations

from portmatrix.check.engine.checker import check_files, check_ruleset
from portmatrix.check.engine.verdict import verdict
from portmatrix.check.readers import RulesetReader, load_ruleset, parse_ruleset
from portmatrix.check.report.findings import Finding, FindingKind, FlowResult, Report
from portmatrix.check.report.output import FORMATS, format_report
from portmatrix.check.ruleset import Ruleset, RulesetType

__all__ = [
    "FORMATS",
    "Finding",
    "FindingKind",
    "FlowResult",
    "Report",
    "Ruleset",
    "RulesetReader",
    "RulesetType",
    "check_files",
    "check_ruleset",
    "format_report",
    "load_ruleset",
    "parse_ruleset",
    "verdict",
]

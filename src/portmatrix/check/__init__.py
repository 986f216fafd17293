"""Check an existing firewall against the matrix: what it blocks that is needed, what it opens
that is not, which rules never fire, and what it says that the checker cannot model.

Each supported format (nftables JSON, iptables-save, Cisco ASA, Cisco IOS) is parsed into one
ruleset model (:mod:`portmatrix.check.ruleset`); traffic is reasoned about as boxes over source
address, destination address, protocol and ports (:mod:`portmatrix.check.space`), so ranges
cost the same as single ports. See ``docs/check.md``.
"""

from __future__ import annotations

from portmatrix.check.checker import check_files, check_ruleset
from portmatrix.check.findings import Finding, FindingKind, FlowResult, Report
from portmatrix.check.load import load_ruleset, parse_ruleset
from portmatrix.check.output import FORMATS, format_report
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.check.verdict import verdict

__all__ = [
    "FORMATS",
    "Finding",
    "FindingKind",
    "FlowResult",
    "Report",
    "Ruleset",
    "RulesetType",
    "check_files",
    "check_ruleset",
    "format_report",
    "load_ruleset",
    "parse_ruleset",
    "verdict",
]

"""Defaults and choices of command options: what ``--help`` prints and the library falls back on.

They live apart from the modules that use them (the verifier, the checker) so that
``portmatrix COMMAND --help`` can show them without importing those modules, and so that the CLI
and the library cannot drift apart: both read them from here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class RulesetType(StrEnum):
    """The built-in ruleset formats ``check --type`` reads (installed readers add more)."""

    NFT_JSON = "nft-json"
    IPTABLES_SAVE = "iptables-save"
    ASA = "asa"
    IOS = "ios"


#: The built-in export formats of ``resolve`` and ``diff`` (installed exporters add more), and
#: the file extensions that name them.
EXPORT_SUFFIXES = {".csv": "csv", ".json": "json", ".md": "md", ".txt": "table", ".xlsx": "xlsx"}
EXPORT_FORMATS = tuple(sorted(set(EXPORT_SUFFIXES.values())))

#: Report formats of ``check``.
CHECK_FORMATS = ("table", "json", "junit")

VerifyFormat = Literal["table", "json", "junit"]
#: Report formats of ``probe`` and ``verify``.
VERIFY_FORMATS: tuple[VerifyFormat, ...] = ("table", "json", "junit")

#: Ports kept from each longer range when emulating or probing, both ends included.
DEFAULT_SAMPLE = 64
#: Connections an emulator serves at once; more are reset on arrival.
DEFAULT_MAX_CONNECTIONS = 256
#: Probes in flight at once from one host.
DEFAULT_CONCURRENCY = 256
#: The lab probes from every namespace at once, so it keeps more checks in flight: most of them
#: are ports the generated rules drop, each waiting out its timeout.
LAB_CONCURRENCY = 2048
#: Longest wait for an answer to a probe, per attempt, in seconds.
DEFAULT_TIMEOUT = 1.0
#: Extra attempts before silence counts as filtered.
DEFAULT_RETRIES = 2

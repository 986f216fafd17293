"""The ruleset-reader registry: built-in formats in code, the ``portmatrix.ruleset_readers`` group
on top.

A reader turns the text of one firewall format into the one :class:`~portmatrix.check.ruleset.Ruleset`
model; the engine never learns which format it came from. See :mod:`portmatrix.plugins` for how
every kind of extension is found. Nothing is imported until a format is asked for by name.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.plugins import Registry, protocol_check

ENTRY_POINT_GROUP = "portmatrix.ruleset_readers"


@runtime_checkable
class RulesetReader(Protocol):
    """One ruleset format: its ``--type`` name, a line for help texts, and the reader itself.

    ``read`` raises :class:`~portmatrix.errors.RulesetError` (at the file and line) for input it
    cannot read, and records what it read but cannot model as ``unsupported``; nothing else may
    escape it.
    """

    name: str
    description: str

    def read(self, text: str, *, name: str) -> Ruleset: ...


BUILTIN_READERS: dict[str, str] = {
    RulesetType.NFT_JSON: "portmatrix.check.readers.nft_json:NftJsonReader",
    RulesetType.IPTABLES_SAVE: "portmatrix.check.readers.iptables_save:IptablesSaveReader",
    RulesetType.ASA: "portmatrix.check.readers.asa:AsaReader",
    RulesetType.IOS: "portmatrix.check.readers.ios:IosReader",
}

READERS: Registry[RulesetReader] = Registry(
    kind="ruleset reader",
    group=ENTRY_POINT_GROUP,
    builtins={str(name): value for name, value in BUILTIN_READERS.items()},
    accepts=protocol_check(RulesetReader),
    needs="name, description and read(text, *, name) -> Ruleset",
)

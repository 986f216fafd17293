"""Reading a ruleset file of a named type into the one ruleset model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from portmatrix.check.asa import parse_asa
from portmatrix.check.ios import parse_ios
from portmatrix.check.iptables_save import parse_iptables_save
from portmatrix.check.nft_json import parse_nft_json
from portmatrix.check.ruleset import Ruleset, RulesetType
from portmatrix.errors import RulesetError
from portmatrix.yamlio import read_input

PARSERS: dict[RulesetType, Callable[..., Ruleset]] = {
    RulesetType.NFT_JSON: parse_nft_json,
    RulesetType.IPTABLES_SAVE: parse_iptables_save,
    RulesetType.ASA: parse_asa,
    RulesetType.IOS: parse_ios,
}


def parse_ruleset(text: str, *, ruleset_type: RulesetType, name: str = "<ruleset>") -> Ruleset:
    return PARSERS[ruleset_type](text, name=name)


def load_ruleset(path: str | Path, *, ruleset_type: RulesetType) -> Ruleset:
    text = read_input(path, error=RulesetError)
    return parse_ruleset(text, ruleset_type=ruleset_type, name=str(path))

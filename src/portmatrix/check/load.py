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

PARSERS: dict[RulesetType, Callable[..., Ruleset]] = {
    RulesetType.NFT_JSON: parse_nft_json,
    RulesetType.IPTABLES_SAVE: parse_iptables_save,
    RulesetType.ASA: parse_asa,
    RulesetType.IOS: parse_ios,
}


def parse_ruleset(text: str, *, ruleset_type: RulesetType, name: str = "<ruleset>") -> Ruleset:
    return PARSERS[ruleset_type](text, name=name)


def load_ruleset(path: str | Path, *, ruleset_type: RulesetType) -> Ruleset:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RulesetError("no such file", file=path) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError(f"cannot read: {exc}", file=path) from exc
    return parse_ruleset(text, ruleset_type=ruleset_type, name=str(path))

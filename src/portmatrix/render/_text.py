"""Words every renderer prints the same way: headers, reasons, safe comments, addresses.

Kept in one place so that a reviewer reading an nftables file and one reading an ASA config see
the same header and the same trace from a rule back to the document's table row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from portmatrix import __version__
from portmatrix.compact import Grant, Reason, parse_network
from portmatrix.errors import one_line
from portmatrix.render._scope import Action, CompactMatrix, Section

_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,:;/()+=<>@#%&*!?\[\]{}-]")


def safe(text: str) -> str:
    """Text fit for any quoted comment: printable ASCII without quotes, backslashes or ``$``."""
    return _UNSAFE.sub("_", text)


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut (full text sits in the file)."""
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def short_reasons(reasons: Sequence[Reason], limit: int) -> str:
    """The rows behind a rule in at most ``limit`` characters: full references if they fit,
    else catalog ids, else as many ids as fit and how many more (every row is listed in full
    in the comment lines of the file)."""
    return _short_reasons(tuple(reasons), limit)


@lru_cache(maxsize=16384)
def _short_reasons(reasons: tuple[Reason, ...], limit: int) -> str:
    full = "; ".join(str(reason) for reason in reasons)
    if len(full) <= limit:
        return safe(full)
    ids = list(dict.fromkeys(reason.rule for reason in reasons))
    joined = ", ".join(ids)
    if len(joined) <= limit:
        return safe(joined)
    kept: list[str] = []
    for index, rule in enumerate(ids):
        more = f" +{len(ids) - index} more"
        if len(", ".join([*kept, rule])) + len(more) > limit:
            return safe(", ".join(kept) + more)
        kept.append(rule)
    return safe(joined)


def reason_lines(reasons: Iterable[Reason]) -> list[str]:
    return [str(reason) for reason in reasons]


def grant_lines(grant: Grant, *, label: str = "") -> list[str]:
    """Comment lines above a grant: who to whom, then every catalog row with its reference."""
    sources = _names(grant.source_names) if grant.sources else "any"
    destinations = _names(grant.destination_names) if grant.destinations else "any"
    lines = [f"{label}{': ' if label else ''}{sources} -> {destinations}"]
    lines.extend(reason_lines(grant.reasons))
    return lines


def section_label(section: Section) -> str:
    """How a section introduces its grants in comments: local-only blocks say so."""
    return "local-only" if section.action is Action.DROP else ""


def _names(names: Sequence[str], shown: int = 6) -> str:
    if not names:
        return "any"
    extra = f" +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + extra


def header_lines(matrix: CompactMatrix, *, target: str, load: str) -> list[str]:
    """The opening comment block of every file: what, for whom, how to load, what was left out."""
    where = f" ({matrix.host.address})" if matrix.host is not None else ""
    lines = [
        f"portmatrix {__version__}: {target} rules for {matrix.subject}{where}",
        f"deployment: {matrix.deployment}",
        f"load: {load}",
        f"flows in: {matrix.flows_in}; every rule names its catalog ids and document rows",
    ]
    if matrix.skipped:
        lines.append(f"left out ({len(matrix.skipped)}, as asked):")
        lines.extend(f"  {skipped}" for skipped in matrix.skipped)
    if matrix.site_rules:  # a site's reason is free text: one capped, escaped line each
        lines.append(f"site exclusions, overrides and bindings ({len(matrix.site_rules)}):")
        lines.extend(one_line(f"  {rule}", 400) for rule in matrix.site_rules)
    return [line.replace("\n", " ") for line in lines]


@lru_cache(maxsize=65536)
def bare(address: str) -> str:
    """``10.0.0.1/32`` -> ``10.0.0.1``; networks keep their prefix length."""
    network = parse_network(address)
    full = network.max_prefixlen == network.prefixlen
    return str(network.network_address) if full else str(network)


def port_list(blocks: Iterable[object], *, range_sep: str = "-") -> list[str]:
    """Port blocks as text, ``80`` or ``8000-8010`` (or with another range separator)."""
    return [str(block).replace("-", range_sep) for block in blocks]

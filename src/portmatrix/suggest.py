"""One way to say "no such thing; did you mean ...?" for every name a user types.

Roles, options, entry ids, hosts, zones, render targets, products: each failed look-up raises a
:class:`~portmatrix.errors.LookupFailure` built here, which keeps the close names in
``.candidates`` for callers that show them as links or buttons instead of text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from portmatrix.errors import LookupFailure


def close_matches(word: str, known: Iterable[str], *, limit: int = 3) -> tuple[str, ...]:
    """The known names closest to ``word``: exact case-insensitive matches first, then names
    containing it, then names that look alike (compared case-insensitively: ``CUCC`` -> cuc)."""
    names = list(dict.fromkeys(known))
    folded = word.casefold()
    same = [name for name in names if name.casefold() == folded]
    containing = [name for name in names if folded and folded in name.casefold()]
    by_folded: dict[str, str] = {}
    for name in names:
        by_folded.setdefault(name.casefold(), name)
    alike = difflib.get_close_matches(folded, list(by_folded), n=limit, cutoff=0.5)
    return tuple(dict.fromkeys([*same, *containing, *(by_folded[a] for a in alike)]))[:limit]


def hint(candidates: Iterable[str]) -> str:
    """``"; did you mean a, b?"`` or nothing."""
    shown = list(candidates)
    return f"; did you mean {', '.join(shown)}?" if shown else ""


def unknown(kind: str, word: str, known: Iterable[str], *, where: str = "") -> LookupFailure:
    """The error for a name that is not among ``known``: ``no host 'x' in lab; did you mean ...``."""
    close = close_matches(word, known)
    place = f" in {where}" if where else ""
    return LookupFailure(f"no {kind} {word!r}{place}{hint(close)}", candidates=close)

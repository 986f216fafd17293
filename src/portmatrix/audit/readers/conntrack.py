"""``conntrack -L`` (the table) and ``conntrack -E`` (its events), as conntrack-tools print them.

Each entry names the original direction first (``src= dst= sport= dport=``, then counters when
``nf_conntrack_acct`` is on) and the reply direction second. ``[UNREPLIED]`` marks a connection
that never saw a reply. Event streams yield a record per ``[NEW]`` event (a connection admitted,
not yet answered or not: ``answered`` is left empty) and per ``[DESTROY]`` event (the finished
connection, with its counters, answered or not); ``[UPDATE]`` events only restate state and are
ignored. ``-o timestamp`` stamps (``[1701400000.123456]``) become the record time; ``-o
extended`` lines (``ipv4 2 tcp 6 ...``) are read too. conntrack only lists connections the
firewall let through, so the action is ``allowed``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers._lines import (
    LineParser,
    LineProblem,
    Record,
    cite,
    integer,
    port,
    protocol,
    stage_lines,
    total,
)

_ENTRY = re.compile(
    r"^\s*(?:\[(?P<stamp>\d+\.\d+)\]\s*)?(?:\[(?P<event>NEW|UPDATE|DESTROY)\]\s+)?"
    r"(?:ipv[46]\s+\d+\s+)?(?P<proto>[a-z0-9-]+)\s+(?P<number>\d+)\s+(?P<rest>.*\bsrc=.*)$"
)
_PAIRS = re.compile(r"\b(src|dst|sport|dport|packets|bytes)=(\S+)")


class ConntrackReader:
    name = "conntrack"
    description = "conntrack -L table listings and conntrack -E event streams"

    def sniff(self, head: str) -> bool:
        lines = [line for line in head.splitlines() if line.strip()]
        return bool(lines) and all(_ENTRY.match(line) for line in lines[:5])

    def line_parser(self, path: Path, options: ReaderOptions) -> LineParser:
        return _parse

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        parse = self.line_parser(path, options)
        stage_lines(path, staging, parse, reader=self.name, options=options)


def _parse(line: str) -> Record | None:
    match = _ENTRY.match(line)
    if match is None:
        if not line.strip() or "flow entries have been shown" in line:
            return None
        raise LineProblem("not a conntrack entry")
    event = match["event"]
    if event == "UPDATE":
        return None
    pairs = _PAIRS.findall(match["rest"])
    original = _direction_fields(pairs)
    if "src" not in original or "dst" not in original:
        raise LineProblem("conntrack entry without src= and dst=")
    number = protocol(match["number"])
    counters = [integer(v) or 0 for k, v in pairs if k == "bytes" and v.isdigit()]
    packets = [integer(v) or 0 for k, v in pairs if k == "packets" and v.isdigit()]
    unreplied = "[UNREPLIED]" in match["rest"]
    stamp = match["stamp"]
    return Record(
        src=original["src"],
        dst=original["dst"],
        protocol=number,
        src_port=port(original.get("sport")),
        dst_port=port(original.get("dport")),
        time=_moment(stamp) if stamp else None,
        action="allowed",
        answered=None if event == "NEW" else not unreplied,
        bytes=total(counters),
        packets=total(packets),
    )


def _direction_fields(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The original direction: the pairs up to the second ``src=``."""
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields and key == "src":
            break
        fields.setdefault(key, value)
    return fields


def _moment(stamp: str) -> datetime:
    """A ``conntrack -E -o timestamp`` stamp (seconds since the epoch) as a time."""
    try:
        return datetime.fromtimestamp(float(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise LineProblem(f"time {cite(stamp)} is not understood") from None

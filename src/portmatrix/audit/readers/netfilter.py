"""netfilter ``LOG`` target and nftables ``log`` statement lines.

The kernel writes ``PREFIX IN=eth0 OUT= ... SRC=... DST=... LEN=... PROTO=TCP SPT=... DPT=...``
for each logged packet; the line reaches users through ``dmesg`` (``[ 123.456789] ...``),
``/dev/kmsg`` (``4,1234,5678,-;...``), syslog (``Jan 15 10:20:30 host kernel: ...``) or the
journal (``journalctl -k -o short-iso``, or ``MESSAGE=`` lines of ``-o export``). Times
relative to boot (dmesg, kmsg) cannot be placed in the calendar and are left empty.

One line is one packet (``packets`` 1, ``bytes`` the IP length). What the rule did is not in
the line, so it is read from the prefix the administrator chose: a prefix naming drop, reject,
deny or block means denied; accept, allow, permit or pass means allowed; anything else unknown.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers._lines import (
    LineParser,
    LineProblem,
    Record,
    integer,
    port,
    protocol,
    stage_lines,
)
from portmatrix.audit.readers._syslog import STAMP, YearGuess, parse_stamp

_FIELDS = re.compile(r"\b([A-Z]+)=(\S*)")
_START = re.compile(r"\bIN=\S* OUT=")
_DENIED = re.compile(r"drop|reject|deny|denied|block", re.IGNORECASE)
_ALLOWED = re.compile(r"accept|allow|permit|pass", re.IGNORECASE)
_BOOT_TIME = re.compile(r"^\s*\[\s*\d+\.\d+\]|^\d+,\d+,\d+,[^;]*;")


class NetfilterReader:
    name = "netfilter"
    description = "netfilter LOG / nftables log lines (dmesg, /dev/kmsg, syslog, journal)"

    def sniff(self, head: str) -> bool:
        return any(_START.search(line) and " SRC=" in line for line in head.splitlines())

    def line_parser(self, path: Path, options: ReaderOptions) -> LineParser:
        return functools.partial(_parse, guess=YearGuess.for_file(path, options.year))

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        parse = self.line_parser(path, options)
        stage_lines(path, staging, parse, reader=self.name, options=options)


def _parse(line: str, guess: YearGuess) -> Record | None:
    start = _START.search(line)
    if start is None:
        return None
    head, fields = line[: start.start()], dict(_FIELDS.findall(line[start.start() :]))
    if "SRC" not in fields or "DST" not in fields or "PROTO" not in fields:
        raise LineProblem("netfilter log line without SRC, DST or PROTO")
    number = protocol(fields["PROTO"])
    stamp = None if _BOOT_TIME.search(head) else STAMP.search(head)
    prefix = head.rsplit("kernel:", 1)[-1]
    return Record(
        src=fields["SRC"],
        dst=fields["DST"],
        protocol=number,
        src_port=port(fields.get("SPT")),
        dst_port=port(fields.get("DPT")),
        time=parse_stamp(stamp, guess) if stamp else None,
        action=_action(prefix),
        bytes=integer(fields.get("LEN")),
        packets=1,
        direction=_direction(fields.get("IN", ""), fields.get("OUT", "")),
    )


def _action(prefix: str) -> str:
    if _DENIED.search(prefix):
        return "denied"
    if _ALLOWED.search(prefix):
        return "allowed"
    return "unknown"


def _direction(inbound: str, outbound: str) -> str | None:
    if inbound and not outbound:
        return "in"
    if outbound and not inbound:
        return "out"
    return None

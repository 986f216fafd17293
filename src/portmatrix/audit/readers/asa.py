"""Cisco ASA (and FTD, PIX) syslog: connections built and torn down, and denied packets.

Read: 302013/302015 (TCP/UDP connection built), 302014/302016 (torn down, with bytes), the
denies 106001, 106006, 106007, 106015, 106023 and 106100 (``access-list ... permitted|denied``),
with or without a priority, a time stamp (any of :mod:`._syslog`'s) and a device id, as the
firewall's ``logging`` settings and the syslog server leave them. Other messages are ignored.

Who connected: ASA names the endpoints of an *outbound* connection responder first, so the
reader swaps them. A teardown names them in its built message's order; the reader remembers the
direction of connections it saw built, by the firewall that logged them (the words before the
tag, without priority and time stamps) and connection id, at most :data:`REMEMBERED` at a
time so that memory stays bounded, and keeps the written order for the rest. A large file is
parsed in parts by several processes all the same: a teardown whose built message may lie in
an earlier part waits, and the main process settles it, in file order, with the memory the
parts before left behind. The records are those of one pass, except that with more than
:data:`REMEMBERED` connections open at once a different one may be forgotten. A teardown for
``SYN Timeout`` was never answered; one after ``TCP FINs`` was. Addresses are the real ones,
before NAT, as the inventory knows the hosts.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

from portmatrix.audit.canonical import ReaderOptions, Staging
from portmatrix.audit.readers._lines import (
    LineProblem,
    Pending,
    Record,
    integer,
    port,
    protocol,
    stage_lines,
)
from portmatrix.audit.readers._syslog import STAMP, YearGuess, parse_stamp

REMEMBERED = 1_000_000

_TAG = re.compile(r"%(?:ASA|FTD|PIX|FWSM)-(?:[a-z]+-)?\d-(\d{6}):\s*(.*)$")
_ADDR = r"[0-9A-Fa-f.:]+"
_END = rf"(?P<if{{n}}>.+?):(?P<a{{n}}>{_ADDR})/(?P<p{{n}}>\d+)"
_BUILT = re.compile(
    r"Built (?P<dir>inbound|outbound) (?P<proto>TCP|UDP) connection (?P<id>\d+) for "
    + _END.format(n=1)
    + r"(?:\s*\([^)]*\))*"
    + " to "
    + _END.format(n=2)
)
_TEARDOWN = re.compile(
    r"Teardown (?P<proto>TCP|UDP) connection (?P<id>\d+) for "
    + _END.format(n=1)
    + r"(?:\s*\([^)]*\))*"
    + " to "
    + _END.format(n=2)
    + r"(?: \([^)]*\))* duration (?P<dur>[\d:]+) bytes (?P<bytes>\d+)(?: (?P<reason>.*))?$"
)
_FROM_TO = rf"from (?P<a1>{_ADDR})/(?P<p1>\d+) to (?P<a2>{_ADDR})/(?P<p2>\d+)"
_DENIES = {
    "106001": re.compile(rf"Inbound (?P<proto>TCP) connection denied {_FROM_TO} flags "),
    "106006": re.compile(rf"Deny inbound (?P<proto>UDP) {_FROM_TO} on interface "),
    "106007": re.compile(rf"Deny inbound (?P<proto>UDP) {_FROM_TO} due to DNS "),
    "106015": re.compile(rf"Deny (?P<proto>TCP) \(no connection\) {_FROM_TO} flags "),
    "106023": re.compile(
        rf"Deny (?P<proto>\S+) src (?P<if1>[^:]+?):(?P<a1>{_ADDR}?)(?:/(?P<p1>\d+))?(?: \([^)]*\))? "
        rf"dst (?P<if2>[^:]+?):(?P<a2>{_ADDR}?)(?:/(?P<p2>\d+))?(?: \([^)]*\))? "
        r"(?:\(type (?P<type>\d+), code (?P<code>\d+)\) )?by access-group "
    ),
    "106100": re.compile(
        rf"access-list \S+ (?P<verdict>permitted|denied|est-allowed) (?P<proto>\S+) "
        rf"(?P<if1>[^/]+)/(?P<a1>{_ADDR})\((?P<p1>\d+)\)(?: \([^)]*\))? -> "
        rf"(?P<if2>[^/]+)/(?P<a2>{_ADDR})\((?P<p2>\d+)\)(?: \([^)]*\))? hit-cnt (?P<hits>\d+)"
    ),
}
_CONNECTIONS = ("302013", "302014", "302015", "302016")
_NO_PORTS = {1, 58}  # ICMP: 106100 writes type and code where ports would be


class AsaReader:
    name = "asa"
    description = "Cisco ASA/FTD syslog: 302013-302016 built/teardown, 106001/6/7/15/23, 106100"

    def sniff(self, head: str) -> bool:
        return _TAG.search(head) is not None

    def line_parser(self, path: Path, options: ReaderOptions) -> _Parser:
        """A parser of one part of ``path``, in a worker: a teardown whose built message may
        lie in an earlier part waits as :class:`Pending` for the parts before to settle it."""
        return _Parser(YearGuess.for_file(path, options.year), part=True)

    def stage(self, path: Path, staging: Staging, *, options: ReaderOptions) -> None:
        guess = YearGuess.for_file(path, options.year)
        stage_lines(
            path, staging, _Parser(guess), reader=self.name, options=options, memory=_Memory()
        )


class _Parser:
    """One pass over a file, or (``part``) over one part of it.

    In a part, ``touched`` holds the connections built or torn down so far: a teardown of
    one neither built nor torn down earlier in the part is the one whose direction only the
    parts before can tell. ``dropped`` holds the connections built and then torn down in the
    part, which the memory of the parts before must forget too (an id used again), for
    :meth:`carried`.
    """

    def __init__(self, guess: YearGuess, *, part: bool = False):
        self.guess = guess
        self.outbound: OrderedDict[str, bool] = OrderedDict()
        self.part = part
        self.touched: set[str] = set()
        self.dropped: set[str] = set()

    def __call__(self, line: str) -> Record | Pending | None:
        tag = _TAG.search(line)
        if tag is None:
            return None
        message_id, body = tag.groups()
        waits: str | None = None
        if message_id in _CONNECTIONS:
            stamp = STAMP.search(line, 0, tag.start())
            device = _device(line[stamp.end() : tag.start()] if stamp else line[: tag.start()])
            record, waits = self._connection(message_id, body, device)
        elif message_id in _DENIES:
            stamp = STAMP.search(line, 0, tag.start())
            record = self._deny(message_id, body)
        else:
            return None
        record.time = parse_stamp(stamp, self.guess) if stamp else None
        return record if waits is None else Pending(record, waits)

    def carried(self) -> tuple[list[tuple[str, bool]], set[str]]:
        """What the parts after this one need: the connections built here and not torn down,
        in the order they were first remembered, and those torn down here."""
        return list(self.outbound.items()), self.dropped

    def _connection(self, message_id: str, body: str, device: str) -> tuple[Record, str | None]:
        built = message_id in ("302013", "302015")
        match = (_BUILT if built else _TEARDOWN).match(body)
        if match is None:
            raise LineProblem(f"ASA {message_id} message in an unknown form")
        key = f"{device} {match['proto']}:{match['id']}"
        outbound: bool | None = None
        waits = None
        if built:
            outbound = match["dir"] == "outbound"
            self._remember(key, outbound)
        elif key in self.outbound:
            outbound = self.outbound.pop(key)
            if self.part:
                self.dropped.add(key)
        elif self.part and key not in self.touched:
            waits = key
        if self.part:
            self.touched.add(key)
        record = Record(
            src=match["a1"],
            dst=match["a2"],
            protocol=protocol(match["proto"]),
            src_port=port(match["p1"]),
            dst_port=port(match["p2"]),
            action="allowed",
        )
        _orient(record, outbound)
        if not built:
            record.bytes = integer(match["bytes"])
            reason = match["reason"] or ""
            if reason.startswith("SYN Timeout"):
                record.answered = False
            elif reason.startswith("TCP FINs"):
                record.answered = True
        return record, waits

    def _remember(self, key: str, outbound: bool) -> None:
        self.outbound[key] = outbound
        if len(self.outbound) > REMEMBERED:
            self.outbound.popitem(last=False)

    def _deny(self, message_id: str, body: str) -> Record:
        match = _DENIES[message_id].search(body)
        if match is None:
            raise LineProblem(f"ASA {message_id} message in an unknown form")
        number = protocol(match["proto"])
        ports = number not in _NO_PORTS
        groups = match.groupdict()
        verdict = groups.get("verdict")
        return Record(
            src=match["a1"],
            dst=match["a2"],
            protocol=number,
            src_port=port(match["p1"]) if ports else None,
            dst_port=port(match["p2"]) if ports else None,
            action="denied" if verdict in (None, "denied") else "allowed",
            direction="in" if message_id in ("106001", "106006", "106007") else None,
        )


_PRIORITY = re.compile(r"^\s*<\d{1,3}>(?:1 )?")


def _device(head: str) -> str:
    """Who logged the message, from what lies between the first time stamp (or the start of
    the line) and the ASA tag, without the priority and any further stamp (a syslog server's
    stamp may precede the firewall's own): such as ``fw01``. Connection ids are numbered per
    firewall, so a file collected from several firewalls holds the same id for different
    connections."""
    head = _PRIORITY.sub("", head)
    if STAMP.search(head):
        head = STAMP.sub(" ", head)
    return " ".join(head.replace(":", " ").split())


def _orient(record: Record, outbound: bool | None) -> None:
    """``record``, read in the message's order, as who connected to whom: an outbound
    connection is written responder first. None: the direction is not known."""
    if outbound is None:
        return
    if outbound:
        record.src, record.dst = record.dst, record.src
        record.src_port, record.dst_port = record.dst_port, record.src_port
    record.direction = "out" if outbound else "in"


class _Memory:
    """The connections the parts parsed so far saw built and not torn down, as one pass
    would remember them at the start of the next part (in the main process)."""

    def __init__(self) -> None:
        self.outbound: OrderedDict[str, bool] = OrderedDict()

    def settle(self, pending: Pending) -> Record:
        _orient(pending.record, self.outbound.pop(pending.key, None))
        return pending.record

    def absorb(self, carried: tuple[list[tuple[str, bool]], set[str]]) -> None:
        remembered, dropped = carried
        for key in dropped:
            self.outbound.pop(key, None)
        for key, outbound in remembered:  # one remembered already keeps its place, as in one pass
            self.outbound[key] = outbound
        while len(self.outbound) > REMEMBERED:
            self.outbound.popitem(last=False)

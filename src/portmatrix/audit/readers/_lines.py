"""What the free-text readers share: walk a file line by line into canonical rows.

A line parser returns a :class:`Record`, None for a line that is not a flow record (another
message id, a header), or raises :class:`LineProblem` for a line that claims to be a record but
cannot be read. Rows stream to the staging COPY through a temporary CSV file, so memory
stays flat whatever the file size.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portmatrix.audit.address import Address
from portmatrix.audit.canonical import Staging, opened, protocol_number


class LineProblem(ValueError):
    """A line that should be a record and is not; the message says what is wrong."""


@dataclass(slots=True)
class Record:
    src: str
    dst: str
    protocol: int
    src_port: int | None = None
    dst_port: int | None = None
    time: datetime | None = None
    action: str = "unknown"
    answered: bool | None = None
    bytes: int | None = None
    packets: int | None = None
    direction: str | None = None


LineParser = Callable[[str], Record | None]


def cite(text: str) -> str:
    """A value as a problem message quotes it: in quotes, control characters escaped, cut
    to 60 characters (a damaged line can hold a megabyte in one field)."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def address(text: str) -> Address:
    found = _known_address(text)
    if found is None:
        raise LineProblem(f"{cite(text)} is not an IP address")
    return found


_DIGITS = frozenset("0123456789")


@functools.lru_cache(maxsize=1 << 16)
def _known_address(text: str) -> Address | None:
    """An address from its text, or None. Logs name the same hosts over and over, so results
    are kept; a plain dotted quad is read here, without building an ``ipaddress`` object (it
    accepts exactly the quads ``ipaddress`` accepts: 0-255, no leading zeros)."""
    octets = text.split(".")
    if len(octets) == 4:
        value = 0
        for octet in octets:
            if not 0 < len(octet) <= 3 or not _DIGITS.issuperset(octet):
                break
            if octet[0] == "0" and len(octet) > 1:
                break
            number = int(octet)
            if number > 255:
                break
            value = value << 8 | number
        else:
            return Address(4, 0, value)
    try:
        return Address.parse(text)
    except ValueError:
        return None


#: The largest count the canonical table's BIGINT columns hold.
MAX_COUNT = (1 << 63) - 1


def _digits(text: str, most: int) -> bool:
    """ASCII digits only, at most ``most`` of them: ``str.isdigit`` also takes superscripts
    (which ``int`` refuses) and other scripts' digits, and ``int`` refuses 4,300 digits."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def port(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not _digits(text, 5) or int(text) > 65535:
        raise LineProblem(f"{cite(text)} is not a port number")
    return int(text)


def protocol(text: str) -> int:
    number = protocol_number(text)
    if number is None:
        raise LineProblem(f"{cite(text)} is not a protocol")
    return number


def integer(text: str | None) -> int | None:
    if text is None or text in ("", "-"):
        return None
    if not _digits(text, 19) or int(text) > MAX_COUNT:
        raise LineProblem(f"{cite(text)} is not a count")
    return int(text)


def total(values: list[int]) -> int | None:
    """The sum of counts, or a problem when it outgrows the table."""
    if not values:
        return None
    if sum(values) > MAX_COUNT:
        raise LineProblem("the counts add up to more than a 64-bit count holds")
    return sum(values)


def epoch_micros(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def row_of(record: Record, file: str, line: int) -> tuple[Any, ...]:
    src, dst = address(record.src), address(record.dst)
    if src.family != dst.family:
        raise LineProblem(
            f"source {cite(record.src)} and destination {cite(record.dst)} differ in family"
        )
    return (
        epoch_micros(record.time),
        src.family,
        src.hi,
        src.lo,
        dst.hi,
        dst.lo,
        record.protocol,
        record.src_port,
        record.dst_port,
        record.action,
        record.answered,
        record.bytes,
        record.packets,
        record.direction,
        file,
        line,
        None,
    )


def _problem_row(file: str, line: int, message: str) -> tuple[Any, ...]:
    return (None,) * 14 + (file, line, message)


def stage_lines(path: Path, staging: Staging, parse: LineParser) -> None:
    """Every line of ``path`` through ``parse`` into ``staging``."""
    staging.insert_rows(_rows(path, staging, parse))


def _rows(path: Path, staging: Staging, parse: LineParser) -> Iterator[tuple[Any, ...]]:
    name = str(path)
    read = 0
    with opened(path) as handle:
        for number, text in enumerate(handle, start=1):
            read += len(text)
            if number % 65536 == 0:
                staging.progress(read)
                read = 0
            line = text.rstrip("\r\n")
            try:
                record = parse(line)
                if record is None:
                    staging.ignored += 1
                    continue
                yield row_of(record, name, number)
            except LineProblem as exc:
                yield _problem_row(name, number, str(exc))
    staging.progress(read)

"""Time stamps as syslog daemons and devices write them in front of a message.

Three shapes: ISO 8601 (RFC 5424, ``journalctl -o short-iso``), the BSD form with a year
(``Feb 13 2023 02:31:56``, what ASA's ``logging timestamp`` writes) and without one
(``Feb 13 02:31:56``, what a syslog server prefixes). A stamp without a year gets the year the
user gives (``--year``) or, failing that, the year of the file's modification time, moved one
year back when that would put the line in the future (a December line read in January).
Stamps without a zone are taken as UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from portmatrix.audit.readers._lines import LineProblem, cite

MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}

STAMP = re.compile(
    r"(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"|(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(?P<day>\d{1,2})"
    r"(?: (?P<year>\d{4}))? (?P<hms>\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))?",
    re.ASCII,  # digits of other scripts are no time
)


@dataclass(frozen=True, slots=True)
class YearGuess:
    """The year for stamps that lack one, and the moment after which a stamp is 'future'."""

    year: int
    latest: datetime | None

    @classmethod
    def for_file(cls, path: Path, year: int | None) -> YearGuess:
        if year is not None:
            return cls(year, None)
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        return cls(modified.year, modified + timedelta(days=1))


#: Stamps already read, by their text and year guess: a log repeats each second many times.
_SEEN: dict[tuple[str, YearGuess], datetime] = {}
_SEEN_MAX = 1 << 16


def parse_stamp(match: re.Match[str], guess: YearGuess) -> datetime:
    key = (match.group(0), guess)
    moment = _SEEN.get(key)
    if moment is None:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        moment = _SEEN[key] = _read_stamp(match, guess)
    return moment


def _read_stamp(match: re.Match[str], guess: YearGuess) -> datetime:
    try:
        return _moment(match, guess)
    except (ValueError, OverflowError):  # 31 February, hour 25, 29 February a year back
        raise LineProblem(f"time {cite(match.group(0))} is not a date") from None


def _moment(match: re.Match[str], guess: YearGuess) -> datetime:
    iso = match.group("iso")
    if iso:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    hour, minute, second = (int(part) for part in match.group("hms").split(":"))
    frac = match.group("frac") or "0"
    micro = int((frac + "000000")[:6])
    month, day = MONTHS[match.group("mon")], int(match.group("day"))
    year = int(match.group("year") or guess.year)
    moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    if match.group("year") is None and guess.latest is not None and moment > guess.latest:
        moment = moment.replace(year=year - 1)
    return moment

"""The compiled scanner behind :mod:`portmatrix.audit.readers._fast` (numba, extra ``fast``).

It walks a block of a delimited log byte by byte and converts only lines it is sure of: every
field plain ASCII, in the strictest spelling the reader's SQL accepts (a dotted quad without
leading zeros, digits that cannot overflow, a word from the reader's own table). Any other
line is handed back by position, for the SQL reader to read as it always has, so the meaning
of a field lives in one place and this scanner can only ever agree with it or step aside.

Imported only when numba is installed; everything here is compiled on first use and cached.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from portmatrix.audit.readers._fast import (
    ACTION,
    ANSWERED,
    BYTES,
    CLOCK,
    DASH,
    DATE,
    DATETIME,
    DIRECTION,
    DOT0,
    DPORT,
    DST,
    EPOCH,
    EPOCHTOO,
    FLAGS,
    FOLD,
    FRACTION,
    IGNORE,
    PACKETS,
    PROTO,
    SPORT,
    SRC,
    SUM,
    TSEP,
    ZSUFFIX,
)

# Rows of ``out``; NULL is -1 for counts and ports, NULL_TIME for the time, 2 for action
# (unknown) and answered, 0 for direction.
TIME, SRCV, DSTV, PROTOV, SPORTV, DPORTV, ACTIONV, ANSWEREDV, BYTESV, PACKETSV, DIRV, LINE = range(
    12
)
ROWS = 12
NULL_TIME = np.iinfo(np.int64).min

# ``opts``: the protocol column, which lines drop their ports as ICMP (0 none, 1 the name icmp,
# 2 the name icmp or the numbers 1 and 58), and a constant packet count (-1: none).
PROTO_COLUMN, ICMP_MODE, PACKETS_CONST = 0, 1, 2

DONE, STRANGE, FULL = 0, 1, 2

#: A line longer than this sends the whole file to the SQL reader (its line buffer rules).
LONG_LINE = 1 << 20

_POW10 = np.array([10.0**k for k in range(23)])
_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@njit(nogil=True, cache=True)
def _digits(buf, a, b, longest):  # type: ignore[no-untyped-def]
    """The value of 1 to ``longest`` ASCII digits, or -1."""
    if b - a < 1 or b - a > longest:
        return -1
    value = 0
    for i in range(a, b):
        digit = buf[i] - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


@njit(nogil=True, cache=True)
def _ipv4(buf, a, b):  # type: ignore[no-untyped-def]
    """A dotted quad as the SQL reader's fast form accepts it (no leading zeros), or -1."""
    value = 0
    octets = 0
    i = a
    while True:
        start = i
        octet = 0
        while i < b and buf[i] != 46:
            digit = buf[i] - 48
            if digit < 0 or digit > 9:
                return -1
            octet = octet * 10 + digit
            i += 1
        width = i - start
        if width < 1 or width > 3 or octet > 255 or (width > 1 and buf[start] == 48):
            return -1
        value = value * 256 + octet
        octets += 1
        if i == b:
            break
        if octets == 4:
            return -1
        i += 1
    return value if octets == 4 else -1


@njit(nogil=True, cache=True)
def _dash(buf, a, b):  # type: ignore[no-untyped-def]
    return b - a == 1 and buf[a] == 45


@njit(nogil=True, cache=True)
def _holds(buf, a, b, byte):  # type: ignore[no-untyped-def]
    for i in range(a, b):
        if buf[i] == byte:
            return True
    return False


@njit(nogil=True, cache=True)
def _lower(byte):  # type: ignore[no-untyped-def]
    return byte + 32 if 65 <= byte <= 90 else byte


@njit(nogil=True, cache=True)
def _word(buf, a, b, column, fold, words, word_at, word_from, word_code):  # type: ignore[no-untyped-def]
    """The code of the column's word spelled by ``buf[a:b]``, or -1 when it has none (the
    column's words are ``word_from[column]`` to ``word_from[column + 1]``)."""
    for w in range(word_from[column], word_from[column + 1]):
        if word_at[w + 1] - word_at[w] != b - a:
            continue
        same = True
        for k in range(b - a):
            byte = _lower(buf[a + k]) if fold else buf[a + k]
            if byte != words[word_at[w] + k]:
                same = False
                break
        if same:
            return word_code[w]
    return -1


@njit(nogil=True, cache=True)
def _protocol(buf, a, b):  # type: ignore[no-untyped-def]
    """(number, named): digits without leading zeros up to 255, or tcp/udp/icmp in any case."""
    if buf[a] == 48 and b - a > 1:
        return -1, False
    number = _digits(buf, a, b, 3)
    if number >= 0:
        return (number, False) if number <= 255 else (-1, False)
    if b - a == 3:
        c0, c1, c2 = _lower(buf[a]), _lower(buf[a + 1]), _lower(buf[a + 2])
        if c0 == 116 and c1 == 99 and c2 == 112:
            return 6, True
        if c0 == 117 and c1 == 100 and c2 == 112:
            return 17, True
    if b - a == 4 and (
        _lower(buf[a]) == 105
        and _lower(buf[a + 1]) == 99
        and _lower(buf[a + 2]) == 109
        and _lower(buf[a + 3]) == 112
    ):
        return 1, True
    return -1, False


@njit(nogil=True, cache=True)
def _days(year, month, day):  # type: ignore[no-untyped-def]
    """Days from 1970-01-01 to a valid civil date (Howard Hinnant's days_from_civil)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(nogil=True, cache=True)
def _date(buf, a):  # type: ignore[no-untyped-def]
    """Days since the epoch of ``YYYY-MM-DD`` at ``a`` (a valid date, year 1 on), or -2**40."""
    if buf[a + 4] != 45 or buf[a + 7] != 45:
        return -(1 << 40)
    year = _digits(buf, a, a + 4, 4)
    month = _digits(buf, a + 5, a + 7, 2)
    day = _digits(buf, a + 8, a + 10, 2)
    if year < 1 or month < 1 or month > 12 or day < 1:
        return -(1 << 40)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if day > _MONTH[month - 1] + (1 if month == 2 and leap else 0):
        return -(1 << 40)
    return _days(year, month, day)


@njit(nogil=True, cache=True)
def _clock(buf, a):  # type: ignore[no-untyped-def]
    """Seconds into the day of ``HH:MM:SS`` at ``a``, or -1."""
    if buf[a + 2] != 58 or buf[a + 5] != 58:
        return -1
    hour = _digits(buf, a, a + 2, 2)
    minute = _digits(buf, a + 3, a + 5, 2)
    second = _digits(buf, a + 6, a + 8, 2)
    if hour < 0 or hour > 23 or minute < 0 or minute > 59 or second < 0 or second > 59:
        return -1
    return hour * 3600 + minute * 60 + second


@njit(nogil=True, cache=True)
def _datetime(buf, a, b, flags):  # type: ignore[no-untyped-def]
    """Microseconds since the epoch of ``YYYY-MM-DD HH:MM:SS[.ffffff][Z]``, or NULL_TIME."""
    if flags & ZSUFFIX and b - a > 19 and buf[b - 1] == 90:
        b -= 1
    if b - a < 19:
        return NULL_TIME
    joint = buf[a + 10]
    if not (joint == 32 or (flags & TSEP and joint == 84)):
        return NULL_TIME
    days = _date(buf, a)
    seconds = _clock(buf, a + 11)
    if days == -(1 << 40) or seconds < 0:
        return NULL_TIME
    micros = 0
    if b - a > 19:
        if buf[a + 19] != 46 or b - a > 26 or b - a == 20:
            return NULL_TIME
        fraction = _digits(buf, a + 20, b, 6)
        if fraction < 0:
            return NULL_TIME
        for _ in range(26 - b + a):
            fraction *= 10
        micros = fraction
    return (days * 86400 + seconds) * 1000000 + micros


@njit(nogil=True, cache=True)
def _epoch(buf, a, b, flags):  # type: ignore[no-untyped-def]
    """Microseconds of Unix seconds as the SQL readers convert them, or NULL_TIME.

    With FRACTION the SQL reads the text as a DOUBLE, multiplies by a million and rounds half
    to even; the same is done here, exactly, while the digits fit a double's 53 bits (then an
    integer over a power of ten is one correctly rounded division).
    """
    point = b
    for i in range(a, b):
        if buf[i] == 46:
            point = i
            break
    seconds = _digits(buf, a, point, 11)
    if seconds < 0:
        return NULL_TIME
    if point == b:
        return seconds * 1000000
    if not flags & FRACTION or b - point - 1 < 1 or b - point - 1 > 22:
        return NULL_TIME
    mantissa = seconds
    for i in range(point + 1, b):
        digit = buf[i] - 48
        if digit < 0 or digit > 9:
            return NULL_TIME
        mantissa = mantissa * 10 + digit
        if mantissa >= 1 << 53:
            return NULL_TIME
    value = float(mantissa) / _POW10[b - point - 1]
    return np.int64(np.rint(value * 1000000.0))


@njit(nogil=True, cache=True)
def scan(  # type: ignore[no-untyped-def]
    buf,
    position,
    line,
    rows,
    handed,
    delimiter,
    kinds,
    flags,
    opts,
    words,
    word_at,
    word_from,
    word_code,
    out,
    rest,
):
    """Read the lines of ``buf`` (whole lines) from ``position`` into ``out``, from its
    column ``rows`` on; ``line`` is the number of the line at ``position``.

    Returns (rows, handed, status, position, line). Lines handed back are in ``rest`` from its
    column ``handed`` on: row 0 their start, row 1 their end without the line break, row 2
    their number. Empty lines are skipped, as DuckDB's CSV reader skips them. ``status`` is
    DONE; FULL when ``out`` or ``rest`` has no room left (call again from the position and
    line returned, with room); or STRANGE when a carriage return stands alone or a line is
    longer than LONG_LINE: the caller then leaves the file to the SQL reader, whose line
    numbering such files follow.
    """
    columns = len(kinds)
    starts = np.empty(columns, np.int64)
    ends = np.empty(columns, np.int64)
    end = len(buf)
    room = out.shape[1]
    room_rest = rest.shape[1]
    proto_column = opts[PROTO_COLUMN]
    icmp_mode = opts[ICMP_MODE]
    while position < end:
        if rows == room or handed == room_rest:
            return rows, handed, FULL, position, line
        # split the line into fields as it is read; a byte no plain field holds hands the
        # line back, a carriage return anywhere but before the line feed stops the scan
        good = True
        field = 0
        at = position
        i = position
        while True:
            byte = buf[i] if i < end else 10
            if byte == delimiter or byte == 10:
                if field < columns:
                    starts[field] = at
                    ends[field] = i
                field += 1
                if byte == 10:
                    break
                at = i + 1
            elif byte < 32 or byte >= 128:
                if byte == 13 and not (i + 1 < end and buf[i + 1] == 10):
                    return rows, handed, STRANGE, position, line
                if byte != 9 and byte != 13:
                    good = False
            i += 1
        stop = i
        following = i + 1
        if stop > position and buf[stop - 1] == 13:
            stop -= 1
            if field <= columns:
                ends[field - 1] = stop
        if stop - position > LONG_LINE:
            return rows, handed, STRANGE, position, line
        if stop == position:
            line += 1
            position = following
            continue
        if field != columns:
            good = False
        number = -1
        named = False
        if good:
            pa, pb = starts[proto_column], ends[proto_column]
            if pb > pa:
                number, named = _protocol(buf, pa, pb)
            good = number >= 0
        if good:
            icmp = (icmp_mode == 1 and named and number == 1) or (
                icmp_mode == 2 and (number == 1 or number == 58)
            )
            stamp = NULL_TIME
            src = dst = -1
            sport = dport = -1
            action = 2
            answered = 2
            direction = 0
            size = -1
            packets = opts[PACKETS_CONST]
            summed_size = summed_packets = False
            day = -(1 << 40)
            clock = -1
            for c in range(columns):
                a, b = starts[c], ends[c]
                kind = kinds[c]
                flag = flags[c]
                if a == b:
                    if kind != IGNORE or c == 0 or c == columns - 1:
                        good = False
                        break
                    continue
                if kind == IGNORE or kind == PROTO:
                    continue
                if kind == SRC or kind == DST:
                    value = _ipv4(buf, a, b)
                    if value < 0:
                        good = False
                        break
                    if kind == SRC:
                        src = value
                    else:
                        dst = value
                elif kind == SPORT or kind == DPORT:
                    if icmp or (flag & DASH and _dash(buf, a, b)):
                        continue
                    if flag & DOT0 and b - a > 2 and buf[b - 2] == 46 and buf[b - 1] == 48:
                        b -= 2
                    value = _digits(buf, a, b, 5)
                    if value < 0 or value > 65535:
                        good = False
                        break
                    if kind == SPORT:
                        sport = value
                    else:
                        dport = value
                elif kind == PACKETS or kind == BYTES:
                    value = -1
                    if not _dash(buf, a, b):
                        value = _digits(buf, a, b, 18)
                        if value < 0:
                            good = False
                            break
                    if flag & SUM:
                        if kind == BYTES:
                            size = (max(size, 0) + max(value, 0)) if summed_size else value
                            summed_size = True
                        else:
                            packets = (max(packets, 0) + max(value, 0)) if summed_packets else value
                            summed_packets = True
                    elif kind == BYTES:
                        size = value
                    else:
                        packets = value
                elif kind == EPOCH or kind == DATETIME:
                    if flag & DASH and _dash(buf, a, b):
                        continue
                    if kind == EPOCH or (flag & EPOCHTOO and not _holds(buf, a, b, 45)):
                        stamp = _epoch(buf, a, b, flag)
                    else:
                        stamp = _datetime(buf, a, b, flag)
                    if stamp == NULL_TIME:
                        good = False
                        break
                elif kind == DATE:
                    if b - a != 10:
                        good = False
                        break
                    day = _date(buf, a)
                    if day == -(1 << 40):
                        good = False
                        break
                elif kind == CLOCK:
                    if b - a != 8:
                        good = False
                        break
                    clock = _clock(buf, a)
                    if clock < 0:
                        good = False
                        break
                elif kind == FLAGS:
                    if number == 6:
                        for k in range(a, b):
                            if buf[k] == 65:
                                answered = 1
                                break
                        if answered == 2:
                            for k in range(a, b):
                                if buf[k] == 83:
                                    answered = 0
                                    break
                else:  # a word: action, direction, answered, status
                    code = _word(buf, a, b, c, flag & FOLD, words, word_at, word_from, word_code)
                    if code < 0:
                        good = False
                        break
                    if kind == ACTION:
                        action = code
                    elif kind == DIRECTION:
                        direction = code
                    elif kind == ANSWERED:
                        answered = code
            if good and clock >= 0 and day != -(1 << 40):
                stamp = (day * 86400 + clock) * 1000000
            elif good and (clock >= 0) != (day != -(1 << 40)):
                good = False
        if good:
            if summed_size and size == 0:
                size = -1
            if summed_packets and packets == 0:
                packets = -1
            out[TIME, rows] = stamp
            out[SRCV, rows] = src
            out[DSTV, rows] = dst
            out[PROTOV, rows] = number
            out[SPORTV, rows] = sport
            out[DPORTV, rows] = dport
            out[ACTIONV, rows] = action
            out[ANSWEREDV, rows] = answered
            out[BYTESV, rows] = size
            out[PACKETSV, rows] = packets
            out[DIRV, rows] = direction
            out[LINE, rows] = line
            rows += 1
        else:
            rest[0, handed] = position
            rest[1, handed] = stop
            rest[2, handed] = line
            handed += 1
        line += 1
        position = following
    return rows, handed, DONE, position, line

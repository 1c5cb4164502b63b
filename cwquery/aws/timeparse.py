"""Points in time for the AWS commands: ``datetime``, epoch milliseconds, ISO 8601 or relative.

CloudWatch Logs counts time in milliseconds since the Unix epoch, in UTC. Everything here turns
what a person types into that number, and back.

>>> now = to_millis("2024-05-01T12:00:00Z")
>>> now
1714564800000
>>> to_millis("2h30m", now=now) == now - (2 * 3600 + 30 * 60) * 1000
True
>>> format_millis(to_millis("1d ago", now=now))
'2024-04-30T12:00:00.000Z'
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone

from cwquery.errors import CWQueryError


class TimeFormatError(CWQueryError, ValueError):
    """A time or a duration that cannot be read."""


#: Anything :func:`to_millis` accepts.
TimeLike = datetime | date | int | float | str

_UNIT_MILLIS = {
    "ms": 1,
    "s": 1000,
    "m": 60 * 1000,
    "h": 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
}
_DURATION_PART = re.compile(r"(\d+)(ms|[smhdw])")
_DURATION = re.compile(r"(?:\d+(?:ms|[smhdw]))+")
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d+))?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_duration(text: str) -> int:
    """The length of a relative time such as ``15m``, ``2h30m`` or ``1d``, in milliseconds.

    Units: ``ms``, ``s``, ``m``, ``h``, ``d``, ``w``; several may be chained, largest first or
    not.

    >>> parse_duration("15m"), parse_duration("2h30m"), parse_duration("1w")
    (900000, 9000000, 604800000)
    >>> parse_duration("soon")
    Traceback (most recent call last):
    ...
    cwquery.aws.timeparse.TimeFormatError: not a duration: 'soon' (use a number and a unit, \
e.g. 15m, 2h30m, 1d)
    """
    compact = text.strip().replace(" ", "")
    if not _DURATION.fullmatch(compact):
        raise TimeFormatError(
            f"not a duration: {text!r} (use a number and a unit, e.g. 15m, 2h30m, 1d)"
        )
    return sum(int(n) * _UNIT_MILLIS[unit] for n, unit in _DURATION_PART.findall(compact))


def parse_iso8601(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware ``datetime``; no zone means UTC.

    Accepts ``YYYY-MM-DD``, a ``T`` or a space before the time, optional seconds and any number
    of fraction digits (kept to the microsecond), and ``Z`` or ``±HH[:MM]``.

    >>> parse_iso8601("2024-05-01T12:30:00.123456789+02:00").isoformat()
    '2024-05-01T12:30:00.123456+02:00'
    >>> parse_iso8601("2024-05-01").isoformat()
    '2024-05-01T00:00:00+00:00'
    """
    match = _ISO.fullmatch(text.strip())
    if not match:
        raise TimeFormatError(f"not an ISO 8601 time: {text!r}")
    parts = match.groupdict()
    fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
    zone = parts["zone"]
    tz: timezone = timezone.utc
    if zone and zone not in ("Z", "z"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
        tz = timezone(sign * offset)
    return datetime(
        int(parts["year"]),
        int(parts["month"]),
        int(parts["day"]),
        int(parts["hour"] or 0),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        int(fraction),
        tzinfo=tz,
    )


def now_millis() -> int:
    """The current time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


#: Digit strings up to this long are epoch seconds, longer ones epoch milliseconds.
_SECONDS_DIGITS = 11


def to_millis(value: TimeLike, *, now: int | None = None) -> int:
    """Any supported time as epoch milliseconds (UTC).

    - ``datetime``: naive values are taken as UTC; ``date``: its midnight, UTC.
    - ``int`` / ``float``: already epoch milliseconds.
    - ``str``: ``now``; digits, read as epoch seconds up to 11 digits (as ``aws logs`` reads
      them; 11 digits reach the year 5138) and as epoch milliseconds from 12 digits (which
      start in 1973); an ISO 8601 date or date-time; or a relative time before ``now`` such as
      ``15m``, ``2h30m``, ``1d`` (an ``ago`` after it is allowed).

    >>> to_millis(datetime(1970, 1, 1, 0, 0, 1))
    1000
    >>> to_millis("1714564800"), to_millis("1714564800123"), to_millis(1500.9)
    (1714564800000, 1714564800123, 1500)
    >>> to_millis("90s ago", now=100_000)
    10000
    >>> to_millis("yesterday")
    Traceback (most recent call last):
    ...
    cwquery.aws.timeparse.TimeFormatError: cannot read 'yesterday' as a time: use ISO 8601, \
epoch seconds or milliseconds, or a relative time such as 15m, 2h30m, 1d
    """
    if isinstance(value, bool):
        raise TypeError("a time cannot be a bool")
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return _datetime_millis(aware)
    if isinstance(value, date):
        return _datetime_millis(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    if isinstance(value, (int, float)):
        if value < 0:
            raise TimeFormatError(f"a time cannot be negative: {value}")
        return int(value)
    text = value.strip()
    if text.lower() == "now":
        return now_millis() if now is None else now
    if text.isdigit():
        return int(text) * 1000 if len(text) <= _SECONDS_DIGITS else int(text)
    relative = text[:-3].rstrip() if text.lower().endswith("ago") else text
    try:
        millis = parse_duration(relative)
    except ValueError:
        pass
    else:
        return (now_millis() if now is None else now) - millis
    try:
        return _datetime_millis(parse_iso8601(text))
    except ValueError:
        raise TimeFormatError(
            f"cannot read {value!r} as a time: use ISO 8601, epoch seconds or milliseconds, or "
            "a relative time such as 15m, 2h30m, 1d"
        ) from None


def format_millis(millis: int) -> str:
    """Epoch milliseconds as ISO 8601 in UTC, to the millisecond.

    >>> format_millis(1714564800123)
    '2024-05-01T12:00:00.123Z'
    """
    moment = datetime.fromtimestamp(millis // 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis % 1000:03d}Z"


def utc_day(millis: int) -> str:
    """The UTC calendar day of a time, as ``YYYYMMDD``.

    >>> utc_day(1714564800000)
    '20240501'
    """
    return datetime.fromtimestamp(millis // 1000, tz=timezone.utc).strftime("%Y%m%d")


def _datetime_millis(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000

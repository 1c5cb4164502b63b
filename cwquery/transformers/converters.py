"""The datatype converters of spec §2.5: typeConverter and dateTimeConverter, with the subset
of Java ``DateTimeFormatter`` patterns cwquery reads and writes (T22)."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any, Final

from cwquery.transformers import paths
from cwquery.transformers.event import Event

DEFAULT_TARGET_FORMAT: Final = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
#: Longer text is no date: it is not read (the patterns' letter runs could backtrack over it).
MAX_DATE_LENGTH: Final = 256
#: Pattern letters cwquery reads and writes; other Java letters are refused at validation.
SUPPORTED_LETTERS: Final = frozenset("yuMLdHhkKmsSaEXxZz")
_MONTHS: Final = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS: Final = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _to_integer(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return value


def _to_double(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _DOUBLE.fullmatch(value.strip()):
        number = float(value.strip())
        return number if math.isfinite(number) else value
    return value


def _to_string(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return value


def _to_boolean(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


_CONVERT = {
    "integer": _to_integer,
    "double": _to_double,
    "string": _to_string,
    "boolean": _to_boolean,
}


def type_converter(config: dict[str, Any], event: Event) -> None:
    """typeConverter: values that cannot be converted stay as they are (T11)."""
    for entry in config["entries"]:
        value = paths.lookup(event.fields, entry["key"])
        if value is paths.MISSING:
            continue
        converted = _CONVERT[entry["type"]](value)
        if converted is not value:
            event.put(entry["key"], converted)


@dataclass(frozen=True)
class Token:
    """A run of one pattern letter (``width`` long), or a literal when ``letter`` is empty."""

    letter: str
    width: int
    literal: str = ""


@functools.lru_cache(maxsize=256)
def tokens(pattern: str) -> tuple[Token, ...]:
    """The tokens of a Java ``DateTimeFormatter`` pattern; raises ``ValueError`` for an
    unterminated quote or a letter cwquery does not support."""
    out: list[Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = index + 1
            literal: list[str] = []
            while True:
                if end >= len(pattern):
                    raise ValueError("unterminated quote")
                if pattern[end] == "'":
                    if pattern[end + 1 : end + 2] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            out.append(Token("", 0, "".join(literal) if end > index + 1 else "'"))
            index = end + 1
        elif char.isascii() and char.isalpha():
            if char not in SUPPORTED_LETTERS:
                raise ValueError(f"pattern letter {char!r} is not supported")
            end = index
            while end < len(pattern) and pattern[end] == char:
                end += 1
            out.append(Token(char, end - index))
            index = end
        elif char in "[]{}#":
            raise ValueError(f"{char!r} is reserved in date-time patterns")
        else:
            out.append(Token("", 0, char))
            index += 1
    return tuple(out)


def _piece(token: Token) -> str:
    letter, width = token.letter, token.width
    if not letter:
        return re.escape(token.literal)
    if letter in "yu":
        return r"(?P<year2>[0-9]{2})" if width == 2 else r"(?P<year>[+-]?[0-9]{4,9})"
    if letter in "ML":
        if width >= 3:
            return r"(?P<monthname>[A-Za-z]+)"
        return r"(?P<month>[0-9]{2})" if width == 2 else r"(?P<month>[0-9]{1,2})"
    digits = {"d": "day", "H": "hour", "k": "hour", "h": "hour12", "K": "hour12"}
    digits.update({"m": "minute", "s": "second"})
    if letter in digits:
        size = r"[0-9]{2}" if width == 2 else r"[0-9]{1,2}"
        return f"(?P<{digits[letter]}>{size})"
    if letter == "S":
        return rf"(?P<fraction>[0-9]{{{width}}})"
    if letter == "a":
        return r"(?P<ampm>[AaPp][Mm])"
    if letter == "E":
        return r"[A-Za-z]+"
    if letter in "XxZ":
        return r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)"
    return r"(?P<zone>[A-Za-z][A-Za-z0-9_/+-]*)"  # z


@functools.lru_cache(maxsize=256)
def _parser(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(_piece(token) for token in tokens(pattern)))


def _zone(name: str) -> _dt.tzinfo:
    if name.upper() in ("UTC", "Z", "GMT"):
        return _dt.timezone.utc
    return zoneinfo.ZoneInfo(name)


def parse(text: str, pattern: str, zone: _dt.tzinfo) -> _dt.datetime | None:
    """``text`` read with one pattern, or ``None``.

    >>> parse("2025-01-05 09:30", "yyyy-MM-dd HH:mm", _dt.timezone.utc).isoformat()
    '2025-01-05T09:30:00+00:00'
    >>> parse("2025-13-05 09:30", "yyyy-MM-dd HH:mm", _dt.timezone.utc) is None
    True
    """
    found = _parser(pattern).fullmatch(text)
    if found is None:
        return None
    parts = {k: v for k, v in found.groupdict().items() if v is not None}
    try:
        year = int(parts["year"]) if "year" in parts else 2000 + int(parts.get("year2", "70"))
        if "year" not in parts and "year2" not in parts:
            year = 1970
        month = int(parts.get("month", 1))
        if "monthname" in parts:
            names = [name.lower() for name in _MONTHS]
            word = parts["monthname"].lower()
            month = next(n + 1 for n, name in enumerate(names) if name.startswith(word[:3]))
        hour = int(parts.get("hour", 0))
        if "hour12" in parts:
            hour = int(parts["hour12"]) % 12 + (12 if parts.get("ampm", "").lower() == "pm" else 0)
        fraction = parts.get("fraction", "")
        micro = int((fraction + "000000")[:6]) if fraction else 0
        tz = zone
        if "offset" in parts:
            tz = _offset(parts["offset"])
        elif "zone" in parts:
            tz = _zone(parts["zone"])
        return _dt.datetime(
            year,
            month,
            int(parts.get("day", 1)),
            hour,
            int(parts.get("minute", 0)),
            int(parts.get("second", 0)),
            micro,
            tzinfo=tz,
        )
    except (ValueError, StopIteration, KeyError, zoneinfo.ZoneInfoNotFoundError, OverflowError):
        return None


def _offset(text: str) -> _dt.tzinfo:
    if text == "Z":
        return _dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
    return _dt.timezone(sign * _dt.timedelta(minutes=minutes))


def _offset_text(moment: _dt.datetime, token: Token) -> str:
    delta = moment.utcoffset() or _dt.timedelta(0)
    total = int(delta.total_seconds()) // 60
    if total == 0 and token.letter == "X":
        return "Z"
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    if token.width == 1 and token.letter in "Xx":
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    separator = ":" if (token.width >= 3 and token.letter in "Xx") else ""
    return f"{sign}{hours:02d}{separator}{minutes:02d}"


def render(moment: _dt.datetime, pattern: str) -> str:
    """``moment`` written with a pattern.

    >>> render(_dt.datetime(2025, 1, 5, 9, 30, tzinfo=_dt.timezone.utc), "dd MMM yyyy HH:mm")
    '05 Jan 2025 09:30'
    """
    out: list[str] = []
    for token in tokens(pattern):
        letter, width = token.letter, token.width
        if not letter:
            out.append(token.literal)
        elif letter in "yu":
            out.append(f"{moment.year % 100:02d}" if width == 2 else f"{moment.year:0{width}d}")
        elif letter in "ML":
            if width >= 4:
                out.append(_MONTHS[moment.month - 1])
            elif width == 3:
                out.append(_MONTHS[moment.month - 1][:3])
            else:
                out.append(f"{moment.month:0{width}d}")
        elif letter == "E":
            day = _DAYS[moment.weekday()]
            out.append(day if width >= 4 else day[:3])
        elif letter == "S":
            out.append(f"{moment.microsecond:06d}"[:width].ljust(width, "0"))
        elif letter == "a":
            out.append("AM" if moment.hour < 12 else "PM")
        elif letter in "XxZ":
            out.append(_offset_text(moment, token))
        elif letter == "z":
            out.append(moment.tzname() or "UTC")
        else:
            number = {
                "d": moment.day,
                "H": moment.hour,
                "k": moment.hour or 24,
                "h": moment.hour % 12 or 12,
                "K": moment.hour % 12,
                "m": moment.minute,
                "s": moment.second,
            }[letter]
            out.append(f"{number:0{width}d}")
    return "".join(out)


def date_time_converter(config: dict[str, Any], event: Event) -> None:
    """dateTimeConverter: the first pattern that reads the source wins; none -> unchanged."""
    text = paths.lookup(event.fields, config["source"])
    if not isinstance(text, str) or len(text) > MAX_DATE_LENGTH:
        return
    try:
        source_zone = _zone(config.get("sourceTimezone", "UTC"))
        target_zone = _zone(config.get("targetTimezone", "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return
    for pattern in config["matchPatterns"]:
        moment = parse(text, pattern, source_zone)
        if moment is not None:
            target = config.get("targetFormat", DEFAULT_TARGET_FORMAT)
            event.put(config["target"], render(moment.astimezone(target_zone), target))
            return

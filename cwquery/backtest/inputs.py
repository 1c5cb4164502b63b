"""Log events with their times, from files: JSON lines (exported events, or application JSON
with a time field), text lines starting with a time, CloudWatch exports (``{"events": [...]}``
and S3-export ``.gz``), and Firehose-delivered subscription records (gzip, JSON objects with
``logEvents``).

An event is a tuple ``(message, timestamp, ingestion_time)``: times in epoch milliseconds,
``timestamp`` ``None`` when the time is read from the message itself (``TimedSource.time_of``),
which the engine does only for the events it needs.

>>> import io
>>> source = open_source(io.StringIO("2024-05-01T12:00:05Z ERROR a\\n"))
>>> [(message, source.time_of(message)) for message, _, _ in source.events]
[('2024-05-01T12:00:05Z ERROR a', 1714564805000)]
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import IO, Any

import orjson

from cwquery.errors import CWQueryError
from cwquery.logs.lines import stream_messages
from cwquery.logs.sources import EVENT_KEYS, read_events

Event = tuple[str, int | None, int | None]
#: Field names tried, in order, for the time of an application JSON line.
TIME_FIELDS = ("timestamp", "@timestamp", "time", "ts", "datetime", "date")
_PREFIX = re.compile(
    r"\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
#: :data:`_PREFIX` after each line end: the minute, the seconds when they are not 00-59 (60-99,
#: digits past ASCII; else empty) and the zone captured. A literal line end first, not ``^``:
#: the search then skips from line end to line end instead of trying every position
_MINUTE = (
    r"(\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}):(?:[0-5][0-9]|(\d{2}))(?:[.,]\d{1,9})?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)
_PREFIX_MINUTE = re.compile("\n" + _MINUTE)
#: :data:`_PREFIX_MINUTE` for ASCII text, where ``\d`` can only be 0-9 (a quicker search)
_PREFIX_MINUTE_ASCII = re.compile(_PREFIX_MINUTE.pattern, re.ASCII)
#: :data:`_PREFIX_MINUTE_ASCII` matching only the times whose seconds are 00-59 and that
#: have no offset (``Z`` or nothing: UTC), capturing only the minute: their minute is the one
#: written. An offset can only follow a fraction's whole run of digits, so "no fraction of any
#: length then an offset" is "no offset after the longest fraction", as read there.
_PLAIN = r"(\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}):[0-5][0-9](?!(?:[.,]\d{1,9})?[+-]\d{2}:?\d{2})"
_PLAIN_MINUTE_ASCII = re.compile("\n" + _PLAIN, re.ASCII)
#: the two searches over lines' heads, each after a NUL (:func:`head_minutes`)
_HEAD_MINUTE_ASCII = re.compile("\0" + _MINUTE, re.ASCII)
_HEAD_PLAIN_ASCII = re.compile("\0" + _PLAIN, re.ASCII)
_EPOCH_MS_FROM = 100_000_000_000  # numbers from here on are milliseconds, below it seconds
_PEEK = 4096


class InputError(CWQueryError, ValueError):
    """An input whose events or times cannot be read."""


@dataclass
class TimedSource:
    """The events of one input and how to read a time from a message (``time_of``)."""

    events: Iterator[Event]
    time_of: Callable[[str], int | None]
    kind: str


def open_source(
    source: str | os.PathLike[str] | IO[str],
    *,
    time_field: str | None = None,
    strip_time: bool = False,
) -> TimedSource:
    """Open one input; the kind is recognised from its content.

    ``time_field`` names the time field of application JSON lines (else the first of
    :data:`TIME_FIELDS` present in the first line). ``strip_time`` removes a leading time
    from text lines (a decompressed S3 export, whose time prefix is not part of the message).

    Raises:
        InputError: the file's events have no time that can be read.
        OSError: the file cannot be read.
    """
    if isinstance(source, str | os.PathLike) and os.fspath(source).endswith(".gz"):
        with open(source, "rb") as packed:
            return open_bytes(os.fspath(source), packed.read())
    stream: IO[str] = (
        open(source, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by the generator
        if isinstance(source, str | os.PathLike)
        else source
    )
    head = stream.read(_PEEK)
    first = next((line for line in head.splitlines() if line.strip()), "")
    if _is_export(first):
        text = head + stream.read()
        if isinstance(source, str | os.PathLike):
            stream.close()
        return TimedSource(_exported(io.StringIO(text)), _no_time, "export")
    lines = _all_lines(head, stream, isinstance(source, str | os.PathLike))
    kind, field = line_kind(first, time_field)
    return line_source(lines, kind, field, strip_time=strip_time)


def _is_export(first: str) -> bool:
    """Whether a file whose first non-blank line is ``first`` is a whole-file export."""
    head = first.lstrip()
    return (head.startswith("{") and '"events"' in first) or head.startswith("[")


def file_line_kind(
    path: str | os.PathLike[str], *, time_field: str | None = None, strip_time: bool = False
) -> tuple[str, str | None] | None:
    """For a file :func:`open_source` reads as plain lines, each line one event whose time is
    read from it (``time_of``): its :func:`line_kind`; else (gzip, an export, ``strip_time``
    text) ``None``.

    Raises:
        InputError: as :func:`open_source` does.
        OSError: the file cannot be read.
    """
    if str(path).endswith(".gz"):
        return None
    with open(path, encoding="utf-8", errors="replace") as stream:
        head = stream.read(_PEEK)
    first = next((line for line in head.splitlines() if line.strip()), "")
    if _is_export(first):
        return None
    kind, field = line_kind(first, time_field)
    if kind == "json-lines" and field is not None:
        return kind, field
    return None if strip_time else (kind, field)


def line_kind(first: str, time_field: str | None = None) -> tuple[str, str | None]:
    """``("json-lines", time field)`` or ``("text", None)``, from a file's first line.

    >>> line_kind('{"ts": 1, "msg": "x"}'), line_kind("2024-05-01 12:00:00 x")
    (('json-lines', 'ts'), ('text', None))
    """
    if first.lstrip().startswith("{"):
        return "json-lines", time_field or _time_field(first)
    if time_field:
        raise InputError("--time-field applies to JSON lines only")
    return "text", None


def line_source(
    lines: Iterable[str], kind: str, field: str | None, *, strip_time: bool = False
) -> TimedSource:
    """The events of lines of a known kind (:func:`line_kind`)."""
    if kind == "json-lines" and field is not None:
        return TimedSource(_json_lines(iter(lines), field), _json_time(field), "json-lines")
    if strip_time:
        return TimedSource(_stripped(iter(lines)), _no_time, "text")
    return TimedSource(((line, None, None) for line in lines), prefix_time, "text")


def open_bytes(
    name: str, data: bytes, *, time_field: str | None = None, strip_time: bool = False
) -> TimedSource:
    """Open one input from its bytes (``name`` tells a ``.gz`` file): a gzip file is a
    Firehose delivery when it starts with a subscription record, else an S3 export (a time
    and a space before each message); other data is read as :func:`open_source` reads it.

    >>> import gzip
    >>> source = open_bytes("x.gz", gzip.compress(b"2024-05-01T12:00:05.000Z  ERROR a\\n"))
    >>> source.kind, list(source.events)
    ('s3-export', [(' ERROR a', 1714564805000, None)])
    """
    if name.endswith(".gz"):
        try:
            import gzip  # only for a compressed input

            text = gzip.decompress(data).decode("utf-8", errors="replace")
        except (OSError, EOFError) as err:
            raise InputError(f"{name}: not a gzip file: {err}") from None
        if text.lstrip()[:1] == "{" and '"logEvents"' in text[:_PEEK]:
            return TimedSource(_firehose(text, name), _no_time, "firehose")
        return TimedSource(_stripped(_all_lines(text, io.StringIO(), False)), _no_time, "s3-export")
    return open_source(
        io.StringIO(data.decode("utf-8", errors="replace")),
        time_field=time_field,
        strip_time=strip_time,
    )


def parse_time(value: Any) -> int | None:
    """A time value as epoch ms: a number (seconds below 10^11, else milliseconds) or ISO 8601
    text; ``None`` when it is neither (NaN and infinities included). Whether the time is in
    the range the backtest reads is the engine's question.

    >>> parse_time(1714564805), parse_time(1714564805123), parse_time("2024-05-01T12:00:05.5Z")
    (1714564805000, 1714564805123, 1714564805500)
    >>> parse_time(float("nan")), parse_time(float("-inf")), parse_time("NaN")
    (None, None, None)
    """
    if type(value) is int:
        return value if value >= _EPOCH_MS_FROM else value * 1000
    if type(value) is float:
        if not math.isfinite(value):
            return None
        return int(value) if value >= _EPOCH_MS_FROM else int(value * 1000)
    if isinstance(value, str):
        text = value.strip()
        if text.isdecimal():  # digits int() reads ("²" is a digit, not a decimal)
            return parse_time(int(text))
        return prefix_time(text)
    return None


_MINUTES_CACHE: dict[str, int] = {}


def prefix_time(text: str) -> int | None:
    """The time at the start of a line (ISO 8601 or ``YYYY-MM-DD HH:MM:SS,mmm``, maybe in
    brackets; UTC unless an offset follows), else ``None``.

    >>> prefix_time("2024-05-01 12:00:05,250 ERROR x"), prefix_time("[2024-05-01T14:00:05+02:00]")
    (1714564805250, 1714564805000)
    >>> prefix_time("ERROR x") is None
    True
    """
    match = _PREFIX.match(text)
    if match is None:
        return None
    key = text[match.start(1) : match.end(5)]  # up to the minute: one datetime per minute
    start = _MINUTES_CACHE.get(key)
    if start is None:
        year, month, day, hour, minute = (int(g) for g in match.group(1, 2, 3, 4, 5))
        try:
            moment = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
        except ValueError:
            return None
        start = int(moment.timestamp())
        if len(_MINUTES_CACHE) > 100_000:
            _MINUTES_CACHE.clear()
        _MINUTES_CACHE[key] = start
    second = int(match.group(6))
    if second > 59:  # no such second (datetime refuses it)
        return None
    seconds = start + second
    fraction, zone = match.group(7), match.group(8)
    millis = int((fraction + "00")[:3]) if fraction else 0
    if zone and zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        digits = zone[1:].replace(":", "")
        seconds += sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds * 1000 + millis


def prefix_minutes(lines: Sequence[str]) -> tuple[Counter[int], int]:
    """The times of lines (none holding a line end) as :func:`prefix_time` reads them, down to
    the minute (epoch ms), each with how many lines have it; and how many lines have no time.
    One search over all the lines (first for plain times only: seconds 00-59, UTC, whose
    minute is the one written; the full search only when a line's time is not plain), and
    one :func:`prefix_time` per minute and zone seen (kept for the next call): seconds 00-59
    and a fraction leave the minute as it is (a zone moves it by whole minutes).

    >>> prefix_minutes(["2024-05-01T12:00:05.250Z a", "2024-05-01 12:00:59,9 b", "c"])
    (Counter({1714564800000: 2}), 1)
    """
    text = "\n" + "\n".join(lines)
    if text.isascii():  # \d: 0-9 alone
        return _minutes_found(text, len(lines), _PLAIN_MINUTE_ASCII, _PREFIX_MINUTE_ASCII)
    return _minutes_found(text, len(lines), None, _PREFIX_MINUTE)


def head_minutes(heads: bytes) -> tuple[Counter[int], int]:
    """:func:`prefix_minutes` of the lines whose heads ``heads`` holds, each after a NUL
    (:attr:`cwquery.logs.blocks.BlockResult.heads`: ASCII, each line's first bytes, at least
    the 36 of the longest time read, running on past the line's end when it is shorter).

    >>> head_minutes(b"\\x002024-05-01T12:00:05Z a\\n2024-05-01T12:09\\x00c")
    (Counter({1714564800000: 1}), 1)
    """
    text = heads.decode("ascii")
    return _minutes_found(text, heads.count(b"\0"), _HEAD_PLAIN_ASCII, _HEAD_MINUTE_ASCII)


def _minutes_found(
    text: str, lines: int, plain: re.Pattern[str] | None, search: re.Pattern[str]
) -> tuple[Counter[int], int]:
    """The minutes of the times that ``search`` (or first ``plain``, for plain times only)
    finds in ``text``, which holds ``lines`` lines' starts after a separator."""
    if plain is not None:
        found = _plain_minutes(text, lines, plain)
        if found is not None:
            return found
    minutes: Counter[int] = Counter()
    untimed = lines
    known = _MINUTE_STARTS
    for (minute, second, zone), count in Counter(search.findall(text)).items():
        if second:  # the line's own time, without its fraction
            millis = prefix_time(f"{minute}:{second}{zone}")
            if millis is not None:
                millis -= millis % 60_000
        elif (minute, zone) in known:
            millis = known[minute, zone]
        else:
            millis = known[minute, zone] = _minute_start(minute, zone)
        if millis is not None:
            minutes[millis] += count
            untimed -= count
    return minutes, untimed


def _plain_minutes(
    text: str, lines: int, plain: re.Pattern[str]
) -> tuple[Counter[int], int] | None:
    """:func:`_minutes_found` when ``plain`` finds a plain time at every line's start (one
    minute text each, read once), else ``None``."""
    found = plain.findall(text)
    if len(found) != lines:
        return None
    minutes: Counter[int] = Counter()
    untimed = lines
    known = _PLAIN_STARTS
    for minute, count in Counter(found).items():
        millis = known.get(minute, -1)
        if millis == -1:  # not read yet (a minute start is a multiple of 60 000)
            millis = known[minute] = _minute_start(minute, "")
        if millis is not None:
            minutes[millis] += count
            untimed -= count
    return minutes, untimed


def _minute_start(minute: str, zone: str) -> int | None:
    """What :func:`prefix_time` reads from ``f"{minute}:00{zone}"`` (``minute`` as
    :data:`_PREFIX_MINUTE` captures it), from the day's start (kept) and the digits."""
    if len(_MINUTE_STARTS) + len(_PLAIN_STARTS) > 100_000:
        _MINUTE_STARTS.clear()
        _PLAIN_STARTS.clear()
        _DAY_STARTS.clear()
    text = minute[1:] if minute[0] == "[" else minute
    date = text[:10]
    if date in _DAY_STARTS:
        day = _DAY_STARTS[date]
    else:
        try:
            moment = datetime(int(date[:4]), int(date[5:7]), int(date[8:]), tzinfo=timezone.utc)
        except ValueError:
            day = None
        else:
            day = int(moment.timestamp())
        _DAY_STARTS[date] = day
    hour, minutes = int(text[11:13]), int(text[14:16])
    if day is None or hour > 23 or minutes > 59:
        return None
    seconds = day + hour * 3600 + minutes * 60
    if zone and zone != "Z":
        sign = -1 if zone[0] == "+" else 1
        digits = zone[1:].replace(":", "")
        seconds += sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds * 1000


#: :func:`prefix_minutes`' minutes already read: (minute text, zone) to the minute's epoch ms
_MINUTE_STARTS: dict[tuple[str, str], int | None] = {}
#: the same for plain times (no zone), by the minute text alone
_PLAIN_STARTS: dict[str, int | None] = {}
#: :func:`_minute_start`'s days already read: ``YYYY-MM-DD`` to the day's epoch seconds
_DAY_STARTS: dict[str, int | None] = {}


def _no_time(message: str) -> int | None:
    return None


def _all_lines(head: str, rest: IO[str], owned: bool) -> Iterator[str]:
    """The messages of ``head`` followed by the stream (:func:`cwquery.logs.lines.stream_messages`);
    an ``owned`` stream is closed at the end."""
    try:
        yield from stream_messages(rest, head)
    finally:
        if owned:
            rest.close()


def _stripped(lines: Iterator[str]) -> Iterator[Event]:
    """Lines whose leading time (and the one space after it) is not part of the message."""
    for line in lines:
        match = _PREFIX.match(line)
        if match is None:
            yield line, None, None
            continue
        rest = line[match.end() :]
        yield rest[1:] if rest.startswith(" ") else rest, prefix_time(line), None


def _exported(source: str | os.PathLike[str] | IO[str]) -> Iterator[Event]:
    for event in read_events(source):
        yield event.message, event.timestamp, None


def _time_field(first: str) -> str:
    try:
        document = orjson.loads(first)
    except orjson.JSONDecodeError:
        raise InputError("the first line looks like JSON but is not valid JSON") from None
    if isinstance(document, dict):
        for name in TIME_FIELDS:
            if name in document:
                return name
    raise InputError(
        f"no time field in the first JSON line (tried {', '.join(TIME_FIELDS)}): "
        "name one with --time-field"
    )


def _json_time(field: str) -> Callable[[str], int | None]:
    path = field.removeprefix("$.").split(".")

    def time_of(message: str) -> int | None:
        try:
            value: Any = orjson.loads(message)
        except orjson.JSONDecodeError:
            return prefix_time(message)
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return parse_time(value)

    return time_of


def json_minutes(messages: Sequence[str], field: str) -> tuple[Counter[int], int]:
    """The times of JSON lines (none holding a line end) as ``time_of`` reads them for the
    time ``field`` (:func:`line_source`), down to the minute, each with how many lines have
    it; and how many lines have no time. Times in text are read all at once
    (:func:`prefix_minutes`).

    >>> json_minutes(['{"ts": "2024-05-01T12:00:05Z"}', '{"ts": 1714564859}', "{}"], "ts")
    (Counter({1714564800000: 2}), 1)
    """
    documents = []
    texts = []  # read by prefix_time, all at once
    loads, not_json = orjson.loads, orjson.JSONDecodeError
    for message in messages:
        try:
            documents.append(loads(message))
        except not_json:
            texts.append(message)
    return document_minutes(documents, field, texts)


def document_minutes(
    documents: Sequence[Any], field: str, texts: Sequence[str] = ()
) -> tuple[Counter[int], int]:
    """:func:`json_minutes` of messages orjson has read (``documents``) and of ``texts``,
    messages it could not read (timed by their leading time).

    >>> document_minutes([{"ts": 1714564805}, {"ts": "x"}], "ts", ["2024-05-01T12:00:59Z a"])
    (Counter({1714564800000: 2}), 1)
    """
    first, *rest = field.removeprefix("$.").split(".")
    if not rest and not texts and set(map(type, documents)) == {dict}:
        values: list[Any] = list(map(dict.get, documents, itertools.repeat(first)))
        if set(map(type, values)) == {str}:  # the common case: times as text, read at once
            text = "\n" + "\n".join(values)
            if text.isascii() and text.count("\n") == len(values):
                plain = _plain_minutes(text, len(values), _PLAIN_MINUTE_ASCII)
                if plain is not None:
                    return plain
    minutes: Counter[int] = Counter()
    untimed = 0
    texts = list(texts)
    for document in documents:
        value = document.get(first) if type(document) is dict else None  # orjson's exact types
        for key in rest:
            value = value.get(key) if type(value) is dict else None
        if type(value) is str:
            text = value.strip()
            if not text.isdecimal():
                # prefix_time reads no further than a line end
                texts.append(text.partition("\n")[0] if "\n" in text else text)
                continue
        millis = parse_time(value)
        if millis is None:
            untimed += 1
        else:
            minutes[millis - millis % 60_000] += 1
    found, unread = prefix_minutes(texts)
    minutes.update(found)
    return minutes, untimed + unread


def _json_lines(lines: Iterator[str], field: str) -> Iterator[Event]:
    """Exported events (keys among message/timestamp/ingestionTime/…) are read as events;
    any other line is a message whose time is its ``field``."""
    for line in lines:
        event = exported_event(line) if '"message"' in line else None
        yield (line, None, None) if event is None else event


def exported_event(line: str) -> Event | None:
    """A JSON line that is an exported event (an object of :data:`EVENT_KEYS` with a text
    ``message``) as an event with its own times; else ``None``: the line is the message.

    >>> exported_event('{"message": "x", "timestamp": 1714564805000}')
    ('x', 1714564805000, None)
    >>> exported_event('{"message": "x", "level": "INFO"}') is None
    True
    """
    try:
        document = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if (
        isinstance(document, dict)
        and isinstance(document.get("message"), str)
        and set(document) <= EVENT_KEYS
    ):
        return (
            document["message"],
            parse_time(document.get("timestamp")),
            parse_time(document.get("ingestionTime")),
        )
    return None


def _firehose(text: str, path: str) -> Iterator[Event]:
    """Subscription records as Firehose delivers them: JSON objects, back to back or one per
    line, each ``DATA_MESSAGE`` holding ``logEvents``; control messages are skipped."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        try:
            record, position = decoder.raw_decode(text, position)
        except ValueError:
            raise InputError(f"{path}: not a subscription record at character {position}") from None
        if not isinstance(record, dict) or record.get("messageType") == "CONTROL_MESSAGE":
            continue
        for event in record.get("logEvents") or []:
            if isinstance(event, dict) and isinstance(event.get("message"), str):
                yield event["message"], parse_time(event.get("timestamp")), None

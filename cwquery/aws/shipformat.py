"""How a JSON line becomes an event for the shipper: its time, its message, its stream.

>>> fmt = LineFormat()
>>> parse_line(b'{"@timestamp": "2024-05-01T12:00:00Z", "logger": "app", "msg": "hi"}\\n', fmt)
(1714564800000, '{"msg":"hi"}')
>>> stream_name("myapp", 1714564800000)
'myapp_20240501'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cwquery.aws.putlogs import MAX_BATCH_BYTES
from cwquery.aws.timeparse import parse_iso8601, to_millis, utc_day
from cwquery.errors import CWQueryError

#: Fields left out of the message by default: the time (sent as the event time) and ``logger``.
DEFAULT_DROP_FIELDS = ("@timestamp", "logger")


class MalformedLine(CWQueryError, ValueError):
    """A line that cannot become an event; the message says why."""


@dataclass(frozen=True)
class LineFormat:
    """How a line becomes an event: which field holds the time, which fields to leave out."""

    time_field: str = "@timestamp"
    drop_fields: tuple[str, ...] = DEFAULT_DROP_FIELDS


def parse_line(raw: bytes, fmt: LineFormat) -> tuple[int, str] | None:
    """``(timestamp in ms, message)`` for one line, ``None`` for a blank line.

    Raises :class:`MalformedLine` for anything else.

    >>> parse_line(b"not json", LineFormat())
    Traceback (most recent call last):
    ...
    cwquery.aws.shipformat.MalformedLine: not JSON
    """
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise MalformedLine("not UTF-8") from None
    if not text:
        return None
    try:
        document = json.loads(text)
    except RecursionError:
        raise MalformedLine("nested too deeply") from None
    except ValueError:
        raise MalformedLine("not JSON") from None
    if not isinstance(document, dict):
        raise MalformedLine("not a JSON object")
    moment = document.get(fmt.time_field)
    if not isinstance(moment, str):
        raise MalformedLine(f"no {fmt.time_field} string")
    try:
        timestamp = to_millis(parse_iso8601(moment))
    except ValueError:
        raise MalformedLine(f"{fmt.time_field} is not ISO 8601: {moment[:40]!r}") from None
    if timestamp < 0:
        raise MalformedLine(f"{fmt.time_field} is before 1970: {moment[:40]!r}")
    rest = {key: value for key, value in document.items() if key not in fmt.drop_fields}
    try:
        message = json.dumps(rest, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise MalformedLine("nested too deeply") from None
    if len(message.encode("utf-8")) + 26 > MAX_BATCH_BYTES:
        raise MalformedLine("larger than the 1 MiB event limit")
    return timestamp, message


def stream_name(prefix: str, timestamp: int) -> str:
    """The stream an event goes to: ``<prefix>_<YYYYMMDD>`` for its UTC day."""
    return f"{prefix}_{utc_day(timestamp)}"


def missing_time_field(handle: IO[bytes], path: Path, fmt: LineFormat) -> str | None:
    """A configuration problem when the first JSON lines of a new file all lack the time
    field (the wrong ``time_field``), else None."""
    handle.seek(0)
    seen: dict[str, None] = {}
    objects = 0
    for raw in handle.readlines(64 * 1024)[:100]:
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        if not isinstance(document, dict):
            continue
        if isinstance(document.get(fmt.time_field), str):
            return None
        objects += 1
        seen.update(dict.fromkeys(document))
    if not objects:
        return None
    fields = ", ".join(list(seen)[:8])
    return (
        f"{path}: no line has the time field {fmt.time_field!r} "
        f"(fields seen: {fields}); give the field that holds the time with --time-field "
        "(and leave it out of the message with --drop-field). The file was not shipped and "
        "stays unread in the checkpoint."
    )

"""Log events from files: plain text or JSON lines (one message per line), CloudWatch exports
as printed by ``aws logs filter-log-events`` / ``get-log-events`` (``{"events": [...]}``, or a
JSON array of events or strings), and the gzip files of an S3 export (``<ISO time> <message>``
per line; the time is split off only there, since plain application logs often begin with a
time that is part of the message).

>>> import io
>>> [e.message for e in read_events(io.StringIO('{"events": [{"message": "a", "timestamp": 1}]}'))]
['a']
>>> [e.message for e in read_events(io.StringIO("2024-05-01T10:00:00.000Z hello"))]
['2024-05-01T10:00:00.000Z hello']
>>> line = '{"timestamp": 5, "message": "ERROR x", "logStreamName": "s"}'
>>> [e.message for e in read_events(io.StringIO(line))]
['{"timestamp": 5, "message": "ERROR x", "logStreamName": "s"}']
>>> list(read_events(io.StringIO(line), event_lines=True))
[LogEvent(message='ERROR x', timestamp=5, stream='s')]
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cwquery.errors import CWQueryError

#: The line prefix of CloudWatch's S3 exports: an ISO 8601 UTC time and a space.
_EXPORT_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ")
#: The keys of an exported event; a JSON line with only these keys is an event (``event_lines``).
EVENT_KEYS = frozenset({"message", "timestamp", "logStreamName", "ingestionTime", "eventId"})
_PEEK = 4096


class SourceError(CWQueryError, ValueError):
    """A file that looks like an export but holds an event without a string ``message``."""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A message and, when the source gives them, its time (epoch ms) and stream."""

    message: str
    timestamp: int | None = None
    stream: str | None = None


def read_events(source: str | Path | IO[str], *, event_lines: bool = False) -> Iterator[LogEvent]:
    """The events of one file (``-`` is standard input) or text stream, lazily.

    With ``event_lines``, a JSON line whose keys are all event keys (``message``, and maybe
    ``timestamp``, ``logStreamName``, ``ingestionTime``, ``eventId``) is read as that event, as
    ``jq -c '.events[]'`` prints them; otherwise every line is a message as written.

    Raises:
        SourceError: an export entry has no string message.
        OSError: the file cannot be read.
    """
    if isinstance(source, str | Path):
        if str(source) == "-":
            yield from read_events(sys.stdin, event_lines=event_lines)
            return
        path = Path(source)
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as stream:
                yield from _lines(stream, export_time=True, event_lines=event_lines)
            return
        with path.open(encoding="utf-8", errors="replace") as stream:
            yield from read_events(stream, event_lines=event_lines)
        return
    head = source.read(_PEEK)
    if _may_be_export(head):
        text = head + source.read()
        exported = _exported_events(text)
        if exported is not None:
            yield from exported
            return
        yield from _lines(io.StringIO(text), export_time=False, event_lines=event_lines)
        return
    yield from _lines(_chain(head, source), export_time=False, event_lines=event_lines)


def read_messages(sources: Iterable[str | Path | IO[str]]) -> Iterator[str]:
    """The messages of several sources, one after the other."""
    for source in sources:
        for event in read_events(source):
            yield event.message


def _may_be_export(head: str) -> bool:
    """Whether a file's beginning can start a whole-file export; only then is it read whole."""
    start = head.lstrip()
    if start.startswith("{"):
        return '"events"' in head
    return start.startswith("[") and start[1:].lstrip()[:1] in ("{", '"', "]")


def _exported_events(text: str) -> list[LogEvent] | None:
    """The events of a whole-file export (``{"events": [...]}`` or a JSON array), else None."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, list):
        items = document
    else:
        return None
    events = []
    for item in items:
        if isinstance(item, str):
            events.append(LogEvent(item))
        elif isinstance(item, dict) and isinstance(item.get("message"), str):
            events.append(_event(item))
        else:
            raise SourceError(f"an exported event needs a string 'message': {item!r:.80}")
    return events


def _event(item: dict[str, Any]) -> LogEvent:
    timestamp, stream = item.get("timestamp"), item.get("logStreamName")
    return LogEvent(
        item["message"],
        timestamp if type(timestamp) is int else None,
        stream if isinstance(stream, str) else None,
    )


def _lines(stream: Iterable[str], *, export_time: bool, event_lines: bool) -> Iterator[LogEvent]:
    for line in stream:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        match = _EXPORT_TIME.match(text) if export_time else None
        if match:
            yield LogEvent(text[match.end() :], _epoch_millis(match.group(1)))
        elif event_lines and text.lstrip().startswith("{"):
            yield _event_line(text)
        else:
            yield LogEvent(text)


def _event_line(text: str) -> LogEvent:
    try:
        document = json.loads(text)
    except ValueError:
        return LogEvent(text)
    if (
        isinstance(document, dict)
        and isinstance(document.get("message"), str)
        and set(document) <= EVENT_KEYS
    ):
        return _event(document)
    return LogEvent(text)


def _chain(head: str, rest: IO[str]) -> Iterator[str]:
    """Lines of ``head`` followed by the remaining stream, without reading it all at once."""
    buffered = io.StringIO(head)
    last = ""
    for line in buffered:
        if line.endswith("\n"):
            yield last + line
            last = ""
        else:
            last += line
    first_rest = True
    for line in rest:
        if first_rest:
            line, last, first_rest = last + line, "", False
        yield line
    if last:
        yield last


def _epoch_millis(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)

"""Log events from files: plain text or JSON-lines (one message per line), CloudWatch exports
as printed by ``aws logs filter-log-events`` / ``get-log-events`` (``{"events": [...]}``), and the
gzip files of an S3 export (``<ISO time> <message>`` per line; the time is split off only there,
since plain application logs often begin with a time that is part of the message).

>>> import io
>>> [e.message for e in read_events(io.StringIO('{"events": [{"message": "a", "timestamp": 1}]}'))]
['a']
>>> [e.message for e in read_events(io.StringIO("2024-05-01T10:00:00.000Z hello"))]
['2024-05-01T10:00:00.000Z hello']
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
from typing import IO

#: The line prefix of CloudWatch's S3 exports: an ISO 8601 UTC time and a space.
_EXPORT_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ")
_PEEK = 4096


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A message and, when the source gives one, its time in epoch milliseconds."""

    message: str
    timestamp: int | None = None


def read_events(source: str | Path | IO[str]) -> Iterator[LogEvent]:
    """The events of one file (``-`` is standard input) or text stream, lazily."""
    if isinstance(source, str | Path):
        if str(source) == "-":
            yield from read_events(sys.stdin)
            return
        path = Path(source)
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as stream:
                yield from _lines(stream, strip_export_time=True)
            return
        with path.open(encoding="utf-8", errors="replace") as stream:
            yield from read_events(stream)
        return
    head = source.read(_PEEK)
    if head.lstrip().startswith("{") and '"events"' in head:
        rest = source.read()
        document = _load_export(head + rest)
        if document is not None:
            yield from document
            return
        yield from _lines(io.StringIO(head + rest), strip_export_time=False)
        return
    yield from _lines(_chain(head, source), strip_export_time=False)


def read_messages(sources: Iterable[str | Path | IO[str]]) -> Iterator[str]:
    """The messages of several sources, one after the other."""
    for source in sources:
        for event in read_events(source):
            yield event.message


def _load_export(text: str) -> list[LogEvent] | None:
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        return None
    return [
        LogEvent(str(event["message"]), event.get("timestamp"))
        for event in document["events"]
        if isinstance(event, dict) and "message" in event
    ]


def _lines(stream: Iterable[str], *, strip_export_time: bool) -> Iterator[LogEvent]:
    for line in stream:
        text = line.rstrip("\r\n")
        if not text:
            continue
        match = _EXPORT_TIME.match(text) if strip_export_time else None
        if match:
            yield LogEvent(text[match.end() :], _epoch_millis(match.group(1)))
        else:
            yield LogEvent(text)


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

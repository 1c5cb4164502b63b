"""Sample files into the emulator: read log events from a file, write them into a log group.

:func:`read_events` understands three layouts:

* an export: one JSON object ``{"events": [...]}`` as ``aws logs filter-log-events`` prints it
  (each event has ``message`` and may have ``timestamp`` and ``logStreamName``), or a JSON array
  of such events or of plain strings;
* JSON lines: a line that is an object whose keys are only event keys (``message``, and maybe
  ``timestamp``, ``logStreamName``, ``ingestionTime``, ``eventId``) is an event; any other line,
  JSON documents included, is a message as written;
* plain text: every non-empty line is a message.

Events without a timestamp get consecutive milliseconds ending now, in file order.

>>> sample = '{"i": 1}\\n\\n{"timestamp": 5, "message": "ERROR x"}\\nplain line\\n'
>>> events = read_text(sample, now=100)
>>> [(e.timestamp, e.message) for e in events]
[(98, '{"i": 1}'), (5, 'ERROR x'), (100, 'plain line')]
>>> [e.message for e in read_text('{"events": [{"message": "a", "logStreamName": "s"}]}')]
['a']
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cwquery.emulator.errors import EmulatorError

#: PutLogEvents takes at most 10,000 events per call.
MAX_BATCH = 10_000
DEFAULT_STREAM = "cwquery-load"
_EVENT_KEYS = frozenset({"message", "timestamp", "logStreamName", "ingestionTime", "eventId"})


@dataclass(frozen=True)
class LoadedEvent:
    """One event read from a file; ``stream`` is the ``logStreamName`` it carried, if any."""

    timestamp: int
    message: str
    stream: str | None = None


def read_events(path: str | Path, *, now: int | None = None) -> list[LoadedEvent]:
    """Read the events of a sample file (layouts above).

    Raises:
        EmulatorError: the file cannot be read, or an export entry has no message.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise EmulatorError(f"cannot read {path}: {err}") from err
    return read_text(text, now=now)


def read_text(text: str, *, now: int | None = None) -> list[LoadedEvent]:
    """Read events from the text of a sample file (see :func:`read_events`)."""
    rows = _whole_document(text)
    if rows is None:
        rows = [_line_row(line) for line in text.splitlines() if line.strip()]
    clock = int(time.time() * 1000) if now is None else now
    first = clock - len(rows) + 1
    events = []
    for n, row in enumerate(rows):
        timestamp = row.get("timestamp")
        stream = row.get("logStreamName")
        events.append(
            LoadedEvent(
                timestamp=timestamp if type(timestamp) is int else first + n,
                message=row["message"],
                stream=stream if isinstance(stream, str) else None,
            )
        )
    return events


def _whole_document(text: str) -> list[dict[str, Any]] | None:
    """The rows of an export or JSON array, or ``None`` when the text is not one."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        document = json.loads(stripped)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, list):
        items = document
    else:
        return None
    rows = []
    for item in items:
        if isinstance(item, str):
            rows.append({"message": item})
        elif isinstance(item, dict) and isinstance(item.get("message"), str):
            rows.append(item)
        else:
            raise EmulatorError(f"an exported event needs a string 'message': {item!r:.80}")
    return rows


def _line_row(line: str) -> dict[str, Any]:
    line = line.rstrip("\r\n")
    if line.lstrip().startswith("{"):
        try:
            document = json.loads(line)
        except ValueError:
            document = None
        if (
            isinstance(document, dict)
            and isinstance(document.get("message"), str)
            and set(document) <= _EVENT_KEYS
        ):
            return document
    return {"message": line}


def load_events(
    backend: Any,
    group: str,
    events: Iterable[LoadedEvent],
    *,
    stream: str | None = None,
) -> int:
    """Write ``events`` into ``group`` of a moto logs backend, creating the group and streams.

    Each event goes to ``stream`` if given, else to the stream it was exported from, else to
    ``cwquery-load``. Events are written in timestamp order without moto's age checks (samples
    are often older than the 14 days PutLogEvents accepts). Metric and subscription filters
    already on the group see them. Returns the number of events written.
    """
    if group not in backend.groups:
        backend.create_log_group(group, {})
    log_group = backend.groups[group]
    by_stream: dict[str, list[LoadedEvent]] = {}
    for event in events:
        by_stream.setdefault(stream or event.stream or DEFAULT_STREAM, []).append(event)
    written = 0
    for name, stream_events in by_stream.items():
        if name not in log_group.streams:
            log_group.create_log_stream(name)
        ordered = sorted(stream_events, key=lambda event: event.timestamp)
        for batch in _batches(ordered, MAX_BATCH):
            log_group.put_log_events(
                name, [{"timestamp": e.timestamp, "message": e.message} for e in batch]
            )
            written += len(batch)
    return written


def _batches(items: Sequence[LoadedEvent], size: int) -> Iterable[Sequence[LoadedEvent]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

"""Sample files into the emulator: read log events from a file, write them into a log group.

Files are read by :func:`cwquery.logs.sources.read_events` (plain text, JSON lines, exports, S3
``.gz`` exports), with JSON lines shaped like exported events read as those events. Events without
a timestamp get consecutive milliseconds ending now, in file order.

>>> sample = '{"i": 1}\\n\\n{"timestamp": 5, "message": "ERROR x"}\\nplain line\\n'
>>> events = read_sample_text(sample, now=100)
>>> [(e.timestamp, e.message) for e in events]
[(98, '{"i": 1}'), (5, 'ERROR x'), (100, 'plain line')]
>>> [e.message for e in read_sample_text('{"events": [{"message": "a", "logStreamName": "s"}]}')]
['a']
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cwquery.emulator.errors import EmulatorError
from cwquery.logs.sources import LogEvent, SourceError
from cwquery.logs.sources import read_events as read_source

#: PutLogEvents takes at most 10,000 events per call.
MAX_BATCH = 10_000
DEFAULT_STREAM = "cwquery-load"


@dataclass(frozen=True)
class LoadedEvent:
    """One event read from a file; ``stream`` is the ``logStreamName`` it carried, if any."""

    timestamp: int
    message: str
    stream: str | None = None


def read_sample(
    path: str | Path, *, now: int | None = None, input_format: str = "auto"
) -> list[LoadedEvent]:
    """Read the events of a sample file (``input_format`` as in
    :func:`cwquery.logs.sources.read_events`).

    Raises:
        EmulatorError: the file cannot be read, or an export entry has no message.
    """
    try:
        return _timed(list(read_source(path, event_lines=True, input_format=input_format)), now)
    except (OSError, SourceError) as err:
        raise EmulatorError(f"cannot read {path}: {err}") from err


def read_sample_text(text: str, *, now: int | None = None) -> list[LoadedEvent]:
    """Read events from the text of a sample file (see :func:`read_sample`)."""
    try:
        return _timed(list(read_source(io.StringIO(text), event_lines=True)), now)
    except SourceError as err:
        raise EmulatorError(str(err)) from err


def _timed(events: list[LogEvent], now: int | None) -> list[LoadedEvent]:
    clock = int(time.time() * 1000) if now is None else now
    first = clock - len(events) + 1
    return [
        LoadedEvent(
            event.timestamp if event.timestamp is not None else first + n,
            event.message,
            event.stream,
        )
        for n, event in enumerate(events)
    ]


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

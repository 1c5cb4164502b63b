"""Log lines as Logs Insights events: each line's time read as ``backtest`` reads it, for the
readers above the query engine (``cwquery insights``, the playground's Insights tab).

>>> line_time("2024-03-01T10:00:00Z [INFO] x"), line_time('{"ts": 1709287200000}')
(1709287200000, 1709287200000)
>>> events_of_lines(["no time here"], "sample")
[{'message': 'no time here', 'timestamp': None, 'logStreamName': 'sample'}]
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

__all__ = ["events_of_lines", "line_time"]


def line_time(message: str) -> int | None:
    """The time of a line as ``backtest`` reads it: the first of its time fields
    (``timestamp``, ``@timestamp``, ``time``, ``ts``, ``datetime``, ``date``) in a JSON
    object, else an ISO 8601 time the line starts with; ``None`` when there is none."""
    from cwquery.backtest.inputs import TIME_FIELDS, parse_time, prefix_time

    if message.startswith("{"):
        try:
            document = json.loads(message)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, dict):
            for name in TIME_FIELDS:
                if name in document:
                    return parse_time(document[name])
    return prefix_time(message)


def events_of_lines(lines: Iterable[str], stream: str) -> list[dict[str, Any]]:
    """One event per line, as ``cwquery insights`` reads a line: a JSON line whose keys are
    all event keys (``timestamp``, ``message``, ``logStreamName``, ``ingestionTime``,
    ``eventId``) is that event; any other line is an event of stream ``stream`` whose message
    is the line. An event without a ``timestamp`` is timed by :func:`line_time` over its
    message (``None`` when there is no time: such an event has no ``@timestamp``).

    >>> events_of_lines(['{"timestamp": 5, "message": "x", "ingestionTime": 7}'], "s")
    [{'message': 'x', 'timestamp': 5, 'logStreamName': 's', 'ingestionTime': 7}]
    """
    from cwquery.logs.sources import read_events

    events = []
    for line in lines:
        found: dict[str, Any] = {"message": line, "timestamp": None, "logStreamName": stream}
        if line.lstrip().startswith("{"):
            read = next(read_events(io.StringIO(line), event_lines=True), None)
            if read is not None and read.message != line:
                found["message"] = read.message
                found["timestamp"] = read.timestamp
                found["logStreamName"] = read.stream or stream
                if read.ingestion is not None:
                    found["ingestionTime"] = read.ingestion
        if found["timestamp"] is None:
            found["timestamp"] = line_time(found["message"])
        events.append(found)
    return events

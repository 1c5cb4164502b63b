"""Log lines as Logs Insights events: each line's time read as ``backtest`` reads it, for the
readers above the query engine (``cwquery insights``, the playground's Insights tab).

>>> line_time("2024-03-01T10:00:00Z [INFO] x"), line_time('{"ts": 1709287200000}')
(1709287200000, 1709287200000)
>>> events_of_lines(["no time here"], "sample")
[{'message': 'no time here', 'timestamp': None, 'logStreamName': 'sample'}]
"""

from __future__ import annotations

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
    """One event per line, in stream ``stream``, timed by :func:`line_time` (``None`` when
    the line has no time: such an event has no ``@timestamp``)."""
    return [
        {"message": line, "timestamp": line_time(line), "logStreamName": stream} for line in lines
    ]

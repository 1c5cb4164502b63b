"""The playground's Insights tab: a Logs Insights query checked and run over the sample lines,
answered as a plain dictionary (the web server only turns requests into calls of
:func:`query_lines`).

Each sample line is one event, read as ``cwquery insights`` reads a line
(:func:`cwquery.insights_events.events_of_lines`; a line that is no exported event is an event
of stream ``sample``), so the tab shows what the command prints. What the reader of a loaded
file knew of a line's event (``/api/read``'s ``events``: the time, stream and ingestion time
of a CloudWatch export's entry) comes with it, so the event keeps its ``@timestamp``.

>>> answer = query_lines("filter @message like /ERROR/ | stats count(*) as n", ["ERROR a", "b"])
>>> answer["query"]["valid"], answer["columns"], answer["rows"]
(True, ['n'], [{'cells': {'n': '1'}, 'line': None}])
>>> query_lines("fields x |", [])["query"]["error"]["code"]
'syntax'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cwquery.insights import QueryError, parse, run
from cwquery.insights.engine import output_columns, pointer
from cwquery.insights_events import events_of_lines
from cwquery.playground.api import ApiError, error_dict

__all__ = ["STREAM", "events_field", "query_lines"]

#: The stream the sample lines are events of (``@logStream``).
STREAM = "sample"


#: The event keys ``events`` may give a line, and their types.
_KNOWN = {"timestamp": int, "logStreamName": str, "ingestionTime": int}


def events_field(body: Mapping[str, Any], count: int) -> list[dict[str, Any] | None] | None:
    """The ``events`` member: ``None`` or a list of ``count`` entries, each ``null`` or an
    object of :data:`_KNOWN` keys (as :func:`cwquery.playground.api.event_fields` gives)."""
    events = body.get("events")
    if events is None:
        return None
    if not isinstance(events, list) or len(events) != count:
        raise ApiError("'events' must be a list with one entry per line")
    for known in events:
        if known is None:
            continue
        if not isinstance(known, dict) or not all(
            key in _KNOWN and isinstance(value, _KNOWN[key]) and not isinstance(value, bool)
            for key, value in known.items()
        ):
            raise ApiError(
                "each of 'events' must be null or an object of timestamp, logStreamName "
                "and ingestionTime"
            )
    return events


def query_lines(
    query: str,
    lines: list[str],
    log_group: str | None = None,
    events: list[dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """The query's check and, when it parses and runs, its result over ``lines`` (``events``:
    what is known of each line's event besides its message, see :func:`events_field`):

    - ``query``: ``{"valid", "canonical"}``, or ``{"valid": False, "error"}`` (code, line,
      column, caret, hint; code ``unsupported`` for what parses but is not run locally);
    - ``columns``: the query's output columns (``@ptr`` left out);
    - ``rows``: ``{"cells": {column: value}, "line": index}``, ``line`` the 0-based sample line
      an event row comes from (``None`` for an aggregated row);
    - ``statistics`` and ``status`` as ``GetQueryResults`` gives them.
    """
    try:
        tree = parse(query)
    except QueryError as err:
        return {"query": {"valid": False, "error": error_dict(err)}, "total": len(lines)}
    check = {"valid": True, "canonical": str(tree)}
    try:
        # the text, not the tree: an error's caret must point into what the user wrote
        given = events_of_lines(lines, STREAM)
        for event, known in zip(given, events or (), strict=False):
            event.update(known or {})
        result = run(query, given, log_group=log_group)
    except QueryError as err:
        return {"query": {**check, "valid": False, "error": error_dict(err)}, "total": len(lines)}
    places = {pointer(e["logStreamName"] or "", index): index for index, e in enumerate(given)}
    rows = []
    for fields in result["results"]:
        cells = {item["field"]: item["value"] for item in fields}
        where = cells.pop("@ptr", None)
        rows.append({"cells": cells, "line": places.get(where) if where else None})
    return {
        "query": check,
        "columns": output_columns(tree),
        "rows": rows,
        "statistics": result["statistics"],
        "status": result["status"],
        "total": len(lines),
    }

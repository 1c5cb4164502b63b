"""The playground's Insights tab: a Logs Insights query checked and run over the sample lines,
answered as a plain dictionary (the web server only turns requests into calls of
:func:`query_lines`).

Each sample line is one event, read as ``cwquery insights`` reads a line
(:func:`cwquery.insights_events.events_of_lines`; a line that is no exported event is an event
of stream ``sample``), so the tab shows what the command prints.

>>> answer = query_lines("filter @message like /ERROR/ | stats count(*) as n", ["ERROR a", "b"])
>>> answer["query"]["valid"], answer["columns"], answer["rows"]
(True, ['n'], [{'cells': {'n': '1'}, 'line': None}])
>>> query_lines("fields x |", [])["query"]["error"]["code"]
'syntax'
"""

from __future__ import annotations

from typing import Any

from cwquery.insights import QueryError, parse, run
from cwquery.insights.engine import output_columns, pointer
from cwquery.insights_events import events_of_lines
from cwquery.playground.api import error_dict

__all__ = ["STREAM", "query_lines"]

#: The stream the sample lines are events of (``@logStream``).
STREAM = "sample"


def query_lines(query: str, lines: list[str], log_group: str | None = None) -> dict[str, Any]:
    """The query's check and, when it parses and runs, its result over ``lines``:

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
        result = run(query, events_of_lines(lines, STREAM), log_group=log_group)
    except QueryError as err:
        return {"query": {**check, "valid": False, "error": error_dict(err)}, "total": len(lines)}
    places = {pointer(STREAM, index): index for index in range(len(lines))}
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

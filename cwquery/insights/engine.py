"""``run``: a Logs Insights query over log events, answered like ``GetQueryResults``
(spec §2, §7, §11.3, §11.4; I8, I10, I22, I42, I46, I55, I67, I70).

Events stream through the commands: ``filter``, ``fields``, ``parse``, ``json`` and ``unnest``
row by row; ``stats`` keeps one accumulator set per group; ``sort`` (and the default newest-first
order) keeps only the rows a later ``limit`` (or the result cap) can return, in a heap, when
nothing between them drops rows.

>>> events = [{"timestamp": 1000, "message": "a ERROR"}, {"timestamp": 2000, "message": "b"}]
>>> result = run("filter @message like 'ERROR' | fields @message", events)
>>> result["results"][0][0], result["statistics"]["recordsMatched"]
({'field': '@message', 'value': 'a ERROR'}, 1.0)
"""

from __future__ import annotations

import base64
import collections
import heapq
import itertools
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cwquery.insights import tree as t
from cwquery.insights.discovery import discover, event_int, system_fields
from cwquery.insights.errors import QueryUnsupportedError
from cwquery.insights.expressions import Context, evaluate, lookup_field
from cwquery.insights.parse_command import json_member, parse_rows, unnest_rows
from cwquery.insights.stats import aggregate, column
from cwquery.insights.values import sort_key, text, truth, utf8_size

__all__ = [
    "DEFAULT_COLUMNS",
    "RESULT_CAP",
    "STATUS_COMPLETE",
    "output_columns",
    "pointer",
    "run",
]

#: §2.7 (I10): rows a query returns without ``limit`` (StartQuery's default ``limit``)
RESULT_CAP = 10_000
#: I55: bytes counted per event besides its message
EVENT_OVERHEAD_BYTES = 31
#: I8: the columns without ``fields``, ``display`` or ``stats``
DEFAULT_COLUMNS = ("@timestamp", "@message")
#: I56: a local run is complete when it returns
STATUS_COMPLETE = "Complete"

#: commands that turn each row into exactly one row (a cap may be pushed through them)
_ONE_TO_ONE = (t.Fields, t.Display, t.Json)


class EventRow(dict[str, Any]):
    """The fields of one event: system fields and what the query assigned (a null assigned
    as ``None``, hiding a discovered field), then the discovered fields, found on first need
    (§9). ``order`` is ``(timestamp, ingestion order)``, the default sort key (I46)."""

    __slots__ = ("found", "order")

    def __init__(self, fields: dict[str, Any], order: tuple[int, int]) -> None:
        super().__init__(fields)
        self.found: dict[str, Any] | None = None
        self.order = order

    @property
    def pointer(self) -> str:
        """``@ptr``: a stable opaque string (the stream and the event's place in the input)."""
        return pointer(dict.get(self, "@logStream") or "", self.order[1])

    def __missing__(self, name: str) -> Any:
        if self.found is None:
            self.found = discover(dict.get(self, "@message") or "")
        return self.found[name]

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def copy(self) -> EventRow:
        twin = EventRow(dict(self), self.order)
        twin.found = self.found
        return twin


def pointer(stream: str, index: int) -> str:
    """The ``@ptr`` of the ``index``-th event given to ``run`` (0-based), in stream ``stream``
    (``""`` for an event without one).

    >>> pointer("app", 0)
    'YXBwOjA'
    """
    raw = f"{stream}:{index}".encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class _Statistics:
    def __init__(self) -> None:
        self.scanned = 0
        self.bytes = 0
        self.matched = 0


def run(
    query: str | t.Query,
    events: Iterable[Mapping[str, Any]],
    *,
    log_group: str | None = None,
    start: float | None = None,
    end: float | None = None,
) -> dict[str, Any]:
    """The ``GetQueryResults`` answer of ``query`` over ``events`` (spec §11.4).

    ``events`` are mappings with ``timestamp`` (epoch ms) and ``message``, and optionally
    ``ingestionTime``, ``logStreamName``, ``logGroupName``. ``start``/``end`` are epoch
    seconds, both inclusive (the end second whole), ``None`` for unbounded; ``log_group``
    names the group ``@log`` shows for events without ``logGroupName``.

    Raises:
        QueryError: the query does not parse (see :func:`cwquery.insights.parse`).
        QueryUnsupportedError: the query uses what ``run`` does not evaluate (spec §10, I65).
    """
    from cwquery.insights.parser import parse

    tree = parse(query) if isinstance(query, str) else query
    source = query if isinstance(query, str) else str(tree)
    refused = tree.refused()
    if refused:
        what, (begin, finish) = refused[0]
        raise QueryUnsupportedError(
            f"{what} is parsed but not run locally (spec §5, §10; I54, I68)",
            source,
            begin,
            length=max(1, finish - begin),
        )
    try:
        return _run(tree, events, log_group, start, end)
    except QueryUnsupportedError as err:
        if err.pattern:
            raise
        raise QueryUnsupportedError(err.message, source, 0, length=len(source)) from None


def _run(
    tree: t.Query,
    events: Iterable[Mapping[str, Any]],
    log_group: str | None,
    start: float | None,
    end: float | None,
) -> dict[str, Any]:
    low = None if start is None else int(start * 1000)
    high = None if end is None else int(end * 1000) + 999
    context = Context(low, None if end is None else int(end * 1000), int(time.time()))
    statistics = _Statistics()
    scanned = _events(events, log_group, low, high, statistics)
    rows, columns, aggregated = _pipeline(tree, scanned, context, statistics)
    results = []
    for row in rows:
        fields = []
        for name in columns:
            value = text(lookup_field(row, name))
            if value is not None:
                fields.append({"field": name, "value": value})
        if not aggregated and isinstance(row, EventRow):
            fields.append({"field": "@ptr", "value": row.pointer})
        results.append(fields)
    return {
        "results": results,
        "statistics": {
            "recordsMatched": float(statistics.matched),
            "recordsScanned": float(statistics.scanned),
            "bytesScanned": float(statistics.bytes),
        },
        "status": STATUS_COMPLETE,
    }


def _events(
    events: Iterable[Mapping[str, Any]],
    log_group: str | None,
    low: int | None,
    high: int | None,
    statistics: _Statistics,
) -> Iterator[EventRow]:
    for index, event in enumerate(events):
        moment = event_int(event, "timestamp")
        if (low is not None and moment < low) or (high is not None and moment > high):
            continue
        message = event.get("message", "")
        statistics.scanned += 1
        statistics.bytes += utf8_size(message) + EVENT_OVERHEAD_BYTES
        yield EventRow(system_fields(event, log_group), (moment, index))


def _pipeline(
    tree: t.Query, rows: Iterator[Any], context: Context, statistics: _Statistics
) -> tuple[list[Any], list[str], bool]:
    """The final rows, the output columns and whether the rows are aggregated."""
    commands = list(tree.commands)
    display: t.Display | None = None
    aggregated = False
    ordered = False  # whether the stream has an order yet (else the default applies)
    counted = False  # whether recordsMatched has been counted (I42)
    stream: Iterable[Any] = rows
    for position, command in enumerate(commands):
        later = commands[position + 1 :]
        if isinstance(command, t.Filter):
            stream = _filter(command, stream, context)
        elif isinstance(command, t.Fields):
            stream = _fields(command, stream, context)
        elif isinstance(command, t.Display):
            display = command
        elif isinstance(command, t.Parse):
            stream = parse_rows(command, stream)
        elif isinstance(command, t.Json):
            stream = _json(command, stream)
        elif isinstance(command, t.Unnest):
            stream = unnest_rows(command, stream, context)
        elif isinstance(command, t.Stats):
            if not counted:
                stream, counted = _counting(stream, statistics), True
            stream = iter(aggregate(command, stream, context))
            aggregated, ordered, display = True, True, None
        elif isinstance(command, t.Sort):
            if not counted:
                stream, counted = _counting(stream, statistics), True
            stream = _sort(command, stream, _keep(later), context, ordered)
            ordered = True
        else:
            if not counted:
                stream, counted = _counting(stream, statistics), True
            if not ordered:
                stream, ordered = _default_order(stream, _keep(commands[position:])), True
            if isinstance(command, t.Limit):
                stream = _limit(command, stream)
            elif isinstance(command, t.Dedup):
                stream = _dedup(command, stream, context)
    if not counted:
        stream = _counting(stream, statistics)
    if not ordered:
        stream = _default_order(stream, RESULT_CAP)
    final = list(itertools.islice(stream, RESULT_CAP))
    if display is not None:
        final = [next(_fields(display, [row], context)) for row in final]
    return final, output_columns(tree), aggregated


def output_columns(query: str | t.Query) -> list[str]:
    """The columns a query's rows show, in order, ``@ptr`` left out: those of the last
    ``display`` (after the last ``stats``), else the last ``stats``'s and the ``fields`` items
    after it, else every ``fields`` item, else ``@timestamp`` and ``@message`` (§2.2-2.5,
    I8, I38). They depend on the query only.

    >>> output_columns("fields a, b as c | display c"), output_columns("filter x = 1")
    (['c'], ['@timestamp', '@message'])
    """
    from cwquery.insights.parser import parse

    tree = parse(query) if isinstance(query, str) else query
    columns: list[str] = []
    display: t.Display | None = None
    for command in tree.commands:
        if isinstance(command, t.Fields):
            columns += [name for name in map(column, command.items) if name not in columns]
        elif isinstance(command, t.Display):
            display = command
        elif isinstance(command, t.Stats):
            columns = [column(item) for item in (*command.by, *command.items)]
            display = None
    if display is not None:
        return [column(item) for item in display.items]
    return columns or list(DEFAULT_COLUMNS)


def _counting(rows: Iterable[Any], statistics: _Statistics) -> Iterator[Any]:
    """Counts the events whose rows reach this point (recordsMatched, §11.3, I42); the rows
    one event makes (``parse … multi``, ``unnest``) come one after another here."""
    last: Any = None
    for row in rows:
        order = getattr(row, "order", None)
        if order is None or order != last:
            statistics.matched += 1
            last = order
        yield row


def _keep(later: list[t.Command]) -> int | None:
    """How many rows of an ordering step can reach the output: the next ``limit`` (or the
    result cap) when only one-row-per-row commands stand between; ``None`` when unknown."""
    for command in later:
        if isinstance(command, t.Limit):
            return command.count if command.mode != "tail" else None
        if not isinstance(command, _ONE_TO_ONE):
            return None
    return RESULT_CAP


def _filter(command: t.Filter, rows: Iterable[Any], context: Context) -> Iterator[Any]:
    condition = command.condition
    for row in rows:
        if truth(evaluate(condition, row, context)) is True:  # I9
            yield row


def _fields(command: t.Fields | t.Display, rows: Iterable[Any], context: Context) -> Iterator[Any]:
    items = [(column(item), item.expr) for item in command.items]
    for row in rows:
        for name, expr in items:
            if isinstance(expr, t.Field) and expr.name == name:
                continue
            value = evaluate(expr, row, context)
            row[name] = value
        yield row


def _json(command: t.Json, rows: Iterable[Any]) -> Iterator[Any]:
    for row in rows:
        row[command.alias] = json_member(row.get(command.source.name), command.path)
        yield row


def _sort(
    command: t.Sort, rows: Iterable[Any], keep: int | None, context: Context, ordered: bool
) -> Iterator[Any]:
    """Stable over the current order; rows with no order yet are in the default order
    (newest first, I46), which then breaks ties."""
    keys = command.keys

    def key(row: Any) -> tuple[Any, ...]:
        found = tuple(sort_key(evaluate(k.expr, row, context), k.descending) for k in keys)
        if ordered:
            return found
        moment, index = getattr(row, "order", (0, 0))
        return (*found, -moment, -index)

    if keep is not None:
        return iter(heapq.nsmallest(keep, rows, key=key))  # = sorted(...)[:keep], stable
    return iter(sorted(rows, key=key))


def _default_order(rows: Iterable[Any], keep: int | None) -> Iterator[Any]:
    """Newest first; equal times later-ingested first (§7.3, I46)."""

    def key(row: Any) -> tuple[int, int]:
        order: tuple[int, int] = getattr(row, "order", (0, 0))
        return order

    if keep is not None:
        return iter(heapq.nlargest(keep, rows, key=key))
    return iter(sorted(rows, key=key, reverse=True))


def _limit(command: t.Limit, rows: Iterable[Any]) -> Iterator[Any]:
    if command.mode == "tail":
        return iter(collections.deque(rows, maxlen=command.count))
    return itertools.islice(rows, command.count)


def _dedup(command: t.Dedup, rows: Iterable[Any], context: Context) -> Iterator[Any]:
    """The first row of each distinct tuple; rows with a null key are all kept (§2.8)."""
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        values = [evaluate(expr, row, context) for expr in command.fields]
        if any(value is None for value in values):
            yield row
            continue
        identity = tuple(sort_key(value) for value in values)
        if identity not in seen:
            seen.add(identity)
            yield row

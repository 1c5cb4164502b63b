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
    "ROW_COMMANDS",
    "STATUS_COMPLETE",
    "Statistics",
    "counted_rows",
    "event_rows",
    "finish_after_stats",
    "output_columns",
    "pointer",
    "refusal",
    "row_stream",
    "run",
    "window",
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


class Statistics:
    """What ``GetQueryResults`` counts (§11.3): events scanned, their bytes (I55), and the
    events that reached the first ``stats`` or the end (I42)."""

    __slots__ = ("bytes", "matched", "scanned")

    def __init__(self) -> None:
        self.scanned = 0
        self.bytes = 0
        self.matched = 0

    def merge(self, other: Statistics) -> Statistics:
        """Add the counts of another part of the events."""
        self.scanned += other.scanned
        self.bytes += other.bytes
        self.matched += other.matched
        return self

    def response(self) -> dict[str, float]:
        return {
            "recordsMatched": float(self.matched),
            "recordsScanned": float(self.scanned),
            "bytesScanned": float(self.bytes),
        }


#: the commands that look at one row at a time (a run can be split before the first ``stats``
#: when only these come before it)
ROW_COMMANDS = (t.Filter, t.Fields, t.Display, t.Parse, t.Json, t.Unnest)


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
    refused = refusal(query, tree)
    if refused is not None:
        raise refused
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
    context, low, high = window(start, end)
    statistics = Statistics()
    scanned = event_rows(enumerate(events), log_group, low, high, statistics)
    rows, columns, aggregated = _pipeline(tree, scanned, context, statistics)
    return _response(rows, columns, aggregated, statistics)


def refusal(query: str | t.Query, tree: t.Query | None = None) -> QueryUnsupportedError | None:
    """The error that refuses the query before any event is read (spec §5, §10; I54, I68),
    its caret under the first thing refused: in the text given, or in a tree's canonical text
    (a tree's spans point into the text it was parsed from, which it does not keep). ``tree``
    is the query's tree when the caller has parsed it already."""
    from cwquery.insights.parser import parse

    if tree is None:
        tree = parse(query) if isinstance(query, str) else query
    if not tree.refused():
        return None
    if not isinstance(query, str):
        query = str(tree)
        tree = parse(query)
    what, (begin, finish) = tree.refused()[0]
    return QueryUnsupportedError(
        f"{what} is parsed but not run locally (spec §5, §10; I54, I68)",
        query,
        begin,
        length=max(1, finish - begin),
    )


def window(start: float | None, end: float | None) -> tuple[Context, int | None, int | None]:
    """The evaluation context of a run between ``start`` and ``end`` (epoch seconds, both
    inclusive, ``None`` unbounded) and the first and last event time (epoch ms) it reads."""
    low = None if start is None else int(start * 1000)
    high = None if end is None else int(end * 1000) + 999
    return Context(low, None if end is None else int(end * 1000), int(time.time())), low, high


def finish_after_stats(
    tree: t.Query, position: int, rows: list[dict[str, Any]], context: Context, counts: Statistics
) -> dict[str, Any]:
    """The response of ``tree`` given the rows of its first ``stats`` (the command at
    ``position``) computed elsewhere, and the counts of the events read there: the commands
    after that ``stats`` run here, as :func:`run` runs them."""
    rest = t.Query(tree.commands[position + 1 :])
    final, _, _ = _pipeline(rest, iter(rows), context, counts, counted=True, ordered=True)
    return _response(final, output_columns(tree), True, counts)


def row_stream(
    commands: Iterable[t.Command], rows: Iterable[Any], context: Context
) -> Iterator[Any]:
    """``rows`` through commands of :data:`ROW_COMMANDS` (``display`` only names columns)."""
    stream: Iterable[Any] = rows
    for command in commands:
        stream = _row_step(command, stream, context)
    return iter(stream)


def _row_step(command: t.Command, stream: Iterable[Any], context: Context) -> Iterable[Any]:
    if isinstance(command, t.Filter):
        return _filter(command, stream, context)
    if isinstance(command, t.Fields):
        return _fields(command, stream, context)
    if isinstance(command, t.Parse):
        return parse_rows(command, stream)
    if isinstance(command, t.Json):
        return _json(command, stream)
    if isinstance(command, t.Unnest):
        return unnest_rows(command, stream, context)
    if isinstance(command, t.Display):
        return stream
    raise TypeError(f"{type(command).__name__} is not a row command")


def _response(
    rows: list[Any], columns: list[str], aggregated: bool, statistics: Statistics
) -> dict[str, Any]:
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
    return {"results": results, "statistics": statistics.response(), "status": STATUS_COMPLETE}


def event_rows(
    events: Iterable[tuple[int, Mapping[str, Any]]],
    log_group: str | None,
    low: int | None,
    high: int | None,
    statistics: Statistics,
) -> Iterator[EventRow]:
    """The rows of events given with their input index, those inside ``[low, high]`` (epoch
    ms, ``None`` unbounded), counted as scanned."""
    for index, event in events:
        moment = event_int(event, "timestamp")
        if (low is not None and moment < low) or (high is not None and moment > high):
            continue
        message = event.get("message", "")
        statistics.scanned += 1
        statistics.bytes += utf8_size(message) + EVENT_OVERHEAD_BYTES
        yield EventRow(system_fields(event, log_group), (moment, index))


def _pipeline(
    tree: t.Query,
    rows: Iterator[Any],
    context: Context,
    statistics: Statistics,
    *,
    counted: bool = False,
    ordered: bool = False,
) -> tuple[list[Any], list[str], bool]:
    """The final rows, the output columns and whether the rows are aggregated. ``counted``:
    recordsMatched is already counted (I42); ``ordered``: the rows already have their order
    (else the default applies)."""
    commands = list(tree.commands)
    display: t.Display | None = None
    aggregated = False
    stream: Iterable[Any] = rows
    for position, command in enumerate(commands):
        later = commands[position + 1 :]
        if isinstance(command, t.Display):
            display = command
        elif isinstance(command, ROW_COMMANDS):
            stream = _row_step(command, stream, context)
        elif isinstance(command, t.Stats):
            if not counted:
                stream, counted = counted_rows(stream, statistics), True
            stream = iter(aggregate(command, stream, context))
            aggregated, ordered, display = True, True, None
        elif isinstance(command, t.Sort):
            if not counted:
                stream, counted = counted_rows(stream, statistics), True
            stream = _sort(command, stream, _keep(later), context, ordered)
            ordered = True
        else:
            if not counted:
                stream, counted = counted_rows(stream, statistics), True
            if not ordered:
                stream, ordered = _default_order(stream, _keep(commands[position:])), True
            if isinstance(command, t.Limit):
                stream = _limit(command, stream)
            elif isinstance(command, t.Dedup):
                stream = _dedup(command, stream, context)
    if not counted:
        stream = counted_rows(stream, statistics)
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


def counted_rows(rows: Iterable[Any], statistics: Statistics) -> Iterator[Any]:
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

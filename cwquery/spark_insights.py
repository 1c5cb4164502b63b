"""Logs Insights ``stats`` queries on Spark (the ``[spark]`` extra): for archives beyond one
machine, ``insights(df, query)`` answers as :func:`cwquery.insights.run` answers over the same
events in the DataFrame's order.

Each task reads its share of the events with the local engine's code (system fields, field
discovery, ``filter``/``fields``/``parse``/``json``/``unnest``) and keeps one accumulator set per
``stats`` group; the tasks' groups merge pairwise (``treeReduce``), so only groups reach the
driver, which then runs what follows the first ``stats`` (a second ``stats``, ``sort``,
``limit``, …) as ``run`` does. Accumulators merge exactly and break ties by the event's index
in the DataFrame (:mod:`cwquery.insights.stats`), so where the rows were split changes nothing.

A query that is not a ``stats`` query, or that sorts, limits or deduplicates events before its
first ``stats``, needs every event in one place and is refused with
:class:`~cwquery.insights.QueryUnsupportedError`, as is what ``run`` refuses.

Library use::

    from cwquery.spark import insights
    result = insights(spark.read.json("s3a://bucket/export/"), "stats count(*) by bin(1h)")
    result["results"]   # GetQueryResults rows
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pyspark.sql import DataFrame

from cwquery.insights import QueryUnsupportedError, parse
from cwquery.insights import tree as t
from cwquery.insights.engine import (
    ROW_COMMANDS,
    Statistics,
    counted_rows,
    event_rows,
    finish_after_stats,
    refusal,
    row_stream,
    window,
)
from cwquery.insights.stats import Groups, accumulate, finish, merge_groups

__all__ = ["EVENT_COLUMNS", "insights"]

#: The columns an event may carry, as ``run`` reads its events' keys; ``message`` is needed.
EVENT_COLUMNS = ("timestamp", "message", "ingestionTime", "logStreamName", "logGroupName")

#: What one task hands back: its groups and the counts of the events it read.
_Part = tuple[Groups, Statistics]


def insights(
    df: DataFrame,
    query: str | t.Query,
    *,
    log_group: str | None = None,
    start: float | None = None,
    end: float | None = None,
) -> dict[str, Any]:
    """The ``GetQueryResults`` answer of a ``stats`` query over the events of ``df``.

    ``df`` has a string ``message`` column and, optionally, ``timestamp`` and
    ``ingestionTime`` (epoch ms), ``logStreamName`` and ``logGroupName``; other columns are
    ignored. ``log_group``, ``start`` and ``end`` mean what they mean for
    :func:`cwquery.insights.run`.

    Raises:
        QueryError: the query does not parse.
        QueryUnsupportedError: ``run`` would refuse the query, or it is not a ``stats`` query
            whose commands before the first ``stats`` look at one event at a time.
        ValueError: ``df`` has no ``message`` column.
    """
    source = query if isinstance(query, str) else str(query)
    tree = parse(query) if isinstance(query, str) else query
    refused = refusal(query, tree)
    if refused is not None:
        raise refused
    position = _first_stats(tree, source)
    present = [name for name in EVENT_COLUMNS if name in df.columns]
    if "message" not in present:
        raise ValueError("the DataFrame needs a string 'message' column")
    context, low, high = window(start, end)
    stats = tree.commands[position]
    assert isinstance(stats, t.Stats)
    prefix = tree.commands[:position]

    def part(rows: Iterable[tuple[Any, int]]) -> Iterator[_Part]:
        counts = Statistics()
        events = ((index, _event(row, present)) for row, index in rows)
        stream = row_stream(prefix, event_rows(events, log_group, low, high, counts), context)
        groups = accumulate(stats, counted_rows(stream, counts), context)
        yield groups, counts

    pieces = df.select(*present).rdd.zipWithIndex().mapPartitions(part)
    groups: Groups = {}
    counts = Statistics()
    if pieces.getNumPartitions():
        groups, counts = pieces.treeReduce(_merge)
    rows = finish(stats, groups, context)
    try:
        return finish_after_stats(tree, position, rows, context, counts)
    except QueryUnsupportedError as err:
        if err.pattern:
            raise
        raise QueryUnsupportedError(err.message, source, 0, length=len(source)) from None


def _first_stats(tree: t.Query, source: str) -> int:
    """The position of the first ``stats``, or the error that refuses the query on Spark."""
    if not any(isinstance(command, t.Stats) for command in tree.commands):
        raise QueryUnsupportedError(
            "on Spark, a query must aggregate with stats (run it with cwquery.insights.run)",
            source,
            0,
            length=max(1, len(source)),
        )
    for position, command in enumerate(tree.commands):
        if isinstance(command, t.Stats):
            return position
        if not isinstance(command, ROW_COMMANDS):
            begin, finish_at = command.span
            raise QueryUnsupportedError(
                "on Spark, only filter, fields, display, parse, json and unnest may come before "
                "the first stats (this command needs every event in one place)",
                source,
                begin,
                length=max(1, finish_at - begin),
            )
    raise AssertionError("unreachable: the query has a stats")  # pragma: no cover


def _event(row: Any, present: list[str]) -> dict[str, Any]:
    event = {name: row[name] for name in present if row[name] is not None}
    event.setdefault("message", "")
    return event


def _merge(left: _Part, right: _Part) -> _Part:
    return merge_groups(left[0], right[0]), left[1].merge(right[1])

"""``stats`` (spec §6; I30-I40, I42, I65, I73, I74): groups keyed by the ``by`` values, one
accumulator per aggregate call, rows in ``by`` order. Memory is one accumulator set per group
(``pct``/``median`` keep the group's numeric values; ``count_distinct`` its distinct texts).

>>> from cwquery.insights import parse
>>> stats = parse("stats count(*) as n, avg(x) by k").commands[0]
>>> rows = [{"k": "a", "x": "1"}, {"k": "b", "x": "4"}, {"k": "a", "x": "3"}]
>>> [sorted(row.items()) for row in aggregate(stats, rows, Context())]
[[('avg(x)', 2.0), ('k', 'a'), ('n', 2)], [('avg(x)', 4.0), ('k', 'b'), ('n', 1)]]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from cwquery.insights import tree as t
from cwquery.insights.expressions import Context, evaluate
from cwquery.insights.values import (
    Timestamp,
    is_structure,
    number,
    order_key,
    sort_key,
    text,
    unsupported,
)

__all__ = ["aggregate", "aggregate_calls"]


def aggregate_calls(stats: t.Stats) -> list[t.Call]:
    """The aggregate calls of a ``stats`` command's items, outermost only, in order."""
    from cwquery.insights.functions import AGGREGATE, lookup

    found: list[t.Call] = []
    for item in stats.items:
        pending: list[t.Node] = [item.expr]
        while pending:
            node = pending.pop()
            function = lookup(node.name) if isinstance(node, t.Call) else None
            if isinstance(node, t.Call) and function is not None and function.kind == AGGREGATE:
                found.append(node)
            else:
                pending += reversed(node.children())
    return found


class _Accumulator:
    """The state of one aggregate call in one group."""

    __slots__ = ("best", "call", "count", "mean", "seen", "spread", "total", "values")

    def __init__(self, call: t.Call) -> None:
        self.call = call
        self.count = 0
        self.values: list[float] = []
        self.best: Any = None
        self.total = 0.0
        self.mean = 0.0
        self.spread = 0.0
        self.seen: set[str] = set()

    def add(self, row: Mapping[str, Any], context: Context, index: int) -> None:
        name, args = self.call.name, self.call.args
        if name == "count" and (not args or isinstance(args[0], t.Star)):
            self.count += 1
            return
        value = evaluate(args[0], row, context)
        if value is None:
            return
        if is_structure(value):
            raise unsupported(f"a MAP or LIST value cannot be aggregated by {name}() (I65)")
        if name == "count":
            self.count += 1
        elif name == "count_distinct":
            self.seen.add(str(text(value)))
        elif name in ("sum", "avg", "stddev", "pct", "percentile", "median"):
            numeric = number(value)
            if numeric is None:
                return
            self.count += 1
            self.total += numeric
            delta = numeric - self.mean  # Welford, for stddev
            self.mean += delta / self.count
            self.spread += delta * (numeric - self.mean)
            if name in ("pct", "percentile", "median"):
                self.values.append(numeric)
        elif name in ("min", "max"):
            self._extreme(value, name == "max")
        elif name in ("earliest", "latest"):
            moment = number(row.get("@timestamp"))
            key = (moment if moment is not None else 0.0, index)
            if self.best is None or (
                key < self.best[0] if name == "earliest" else key >= self.best[0]
            ):
                self.best = (key, value)
        elif name in ("sortsFirst", "sortsLast"):
            key = order_key(value)
            if self.best is None or (
                key < self.best[0] if name == "sortsFirst" else key >= self.best[0]
            ):
                self.best = (key, value)

    def _extreme(self, value: Any, largest: bool) -> None:
        # I33: numeric order when any value is numeric (then non-numeric ones are ignored)
        numeric = number(value)
        rank = (1, numeric) if numeric is not None else (0, order_key(value))
        if self.best is None:
            self.best = (rank, value)
            return
        held = self.best[0]
        if rank[0] != held[0]:
            if rank[0] == 1:
                self.best = (rank, value)
            return
        if (rank[1] > held[1]) if largest else (rank[1] < held[1]):
            self.best = (rank, value)

    def result(self) -> Any:
        name = self.call.name
        if name in ("count",):
            return self.count
        if name == "count_distinct":
            return len(self.seen)
        if name in ("sum", "avg"):
            if not self.count:
                return None  # I31
            return self.total if name == "sum" else self.total / self.count
        if name == "stddev":
            return math.sqrt(self.spread / (self.count - 1)) if self.count > 1 else None
        if name in ("pct", "percentile", "median"):
            if not self.values:
                return None
            rank = 50.0 if name == "median" else float(self.call.args[1].value)  # type: ignore[union-attr]
            ordered = sorted(self.values)
            position = max(1, math.ceil(rank / 100 * len(ordered)))  # I34: nearest rank
            return ordered[min(position, len(ordered)) - 1]
        return None if self.best is None else self.best[1]


def aggregate(
    stats: t.Stats, rows: Iterable[Mapping[str, Any]], context: Context
) -> list[dict[str, Any]]:
    """The rows of a ``stats`` over ``rows``: ``by`` columns first, then the items (I38), in
    ascending ``by`` order (I39); no rows over no input (I40)."""
    calls = aggregate_calls(stats)
    groups: dict[tuple[Any, ...], tuple[list[Any], list[_Accumulator]]] = {}
    for index, row in enumerate(rows):
        keys = [evaluate(item.expr, row, context) for item in stats.by]
        for key in keys:
            if is_structure(key):
                raise unsupported("a MAP or LIST value cannot be a stats group key (I65)")
        identity = tuple(_identity(key) for key in keys)
        group = groups.get(identity)
        if group is None:
            group = groups[identity] = (keys, [_Accumulator(call) for call in calls])
        order = getattr(row, "order", None)  # ingestion order breaks time ties (I35)
        for accumulator in group[1]:
            accumulator.add(row, context, index if order is None else order[1])
    ordered = sorted(groups.values(), key=lambda group: tuple(sort_key(key) for key in group[0]))
    result = []
    for keys, accumulators in ordered:
        out: dict[str, Any] = {}
        for item, key in zip(stats.by, keys, strict=True):
            out[column(item)] = key
        values = {id(acc.call): acc.result() for acc in accumulators}
        inner = Context(context.start, context.end, context.now, values)
        for item in stats.items:
            out[column(item)] = evaluate(item.expr, out, inner)
        result.append(out)
    return result


def _identity(value: Any) -> Any:
    """A group key's identity: its printed text, so ``200`` and ``"200"`` share a group
    (a timestamp by its milliseconds, which is the same and cheaper)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Timestamp):
        return ("@t", int(value))
    return text(value)


def column(item: t.Item) -> str:
    """The column an item makes: a plain field keeps its name, else :attr:`t.Item.column`."""
    if item.alias is None and isinstance(item.expr, t.Field):
        return item.expr.name
    return item.column

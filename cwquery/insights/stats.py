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
from fractions import Fraction
from typing import Any

from cwquery.exact_sum import exact_add
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

__all__ = [
    "Groups",
    "accumulate",
    "aggregate",
    "aggregate_calls",
    "exact_add",
    "finish",
    "merge_groups",
]


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


def _square(value: float) -> tuple[float, float]:
    """``value * value`` exactly, as a rounded product and its error (Dekker's product)."""
    product = value * value
    cut = 134217729.0 * value  # Veltkamp split: 2 ** 27 + 1
    high = cut - (cut - value)
    low = value - high
    return product, ((high * high - product) + 2 * high * low) + low * low


def _exact(partials: list[float]) -> Fraction | None:
    if partials and not math.isfinite(partials[-1]):
        return None
    return sum((Fraction(part) for part in partials), Fraction(0))


class _Accumulator:
    """The state of one aggregate call in one group. Every state merges with another of the
    same call (:meth:`merge`) and gives the same result whatever order the rows came in, ties
    broken by the rows' input index: sums are exact (:func:`exact_add`), so a run split over
    many workers (``cwquery.spark_insights``) answers as one run over every event does."""

    __slots__ = ("best", "call", "count", "seen", "squares", "total", "values")

    def __init__(self, call: t.Call) -> None:
        self.call = call
        self.count = 0
        self.values: list[float] = []
        self.best: Any = None
        self.total: list[float] = []
        self.squares: list[float] = []
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
            if name in ("pct", "percentile", "median"):
                self.values.append(numeric)
                return
            exact_add(self.total, numeric)
            if name == "stddev":
                for part in _square(numeric):
                    exact_add(self.squares, part)
        elif name in ("min", "max"):
            # I33: numeric order when any value is numeric (numbers beat every other value,
            # so non-numeric ones count only where there is no number)
            numeric = number(value)
            largest = name == "max"
            if numeric is not None:
                rank: tuple[Any, ...] = (int(largest), numeric)
            else:
                rank = (int(not largest), order_key(value))
            self._keep(rank, index, value)
        elif name in ("earliest", "latest"):
            moment = number(row.get("@timestamp"))
            self._keep(moment if moment is not None else 0.0, index, value)
        elif name in ("sortsFirst", "sortsLast"):
            self._keep(order_key(value), index, value)

    def _better(self, key: Any, index: int) -> bool:
        """Whether a value of ``key`` at row ``index`` beats the one held: the smallest key
        (``min``, ``earliest``, ``sortsFirst``) or the largest; among equal keys the first row,
        but the last for ``latest`` (I35) and ``sortsLast``."""
        held_key, held_index, _ = self.best
        name = self.call.name
        if name in ("min", "earliest", "sortsFirst"):
            return bool((key, index) < (held_key, held_index))
        if name == "max":
            return bool((key, -index) > (held_key, -held_index))
        return bool((key, index) > (held_key, held_index))

    def _keep(self, key: Any, index: int, value: Any) -> None:
        if self.best is None or self._better(key, index):
            self.best = (key, index, value)

    def merge(self, other: _Accumulator) -> None:
        """Fold in the state of the same call over other rows."""
        self.count += other.count
        self.values += other.values
        for part in other.total:
            exact_add(self.total, part)
        for part in other.squares:
            exact_add(self.squares, part)
        self.seen |= other.seen
        if other.best is not None:
            self._keep(*other.best)

    def result(self) -> Any:
        name = self.call.name
        if name in ("count",):
            return self.count
        if name == "count_distinct":
            return len(self.seen)
        if name in ("sum", "avg"):
            if not self.count or (self.total and math.isinf(self.total[-1])):
                return None  # I31; beyond the float range (I14)
            total = math.fsum(self.total)
            return total if name == "sum" else total / self.count
        if name == "stddev":
            first, second = _exact(self.total), _exact(self.squares)
            if self.count < 2 or first is None or second is None:
                return None
            spread = (second - first * first / self.count) / (self.count - 1)
            return math.sqrt(max(0.0, float(spread)))
        if name in ("pct", "percentile", "median"):
            if not self.values:
                return None
            rank = 50.0 if name == "median" else float(self.call.args[1].value)  # type: ignore[union-attr]
            ordered = sorted(self.values)
            position = max(1, math.ceil(rank / 100 * len(ordered)))  # I34: nearest rank
            return ordered[min(position, len(ordered)) - 1]
        return None if self.best is None else self.best[2]


#: The groups of one ``stats`` while rows arrive: group identity → (the first row's ``by``
#: values, one accumulator per aggregate call of :func:`aggregate_calls`).
Groups = dict[tuple[Any, ...], tuple[list[Any], list[_Accumulator]]]


def aggregate(
    stats: t.Stats, rows: Iterable[Mapping[str, Any]], context: Context
) -> list[dict[str, Any]]:
    """The rows of a ``stats`` over ``rows``: ``by`` columns first, then the items (I38), in
    ascending ``by`` order (I39); no rows over no input (I40)."""
    return finish(stats, accumulate(stats, rows, context), context)


def accumulate(
    stats: t.Stats,
    rows: Iterable[Mapping[str, Any]],
    context: Context,
    groups: Groups | None = None,
) -> Groups:
    """Add ``rows`` to the groups of ``stats`` (new ones unless ``groups`` are given). A row's
    input index (``row.order[1]``, else its place in ``rows``) breaks ties (I33, I35)."""
    calls = aggregate_calls(stats)
    groups = {} if groups is None else groups
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
    return groups


def merge_groups(groups: Groups, other: Groups) -> Groups:
    """Fold the groups of the same ``stats`` over other rows into ``groups`` (a group's ``by``
    values are kept from ``groups``: every row of a group prints them alike)."""
    for identity, (keys, accumulators) in other.items():
        held = groups.get(identity)
        if held is None:
            groups[identity] = (keys, accumulators)
            continue
        for mine, theirs in zip(held[1], accumulators, strict=True):
            mine.merge(theirs)
    return groups


def finish(stats: t.Stats, groups: Groups, context: Context) -> list[dict[str, Any]]:
    """The rows of the groups, in ascending ``by`` order (I39)."""
    calls = aggregate_calls(stats)
    ordered = sorted(groups.values(), key=lambda group: tuple(sort_key(key) for key in group[0]))
    result = []
    for keys, accumulators in ordered:
        out: dict[str, Any] = {}
        for item, key in zip(stats.by, keys, strict=True):
            out[column(item)] = key
        # by position: the accumulators may have been built from another copy of the tree
        values = {id(call): acc.result() for call, acc in zip(calls, accumulators, strict=True)}
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

"""Evaluating an expression of the tree over one row (spec §3, §4.4, §5; I9, I14-I16, I62, I65).

>>> from cwquery.insights import parse
>>> expr = parse("fields 2 + 3 * 4 as x").commands[0].items[0].expr
>>> evaluate(expr, {}, Context())
14.0
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cwquery.insights import tree as t
from cwquery.insights.calls import call, ceil_period, floor_period
from cwquery.insights.checks import re2_pattern
from cwquery.insights.functions import AGGREGATE, lookup
from cwquery.insights.values import (
    Timestamp,
    equals,
    is_structure,
    less,
    number,
    text,
    truth,
    unsupported,
)

__all__ = ["Context", "compiled", "evaluate", "lookup_field"]


@dataclass
class Context:
    """What a query's evaluation knows besides the row: the query window (epoch ms, ``None``
    when unbounded), the time it started (epoch s), and the values of aggregates already
    computed for a ``stats`` row (by node identity)."""

    start: int | None = None
    end: int | None = None
    now: int = 0
    aggregates: dict[int, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> Any:
    """The RE2 regex of a query's ``/pattern/`` (I62), compiled once per process."""
    import re2

    options = re2.Options()
    options.log_errors = False
    return re2.compile(re2_pattern(pattern), options)


@functools.lru_cache(maxsize=256)
def literal(pattern: str) -> str | None:
    """The text a regex matches when it is plain text (no special character): then a
    substring test gives the same answer, faster."""
    return pattern if pattern and not _SPECIAL.search(pattern) else None


_SPECIAL = re.compile(r"[\\.^$|?*+()\[\]{}]")


def lookup_field(row: Mapping[str, Any], name: str) -> Any:
    """A field by name; a dotted name that is not a field reaches into a MAP or LIST (§4.4)."""
    value = row.get(name)
    if value is not None or "." not in name:
        return value
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        base = row.get(".".join(parts[:cut]))
        if is_structure(base):
            for part in parts[cut:]:
                base = member(base, part)
            return base
    return None


def member(value: Any, key: str | int) -> Any:
    """``value.key`` / ``value[key]`` of a MAP or LIST, else null."""
    if isinstance(value, dict):
        found = value.get(str(key))
    elif isinstance(value, list):
        try:
            index = int(key)
        except ValueError:
            return None
        found = value[index] if 0 <= index < len(value) else None
    else:
        return None
    if isinstance(found, bool):
        return "true" if found else "false"
    return found


def evaluate(expr: t.Expr, row: Mapping[str, Any], context: Context) -> Any:
    """The value of ``expr`` over ``row`` (``None`` is null)."""
    kind = type(expr)
    if kind is t.Field:
        return lookup_field(row, expr.name)  # type: ignore[union-attr]
    if kind is t.String:
        return expr.value  # type: ignore[union-attr]
    if kind is t.Number:
        return expr.value  # type: ignore[union-attr]
    if kind is t.Boolean:
        return expr.value  # type: ignore[union-attr]
    if kind is t.Compare:
        return _compare(expr, row, context)  # type: ignore[arg-type]
    if kind is t.Binary:
        return _binary(expr, row, context)  # type: ignore[arg-type]
    if kind is t.Not:
        flag = truth(evaluate(expr.operand, row, context))  # type: ignore[union-attr]
        return None if flag is None else not flag
    if kind is t.Negate:
        value = number(evaluate(expr.operand, row, context))  # type: ignore[union-attr]
        return None if value is None else -value
    if kind is t.Like:
        return _like(expr, row, context)  # type: ignore[arg-type]
    if kind is t.In:
        return _in(expr, row, context)  # type: ignore[arg-type]
    if kind is t.Call:
        return _call(expr, row, context)  # type: ignore[arg-type]
    if kind is t.Access:
        return member(evaluate(expr.target, row, context), expr.key)  # type: ignore[union-attr]
    if kind is t.ListLiteral:
        return [evaluate(item, row, context) for item in expr.items]  # type: ignore[union-attr]
    if kind is t.Regex:
        return expr.pattern  # type: ignore[union-attr]
    raise unsupported(f"{type(expr).__name__} cannot be evaluated here")


def _compare(expr: t.Compare, row: Mapping[str, Any], context: Context) -> Any:
    left = evaluate(expr.left, row, context)
    right = evaluate(expr.right, row, context)
    if expr.op == "=":
        return equals(left, right)
    if expr.op == "!=":
        same = equals(left, right)
        return (
            None
            if same is None
            else (False if is_structure(left) or is_structure(right) else not same)
        )
    if expr.op == "<":
        return less(left, right)
    if expr.op == ">":
        return less(right, left)
    low, high = (left, right) if expr.op == "<=" else (right, left)
    below = less(low, high)
    if below is None or below:
        return below
    a, b = number(low), number(high)
    return a == b if a is not None and b is not None else text(low) == text(high)


def _binary(expr: t.Binary, row: Mapping[str, Any], context: Context) -> Any:
    if expr.op in ("and", "or"):
        left = truth(evaluate(expr.left, row, context))
        if expr.op == "and" and left is False:
            return False
        if expr.op == "or" and left is True:
            return True
        right = truth(evaluate(expr.right, row, context))
        if expr.op == "and":
            return False if right is False else (None if None in (left, right) else True)
        return True if right is True else (None if None in (left, right) else False)
    a = number(evaluate(expr.left, row, context))
    b = number(evaluate(expr.right, row, context))
    if a is None or b is None:
        return None  # I14
    try:
        if expr.op == "+":
            return a + b
        if expr.op == "-":
            return a - b
        if expr.op == "*":
            return a * b
        if expr.op == "/":
            return a / b if b else None
        if expr.op == "%":
            return math.fmod(a, b) if b else None
        if expr.op == "^":
            result = a**b
            return None if isinstance(result, complex) else float(result)
    except (OverflowError, ZeroDivisionError, ValueError):
        return None
    raise unsupported(f"the operator {expr.op} is not known")


def _like(expr: t.Like, row: Mapping[str, Any], context: Context) -> Any:
    subject = evaluate(expr.subject, row, context)
    if subject is None:
        return None
    if is_structure(subject):
        return False
    body = str(text(subject))
    if isinstance(expr.pattern, t.Regex):
        plain = literal(expr.pattern.pattern)
        if plain is not None:
            found = plain in body
        else:
            found = compiled(expr.pattern.pattern).search(body) is not None
    else:
        found = expr.pattern.value in body
    return found != expr.negated


def _in(expr: t.In, row: Mapping[str, Any], context: Context) -> Any:
    if isinstance(expr.values, t.Query):  # run refuses subqueries before any row (I54)
        raise unsupported("a subquery is parsed but not run locally")
    subject = evaluate(expr.subject, row, context)
    if subject is None:
        return None
    result: bool | None = False
    for item in expr.values.items:
        same = equals(subject, evaluate(item, row, context))
        if same:
            result = True
            break
        if same is None:
            result = None
    if result is None:
        return None
    return result != expr.negated


def _call(expr: t.Call, row: Mapping[str, Any], context: Context) -> Any:
    if id(expr) in context.aggregates:
        return context.aggregates[id(expr)]
    name = expr.name
    function = lookup(name)
    if function is not None and function.kind == AGGREGATE:
        return row.get(str(expr))  # after a stats, an aggregate names its column
    if name == "bin":
        period = expr.args[0]
        assert isinstance(period, t.Period)
        moment = row.get("@timestamp")
        if moment is None or number(moment) is None:
            return None
        return Timestamp(floor_period(int(number(moment)), period.count, period.unit))  # type: ignore[arg-type]
    if name in ("datefloor", "dateceil"):
        moment = number(evaluate(expr.args[0], row, context))
        period = expr.args[1]
        assert isinstance(period, t.Period)
        if moment is None:
            return None
        shift = floor_period if name == "datefloor" else ceil_period
        return Timestamp(shift(int(moment), period.count, period.unit))
    if name == "now":
        return context.now
    if name in ("queryStartTime", "queryEndTime", "queryTimeRange"):
        if name == "queryStartTime":
            return context.start
        if name == "queryEndTime":
            return context.end
        if context.start is None or context.end is None:
            return None
        return context.end - context.start
    if name == "regexReplace":
        value, pattern, replacement = (evaluate(arg, row, context) for arg in expr.args)
        if value is None or pattern is None or replacement is None or is_structure(value):
            return None
        return compiled(str(text(pattern))).sub(
            str(text(replacement)).replace("\\", "\\\\"), str(text(value))
        )
    args = [evaluate(arg, row, context) for arg in expr.args]
    return call(name, args)

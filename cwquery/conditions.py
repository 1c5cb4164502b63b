"""Conditions written as Python comparisons, and the checks every builder shares.

``field("$.a") > 1`` builds a JSON condition and ``column("status") == 404`` a condition on a
space-delimited column; ``&`` and ``|`` join them. ``==`` and ``!=`` are overloaded on these
helper objects only: the syntax tree keeps structural equality. :mod:`cwquery.builder` re-exports
:func:`field` and :func:`column`, and builds its CDK-style functions on the helpers here.

>>> str((field("$.latency") > 1000) & (field("$.level") == "ERROR"))
'{ $.latency > 1000 && $.level = "ERROR" }'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NoReturn, TypeVar

from cwquery.ast import (
    And,
    Field,
    FieldCompare,
    FieldCondition,
    JsonCompare,
    JsonExpr,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Number,
    Operator,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    String,
    TruthTest,
    Value,
    combine,
)
from cwquery.errors import PatternError
from cwquery.numbers import NUMBER_SYNTAX, js_number_text
from cwquery.parser import parse, parse_selector
from cwquery.renderer import render

__all__ = ["Column", "ColumnCondition", "Condition", "Json", "JsonField", "column", "field"]

#: Space-delimited column names (as CDK checks them).
_COLUMN_NAME = re.compile(r"[A-Za-z0-9_-]+")

#: Comparison spellings; ``==`` is accepted as CDK accepts it, and means ``=``.
_OPERATORS = {
    "=": Operator.EQ,
    "==": Operator.EQ,
    "!=": Operator.NE,
    "<": Operator.LT,
    ">": Operator.GT,
    "<=": Operator.LE,
    ">=": Operator.GE,
}

_Built = TypeVar("_Built", bound=Pattern)


# --------------------------------------------------------------------------- field() and &, |


@dataclass(frozen=True)
class Condition:
    """A JSON condition built with :func:`field`, combined with ``&`` (and) and ``|`` (or).

    ``pattern`` is the :class:`~cwquery.ast.JsonPattern` to compile, render or send; ``str()``
    is its text. A condition has no truth value: ``and``, ``or``, ``not`` and chained
    comparisons raise ``TypeError`` rather than silently dropping half of the pattern.

    >>> from cwquery import compile
    >>> slow = (field("$.latency") > 1000) | (field("$.retries") >= 3)
    >>> compile(slow.pattern).matches('{"latency": 20, "retries": 5}')
    True
    """

    expr: JsonExpr

    @property
    def pattern(self) -> JsonPattern:
        """The condition as a whole JSON pattern."""
        return JsonPattern(self.expr)

    def __and__(self, other: object) -> Condition:
        return _condition(combine(And, [self.expr, json_operand(other, "&")]))

    def __rand__(self, other: object) -> Condition:
        return _condition(combine(And, [json_operand(other, "&"), self.expr]))

    def __or__(self, other: object) -> Condition:
        return _condition(combine(Or, [self.expr, json_operand(other, "|")]))

    def __ror__(self, other: object) -> Condition:
        return _condition(combine(Or, [json_operand(other, "|"), self.expr]))

    def __bool__(self) -> NoReturn:
        raise TypeError(
            "a pattern condition has no truth value: join conditions with & and |, not "
            "and/or, and write one comparison per pair of parentheses: "
            "(field('$.a') > 1) & (field('$.a') < 5)"
        )

    def __str__(self) -> str:
        return render(self.pattern)


Json = JsonPattern | Condition


def _condition(expr: JsonExpr) -> Condition:
    """A combined condition, checked as a whole (quotas count over the whole pattern)."""
    checked(JsonPattern(expr))
    return Condition(expr)


class JsonField:
    """A JSON selector to compare, made by :func:`field`. Comparisons return a
    :class:`Condition`; ``==`` and ``!=`` are overloaded here only, never on the AST.

    ======================================  ===============================
    Python                                  pattern
    ======================================  ===============================
    ``field("$.a") == "x"``                 ``$.a = "x"``
    ``field("$.a") != 3``                   ``$.a != 3``
    ``field("$.a") > 1.5``                  ``$.a > 1.5`` (also ``<``, ``<=``, ``>=``)
    ``field("$.a") == True``                ``$.a IS TRUE`` (``.is_true()``)
    ``field("$.a") == None``                ``$.a IS NULL`` (``.is_null()``)
    ``field("$.a").matches_regex("x+")``    ``$.a = %x+%`` (``.not_matches_regex``: ``!=``)
    ``field("$.a").exists()``               ``$.a = "*"``
    ``field("$.a").not_exists()``           ``$.a NOT EXISTS``
    ======================================  ===============================
    """

    __slots__ = ("selector",)
    __hash__ = None  # type: ignore[assignment]  # == builds conditions, so no hashing

    def __init__(self, selector: str | Selector) -> None:
        self.selector = selector_of(selector)

    def __repr__(self) -> str:
        return f"field({render(self.selector)!r})"

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        if value is True or value is False:
            return self.is_true() if value else self.is_false()
        if value is None:
            return self.is_null()
        return self._compare(Operator.EQ, value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        if value is None or isinstance(value, bool):
            raise ValueError(
                f"CloudWatch has no IS NOT: {self!r} != {value!r} cannot be written; "
                "test the other values instead (IS TRUE, IS FALSE, IS NULL, NOT EXISTS)"
            )
        return self._compare(Operator.NE, value)

    def __lt__(self, value: object) -> Condition:
        return self._compare(Operator.LT, value)

    def __le__(self, value: object) -> Condition:
        return self._compare(Operator.LE, value)

    def __gt__(self, value: object) -> Condition:
        return self._compare(Operator.GT, value)

    def __ge__(self, value: object) -> Condition:
        return self._compare(Operator.GE, value)

    def __and__(self, other: object) -> NoReturn:
        _needs_parentheses()

    __rand__ = __or__ = __ror__ = __and__

    def __bool__(self) -> NoReturn:
        raise TypeError("a field has no truth value; compare it: field('$.a') == 'x'")

    def is_true(self) -> Condition:
        """``IS TRUE``."""
        return Condition(JsonIs(self.selector, TruthTest.TRUE))

    def is_false(self) -> Condition:
        """``IS FALSE``."""
        return Condition(JsonIs(self.selector, TruthTest.FALSE))

    def is_null(self) -> Condition:
        """``IS NULL``."""
        return Condition(JsonIs(self.selector, TruthTest.NULL))

    def exists(self) -> Condition:
        """``= "*"``: a string, number or boolean is there."""
        return Condition(JsonCompare(self.selector, Operator.EQ, String("*")))

    def not_exists(self) -> Condition:
        """``NOT EXISTS``."""
        return Condition(JsonNotExists(self.selector))

    def matches_regex(self, source: str) -> Condition:
        """``= %source%``: the regex finds a match in the value."""
        return Condition(JsonCompare(self.selector, Operator.EQ, regex_literal(source)))

    def not_matches_regex(self, source: str) -> Condition:
        """``!= %source%``: the value is there and the regex finds no match in it."""
        return Condition(JsonCompare(self.selector, Operator.NE, regex_literal(source)))

    def _compare(self, op: Operator, value: object) -> Condition:
        return Condition(_checked_compare(self.selector, op, _value(value, op)))


def field(selector: str | Selector) -> JsonField:
    """A JSON field to compare: ``(field("$.latency") > 1000) & (field("$.level") == "ERROR")``.

    The selector is checked at once. Python binds ``&`` and ``|`` tighter than ``>`` and ``==``,
    so every comparison needs its own parentheses; without them Python would read
    ``field("$.a") > 1 & field("$.b") == "x"`` as ``field("$.a") > (1 & field("$.b")) == "x"``,
    and that raises ``TypeError`` with this advice.

    >>> str((field("$.a") > 1) & (field("$.b") == "x") | field("$.c").is_null())
    '{ $.a > 1 && $.b = "x" || $.c IS NULL }'
    >>> field("$.a") > 1 & field("$.b") == "x"  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: put each comparison in parentheses...
    >>> field("$.a") > "x"  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: '>' compares numbers...
    """
    return JsonField(selector)


def _needs_parentheses() -> NoReturn:
    raise TypeError(
        "put each comparison in parentheses before joining with & or |: "
        "(field('$.a') > 1) & (field('$.b') == 'x'); Python binds & and | tighter than "
        "comparisons"
    )


def selector_of(json_field: str | Selector) -> Selector:
    """A checked selector from its text or tree."""
    if isinstance(json_field, Selector):
        checked(JsonPattern(JsonNotExists(json_field)))
        return json_field
    if not isinstance(json_field, str):
        raise TypeError(f"a JSON field is a selector string such as '$.a', not {json_field!r}")
    try:
        return parse_selector(json_field)
    except PatternError as err:
        raise _about_selector(err, json_field) from None


#: What :func:`parse_selector` puts before the selector it is given.
_SELECTOR_PREFIX = len("{ ")


def _about_selector(err: PatternError, text: str) -> PatternError:
    """The same error, shown on the selector the caller wrote rather than on the pattern the
    parser was given (``{ <selector> NOT EXISTS }``).

    >>> try:
    ...     selector_of("$..x")
    ... except PatternError as err:
    ...     print(err.pattern)
    $..x
    """
    offset = min(max(err.offset - _SELECTOR_PREFIX, 0), len(text))
    message = err.message
    if err.offset - _SELECTOR_PREFIX >= len(text):
        message = f"not a complete JSON selector: {err.message}"
    return type(err)(
        f"{message} in the JSON field {text!r}",
        text,
        offset,
        length=min(err.length, max(1, len(text) - offset)),
        hint=err.hint,
        service_message=err.service_message,
    )


def operator_of(comparison: str) -> Operator:
    """The operator a comparison string names (``==`` is ``=``)."""
    try:
        return _OPERATORS[comparison]
    except (KeyError, TypeError):
        raise ValueError(f"unknown comparison {comparison!r}; use one of = != < > <= >=") from None


def json_compare(json_field: str | Selector, comparison: str, value: Value) -> JsonCompare:
    """A checked ``selector op value`` condition."""
    return _checked_compare(selector_of(json_field), operator_of(comparison), value)


def _checked_compare(selector: Selector, op: Operator, value: Value) -> JsonCompare:
    if op.is_relational and not isinstance(value, Number):
        raise ValueError(
            f"{op.value!r} compares numbers; only = and != compare strings and regexes (D12)"
        )
    compare = JsonCompare(selector, op, value)
    checked(JsonPattern(compare))
    return compare


def _value(value: object, op: Operator) -> Value:
    """A Python value as a literal: ``str`` a string, ``int``/``float`` a number."""
    if isinstance(value, String | Number | Regex):
        return value
    if isinstance(value, str):
        return String(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_literal(value)
    raise TypeError(
        f"cannot compare a field with {type(value).__name__} {value!r}; use a str, int or float"
        + (
            " (to join conditions, put each comparison in parentheses)"
            if _is_builder(value)
            else ""
        )
    )


def _is_builder(value: object) -> bool:
    return isinstance(value, JsonField | Condition | JsonPattern)


def number_literal(value: float | str) -> Number:
    """A number literal: text is kept as written, floats are written as JavaScript (and so the
    AWS CDK) writes them, so ``5.0`` is ``5`` as in a CDK-built template.

    >>> number_literal(5.0), number_literal(1e-7), number_literal("+1e3")
    (Number(text='5'), Number(text='1e-7'), Number(text='+1e3'))
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"a number is an int, a float or its text, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} cannot be written in a pattern")
    text = js_number_text(value) if isinstance(value, float) else str(value)
    if not NUMBER_SYNTAX.fullmatch(text):
        raise ValueError(f"{value!r} is not a number CloudWatch can read (e.g. 1000, -1.5, 1e3)")
    return Number(text)


def regex_literal(source: str) -> Regex:
    """A regex value checked against CloudWatch's dialect (written without its ``%``)."""
    if not isinstance(source, str):
        raise TypeError(f"a regex is a str, not {type(source).__name__}")
    if source.startswith("%") and source.endswith("%") and len(source) > 1:
        raise ValueError(f"write the regex without its % signs: {source[1:-1]!r}")
    node = Regex(source)
    checked(RegexPattern(node))
    return node


# --------------------------------------------------------------------------- space-delimited


@dataclass(frozen=True)
class ColumnCondition:
    """A condition on one space-delimited column, made by comparing a :func:`column`; ``&`` and
    ``|`` join conditions on the same column (``&`` binds tighter, as in the pattern)."""

    name: str
    condition: FieldCondition

    def __and__(self, other: ColumnCondition) -> ColumnCondition:
        return ColumnCondition(self.name, dnf_and(self.condition, self._same(other)))

    def __or__(self, other: ColumnCondition) -> ColumnCondition:
        return ColumnCondition(self.name, _dnf_or(self.condition, self._same(other)))

    def __bool__(self) -> NoReturn:
        raise TypeError("a column condition has no truth value: join conditions with & and |")

    def _same(self, other: object) -> FieldCondition:
        if not isinstance(other, ColumnCondition):
            raise TypeError(
                f"a column condition combines only with another column condition, not "
                f"{type(other).__name__}"
            )
        if other.name != self.name:
            raise ValueError(
                f"conditions on {self.name!r} and {other.name!r} cannot share a column: each "
                "column holds conditions on itself only (D13); call where() once per column"
            )
        return other.condition

    def __str__(self) -> str:
        return render(Field(self.name, self.condition))


class Column:
    """A space-delimited column to compare, made by :func:`column`."""

    __slots__ = ("name",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str) -> None:
        self.name = column_name(name)

    def __repr__(self) -> str:
        return f"column({self.name!r})"

    def __eq__(self, value: object) -> ColumnCondition:  # type: ignore[override]
        return self._compare(Operator.EQ, value)

    def __ne__(self, value: object) -> ColumnCondition:  # type: ignore[override]
        return self._compare(Operator.NE, value)

    def __lt__(self, value: object) -> ColumnCondition:
        return self._compare(Operator.LT, value)

    def __le__(self, value: object) -> ColumnCondition:
        return self._compare(Operator.LE, value)

    def __gt__(self, value: object) -> ColumnCondition:
        return self._compare(Operator.GT, value)

    def __ge__(self, value: object) -> ColumnCondition:
        return self._compare(Operator.GE, value)

    def __and__(self, other: object) -> NoReturn:
        _needs_parentheses()

    __rand__ = __or__ = __ror__ = __and__

    def matches_regex(self, source: str) -> ColumnCondition:
        """``= %source%``: the regex finds a match in the token."""
        return self._compare(Operator.EQ, regex_literal(source))

    def not_matches_regex(self, source: str) -> ColumnCondition:
        """``!= %source%``."""
        return self._compare(Operator.NE, regex_literal(source))

    def _compare(self, op: Operator, value: object) -> ColumnCondition:
        literal_value = _value(value, op)
        if op.is_relational and not isinstance(literal_value, Number):
            raise ValueError(f"{op.value!r} compares numbers; only = and != compare strings")
        return ColumnCondition(self.name, FieldCompare(op, literal_value))


def column(name: str) -> Column:
    """A space-delimited column to compare, for conditions CDK cannot write (``||``):

    >>> from cwquery.builder import space_delimited
    >>> str(space_delimited("ip", "...", "status").where(
    ...     (column("status") == 404) | (column("status") >= 500)))
    '[ip, ..., status = 404 || status >= 500]'
    """
    return Column(name)


def column_name(name: object) -> str:
    """A valid column name, else ``ValueError``."""
    if not isinstance(name, str):
        raise TypeError(f"a column name is a str, not {type(name).__name__}")
    if not _COLUMN_NAME.fullmatch(name):
        raise ValueError(
            f"invalid column name {name!r}: use letters, digits, '_' and '-' (or '...')"
        )
    return name


def _conjunctions(condition: FieldCondition) -> list[list[FieldCompare]]:
    """A field condition in disjunctive form, as a list of conjunctions."""
    if isinstance(condition, Or):
        return [c for operand in condition.operands for c in _conjunctions(operand)]
    if isinstance(condition, And):
        return [[c for operand in condition.operands for c in _conjunctions(operand)[0]]]
    return [[condition]]


def _from_conjunctions(conjunctions: list[list[FieldCompare]]) -> FieldCondition:
    terms: list[FieldCondition] = []
    for conjunction in conjunctions:
        operands: tuple[FieldCondition, ...] = tuple(conjunction)
        terms.append(operands[0] if len(operands) == 1 else And(operands))
    return terms[0] if len(terms) == 1 else Or(tuple(terms))


def dnf_and(left: FieldCondition, right: FieldCondition) -> FieldCondition:
    """``left && right`` kept in the disjunctive form a slot requires (no ``||`` in ``&&``)."""
    return _from_conjunctions([a + b for a in _conjunctions(left) for b in _conjunctions(right)])


def _dnf_or(left: FieldCondition, right: FieldCondition) -> FieldCondition:
    return _from_conjunctions(_conjunctions(left) + _conjunctions(right))


# --------------------------------------------------------------------------- shared checks


def json_operand(pattern: object, where: str) -> JsonExpr:
    """The expression of a JSON pattern or condition; ``TypeError`` for anything else."""
    if isinstance(pattern, JsonPattern):
        return pattern.expr
    if isinstance(pattern, Condition):
        return pattern.expr
    raise TypeError(
        f"{where} combines JSON patterns only, not {type(pattern).__name__}: "
        "text and JSON patterns cannot be mixed"
    )


def checked(pattern: _Built) -> _Built:
    """The builder's promise: the pattern's text parses back to the same tree. Parsing also
    applies every check of the parser (regex dialect, limits), with its caret errors."""
    text = render(pattern)
    parsed = parse(text)
    if parsed != pattern:  # pragma: no cover - a renderer/parser disagreement is a bug
        raise AssertionError(f"built {pattern!r} but its text {text!r} parses differently")
    return pattern

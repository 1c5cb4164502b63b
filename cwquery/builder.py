"""Build filter patterns in Python: the AWS CDK ``FilterPattern`` vocabulary, plus ``field()``
comparisons joined with ``&`` and ``|``.

Every builder returns a syntax tree (:mod:`cwquery.ast`), so what you build can be compiled,
rendered, explained and sent. Selectors, operators, regexes and limits are checked when the node
is built, never at deploy time, and every result renders to text that parses back to the same
tree.

>>> from cwquery import compile, parse
>>> from cwquery.builder import all_, any_, boolean_value, number_value, string_value
>>> pattern = all_(
...     string_value("$.component", "=", "HttpServer"),
...     any_(boolean_value("$.error", True), number_value("$.latency", ">", 1000)))
>>> str(pattern)
'{ $.component = "HttpServer" && ($.error IS TRUE || $.latency > 1000) }'
>>> parse(str(pattern)) == pattern
True
>>> compile(pattern).matches('{"component": "HttpServer", "latency": 1500}')
True

The Pythonic form builds the same trees. Python binds ``&`` and ``|`` tighter than comparisons,
so each comparison needs its parentheses:

>>> from cwquery.builder import field
>>> condition = (field("$.latency") > 1000) & (field("$.level") == "ERROR")
>>> str(condition)
'{ $.latency > 1000 && $.level = "ERROR" }'
>>> condition.pattern == parse('{ $.latency > 1000 && $.level = "ERROR" }')
True

Text, JSON and space-delimited patterns never mix: combining them raises ``TypeError``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    Field,
    FieldCompare,
    FieldCondition,
    JsonCompare,
    JsonExpr,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    MatchAll,
    Number,
    Operator,
    Or,
    Pattern,
    RegexPattern,
    Selector,
    String,
    Term,
    TermKind,
    TermPattern,
    TruthTest,
    Value,
    combine,
)
from cwquery.conditions import (
    Column,
    ColumnCondition,
    Condition,
    Json,
    JsonField,
    checked,
    column,
    column_name,
    dnf_and,
    field,
    json_compare,
    json_operand,
    number_literal,
    operator_of,
    regex_literal,
    selector_of,
)
from cwquery.parser import parse
from cwquery.renderer import render

__all__ = [
    "Column",
    "ColumnCondition",
    "Condition",
    "Json",
    "JsonField",
    "SpaceDelimited",
    "all_",
    "all_events",
    "all_terms",
    "any_",
    "any_term",
    "any_term_group",
    "boolean_value",
    "column",
    "exists",
    "field",
    "is_null",
    "literal",
    "not_exists",
    "number_value",
    "regex",
    "regex_value",
    "space_delimited",
    "string_value",
]

_ELLIPSIS = "..."


# --------------------------------------------------------------------------- text patterns


def all_events() -> MatchAll:
    """The pattern that matches every event (rendered as the empty pattern).

    >>> all_events()
    MatchAll()
    """
    return MatchAll()


def literal(text: str) -> Pattern:
    """A pattern written as text. Unlike CDK's ``literal``, the text is parsed, so a mistake
    raises :class:`~cwquery.PatternError` here rather than at deploy time.

    >>> str(literal("{$.a=1}"))
    '{ $.a = 1 }'
    >>> literal("{ $.a == 1 }")
    Traceback (most recent call last):
    ...
    cwquery.errors.PatternSyntaxError: unexpected '='; expected a quoted string, a %regex% or a \
value (line 1, column 8)
      { $.a == 1 }
             ^
    hint: comparisons use a single '=': write $.field = value
    """
    return parse(text)


def all_terms(*terms: str, exclude: Iterable[str] = ()) -> TermPattern | MatchAll:
    """Events that contain every term (and, beyond CDK, none of the ``exclude`` terms).

    Terms are searched as case-sensitive substrings; a term with blanks is a phrase. With no
    terms at all every event matches.

    >>> str(all_terms("ERROR", "Task timed out", exclude=["DEBUG"]))
    'ERROR "Task timed out" -DEBUG'
    >>> all_terms()
    MatchAll()
    """
    items = [_term(text, TermKind.REQUIRED) for text in terms]
    items += [_term(text, TermKind.EXCLUDED) for text in _strings(exclude, "exclude")]
    if not items:
        return MatchAll()
    return _term_pattern(items)


def any_term(*terms: str) -> TermPattern:
    """Events that contain at least one of the terms (``?a ?b``). A single term is simply
    required, as CDK renders it.

    >>> str(any_term("ERROR", "WARN")), str(any_term("ERROR"))
    ('?ERROR ?WARN', 'ERROR')
    """
    if not terms:
        raise ValueError("any_term() needs at least one term: no event contains one of none")
    kind = TermKind.OPTIONAL if len(terms) > 1 else TermKind.REQUIRED
    return _term_pattern([_term(text, kind) for text in terms])


def any_term_group(*groups: Sequence[str]) -> TermPattern:
    """CDK's ``anyTermGroup``: meant as "all terms of some group", rendered as CDK renders it.

    CDK writes the first term of each group with ``?`` and the rest plain, so
    ``any_term_group(["foo", "bar"], ["baz"])`` is ``?foo bar ?baz`` (CDK quotes every term:
    ``?"foo" "bar" ?"baz"``, the same pattern). **CloudWatch ignores** ``?`` **terms when plain
    terms are present** (decision D3), so that pattern matches every event containing ``bar``,
    not "(foo and bar) or baz". The output is kept identical to CDK's so that equal templates
    stay equal, and a :class:`UserWarning` says what the service will do whenever a group of
    several terms meets other groups. Groups of one term each give ``?a ?b`` (any of them),
    a single group gives all of its terms; both mean what they say.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     print(any_term_group(["foo", "bar"], ["baz"]))
    ?foo bar ?baz
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    CloudWatch ignores ?-terms next to plain terms (D3): '?foo bar ?baz' matches events \
containing bar, not any whole group...
    >>> str(any_term_group(["foo"], ["baz"]))
    '?foo ?baz'
    """
    if not groups:
        raise ValueError("any_term_group() needs at least one group of terms")
    lists = [_strings(group, "a term group") for group in groups]
    if any(not group for group in lists):
        raise ValueError("every term group needs at least one term")
    if len(lists) == 1:
        return _term_pattern([_term(text, TermKind.REQUIRED) for text in lists[0]])
    items: list[Term] = []
    for group in lists:
        items.append(_term(group[0], TermKind.OPTIONAL))
        items.extend(_term(text, TermKind.REQUIRED) for text in group[1:])
    pattern = _term_pattern(items)
    plain = [term.text for term in items if term.kind is TermKind.REQUIRED]
    if plain:
        warnings.warn(
            f"CloudWatch ignores ?-terms next to plain terms (D3): {str(pattern)!r} matches "
            f"events containing {' and '.join(plain)}, not any whole group. CloudWatch term "
            "patterns cannot express an OR of AND groups; use one filter per group, or a "
            "JSON or %regex% pattern",
            UserWarning,
            stacklevel=2,
        )
    return pattern


def regex(source: str) -> RegexPattern:
    """A standalone ``%regex%`` pattern (CDK has none); ``source`` is written without the ``%``.
    The regex is checked against CloudWatch's dialect.

    >>> str(regex(r"ERROR|FATAL"))
    '%ERROR|FATAL%'
    >>> regex("ERR(OR)?")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cwquery.errors.RegexError: '(' is not allowed in a regex (line 1, column 5)
    ...
    """
    return RegexPattern(regex_literal(source))


def _term_pattern(items: list[Term]) -> TermPattern:
    if len(items) == 1 and items[0].kind is TermKind.REQUIRED and not items[0].text.strip():
        raise ValueError(
            "a lone blank term cannot be searched for: CloudWatch reads it as every event (D2); "
            "use all_events()"
        )
    return checked(TermPattern(tuple(items)))


def _term(text: str, kind: TermKind) -> Term:
    if not isinstance(text, str):
        raise TypeError(f"a term is a str, not {type(text).__name__}")
    if not text:
        raise ValueError("an empty term would match every event; use all_events()")
    return Term(text, kind)


def _strings(items: Iterable[str], what: str) -> list[str]:
    if isinstance(items, str):
        raise TypeError(f"{what} is a list of strings, not a single string")
    return list(items)


# --------------------------------------------------------------------------- JSON patterns


def string_value(json_field: str | Selector, comparison: str, value: str) -> JsonPattern:
    """``{ $.field = "value" }``: compare a JSON value with a string, with ``=`` or ``!=``
    (``==`` is read as ``=``). A ``*`` at the start or end of the value is a wildcard (D25).

    >>> str(string_value("$.eventName", "=", "Delete*"))
    '{ $.eventName = "Delete*" }'
    >>> string_value("eventName", "=", "x")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cwquery.errors.PatternSyntaxError: unexpected 'eventName'...
    """
    if not isinstance(value, str):
        raise TypeError(f"string_value compares with a str, not {type(value).__name__}")
    return JsonPattern(json_compare(json_field, comparison, String(value)))


def number_value(json_field: str | Selector, comparison: str, value: float | str) -> JsonPattern:
    """``{ $.field > 1000 }``: compare a JSON value with a number, with any operator. The value
    is an ``int``, a finite ``float``, or the text of a number (``"1e3"``, kept as written).

    >>> str(number_value("$.latency", ">=", 1.5)), str(number_value("$.size", "<", "1e6"))
    ('{ $.latency >= 1.5 }', '{ $.size < 1e6 }')
    """
    return JsonPattern(json_compare(json_field, comparison, number_literal(value)))


def regex_value(json_field: str | Selector, comparison: str, value: str) -> JsonPattern:
    """``{ $.field = %regex% }``: whether the regex finds a match in the value (``=``) or finds
    none (``!=``). ``value`` is written without the ``%`` and checked against CloudWatch's
    regex dialect (CDK checks neither).

    >>> str(regex_value("$.message", "=", r"timed out after \\d+"))
    '{ $.message = %timed out after \\\\d+% }'
    """
    return JsonPattern(json_compare(json_field, comparison, regex_literal(value)))


def boolean_value(json_field: str | Selector, value: bool) -> JsonPattern:
    """``{ $.field IS TRUE }`` or ``IS FALSE``.

    >>> str(boolean_value("$.retryable", False))
    '{ $.retryable IS FALSE }'
    """
    if not isinstance(value, bool):
        raise TypeError(f"boolean_value takes a bool, not {type(value).__name__}")
    return JsonPattern(
        JsonIs(selector_of(json_field), TruthTest.TRUE if value else TruthTest.FALSE)
    )


def is_null(json_field: str | Selector) -> JsonPattern:
    """``{ $.field IS NULL }``: the value is JSON ``null``.

    >>> str(is_null("$.error"))
    '{ $.error IS NULL }'
    """
    return JsonPattern(JsonIs(selector_of(json_field), TruthTest.NULL))


def exists(json_field: str | Selector) -> JsonPattern:
    """``{ $.field = "*" }``: the field holds a string, number or boolean (D25), as CDK spells
    existence (the language has no ``EXISTS``).

    >>> str(exists("$.requestId"))
    '{ $.requestId = "*" }'
    """
    return JsonPattern(JsonCompare(selector_of(json_field), Operator.EQ, String("*")))


def not_exists(json_field: str | Selector) -> JsonPattern:
    """``{ $.field NOT EXISTS }``: the selector reaches nothing.

    >>> str(not_exists("$.user.id"))
    '{ $.user.id NOT EXISTS }'
    """
    return JsonPattern(JsonNotExists(selector_of(json_field)))


def all_(*patterns: JsonPattern | Condition) -> JsonPattern:
    """Every JSON condition holds (``&&``). One operand is returned as it is; nested ``all_``
    calls are flattened. Text or space-delimited patterns raise ``TypeError``.

    >>> str(all_(exists("$.a"), all_(is_null("$.b"), not_exists("$.c"))))
    '{ $.a = "*" && $.b IS NULL && $.c NOT EXISTS }'
    >>> all_(exists("$.a"), all_terms("ERROR"))
    Traceback (most recent call last):
    ...
    TypeError: all_() combines JSON patterns only, not TermPattern: text and JSON patterns \
cannot be mixed
    """
    return checked(JsonPattern(combine(And, _json_operands("all_", patterns))))


def any_(*patterns: JsonPattern | Condition) -> JsonPattern:
    """At least one JSON condition holds (``||``); the counterpart of :func:`all_`.

    >>> str(any_(boolean_value("$.error", True), all_(exists("$.a"), exists("$.b"))))
    '{ $.error IS TRUE || $.a = "*" && $.b = "*" }'
    """
    return checked(JsonPattern(combine(Or, _json_operands("any_", patterns))))


def _json_operands(name: str, patterns: tuple[Any, ...]) -> list[JsonExpr]:
    if not patterns:
        raise ValueError(f"{name}() needs at least one pattern")
    return [json_operand(pattern, f"{name}()") for pattern in patterns]


# --------------------------------------------------------------------------- space-delimited


@dataclass(frozen=True)
class SpaceDelimited:
    """A space-delimited pattern being built (CDK's ``SpaceDelimitedTextPattern``). Immutable:
    each ``where*`` returns a new builder. ``pattern`` is the
    :class:`~cwquery.ast.DelimitedPattern`; ``str()`` its text.

    >>> p = space_delimited("ip", "user", "...", "status_code", "bytes")
    >>> str(p.where_string("status_code", "=", "4*").where_number("status_code", "!=", 403))
    '[ip, user, ..., status_code = "4*" && status_code != 403, bytes]'
    """

    columns: tuple[str, ...]
    conditions: tuple[tuple[str, FieldCondition], ...] = dataclass_field(default=())

    def __post_init__(self) -> None:
        for name in self.columns:
            if name != _ELLIPSIS:
                column_name(name)
        if self.columns.count(_ELLIPSIS) > 1:
            raise ValueError("a space-delimited pattern may contain '...' only once")
        named = [name for name in self.columns if name != _ELLIPSIS]
        duplicates = sorted({name for name in named if named.count(name) > 1})
        if duplicates:
            raise ValueError(f"column names must be unique: {', '.join(duplicates)}")
        self._checked_pattern()

    @property
    def pattern(self) -> DelimitedPattern:
        """The pattern built so far."""
        conditions = dict(self.conditions)
        return DelimitedPattern(
            tuple(
                EllipsisField() if name == _ELLIPSIS else Field(name, conditions.get(name))
                for name in self.columns
            )
        )

    def where(self, condition: ColumnCondition) -> SpaceDelimited:
        """Add a condition on one column; conditions on the same column are joined with ``&&``."""
        if not isinstance(condition, ColumnCondition):
            raise TypeError(f"where() takes a column condition, not {type(condition).__name__}")
        name = condition.name
        if name == _ELLIPSIS or name not in self.columns:
            known = ", ".join(c for c in self.columns if c != _ELLIPSIS) or "none"
            raise ValueError(f"no column named {name!r} (columns: {known})")
        current = dict(self.conditions)
        previous = current.get(name)
        current[name] = (
            condition.condition if previous is None else dnf_and(previous, condition.condition)
        )
        return SpaceDelimited(self.columns, tuple(current.items()))

    def where_string(self, column: str, comparison: str, value: str) -> SpaceDelimited:
        """Restrict a column to a string value, ``=`` or ``!=`` (``*`` at an end is a wildcard)."""
        if not isinstance(value, str):
            raise TypeError(f"where_string compares with a str, not {type(value).__name__}")
        return self._where(column, comparison, String(value))

    def where_number(self, column: str, comparison: str, value: float | str) -> SpaceDelimited:
        """Restrict a column to a number, with any operator."""
        return self._where(column, comparison, number_literal(value))

    def where_regex(self, column: str, comparison: str, source: str) -> SpaceDelimited:
        """Restrict a column with a regex (``=`` finds a match, ``!=`` finds none)."""
        return self._where(column, comparison, regex_literal(source))

    def _where(self, column: str, comparison: str, value: Value) -> SpaceDelimited:
        if column == _ELLIPSIS:
            raise ValueError("'...' stands for any number of tokens and cannot hold a condition")
        op = operator_of(comparison)
        if op.is_relational and not isinstance(value, Number):
            raise ValueError(f"{op.value!r} compares numbers; only = and != compare strings")
        return self.where(ColumnCondition(column_name(column), FieldCompare(op, value)))

    def _checked_pattern(self) -> DelimitedPattern:
        return checked(self.pattern)

    def __str__(self) -> str:
        return render(self.pattern)


def space_delimited(*columns: str) -> SpaceDelimited:
    """Start a space-delimited pattern from column names (``^[A-Za-z0-9_-]+$``) and at most one
    ``...``.

    >>> str(space_delimited("ip", "...", "bytes").where_number("bytes", ">", 1000))
    '[ip, ..., bytes > 1000]'
    >>> space_delimited("ip", "...", "...")
    Traceback (most recent call last):
    ...
    ValueError: a space-delimited pattern may contain '...' only once
    >>> space_delimited("ip").where_string("user", "=", "x")
    Traceback (most recent call last):
    ...
    ValueError: no column named 'user' (columns: ip)
    """
    return SpaceDelimited(tuple(columns))

"""Syntax tree to :class:`Matcher`: the pattern is compiled once into nested closures, and
matching a message is a few function calls. This is the only module that evaluates patterns.

>>> matcher = compile('{ $.latency > 1000 && $.level = "ERROR" }')
>>> matcher.matches('{"latency": 1500, "level": "ERROR"}'), matcher.matches("latency 1500")
(True, False)
>>> compile("[ip, ..., status = 4*, bytes]").test(['1.2.3.4 - x "GET /" 404 12'])["matches"][0]
{'eventNumber': 1, 'eventMessage': '1.2.3.4 - x "GET /" 404 12', \
'extractedValues': {'$ip': '1.2.3.4', '$2': '-', '$3': 'x', '$4': 'GET /', '$status': '404', \
'$bytes': '12'}}
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import orjson

from cwquery import numbers, semantics
from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    FieldCompare,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    MatchAll,
    Node,
    Number,
    Operator,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    String,
    TermPattern,
    TruthTest,
)
from cwquery.delimited import FieldLayout
from cwquery.errors import UnsupportedPatternError
from cwquery.numbers import number_value
from cwquery.parser import parse
from cwquery.prefilter import prefilter_for
from cwquery.regex import compile_regex
from cwquery.renderer import render
from cwquery.selectors import has_wildcard_step, selector_function, single_key
from cwquery.semantics import MISSING, NUMBER_TYPES, json_text, load_json_fallback

Predicate = Callable[[Any], bool]
Event = TypeVar("Event", str, Mapping[str, Any])
_CACHE_SIZE = 512


class Matcher:
    """A compiled pattern.

    Attributes:
        pattern: the syntax tree.
        text: the canonical pattern text.
        matches: ``matches(message) -> bool``.
    """

    __slots__ = ("_extract", "matches", "pattern", "text")

    def __init__(
        self,
        pattern: Pattern,
        matches: Callable[[str], bool],
        extract: Callable[[str], dict[str, str] | None],
    ) -> None:
        self.pattern = pattern
        self.text = render(pattern)
        self.matches = matches
        self._extract = extract

    def __repr__(self) -> str:
        return f"Matcher({self.text!r})"

    def extract(self, message: str) -> dict[str, str] | None:
        """``extractedValues`` for a matching message (D28), ``None`` when it does not match."""
        return self._extract(message)

    def filter(self, events: Iterable[Event]) -> Iterator[Event]:
        """Yield, lazily, the events that match: strings, or mappings with a ``"message"``."""
        matches = self.matches
        for event in events:
            if isinstance(event, str):
                message = event
            elif isinstance(event, Mapping) and isinstance(event.get("message"), str):
                message = event["message"]
            else:
                raise TypeError(
                    "filter() expects str messages or mappings with a str 'message', "
                    f"not {_describe(event)}"
                )
            if matches(message):
                yield event

    def test(self, messages: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """The ``TestMetricFilter`` response for ``messages``: one record per match, in order."""
        if isinstance(messages, str | bytes):
            raise TypeError(
                f"expected an iterable of str messages, not one {type(messages).__name__}"
            )
        found = []
        for number, message in enumerate(messages, semantics.EVENT_NUMBER_BASE):
            values = self._extract(expect_message(message, "test_metric_filter()"))
            if values is not None:
                found.append(
                    {"eventNumber": number, "eventMessage": message, "extractedValues": values}
                )
        return {"matches": found}


def compile(pattern: str | Pattern) -> Matcher:
    """Compile pattern text or a tree into a :class:`Matcher` (cached).

    Raises:
        PatternError: the text is not a valid pattern.
    """
    if isinstance(pattern, str):
        return _compile_text(pattern)
    if isinstance(pattern, Pattern):
        return _compile_tree(pattern)
    hint = "; decode the bytes first" if isinstance(pattern, bytes | bytearray) else ""
    raise TypeError(
        f"compile() expects the pattern as str (or a parsed Pattern), "
        f"not {type(pattern).__name__}{hint}"
    )


def expect_message(message: object, where: str) -> str:
    """``message`` when it is a str; otherwise a TypeError naming the expected type.

    >>> expect_message(b"x", "matches()")
    Traceback (most recent call last):
    ...
    TypeError: matches() expects the message as str, not bytes; decode the bytes first
    """
    if isinstance(message, str):
        return message
    hint = "; decode the bytes first" if isinstance(message, bytes | bytearray) else ""
    raise TypeError(f"{where} expects the message as str, not {type(message).__name__}{hint}")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile_text(text: str) -> Matcher:
    return _compile_tree(parse(text))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _compile_tree(pattern: Pattern) -> Matcher:
    try:
        build = _PATTERN_COMPILERS[type(pattern)]
    except KeyError:
        raise UnsupportedPatternError(
            f"cwquery cannot evaluate {type(pattern).__name__}", "", 0
        ) from None
    matches, extract = build(pattern)
    return Matcher(pattern, matches, extract)


def matches(pattern: str | Pattern, message: str) -> bool:
    """Does ``message`` match ``pattern``?

    >>> matches("?ERROR ?WARN", "WARN low memory")
    True
    """
    return compile(pattern).matches(expect_message(message, "matches()"))


def test_metric_filter(pattern: str | Pattern, messages: Iterable[str]) -> dict[str, Any]:
    """What ``TestMetricFilter`` answers for ``pattern`` and ``messages`` (D16, D28).

    >>> test_metric_filter("ERROR", ["INFO ok", "ERROR bad"])
    {'matches': [{'eventNumber': 2, 'eventMessage': 'ERROR bad', 'extractedValues': {}}]}
    """
    return compile(pattern).test(messages)


test_metric_filter.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# --------------------------------------------------------------------------- whole patterns

_Compiled = tuple[Callable[[str], bool], Callable[[str], "dict[str, str] | None"]]


def _with_empty_extract(matcher: Callable[[str], bool]) -> _Compiled:
    """Term and JSON patterns extract nothing: ``{}`` for a match (D28)."""
    return matcher, lambda message: {} if matcher(message) else None


def _match_all(pattern: MatchAll) -> _Compiled:
    return _with_empty_extract(lambda message: True)


def _term_pattern(pattern: TermPattern) -> _Compiled:
    groups = semantics.term_groups(pattern)
    if groups.required or groups.excluded:
        return _with_empty_extract(_all_present_none_present(groups.required, groups.excluded))
    return _with_empty_extract(_any_present(groups.any_of))


def _all_present_none_present(
    required: tuple[str, ...], excluded: tuple[str, ...]
) -> Callable[[str], bool]:
    if len(required) == 1 and not excluded:
        (term,) = required
        return lambda message: term in message
    if len(required) == 1 and len(excluded) == 1:
        (term,), (unwanted,) = required, excluded
        return lambda message: term in message and unwanted not in message

    def all_present_none_present(message: str) -> bool:
        for term in required:
            if term not in message:
                return False
        for term in excluded:  # noqa: SIM110 - a loop is faster than any() with a generator
            if term in message:
                return False
        return True

    return all_present_none_present


def _any_present(terms: tuple[str, ...]) -> Callable[[str], bool]:
    if len(terms) == 2:
        first, second = terms
        return lambda message: first in message or second in message

    def any_present(message: str) -> bool:
        for term in terms:  # noqa: SIM110 - a loop is faster than any() with a generator
            if term in message:
                return True
        return False

    return any_present


def _regex_pattern(pattern: RegexPattern) -> _Compiled:
    search = compile_regex(pattern.regex.source)
    return _with_empty_extract(lambda message: search(message) is not None)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def json_predicate(pattern: JsonPattern) -> Predicate:
    """The predicate of a JSON pattern over a parsed event, built once per tree (the matcher
    and :mod:`cwquery.plan`'s verdict share it)."""
    return compile_json(pattern.expr)


def _json_pattern(pattern: JsonPattern) -> _Compiled:
    predicate = json_predicate(pattern)
    prefilter = prefilter_for(pattern)

    loads = orjson.loads

    def matcher(message: str) -> bool:
        if prefilter is not None and not prefilter(message):
            return False
        try:  # semantics.load_json_event inlined, as it decides what is JSON (D10)
            document = loads(message)
        except ValueError:
            document = load_json_fallback(message)
        return type(document) is dict and predicate(document)

    return _with_empty_extract(matcher)


def _delimited_pattern(pattern: DelimitedPattern) -> _Compiled:
    """Only the slots that carry a condition are read, through the layout's one reader (D14,
    D15), so the matcher, ``explain`` and metric values see the same field values; the reader
    stops as soon as the answer is known (see :meth:`FieldLayout.reader`)."""
    layout = FieldLayout.of(pattern)
    slots = [field for field in pattern.fields if not isinstance(field, EllipsisField)]
    tests = {
        index: compile_field_condition(field.condition)
        for index, field in enumerate(slots)
        if field.condition is not None
    }
    fields_pass = layout.tester(tests)
    prefilter = prefilter_for(pattern)

    def matcher(message: str) -> bool:
        if prefilter is not None and not prefilter(message):
            return False
        return fields_pass(message)

    def extract(message: str) -> dict[str, str] | None:
        return layout.extracted_values(message) if matcher(message) else None

    return matcher, extract


#: Integers of at most this many digits are exact doubles (10**15 < 2**53).
_EXACT_DIGITS = 15
_PLAIN_INTEGER = re.compile(r"-?[1-9][0-9]{0,14}")
_NUMBER_STARTS = frozenset("+-0123456789")

_PATTERN_COMPILERS: dict[type[Any], Callable[[Any], _Compiled]] = {
    MatchAll: _match_all,
    TermPattern: _term_pattern,
    RegexPattern: _regex_pattern,
    JsonPattern: _json_pattern,
    DelimitedPattern: _delimited_pattern,
}


# --------------------------------------------------------------------------- JSON conditions


def compile_json(node: Node) -> Predicate:
    """A predicate over a parsed JSON event for any JSON expression node."""
    try:
        build = _JSON_COMPILERS[type(node)]
    except KeyError:
        raise TypeError(f"not a JSON condition: {type(node).__name__}") from None
    return build(node)


def _all_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda value: first(value) and second(value)
    return lambda value: all(predicate(value) for predicate in predicates)


def _any_of(predicates: list[Predicate]) -> Predicate:
    if len(predicates) == 2:
        first, second = predicates
        return lambda value: first(value) or second(value)
    return lambda value: any(predicate(value) for predicate in predicates)


def _json_compare(node: JsonCompare) -> Predicate:
    return _on_selected(node.selector, value_test(node.op, node.value))


def _json_is(node: JsonIs) -> Predicate:
    wanted = {TruthTest.TRUE: True, TruthTest.FALSE: False, TruthTest.NULL: None}[node.test]
    key = single_key(node.selector)
    if key is not None:
        return lambda document: document.get(key, MISSING) is wanted
    return _on_selected(node.selector, lambda value: value is wanted)


def _json_not_exists(node: JsonNotExists) -> Predicate:
    """True when the selector reaches nothing (D8: with a wildcard, when it selects nothing)."""
    key = single_key(node.selector)
    if key is not None:
        return lambda document: key not in document
    resolve = selector_function(node.selector)
    if has_wildcard_step(node.selector):
        return lambda document: not resolve(document)
    return lambda document: resolve(document) is MISSING


def _on_selected(selector: Selector, test: Predicate) -> Predicate:
    """Apply ``test`` to the selected value; with a wildcard, to any selected value (D8)."""
    resolve = selector_function(selector)
    if has_wildcard_step(selector):
        return lambda document: any(test(value) for value in resolve(document))
    return lambda document: test(resolve(document))


_JSON_COMPILERS: dict[type[Any], Callable[[Any], Predicate]] = {
    And: lambda node: _all_of([compile_json(operand) for operand in node.operands]),
    Or: lambda node: _any_of([compile_json(operand) for operand in node.operands]),
    JsonCompare: _json_compare,
    JsonIs: _json_is,
    JsonNotExists: _json_not_exists,
}


def value_test(op: Operator, literal: Any) -> Predicate:
    """The test ``op literal`` applied to one selected JSON value (D9, D12, D25). A value that
    is missing, null, an array or an object fails every comparison, ``!=`` included."""
    if isinstance(literal, Regex):
        search = compile_regex(literal.source)

        def regex_found(value: Any) -> bool | None:
            text = json_text(value)
            return None if text is None else search(text) is not None

        if op is Operator.EQ:
            return lambda value: regex_found(value) is True
        return lambda value: regex_found(value) is False
    if isinstance(literal, Number):
        number, text = number_value(literal.text), literal.text
        if op is Operator.EQ:
            return lambda value: value == number if type(value) in NUMBER_TYPES else value == text
        if op is Operator.NE:
            return lambda value: (
                value != number
                if type(value) in NUMBER_TYPES
                else type(value) is str and value != text
            )
        compare = _RELATIONS[op]
        return lambda value: type(value) in NUMBER_TYPES and compare(value, number)
    if isinstance(literal, String):
        if literal.text == semantics.WILDCARD:
            any_scalar = op is Operator.EQ
            return lambda value: any_scalar and semantics.is_scalar(value)
        wanted = op is Operator.EQ
        if not semantics.has_wildcard_ends(literal.text):
            exact = literal.text
            if wanted:
                return lambda value: (
                    value == exact if type(value) is str else json_text(value) == exact
                )
            return lambda value: (
                value != exact
                if type(value) is str
                else (text := json_text(value)) is not None and text != exact
            )
        text_matches = semantics.string_matcher(literal.text)
        if wanted:
            return lambda value: (
                text_matches(value)
                if type(value) is str
                else (text := json_text(value)) is not None and text_matches(text)
            )
        return lambda value: (text := json_text(value)) is not None and not text_matches(text)
    raise TypeError(f"not a value: {type(literal).__name__}")


_RELATIONS: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.LT: operator.lt,
    Operator.GT: operator.gt,
    Operator.LE: operator.le,
    Operator.GE: operator.ge,
}


# --------------------------------------------------------------------------- delimited fields


def compile_field_condition(node: Node) -> Callable[[str], bool]:
    """A test on one token's text for a field condition (D27)."""
    if isinstance(node, And):
        return _all_of([compile_field_condition(operand) for operand in node.operands])
    if isinstance(node, Or):
        return _any_of([compile_field_condition(operand) for operand in node.operands])
    if isinstance(node, FieldCompare):
        return token_test(node.op, node.value)
    raise TypeError(f"not a field condition: {type(node).__name__}")


def token_test(op: Operator, literal: Any) -> Callable[[str], bool]:
    """``op literal`` on a token. Relational operators need a numeric token; ``=``/``!=`` with a
    number compare numerically when the token is a number, else by text (D27)."""
    if isinstance(literal, Regex):
        search = compile_regex(literal.source)
        wanted = op is Operator.EQ
        return lambda token: (search(token) is not None) is wanted
    if isinstance(literal, Number):
        # D30: a token that spells a number is compared as a double, and so is the literal
        number, text = float(number_value(literal.text)), literal.text
        token_number = numbers.token_number
        if op.is_relational:
            compare = _RELATIONS[op]
            return lambda token: (
                (value := token_number(token)) is not None and compare(value, number)
            )

        # two plain integers short enough to be exact doubles are equal exactly when their texts
        # are; longer ones can round to the same double
        plain_literal = _PLAIN_INTEGER.fullmatch(text) is not None

        def equal(token: str) -> bool:
            if token == text:
                return True
            first = token[:1]
            if first not in _NUMBER_STARTS:  # not a number, and the texts differ
                return False
            if plain_literal and first != "0" and len(token) <= _EXACT_DIGITS and token.isdigit():
                return False
            value = token_number(token)
            return value == number if value is not None else False

        return equal if op is Operator.EQ else lambda token: not equal(token)
    if isinstance(literal, String):
        text_matches = semantics.string_matcher(literal.text)
        if op is Operator.EQ:
            return text_matches
        return lambda token: not text_matches(token)
    raise TypeError(f"not a value: {type(literal).__name__}")


def _describe(event: object) -> str:
    if isinstance(event, Mapping):
        return f"a mapping with keys {sorted(map(str, event))[:5]}"
    return type(event).__name__

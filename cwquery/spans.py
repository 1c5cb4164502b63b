"""Where in a message a pattern's satisfied conditions point: the spans a tail colours.

The spans follow the explanation (:mod:`cwquery.explanation`): a condition that holds on the
message is coloured where it looked; one that fails, an excluded term, an ignored ``?term``
and ``NOT EXISTS`` colour nothing.

- terms: every occurrence of each term that counted (plain terms, or the ``?terms`` when
  no plain term is present);
- a regex: every non-overlapping match;
- JSON: the value each true condition selected (for a selector with a wildcard, every value
  it selected); under ``||`` only the branches that held;
- space-delimited: the tokens whose field conditions held.

Spans are ``(start, end)`` character offsets into the message, sorted and merged; a message
the pattern does not match has none.

>>> match_spans("ERROR", "ERROR at 1, ERROR at 2")
[(0, 5), (12, 17)]
>>> match_spans('{ $.level = "ERROR" || $.code > 499 }', '{"level": "ERROR", "code": 200}')
[(10, 17)]
>>> match_spans("%[0-9]+%", "took 15 ms, 3 retries")
[(5, 7), (12, 13)]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    Node,
    Or,
    Pattern,
    RegexPattern,
    Selector,
    TermPattern,
)
from cwquery.compiler import compile, compile_field_condition, compile_json
from cwquery.delimited import FieldLayout, split_tokens
from cwquery.selectors import has_wildcard_step, selector_function
from cwquery.semantics import MISSING, NOT_JSON, load_json_event, term_groups

__all__ = ["Span", "match_spans"]

#: ``(start, end)``: the characters ``message[start:end]``.
Span = tuple[int, int]
#: JSON nested deeper than this is not searched for spans (the verdict is unaffected).
_MAX_DEPTH = 200


def match_spans(pattern: str | Pattern, message: str) -> list[Span]:
    """The spans of ``message`` that the conditions of ``pattern`` which hold point at (see
    the module text), sorted and merged; ``[]`` when the pattern does not match the message
    or matches every event."""
    matcher = compile(pattern)
    tree = matcher.pattern
    if not matcher.matches(message):
        return []
    found: list[Span]
    if isinstance(tree, TermPattern):
        groups = term_groups(tree)
        found = list(_occurrences(message, (*groups.required, *groups.any_of)))
    elif isinstance(tree, RegexPattern):
        found = _regex_spans(tree.regex.source, message)
    elif isinstance(tree, JsonPattern):
        found = _json_spans(tree, message)
    elif isinstance(tree, DelimitedPattern):
        found = _delimited_spans(tree, message)
    else:  # MatchAll
        found = []
    return _merged(found)


def _occurrences(message: str, texts: Iterable[str]) -> Iterable[Span]:
    for text in texts:
        if not text:
            continue
        at = message.find(text)
        while at >= 0:
            yield at, at + len(text)
            at = message.find(text, at + 1)  # overlapping ones too: "aa" in "aaa"


def _regex_spans(source: str, message: str) -> list[Span]:
    from cwquery.regex import program

    search = program(source)
    try:
        return [m.span() for m in search.finditer(message) if m.end() > m.start()]
    except UnicodeEncodeError:  # lone surrogates: the matcher reads them replaced
        cleaned = message.encode("utf-8", "replace").decode("utf-8")
        return [m.span() for m in search.finditer(cleaned) if m.end() > m.start()]


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# ------------------------------------------------------------------ JSON


def _json_spans(tree: JsonPattern, message: str) -> list[Span]:
    document = load_json_event(message)
    if document is NOT_JSON:
        return []
    located = _Located()
    try:
        shadow = located.read(message)
    except (ValueError, RecursionError):
        return []
    spans: list[Span] = []
    _held(tree.expr, document, shadow, located, spans)
    return spans


def _held(node: Node, document: Any, shadow: Any, located: _Located, out: list[Span]) -> bool:
    """Whether ``node`` holds on ``document``; when it does, the spans of the values its true
    conditions selected are added to ``out``."""
    if isinstance(node, And | Or):
        found: list[Span] = []
        results = [_held(part, document, shadow, located, found) for part in node.children()]
        if isinstance(node, And) and not all(results):
            return False
        if not any(results):
            return False
        out += found
        return True
    assert isinstance(node, JsonCompare | JsonIs | JsonNotExists)
    if not compile_json(node)(document):
        return False
    selected = selector_function(node.selector)(shadow)
    if selected is MISSING:
        return True
    if not has_wildcard_step(node.selector):
        _add(located.span(selected), out)
        return True
    # a wildcard: colour the selected values that hold on their own
    values = selector_function(node.selector)(document)
    alone = compile_json(_alone(node))
    for value, place in zip(values, selected, strict=False):
        if alone({"v": value}):
            _add(located.span(place), out)
    return True


#: ``$.v``: the selector a wildcard's values are tested with, one at a time.
_ALONE = Selector((Key("v"),))


def _alone(node: JsonCompare | JsonIs | JsonNotExists) -> Node:
    """``node`` on ``$.v``: its test of one value."""
    if isinstance(node, JsonCompare):
        return JsonCompare(_ALONE, node.op, node.value)
    if isinstance(node, JsonIs):
        return JsonIs(_ALONE, node.test)
    return JsonNotExists(_ALONE)


def _add(span: Span | None, out: list[Span]) -> None:
    if span is not None:
        out.append(span)


class _Leaf:
    """A scalar of the located document: where its text is."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end


_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_SPACE = re.compile(r"[ \t\n\r]*")


class _Located:
    """Reads a JSON text into a document of the same shape whose scalars are :class:`_Leaf`
    positions, remembering where each object and array is; duplicate keys: the last wins, as
    :func:`~cwquery.semantics.load_json_event` reads them."""

    def __init__(self) -> None:
        self.containers: dict[int, Span] = {}
        self._kept: list[Any] = []  # keeps the containers alive, so their ids stay theirs

    def span(self, value: Any) -> Span | None:
        if isinstance(value, _Leaf):
            return value.start, value.end
        return self.containers.get(id(value))

    def read(self, text: str) -> Any:
        return self._value(text, self._skip(text, 0), 0)[0]

    def _value(self, text: str, at: int, depth: int) -> tuple[Any, int]:
        if depth > _MAX_DEPTH:
            raise ValueError("too deep")
        char = text[at : at + 1]
        if char == "{":
            return self._object(text, at, depth)
        if char == "[":
            return self._array(text, at, depth)
        if char == '"':
            _, end = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
            return _Leaf(at, end), end
        scalar = _SCALAR.match(text, at)
        if scalar is None:
            raise ValueError(f"no JSON value at {at}")
        return _Leaf(at, scalar.end()), scalar.end()

    def _object(self, text: str, start: int, depth: int) -> tuple[Any, int]:
        members: dict[str, Any] = {}
        at = self._skip(text, start + 1)
        if text[at : at + 1] != "}":
            while True:
                if text[at : at + 1] != '"':
                    raise ValueError(f"no key at {at}")
                key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
                at = self._skip(text, at)
                if text[at : at + 1] != ":":
                    raise ValueError(f"no ':' at {at}")
                members[key], at = self._value(text, self._skip(text, at + 1), depth + 1)
                at = self._skip(text, at)
                if text[at : at + 1] != ",":
                    break
                at = self._skip(text, at + 1)
            if text[at : at + 1] != "}":
                raise ValueError(f"no '}}' at {at}")
        return self._keep(members, start, at + 1), at + 1

    def _array(self, text: str, start: int, depth: int) -> tuple[Any, int]:
        items: list[Any] = []
        at = self._skip(text, start + 1)
        if text[at : at + 1] != "]":
            while True:
                item, at = self._value(text, at, depth + 1)
                items.append(item)
                at = self._skip(text, at)
                if text[at : at + 1] != ",":
                    break
                at = self._skip(text, at + 1)
            if text[at : at + 1] != "]":
                raise ValueError(f"no ']' at {at}")
        return self._keep(items, start, at + 1), at + 1

    def _keep(self, container: Any, start: int, end: int) -> Any:
        self._kept.append(container)
        self.containers[id(container)] = (start, end)
        return container

    @staticmethod
    def _skip(text: str, at: int) -> int:
        return _SPACE.match(text, at).end()  # type: ignore[union-attr]


# ------------------------------------------------------------------ space-delimited


def _delimited_spans(tree: DelimitedPattern, message: str) -> list[Span]:
    assigned = FieldLayout.of(tree).assign(message)
    if assigned is None:
        return []
    places = _token_places(message, split_tokens(message))
    slots = [field for field in tree.fields if not isinstance(field, EllipsisField)]
    spans = []
    for (index, value), slot in zip(assigned, slots, strict=True):
        if slot.condition is not None and compile_field_condition(slot.condition)(value):
            spans.append(places[index])
    return spans


def _token_places(message: str, tokens: list[str]) -> list[Span]:
    """Where each token is: found in order, each after the one before (the text between two
    tokens holds only delimiters, quotes and brackets)."""
    places, cursor = [], 0
    for token in tokens:
        at = message.find(token, cursor)
        if at < 0:  # a token the splitter rewrote: colour nothing for it
            places.append((cursor, cursor))
            continue
        places.append((at, at + len(token)))
        cursor = at + len(token)
    return places

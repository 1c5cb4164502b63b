"""Why a message matches a pattern, or why not: each condition, what it found, and its result.

Each condition is compiled once per pattern, by the compiler's own functions
(:func:`~cwquery.compiler.compile_json`, :func:`~cwquery.compiler.compile_field_condition`,
the regex dialect's search), into an explainer cached by tree as the compiler caches matchers;
explaining a message only walks it. ``tests/test_explain.py`` checks that the checks combine to
the verdict.

>>> print(explain('{ $.latency > 1000 && $.level = "ERROR" }', '{"latency": 50, "level": "ERROR"}'))
no match: { $.latency > 1000 && $.level = "ERROR" }
  all of:
    $.latency > 1000: 50 → false
    $.level = "ERROR": "ERROR" → true
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cwquery import semantics
from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    MatchAll,
    Node,
    Or,
    Pattern,
    RegexPattern,
    Term,
    TermKind,
    TermPattern,
)
from cwquery.compiler import compile, compile_field_condition, compile_json, expect_message
from cwquery.delimited import FieldLayout, split_tokens
from cwquery.hints import prefixed_json
from cwquery.regex import compile_regex
from cwquery.renderer import render
from cwquery.selectors import selector_function

_SHOWN_TEXT = 60
#: How many patterns' explainers are kept (as many as the compiler keeps matchers).
_CACHE_SIZE = 512


@dataclass(frozen=True)
class Check:
    """One condition (or a group of them) and how it fared on the message."""

    condition: str
    found: str
    result: bool | None  # None: not evaluated (an ignored ?term)
    children: tuple[Check, ...] = ()

    def lines(self, depth: int = 1) -> list[str]:
        indent = "  " * depth
        if self.children:
            head = [f"{indent}{self.condition}:"]
            return head + [line for child in self.children for line in child.lines(depth + 1)]
        outcome = "ignored" if self.result is None else str(self.result).lower()
        return [f"{indent}{self.condition}: {self.found} → {outcome}"]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"condition": self.condition, "found": self.found}
        data["result"] = self.result
        if self.children:
            data["children"] = [child.to_dict() for child in self.children]
        return data


@dataclass(frozen=True)
class Explanation:
    """The structured answer of :func:`explain`; ``str()`` gives the readable text."""

    pattern: str
    message: str
    matched: bool
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        lines = [f"{'match' if self.matched else 'no match'}: {self.pattern}"]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [line for check in self.checks for line in check.lines()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "message": self.message,
            "matched": self.matched,
            "notes": list(self.notes),
            "checks": [check.to_dict() for check in self.checks],
        }


#: ``explain_message(message) -> (checks, notes)``, built by :func:`explainer`.
Explainer = Callable[[str], tuple[list[Check], tuple[str, ...]]]


def explain(pattern: str | Pattern, message: str) -> Explanation:
    """Explain how ``pattern`` treats ``message``.

    >>> print(explain("?ERROR ?WARN REQUEST", "[WARN] UNAUTHORIZED REQUEST"))
    match: ?ERROR ?WARN REQUEST
      note: ?terms are ignored when plain or - terms are present
      REQUEST: found → true
      ?ERROR: not looked for → ignored
      ?WARN: not looked for → ignored
    """
    matcher = compile(pattern)
    message = expect_message(message, "explain()")
    matched = matcher.matches(message)
    checks, notes = explainer(matcher.pattern)(message)
    return Explanation(matcher.text, message, matched, tuple(checks), tuple(notes))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def explainer(tree: Pattern) -> Explainer:
    """``explain_message(message) -> (checks, notes)`` for a parsed pattern, built once per
    tree (cached, as the compiler caches matchers): every condition is compiled here, and
    explaining a message only walks what was built."""
    build = _EXPLAINERS.get(type(tree))
    if build is None:  # pragma: no cover - every root kind is in the table
        raise TypeError(f"cannot explain {type(tree).__name__}")
    return build(tree)


def _explain_terms(tree: TermPattern) -> Explainer:
    groups = semantics.term_groups(tree)
    looked_for = [
        (render(Term(text, kind)), text, kind is not TermKind.EXCLUDED)
        for texts, kind in (
            (groups.required, TermKind.REQUIRED),
            (groups.excluded, TermKind.EXCLUDED),
            (groups.any_of, TermKind.OPTIONAL),
        )
        for text in texts
    ]
    ignored: list[Check] = []
    notes: tuple[str, ...] = ()
    if groups.optional_ignored:
        notes = ("?terms are ignored when plain or - terms are present",)
        ignored = [
            Check(render(term), "not looked for", None)
            for term in tree.terms
            if term.kind is TermKind.OPTIONAL
        ]
    elif groups.any_of:
        notes = ("at least one ?term must be present",)

    def explain_message(message: str) -> tuple[list[Check], tuple[str, ...]]:
        checks = []
        for label, text, wanted in looked_for:
            present = text in message
            checks.append(Check(label, "found" if present else "not found", present is wanted))
        return checks + ignored, notes

    return explain_message


def _explain_regex(tree: RegexPattern) -> Explainer:
    search, label = compile_regex(tree.regex.source), render(tree.regex)

    def explain_message(message: str) -> tuple[list[Check], tuple[str, ...]]:
        found = search(message)
        seen = f"matched {_show(found.group(0))} at {found.start()}" if found else "no match"
        return [Check(label, seen, found is not None)], ()

    return explain_message


def _explain_match_all(tree: MatchAll) -> Explainer:
    notes = ("this pattern matches every event",)
    return lambda message: ([], notes)


def _explain_json(tree: JsonPattern) -> Explainer:
    root = _json_condition(tree.expr)

    def explain_message(message: str) -> tuple[list[Check], tuple[str, ...]]:
        document = semantics.load_json_event(message)
        if document is semantics.NOT_JSON:
            prefixed = prefixed_json(message)
            note = prefixed or "the message is not a JSON object, so no JSON pattern matches it"
            return [], (note,)
        return [root.check(document)], ()

    return explain_message


@dataclass(frozen=True, slots=True)
class _JsonCondition:
    """A JSON condition compiled once: a leaf (its selector and the compiler's predicate) or
    a group whose result is all (``&&``) or any (``||``) of its parts' results."""

    label: str
    select: Callable[[Any], Any] | None = None
    test: Callable[[Any], bool] | None = None
    every: bool = True
    parts: tuple[_JsonCondition, ...] = ()

    def check(self, document: Any) -> Check:
        if self.parts:
            children = tuple(part.check(document) for part in self.parts)
            results = (child.result for child in children)
            return Check(self.label, "", all(results) if self.every else any(results), children)
        assert self.select is not None and self.test is not None
        return Check(self.label, _show_selected(self.select(document)), self.test(document))


def _json_condition(node: Node) -> _JsonCondition:
    if isinstance(node, And | Or):
        parts = tuple(_json_condition(operand) for operand in node.children())
        every = isinstance(node, And)
        return _JsonCondition("all of" if every else "any of", every=every, parts=parts)
    assert isinstance(node, JsonCompare | JsonIs | JsonNotExists)
    return _JsonCondition(render(node), selector_function(node.selector), compile_json(node))


def _explain_delimited(tree: DelimitedPattern) -> Explainer:
    layout = FieldLayout.of(tree)
    wanted = len(layout.slots)
    slots = [f for f in tree.fields if not isinstance(f, EllipsisField)]
    tests = [
        None if slot.condition is None else (render(slot), compile_field_condition(slot.condition))
        for slot in slots
    ]

    def explain_message(message: str) -> tuple[list[Check], tuple[str, ...]]:
        tokens = split_tokens(message)
        assigned = layout.assign(message)
        if assigned is None:
            return [], (
                f"the message has {len(tokens)} tokens; the pattern needs at least {wanted}",
            )
        checks = []
        for (_, value), test in zip(assigned, tests, strict=True):
            if test is not None:
                label, holds = test
                checks.append(Check(label, _show(value), holds(value)))
        return checks, (f"{len(tokens)} tokens",)

    return explain_message


#: How each root kind's explainer is built (``tests/test_completeness.py`` checks that none is
#: missing).
_EXPLAINERS: dict[type[Pattern], Callable[[Any], Explainer]] = {
    TermPattern: _explain_terms,
    RegexPattern: _explain_regex,
    JsonPattern: _explain_json,
    DelimitedPattern: _explain_delimited,
    MatchAll: _explain_match_all,
}


def _show(text: str) -> str:
    shown = text if len(text) <= _SHOWN_TEXT else text[: _SHOWN_TEXT - 3] + "..."
    return json.dumps(shown, ensure_ascii=False)


def _show_selected(selected: Any) -> str:
    if selected is semantics.MISSING:
        return "missing"
    if isinstance(selected, list) and not selected:
        return "nothing selected"
    text = ""
    for piece in _json_pieces(selected):
        text += piece
        if len(text) > _SHOWN_TEXT:
            return text[: _SHOWN_TEXT - 3] + "..."
    return text


class _Text(str):
    """A piece of JSON text among the values :func:`_json_pieces` still has to write."""


def _json_pieces(value: Any) -> Iterator[str]:
    """``json.dumps(value, ensure_ascii=False, separators=(", ", ": "))`` in pieces, without
    recursion: a selected value may nest as deeply as a JSON event does (D10), and only its
    start is shown."""
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        item = next(stack[-1], _Text())  # an empty piece: this container is written
        if type(item) is _Text:
            if item:
                yield item
            else:
                stack.pop()
        elif isinstance(item, dict):
            yield "{"
            stack.append(_members(item))
        elif isinstance(item, list):
            yield "["
            stack.append(_elements(item))
        else:
            yield json.dumps(item, ensure_ascii=False)


def _members(document: dict[str, Any]) -> Iterator[Any]:
    for index, (key, value) in enumerate(document.items()):
        yield _Text((", " if index else "") + json.dumps(key, ensure_ascii=False) + ": ")
        yield value
    yield _Text("}")


def _elements(array: list[Any]) -> Iterator[Any]:
    for index, value in enumerate(array):
        if index:
            yield _Text(", ")
        yield value
    yield _Text("]")

"""Why a message matches a pattern, or why not: each condition, what it found, and its result.

The results come from the same compiled predicates the matcher uses, so an explanation can never
disagree with :func:`cwquery.matches`.

>>> print(explain('{ $.latency > 1000 && $.level = "ERROR" }', '{"latency": 50, "level": "ERROR"}'))
no match: { $.latency > 1000 && $.level = "ERROR" }
  all of:
    $.latency > 1000: 50 → false
    $.level = "ERROR": "ERROR" → true
"""

from __future__ import annotations

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
    tree = matcher.pattern
    matched = matcher.matches(message)
    explainer = _EXPLAINERS.get(type(tree))
    if explainer is None:  # pragma: no cover - every root kind is in the table
        raise TypeError(f"cannot explain {type(tree).__name__}")
    checks, notes = explainer(tree, message)
    return Explanation(matcher.text, message, matched, tuple(checks), tuple(notes))


def _explain_terms(tree: TermPattern, message: str) -> tuple[list[Check], tuple[str, ...]]:
    groups = semantics.term_groups(tree)
    checks = []
    for texts, kind in (
        (groups.required, TermKind.REQUIRED),
        (groups.excluded, TermKind.EXCLUDED),
        (groups.any_of, TermKind.OPTIONAL),
    ):
        checks += [_term_check(Term(text, kind), message) for text in texts]
    notes: tuple[str, ...] = ()
    if groups.optional_ignored:
        notes = ("?terms are ignored when plain or - terms are present",)
        for term in tree.terms:
            if term.kind is TermKind.OPTIONAL:
                checks.append(Check(render(term), "not looked for", None))
    elif groups.any_of:
        notes = ("at least one ?term must be present",)
    return checks, notes


def _term_check(term: Term, message: str) -> Check:
    present = term.text in message
    wanted = term.kind is not TermKind.EXCLUDED
    return Check(render(term), "found" if present else "not found", present is wanted)


def _explain_regex(tree: RegexPattern, message: str) -> tuple[list[Check], tuple[str, ...]]:
    found = compile_regex(tree.regex.source)(message)
    seen = f"matched {_show(found.group(0))} at {found.start()}" if found else "no match"
    return [Check(render(tree.regex), seen, found is not None)], ()


def _explain_match_all(tree: MatchAll, message: str) -> tuple[list[Check], tuple[str, ...]]:
    return [], ("this pattern matches every event",)


def _explain_json(tree: JsonPattern, message: str) -> tuple[list[Check], tuple[str, ...]]:
    document = semantics.load_json_event(message)
    if document is semantics.NOT_JSON:
        prefixed = prefixed_json(message)
        return [], (prefixed or "the message is not a JSON object, so no JSON pattern matches it",)
    return [_json_check(tree.expr, document)], ()


def _json_check(node: Node, document: Any) -> Check:
    if isinstance(node, And | Or):
        children = tuple(_json_check(operand, document) for operand in node.children())
        label = "all of" if isinstance(node, And) else "any of"
        return Check(label, "", compile_json(node)(document), children)
    assert isinstance(node, JsonCompare | JsonIs | JsonNotExists)
    selected = selector_function(node.selector)(document)
    return Check(render(node), _show_selected(selected), compile_json(node)(document))


def _explain_delimited(tree: DelimitedPattern, message: str) -> tuple[list[Check], tuple[str, ...]]:
    layout = FieldLayout.of(tree)
    tokens = split_tokens(message)
    assigned = layout.assign(message)
    if assigned is None:
        wanted = len(layout.slots)
        return [], (f"the message has {len(tokens)} tokens; the pattern needs at least {wanted}",)
    checks = []
    slots = [f for f in tree.fields if not isinstance(f, EllipsisField)]
    for (_, value), slot in zip(assigned, slots, strict=True):
        if slot.condition is not None:
            result = compile_field_condition(slot.condition)(value)
            checks.append(Check(render(slot), _show(value), result))
    return checks, (f"{len(tokens)} tokens",)


#: How each root kind is explained (``tests/test_completeness.py`` checks that none is missing).
_EXPLAINERS: dict[type[Pattern], Callable[[Any, str], tuple[list[Check], tuple[str, ...]]]] = {
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

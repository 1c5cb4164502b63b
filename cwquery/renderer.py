"""Syntax tree to canonical pattern text.

One spelling per tree: terms bare when they are plain words (letters, digits, ``_``, ``.``),
strings always double-quoted, numbers as written, single spaces around operators, and
parentheses only where ``||`` sits inside ``&&``. ``parse(render(tree)) == tree`` for every tree.

>>> from cwquery import parse
>>> render(parse('{($.a = 1) && ($.b = x || $.c IS NULL)}'))
'{ $.a = 1 && ($.b = "x" || $.c IS NULL) }'
>>> render(parse("[ip,user,...,status_code=4*,]"))
'[ip, user, ..., status_code = "4*",]'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cwquery.ast import (
    And,
    AnyIndex,
    AnyKey,
    DelimitedPattern,
    EllipsisField,
    Field,
    FieldCompare,
    Index,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    MatchAll,
    Node,
    Number,
    Or,
    Regex,
    RegexPattern,
    Selector,
    String,
    Term,
    TermPattern,
)

_PLAIN_TERM = re.compile(r"[A-Za-z0-9_.]+")
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def render(node: Node) -> str:
    """The canonical text of any node (a whole pattern or a part of one).

    >>> from cwquery.ast import Term, TermKind, TermPattern
    >>> render(TermPattern((Term("ERROR"), Term("Task timed out", TermKind.OPTIONAL))))
    'ERROR ?"Task timed out"'
    """
    try:
        renderer = _RENDERERS[type(node)]
    except KeyError:
        raise TypeError(f"cannot render {type(node).__name__}") from None
    return renderer(node)


def quote(text: str) -> str:
    """``text`` as a double-quoted literal, escaping backslashes and quotes.

    >>> print(quote('say "hi"'))
    "say \\"hi\\""
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _term(node: Term) -> str:
    text = node.text if _PLAIN_TERM.fullmatch(node.text) else quote(node.text)
    return node.kind.value + text


def _and(node: And[Any]) -> str:
    return " && ".join(
        f"({render(operand)})" if isinstance(operand, Or) else render(operand)
        for operand in node.operands
    )


def _selector(node: Selector) -> str:
    return "$" + "".join(_step(step) for step in node.steps)


def _step(step: Node) -> str:
    if isinstance(step, Key):
        return f".{step.name}" if _PLAIN_KEY.fullmatch(step.name) else f".['{step.name}']"
    if isinstance(step, Index):
        return f"[{step.index}]"
    return ".*" if isinstance(step, AnyKey) else "[*]"


def _field(node: Field) -> str:
    if node.condition is None:
        return node.name or ""
    return _field_condition(node.name or "", node.condition)


def _field_condition(name: str, condition: Node) -> str:
    if isinstance(condition, FieldCompare):
        return f"{name} {condition.op.value} {render(condition.value)}"
    joiner = " && " if isinstance(condition, And) else " || "
    return joiner.join(_field_condition(name, operand) for operand in condition.operands)  # type: ignore[attr-defined]


def _delimited(node: DelimitedPattern) -> str:
    return "[" + ", ".join(render(field) for field in node.fields).rstrip() + "]"


_RENDERERS: dict[type[Any], Callable[[Any], str]] = {
    MatchAll: lambda node: "",
    TermPattern: lambda node: " ".join(_term(term) for term in node.terms),
    Term: _term,
    RegexPattern: lambda node: render(node.regex),
    Regex: lambda node: f"%{node.source}%",
    JsonPattern: lambda node: "{ " + render(node.expr) + " }",
    And: _and,
    Or: lambda node: " || ".join(render(operand) for operand in node.operands),
    JsonCompare: lambda node: f"{_selector(node.selector)} {node.op.value} {render(node.value)}",
    JsonIs: lambda node: f"{_selector(node.selector)} IS {node.test.value}",
    JsonNotExists: lambda node: f"{_selector(node.selector)} NOT EXISTS",
    Selector: _selector,
    Key: _step,
    Index: _step,
    AnyKey: _step,
    AnyIndex: _step,
    String: lambda node: quote(node.text),
    Number: lambda node: node.text,
    DelimitedPattern: _delimited,
    Field: _field,
    EllipsisField: lambda node: "...",
    FieldCompare: lambda node: f"{node.op.value} {render(node.value)}",
}

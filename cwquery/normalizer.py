"""Semantic equality: one normal form for patterns that differ only in spelling or order.

Parsing already removes redundant parentheses, spacing and quoting that does not change the
meaning. :func:`normalize` also removes what the order of writing adds: operands of ``&&`` and
``||`` are sorted (by canonical text, innermost first) and duplicates dropped, and the items of
a term pattern are sorted within their kind (all required, none excluded, any optional: order
never matters). ``?`` terms that CloudWatch ignores (D3) are dropped, and a lone ``?term`` is the
plain term. Field order, field names and number spellings are kept: they change what a pattern
matches or extracts (``1e3`` is not ``1000`` next to a JSON string, D12).

>>> str(normalize('{ ($.b = "x") || ($.a = 1 && $.c IS NULL) }'))
'{ $.a = 1 && $.c IS NULL || $.b = "x" }'
>>> equivalent('{$.a=1 && $.b=x}', '{ ($.b = "x") && ($.a = 1) }')
True
>>> equivalent("ERROR -DEBUG timeout", "timeout -DEBUG ERROR"), equivalent("a b", "a -b")
(True, False)
"""

from __future__ import annotations

from typing import Any

from cwquery.ast import (
    And,
    DelimitedPattern,
    Field,
    JsonPattern,
    Node,
    Or,
    Pattern,
    Term,
    TermKind,
    TermPattern,
    combine,
    flatten,
)
from cwquery.parser import parse
from cwquery.renderer import render
from cwquery.semantics import term_groups

__all__ = ["equivalent", "normalize"]

_KIND_ORDER = {TermKind.REQUIRED: 0, TermKind.EXCLUDED: 1, TermKind.OPTIONAL: 2}


def normalize(pattern: str | Pattern) -> Pattern:
    """The normal form of a pattern (text is parsed first, so it may raise
    :class:`~cwquery.PatternError`). Normalising twice changes nothing.

    >>> str(normalize("?WARN ?ERROR")), str(normalize("?WARN")), str(normalize("?WARN ERROR"))
    ('?ERROR ?WARN', 'WARN', 'ERROR')
    >>> str(normalize("[a, status = 5* || status = 404 && status != 403, ...]"))
    '[a, status != 403 && status = 404 || status = "5*", ...]'
    """
    tree = parse(pattern) if isinstance(pattern, str) else pattern
    if isinstance(tree, TermPattern):
        return _terms(tree)
    if isinstance(tree, JsonPattern):
        return JsonPattern(_sorted(tree.expr))
    if isinstance(tree, DelimitedPattern):
        return DelimitedPattern(
            tuple(_field(f) if isinstance(f, Field) else f for f in tree.fields)
        )
    if isinstance(tree, Pattern):
        return tree  # MatchAll and RegexPattern have nothing to reorder
    raise TypeError(f"expected pattern text or a Pattern, not {type(pattern).__name__}")


def equivalent(a: str | Pattern, b: str | Pattern) -> bool:
    """Whether two patterns have the same normal form (and so match the same events).

    >>> equivalent('{ $.a = "x" || $.a = "x" }', "{ $.a = x }")
    True
    """
    return normalize(a) == normalize(b)


def _terms(pattern: TermPattern) -> TermPattern:
    groups = term_groups(pattern)  # D3 decides which items count, in one place
    items = {Term(text, TermKind.REQUIRED) for text in groups.required}
    items |= {Term(text, TermKind.EXCLUDED) for text in groups.excluded}
    optional = set(groups.any_of)
    if len(optional) == 1 and next(iter(optional)).strip():
        items.add(Term(optional.pop(), TermKind.REQUIRED))  # one of {x} is x
    items |= {Term(text, TermKind.OPTIONAL) for text in optional}
    ordered = sorted(items, key=lambda t: (_KIND_ORDER[t.kind], t.text))
    if len(ordered) == 1 and ordered[0].kind is TermKind.REQUIRED and not ordered[0].text.strip():
        ordered *= 2  # alone, a blank phrase would read as every event (D2): write it twice
    return TermPattern(tuple(ordered))


def _sorted(node: Any) -> Any:
    """An expression or field condition with the operands of every ``&&`` and ``||`` sorted by
    canonical text (innermost first) and duplicates dropped; operands of the same kind are
    flattened again (a normalised child may have collapsed into one), and one operand left
    stands alone."""
    if not isinstance(node, And | Or):
        return node
    kind = type(node)
    unique: dict[str, Node] = {}
    for item in flatten(kind, [_sorted(operand) for operand in node.operands]):
        unique.setdefault(render(item), item)
    return combine(kind, [unique[text] for text in sorted(unique)])


def _field(node: Field) -> Field:
    if node.condition is None:
        return node
    return Field(node.name, _sorted(node.condition))

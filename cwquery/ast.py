"""The typed, immutable syntax tree of a CloudWatch Logs filter pattern.

Every pattern parses into one of five root nodes, all subclasses of :class:`Pattern`:

======================  ==========================================  =================
root                    written as                                  family
======================  ==========================================  =================
:class:`MatchAll`       empty, blank, or ``" "``                    text
:class:`TermPattern`    ``ERROR ?WARN -DEBUG "a phrase"``           text
:class:`RegexPattern`   ``%ERR(OR)?%`` (the whole pattern)          text
:class:`JsonPattern`    ``{ $.a = 1 && ($.b IS NULL || ...) }``     JSON
:class:`DelimitedPattern` ``[ip, user, ..., status = 4*, bytes]``   space-delimited
======================  ==========================================  =================

Nodes are immutable value objects with slots: they compare and hash by value, so a parsed tree
equals a built one and compiled matchers can be cached by tree. Source positions (``span``) and
spelling details that do not change the meaning (``quoted``) are kept for error messages and the
linter but take no part in equality; ``span`` is not shown by ``repr`` either. (They are written
out rather than made by :mod:`dataclasses`, whose generated code takes a while to build at every
start.) ``And``/``Or`` are n-ary and never hold an operand of their own type
(:func:`combine` flattens them). Nodes carry no behaviour except ``str(node)``, the canonical
text from :func:`cwquery.renderer`, and ``node.children()``, the nodes below it in source order;
:func:`walk` visits a whole tree.

The node classes are defined in :mod:`cwquery.nodes`; import them from here, where the walk
over a tree (:func:`walk`, :func:`contains_regex`) and the joining of conditions
(:func:`flatten`, :func:`combine`) live beside them.

>>> from cwquery import parse
>>> parse('{ $.level = "ERROR" }') == JsonPattern(
...     JsonCompare(Selector((Key("level"),)), Operator.EQ, String("ERROR")))
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cwquery.nodes import (
    And,
    AnyIndex,
    AnyKey,
    DelimitedPattern,
    EllipsisField,
    Field,
    FieldCompare,
    FieldCondition,
    Index,
    JsonCompare,
    JsonCondition,
    JsonExpr,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Key,
    MatchAll,
    Node,
    Number,
    Operator,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    Span,
    Step,
    String,
    Term,
    TermKind,
    TermPattern,
    TextPattern,
    TruthTest,
    Value,
)

# --------------------------------------------------------------------------- traversal


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it, depth first, in source order (with a stack, not
    recursion: trees may nest as deeply as the parser allows).

    >>> from cwquery import parse
    >>> [type(n).__name__ for n in walk(parse('{ $.a = 1 || $.b[0] = %x% }'))]
    ['JsonPattern', 'Or', 'JsonCompare', 'Selector', 'Key', 'Number', 'JsonCompare', \
'Selector', 'Key', 'Index', 'Regex']
    >>> [str(n) for n in parse('[ip, ..., status = 5* || status = 404]').children()]
    ['ip', '...', 'status = "5*" || status = 404']
    """
    pending = [node]
    while pending:
        node = pending.pop()
        yield node
        below = node.children()
        if below:
            pending += reversed(below)


def contains_regex(pattern: Node) -> bool:
    """Whether a ``%regex%`` appears anywhere in the tree (such filters count against the
    service's quota per log group, :func:`cwquery.limits.regex_filter_quota`).

    >>> from cwquery import parse
    >>> [contains_regex(parse(text)) for text in ("%ERR%", "[a = %x%]", "{ $.a = x }", "")]
    [True, True, False, False]
    """
    return any(type(node) is Regex for node in walk(pattern))


def flatten(kind: type[And[Any]] | type[Or[Any]], operands: Iterable[Node]) -> list[Node]:
    """The operands of ``kind`` joining ``operands``: those of the same kind are opened, as
    ``And`` and ``Or`` never hold an operand of their own type."""
    flat: list[Node] = []
    for operand in operands:
        if type(operand) is kind:
            flat += operand.children()
        else:
            flat.append(operand)
    return flat


def combine(
    kind: type[And[Any]] | type[Or[Any]], operands: Sequence[Node], *, span: Span | None = None
) -> Any:
    """Join ``operands`` with ``&&`` (``And``) or ``||`` (``Or``), flattened; one operand
    stays itself. Parser, builder and normaliser all join conditions here.

    >>> a, b, c = (JsonNotExists(Selector((Key(name),))) for name in "abc")
    >>> combine(And, [combine(And, [a, b]), c]) == And((a, b, c)), combine(Or, [a]) is a
    (True, True)
    """
    if len(operands) == 1:
        return operands[0]
    flat = flatten(kind, operands)
    return kind(tuple(flat), span=span)


__all__ = [
    "And",
    "AnyIndex",
    "AnyKey",
    "DelimitedPattern",
    "EllipsisField",
    "Field",
    "FieldCompare",
    "FieldCondition",
    "Index",
    "JsonCompare",
    "JsonCondition",
    "JsonExpr",
    "JsonIs",
    "JsonNotExists",
    "JsonPattern",
    "Key",
    "MatchAll",
    "Node",
    "Number",
    "Operator",
    "Or",
    "Pattern",
    "Regex",
    "RegexPattern",
    "Selector",
    "Span",
    "Step",
    "String",
    "Term",
    "TermKind",
    "TermPattern",
    "TextPattern",
    "TruthTest",
    "Value",
    "combine",
    "contains_regex",
    "flatten",
    "walk",
]

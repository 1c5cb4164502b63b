"""Raw-text rejection: texts that every matching message must contain, checked before the
message is parsed. Only used where it is provably sound (see :func:`required_literals`).

>>> from cwquery import parse
>>> sorted(required_literals(parse('{ $.level = "ERROR" && $.code = 500 }')))
['"code"', '"level"', 'ERROR']
>>> reject = raw_prefilter(frozenset({"ERROR", '"level"'}), escapes_possible=True)
>>> reject('{"level": "INFO"}'), reject('{"l\\u0065vel": "\\u0045RROR"}')
(False, True)
"""

from __future__ import annotations

from collections.abc import Callable

from cwquery import semantics
from cwquery.ast import (
    And,
    DelimitedPattern,
    Field,
    FieldCompare,
    JsonCompare,
    JsonIs,
    JsonPattern,
    Key,
    Node,
    Operator,
    Or,
    String,
)


def required_literals(pattern: JsonPattern | DelimitedPattern) -> frozenset[str]:
    """Texts that every matching message contains verbatim, when it holds no escapes: JSON keys
    (quoted) of conditions that need their selector, and the wildcard-free part of ``=``
    strings. JSON string values that could be a number's text are left out (a number may be
    spelled another way in the event)."""
    if isinstance(pattern, JsonPattern):
        return _literals(pattern.expr)
    found: set[str] = set()
    for field in pattern.fields:
        found |= _literals(field)
    return frozenset(found)


def _literals(node: Node) -> frozenset[str]:
    """What every message matching ``node`` contains: all of ``&&``'s operands' literals, the
    ones common to all of ``||``'s, and a condition's own."""
    if isinstance(node, And):
        return frozenset().union(*(_literals(operand) for operand in node.operands))
    if isinstance(node, Or):
        return frozenset.intersection(*(_literals(operand) for operand in node.operands))
    if isinstance(node, JsonCompare | JsonIs):
        keys = {f'"{step.name}"' for step in node.selector.steps if isinstance(step, Key)}
        if isinstance(node, JsonCompare) and node.op is Operator.EQ:
            value = node.value
            if isinstance(value, String):
                core = semantics.required_text(value.text)
                if core and not semantics.could_be_number_text(core):
                    keys.add(core)
        return frozenset(keys)
    if isinstance(node, FieldCompare) and node.op is Operator.EQ and isinstance(node.value, String):
        core = semantics.required_text(node.value.text)
        return frozenset((core,)) if core else frozenset()
    if isinstance(node, Field) and node.condition is not None:
        return _literals(node.condition)
    return frozenset()


def literal_order(literals: frozenset[str]) -> tuple[str, ...]:
    """The literals worth testing, best first: values (far more selective than keys), the
    longest first; keys (quoted) only when there is no value. The raw-text rejection tests
    them in this order, and :mod:`cwquery.plan` looks for the first one in blocks.

    >>> literal_order(frozenset({'"level"', "ERROR", "E"}))
    ('ERROR', 'E')
    """
    values = [text for text in literals if not text.startswith('"')]
    keys = [text for text in literals if text.startswith('"')]
    return tuple(sorted(values or keys, key=lambda text: (-len(text), text)))


def prefilter_for(pattern: JsonPattern | DelimitedPattern) -> Callable[[str], bool] | None:
    """The raw-text rejection of a pattern (D32: a fast path, checked against the reference
    interpretation): ``test(message)`` is False only for messages the pattern cannot match;
    ``None`` when the pattern needs no literal. Every matcher (and any other reader of raw
    messages) takes its rejection rule from here.

    >>> from cwquery import parse
    >>> test = prefilter_for(parse("[a, b = ERROR*]"))
    >>> test("x ERROR y"), test("x WARN y")
    (True, False)
    """
    escapes = isinstance(pattern, JsonPattern)  # JSON can spell any character as an escape
    return raw_prefilter(required_literals(pattern), escapes_possible=escapes)


def raw_prefilter(
    literals: frozenset[str], *, escapes_possible: bool
) -> Callable[[str], bool] | None:
    """A cheap test that rejects messages lacking a required literal, or ``None``. In JSON an
    escape (``\\u0041``) can spell any character, so there the test only rejects messages
    without a backslash."""
    if not literals:
        return None
    ordered = literal_order(literals)
    if len(ordered) == 1:
        (only,) = ordered
        if escapes_possible:
            return lambda message: only in message or "\\" in message
        return lambda message: only in message

    def all_literals_present(message: str) -> bool:
        for text in ordered:
            if text not in message:
                return escapes_possible and "\\" in message
        return True

    return all_literals_present

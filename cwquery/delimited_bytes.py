"""Space-delimited patterns over whole blocks of lines, on bytes: for blocks where
``bytes.split()`` gives each line's tokens (:func:`cwquery.delimited.is_plain`), only the slots
that carry a condition are tested, on the token's bytes where that is exact (strings, numbers)
and on the decoded token otherwise. The per-message matcher stays the reference: every answer
here is the one it gives.

>>> test = block_tester("[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]")
>>> test(b"t 1.2.3.4 WARN GET / 503 1500 ok\\nt 1.2.3.4 INFO GET / 200 1500 ok\\n")
[0]
>>> test(b't 1.2.3.4 WARN GET "/ x" 503 1500') is None
True
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from typing import Final, NamedTuple

from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    FieldCompare,
    Node,
    Number,
    Operator,
    Or,
    String,
)
from cwquery.compiler import token_test
from cwquery.delimited import ByteTest, FieldLayout, Hint
from cwquery.numbers import NUMBER_SYNTAX, number_value
from cwquery.parser import parse
from cwquery.semantics import WILDCARD

#: D22's number syntax on bytes: ASCII only, so a token's bytes match it exactly when its text does.
_NUMBER_BYTES: Final = re.compile(NUMBER_SYNTAX.pattern.encode())
_RELATIONS: Final[dict[Operator, Callable[[float, float], bool]]] = {
    Operator.LT: operator.lt,
    Operator.GT: operator.gt,
    Operator.LE: operator.le,
    Operator.GE: operator.ge,
}
#: The first character of a token that spells a number (D22).
_NUMBER_LEAD: Final = rb"[-+0-9]"
#: How costly a test is: tests on bytes run before those that decode the token.
_ON_BYTES, _DECODES = 0, 1


@functools.lru_cache(maxsize=64)
def block_tester(pattern: str | DelimitedPattern) -> Callable[[bytes], list[int] | None]:
    """``test(block)``: the indexes (into ``block.split(b"\\n")``) of the lines of a block of
    UTF-8 lines that are messages matching ``pattern``, or ``None`` when the block is not plain
    (see :meth:`cwquery.delimited.FieldLayout.plain_block_tester`). Cached by pattern.

    Raises:
        PatternError: the text is not a valid pattern.
        TypeError: the pattern is not space-delimited.
    """
    tree = parse(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(tree, DelimitedPattern):
        raise TypeError(f"not a space-delimited pattern: {type(tree).__name__}")
    slots = [field for field in tree.fields if not isinstance(field, EllipsisField)]
    built = {
        index: condition_on_bytes(field.condition)
        for index, field in enumerate(slots)
        if field.condition is not None
    }
    order = sorted(built, key=lambda index: (built[index].cost, built[index].hint is None))
    return FieldLayout.of(tree).plain_block_tester(
        {index: built[index].test for index in order},  # on bytes and hinted slots first
        {index: on.hint for index, on in built.items() if on.hint is not None},
        {index: on.lead for index, on in built.items() if on.lead is not None},
    )


class OnBytes(NamedTuple):
    """A field condition as a test on a plain token's bytes, with what every passing value
    holds: ``hint`` (see :data:`cwquery.delimited.Hint`) and ``lead``, a regular expression
    (on bytes) its first characters match, or ``None``; ``cost`` orders the tests."""

    test: ByteTest
    hint: Hint | None
    lead: bytes | None
    cost: int


def condition_on_bytes(node: Node) -> OnBytes:
    """A field condition (D27) on a plain token's bytes."""
    if isinstance(node, And | Or):
        parts = [condition_on_bytes(operand) for operand in node.operands]
        tests = [part.test for part in parts]
        cost = max(part.cost for part in parts)
        if isinstance(node, Or):
            return OnBytes(_any_passes(tests), None, None, cost)
        hints = [part.hint for part in parts if part.hint is not None]
        hint = max(hints, key=lambda h: len(h[0]), default=None)
        lead = next((part.lead for part in parts if part.lead is not None), None)
        return OnBytes(_all_pass(tests), hint, lead, cost)
    if not isinstance(node, FieldCompare):
        raise TypeError(f"not a field condition: {type(node).__name__}")
    literal = node.value
    if isinstance(literal, String):
        return _string_test(node.op is Operator.EQ, literal.text)
    if isinstance(literal, Number) and node.op.is_relational:
        relation = _relation(_RELATIONS[node.op], float(number_value(literal.text)))
        return OnBytes(relation, None, _NUMBER_LEAD, _ON_BYTES)
    on_text = token_test(node.op, literal)
    return OnBytes(lambda token: on_text(token.decode()), None, None, _DECODES)


def _string_test(wanted: bool, pattern: str) -> OnBytes:
    """D25 on UTF-8 bytes: equality, prefix, suffix and containment of valid UTF-8 agree with
    those of the text it spells."""
    if pattern == WILDCARD:
        return OnBytes(lambda token: wanted, None, None, _ON_BYTES)
    leading, trailing = pattern.startswith(WILDCARD), pattern.endswith(WILDCARD)
    core = pattern[1 if leading else 0 : len(pattern) - 1 if trailing else len(pattern)].encode()
    hint = (core, not leading) if wanted and core else None
    lead = re.escape(core) if hint is not None and not leading else None
    return OnBytes(_wildcard_test(core, leading, trailing, wanted), hint, lead, _ON_BYTES)


def _wildcard_test(core: bytes, leading: bool, trailing: bool, wanted: bool) -> ByteTest:
    if leading and trailing:
        return lambda token: (core in token) is wanted
    if leading:
        if wanted:
            return lambda token: token.endswith(core)
        return lambda token: not token.endswith(core)
    if trailing:
        if wanted:
            return lambda token: token.startswith(core)
        return lambda token: not token.startswith(core)
    return core.__eq__ if wanted else core.__ne__


def _relation(compare: Callable[[float, float], bool], number: float) -> ByteTest:
    """D27, D30: a relational condition holds for a token that spells a number, read as a
    double; ASCII digits alone always spell one."""
    fullmatch = _NUMBER_BYTES.fullmatch

    def relation(token: bytes) -> bool:
        if token.isdigit():
            return compare(float(token), number)
        return fullmatch(token) is not None and compare(float(token), number)

    return relation


def _all_pass(tests: list[ByteTest]) -> ByteTest:
    return lambda token: all(test(token) for test in tests)


def _any_passes(tests: list[ByteTest]) -> ByteTest:
    return lambda token: any(test(token) for test in tests)

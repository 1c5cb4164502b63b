"""Space-delimited patterns over whole blocks of lines, on bytes: for blocks where
``bytes.split()`` gives each line's tokens (:func:`cwquery.delimited.is_plain`), only the slots
that carry a condition are tested, and only on lines holding what a match must hold. A token
of ASCII digits is compared on its bytes; any other is decoded and given to the compiler's
test (:func:`cwquery.compiler.token_test`), so no rule of the language is stated twice. The
per-message matcher stays the reference: every answer here is the one it gives.

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
from typing import Any, Final, NamedTuple

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
from cwquery.numbers import number_value
from cwquery.parser import parse
from cwquery.semantics import WILDCARD

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
    order = sorted(built, key=lambda index: (built[index].hint is None, built[index].cost))
    return FieldLayout.of(tree).plain_block_tester(
        {index: built[index].test for index in order},  # hinted slots first, then on bytes
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
    on_text = token_test(node.op, literal := node.value)  # the compiler's one rule (D25, D27)
    decoded = OnBytes(lambda token: on_text(token.decode()), None, None, _DECODES)
    if isinstance(literal, String) and node.op is Operator.EQ:
        return decoded._replace(**_string_promises(literal.text))
    if isinstance(literal, Number) and node.op.is_relational:
        number = float(number_value(literal.text))
        return OnBytes(_relation(_RELATIONS[node.op], number, on_text), None, _NUMBER_LEAD, 0)
    return decoded


def _string_promises(pattern: str) -> dict[str, Any]:
    """What every token equal to ``pattern`` holds (D25): the text without its wildcards, at
    its start unless a wildcard leads (then also the start it matches)."""
    leading = pattern.startswith(WILDCARD)
    core = pattern.strip(WILDCARD) if pattern != WILDCARD else ""
    if not core:
        return {}
    text = core.encode()
    return {"hint": (text, not leading), "lead": None if leading else re.escape(text)}


def _relation(
    compare: Callable[[float, float], bool], number: float, on_text: Callable[[str], bool]
) -> ByteTest:
    """D27, D30: ASCII digits alone always spell a number, read as a double; any other token
    goes to the compiler's test."""

    def relation(token: bytes) -> bool:
        if token.isdigit():
            return compare(float(token), number)
        return on_text(token.decode())

    return relation


def _all_pass(tests: list[ByteTest]) -> ByteTest:
    return lambda token: all(test(token) for test in tests)


def _any_passes(tests: list[ByteTest]) -> ByteTest:
    return lambda token: any(test(token) for test in tests)

"""A reference interpretation of filter patterns: a plain walk of the syntax tree, written from
``docs/semantics.md`` with no fast paths (no raw-text rejection, no fused selectors, no
specialised tests). The property tests check every fast path of :mod:`cwquery.compiler`,
``explain`` and ``extract`` against it (D32).

It deliberately shares nothing with cwquery but the syntax tree: the number syntax and the regex
dialect are its own (:mod:`reference_dialect`, checked against production by
tests/test_reference_dialect.py).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from reference_dialect import search, spells_number

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
    Operator,
    Or,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    String,
    TermKind,
    TermPattern,
    TruthTest,
)

BLANKS = " \t\r\n"
_ABSENT = object()
_NOT_JSON = object()


def matches(pattern: Pattern, message: str) -> bool:
    """Whether ``message`` matches ``pattern``, by the rules of docs/semantics.md."""
    if isinstance(pattern, MatchAll):
        return True  # D2
    if isinstance(pattern, TermPattern):
        return _terms(pattern, message)
    if isinstance(pattern, RegexPattern):
        return _found(pattern.regex, message)
    if isinstance(pattern, JsonPattern):
        document = read_json(message)
        return document is not _NOT_JSON and json_condition(pattern.expr, document)
    if isinstance(pattern, DelimitedPattern):
        values = field_values(pattern, message)
        return values is not None and all(
            field_condition(field.condition, value)
            for field, value in values
            if field.condition is not None
        )
    raise TypeError(type(pattern).__name__)


def extract(pattern: Pattern, message: str) -> dict[str, str] | None:
    """TestMetricFilter's ``extractedValues`` for a match (D28), ``None`` for no match."""
    if not matches(pattern, message):
        return None
    if not isinstance(pattern, DelimitedPattern):
        return {}
    slots = [f for f in pattern.fields if not isinstance(f, EllipsisField)]
    positions = _slot_positions(pattern, len(tokenize(message)))
    names = {position: slot.name for position, slot in zip(positions, slots, strict=True)}
    values = token_values(pattern, message)
    return {f"${names[p]}" if names.get(p) else f"${p + 1}": values[p] for p in sorted(values)}


def token_values(pattern: DelimitedPattern, message: str) -> dict[int, str]:
    """The value at each token position a delimited pattern reads (D28): its fields' values,
    and every token when the pattern has ``...`` or no fields."""
    tokens = tokenize(message)
    slots = [f for f in pattern.fields if not isinstance(f, EllipsisField)]
    positions = _slot_positions(pattern, len(tokens))
    values = dict(zip(positions, (v for _, v in field_values(pattern, message) or []), strict=True))
    if _ellipsis_index(pattern) is not None or not slots:
        for position, (_, value) in enumerate(tokens):
            values.setdefault(position, value)
    return values


#: E2: the largest magnitude a published value may have.
MAX_SAMPLE = 2.0**360


def metric_number(value: Any) -> float | None:
    """E2: what a metric publishes for an extracted value: a JSON number or text that is wholly
    a number (D22), finite and within ±2^360; ``None`` for anything else."""
    if isinstance(value, str) and spells_number(value):
        value = float(value)
    if not _is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the double range
        return None
    return number if abs(number) <= MAX_SAMPLE else None


# --------------------------------------------------------------- terms (D3, D26)


def _terms(pattern: TermPattern, message: str) -> bool:
    required = [t.text for t in pattern.terms if t.kind is TermKind.REQUIRED]
    excluded = [t.text for t in pattern.terms if t.kind is TermKind.EXCLUDED]
    optional = [t.text for t in pattern.terms if t.kind is TermKind.OPTIONAL]
    if required or excluded:  # D3: ?terms beside plain or - terms are ignored
        return all(t in message for t in required) and not any(t in message for t in excluded)
    return any(t in message for t in optional)


def _found(regex: Regex, text: str) -> bool:
    return search(regex.source, text)


# ----------------------------------------------------- JSON (D8 to D12, D25, D30)


def _number(text: str) -> int | float:
    """D30: orjson's reading: 64-bit integers exact, other numbers doubles."""
    if all(c in "+-0123456789" for c in text) and len(text.lstrip("+-")) <= 20:
        value = int(text)
        if -(2**63) <= value <= 2**64 - 1:
            return value
    return float(text)


def _json_number(text: str) -> int | float:
    """A JSON number; one beyond the double range makes the document unreadable (D30)."""
    number = _number(text)
    if isinstance(number, float) and math.isinf(number):
        raise ValueError("out of range")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(name)


#: D10: arrays and objects nest at most this deep (the root object is level 1).
MAX_DEPTH = 1024


def nesting(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, character by character."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def read_json(message: str) -> Any:
    """D10: the whole message, trimmed, must be one JSON object nested at most 1024 deep; the
    last duplicate key wins. The recursion limit is raised for the parse, so that it never
    decides the answer."""
    if nesting(message) > MAX_DEPTH:
        return _NOT_JSON
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * MAX_DEPTH))
    try:
        document = json.loads(
            message, parse_int=_json_number, parse_float=_json_number, parse_constant=_no_constant
        )
    except ValueError:
        return _NOT_JSON
    finally:
        sys.setrecursionlimit(limit)
    return document if isinstance(document, dict) else _NOT_JSON


def select(selector: Selector, document: Any) -> list[Any]:
    """Every node the selector reaches (a list even without a wildcard step)."""
    nodes = [document]
    for step in selector.steps:
        following: list[Any] = []
        for node in nodes:
            if isinstance(step, Key) and isinstance(node, dict) and step.name in node:
                following.append(node[step.name])
            elif isinstance(step, Index) and isinstance(node, list) and step.index < len(node):
                following.append(node[step.index])
            elif isinstance(step, AnyKey) and isinstance(node, dict):
                following.extend(node.values())
            elif isinstance(step, AnyIndex) and isinstance(node, list):
                following.extend(node)
        nodes = following
    return nodes


def _has_wildcard(selector: Selector) -> bool:
    return any(isinstance(step, AnyKey | AnyIndex) for step in selector.steps)


def json_condition(node: Node, document: Any) -> bool:
    if isinstance(node, And):
        return all(json_condition(operand, document) for operand in node.operands)
    if isinstance(node, Or):
        return any(json_condition(operand, document) for operand in node.operands)
    assert isinstance(node, JsonCompare | JsonIs | JsonNotExists)
    selected = select(node.selector, document)
    if isinstance(node, JsonNotExists):
        return not selected  # D8: with a wildcard, nothing selected
    if isinstance(node, JsonIs):
        wanted = {TruthTest.TRUE: True, TruthTest.FALSE: False, TruthTest.NULL: None}[node.test]
        return any(value is wanted for value in selected)
    return any(_compare(node.op, node.value, value) for value in selected)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text_of(value: Any) -> str | None:
    """D12: what a string or wildcard literal sees of a JSON value."""
    if isinstance(value, str):
        return value
    if _is_number(value):
        return str(value) if isinstance(value, int) else repr(value)
    return None


def _wildcard_match(pattern: str, text: str) -> bool:
    """D25: ``*`` at the start and/or end is a wildcard; elsewhere it is literal."""
    if pattern == "*":
        return True
    if len(pattern) >= 2 and pattern[0] == "*" and pattern[-1] == "*":
        return pattern[1:-1] in text
    if pattern.startswith("*"):
        return text.endswith(pattern[1:])
    if pattern.endswith("*"):
        return text.startswith(pattern[:-1])
    return text == pattern


_RELATION = {
    Operator.LT: lambda a, b: a < b,
    Operator.GT: lambda a, b: a > b,
    Operator.LE: lambda a, b: a <= b,
    Operator.GE: lambda a, b: a >= b,
}


def _compare(op: Operator, literal: Any, value: Any) -> bool:
    """One selected JSON value against ``op literal`` (D9, D12, D25)."""
    if isinstance(literal, Number):
        number = _number(literal.text)
        if op.is_relational:
            return _is_number(value) and _RELATION[op](value, number)
        if _is_number(value):
            return (value == number) is (op is Operator.EQ)
        if isinstance(value, str):
            return (value == literal.text) is (op is Operator.EQ)
        return False
    text = _text_of(value)
    if text is None:  # null, booleans, arrays, objects fail = and != alike
        if isinstance(literal, String) and literal.text == "*" and op is Operator.EQ:
            return isinstance(value, bool)  # D25: * is any non-null scalar
        return False
    if isinstance(literal, Regex):
        return _found(literal, text) is (op is Operator.EQ)
    assert isinstance(literal, String)
    if literal.text == "*":
        return op is Operator.EQ
    return _wildcard_match(literal.text, text) is (op is Operator.EQ)


# ------------------------------------------------ delimited (D13 to D15, D27, D30)


def tokenize(message: str) -> list[tuple[int, str]]:
    """D14, character by character: ``(start offset, value)`` of every token."""
    tokens = []
    index, end = 0, len(message)
    while index < end:
        char = message[index]
        if char in BLANKS:
            index += 1
            continue
        if char in '"[':
            closing = '"' if char == '"' else "]"
            close = message.find(closing, index + 1)
            stop = end if close < 0 else close
            tokens.append((index, message[index + 1 : stop]))
            index = end if close < 0 else close + 1
            continue
        stop = index
        while stop < end and message[stop] not in BLANKS:
            stop += 1
        tokens.append((index, message[index:stop]))
        index = stop
    return tokens


def _ellipsis_index(pattern: DelimitedPattern) -> int | None:
    for index, field in enumerate(pattern.fields):
        if isinstance(field, EllipsisField):
            return index
    return None


def _slot_positions(pattern: DelimitedPattern, count: int) -> list[int]:
    slots = len([f for f in pattern.fields if not isinstance(f, EllipsisField)])
    ellipsis = _ellipsis_index(pattern)
    if ellipsis is None:
        return list(range(slots))
    return list(range(ellipsis)) + list(range(count - (slots - ellipsis), count))


def field_values(pattern: DelimitedPattern, message: str) -> list[tuple[Field, str]] | None:
    """Each non-``...`` field with the text it holds (D15), or ``None`` for too few tokens."""
    tokens = tokenize(message)
    slots = [f for f in pattern.fields if not isinstance(f, EllipsisField)]
    if len(tokens) < len(slots):
        return None
    found = []
    for number, (slot, position) in enumerate(
        zip(slots, _slot_positions(pattern, len(tokens)), strict=True)
    ):
        last = number == len(slots) - 1 and _ellipsis_index(pattern) is None
        if last and len(tokens) > len(slots):
            value = message[tokens[position][0] :].rstrip(BLANKS)
        else:
            value = tokens[position][1]
        found.append((slot, value))
    return found


def field_condition(node: Any, token: str) -> bool:
    if isinstance(node, And):
        return all(field_condition(operand, token) for operand in node.operands)
    if isinstance(node, Or):
        return any(field_condition(operand, token) for operand in node.operands)
    assert isinstance(node, FieldCompare)
    literal, op = node.value, node.op
    if isinstance(literal, Regex):
        return _found(literal, token) is (op is Operator.EQ)
    if isinstance(literal, Number):
        spelled = spells_number(token)
        number = float(literal.text)
        if op.is_relational:  # D27: only numeric tokens; D30: as doubles
            return spelled and _RELATION[op](float(token), number)
        equal = float(token) == number if spelled else token == literal.text
        return equal is (op is Operator.EQ)
    assert isinstance(literal, String)
    return _wildcard_match(literal.text, token) is (op is Operator.EQ)

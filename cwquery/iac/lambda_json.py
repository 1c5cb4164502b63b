"""A space-delimited pattern on a Lambda function's text log lines, rewritten as the JSON
pattern that matches the same lines once the function logs in JSON (``LogFormat: JSON``).

Lambda writes a text line as ``<timestamp> <requestId> <LEVEL> <message>`` from Node.js
runtimes and ``[LEVEL] <timestamp> <requestId> <message>`` from Python runtimes; in JSON the
same values are ``$.timestamp``, ``$.requestId`` and ``$.level`` (without brackets). Conditions
on those positions translate; a condition on a later token (a word of the message) does not.

>>> from cwquery import parse
>>> json_equivalent(parse("[ts, id, level = ERROR, ...]"), "nodejs20.x")
'{ $.level = "ERROR" }'
>>> json_equivalent(parse('[level = "[ERROR]" || level = "[FATAL]", ...]'), "python3.12")
'{ $.level = "ERROR" || $.level = "FATAL" }'
>>> json_equivalent(parse("[ts, id, level, word = timeout, ...]"), "nodejs20.x") is None
True
"""

from __future__ import annotations

from typing import Any

from cwquery.ast import (
    And,
    DelimitedPattern,
    EllipsisField,
    FieldCompare,
    JsonCompare,
    JsonPattern,
    Or,
    String,
)
from cwquery.parser import parse_selector
from cwquery.renderer import render

__all__ = ["json_equivalent"]

_NODE = ("timestamp", "requestId", "level")
_PYTHON = ("level", "timestamp", "requestId")


def json_equivalent(pattern: DelimitedPattern, runtime: str | None) -> str | None:
    """The JSON pattern for ``pattern``'s conditions, or ``None`` when the runtime's text
    layout is not known or a condition is on a token that has no JSON field of its own."""
    keys = _layout(runtime)
    if keys is None:
        return None
    conditions: list[Any] = []
    for index, field in enumerate(pattern.fields):
        if isinstance(field, EllipsisField):
            if any(
                not isinstance(f, EllipsisField) and f.condition for f in pattern.fields[index:]
            ):
                return None
            break
        if field.condition is None:
            continue
        if index >= len(keys):
            return None
        conditions.append(_translate(field.condition, keys[index]))
    if not conditions:
        return None
    expression = conditions[0] if len(conditions) == 1 else And(tuple(_flat(conditions)))
    return render(JsonPattern(expression))


def _layout(runtime: str | None) -> tuple[str, ...] | None:
    if runtime is None:
        return None
    if runtime.startswith("nodejs"):
        return _NODE
    return _PYTHON if runtime.startswith("python") else None


def _translate(condition: Any, key: str) -> Any:
    if isinstance(condition, FieldCompare):
        value = condition.value
        if key == "level" and isinstance(value, String):
            text = value.text
            if len(text) > 2 and text[0] == "[" and text[-1] == "]":
                value = String(text[1:-1])
        return JsonCompare(parse_selector(f"$.{key}"), condition.op, value)
    kind = And if isinstance(condition, And) else Or
    return kind(tuple(_translate(operand, key) for operand in condition.operands))


def _flat(conditions: list[Any]) -> list[Any]:
    """``And`` operands flattened, as the tree requires."""
    flat: list[Any] = []
    for condition in conditions:
        flat += list(condition.operands) if isinstance(condition, And) else [condition]
    return flat

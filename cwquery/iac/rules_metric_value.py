"""``metricValue`` forms (E15): a number literal, ``$.selector`` with a JSON pattern, ``$name``
naming a field of a space-delimited pattern, or ``$N`` naming one of its tokens. This module
says which token a ``$N`` cannot name, and writes the fix for a reference in the wrong form.

>>> from cwquery import parse
>>> positional_problem(parse("[ip, user, bytes]"), 5)
"'$5' names token 5, but the pattern has 3 fields and no '...': no event that matches has it"
>>> metric_value_fix(parse("{ $.latency > 100 }"), "latency")
'write $.latency (a JSON pattern fills $.selector references)'
>>> metric_value_fix(parse("[ip, user, bytes]"), "$.bytes")
'write $bytes (a space-delimited pattern fills $field references)'
"""

from __future__ import annotations

import re

from cwquery.ast import DelimitedPattern, EllipsisField, JsonPattern, Pattern

__all__ = ["metric_value_fix", "positional_problem"]

_NAME = re.compile(r"\$?(?:\.)?([A-Za-z_][A-Za-z0-9_\-]*)")


def positional_problem(pattern: DelimitedPattern, position: int) -> str | None:
    """Why ``$position`` names no token of the events the pattern matches, or ``None``."""
    if position == 0:
        return "'$0' names no token: tokens are numbered from $1"
    if any(isinstance(field, EllipsisField) for field in pattern.fields):
        return None
    count = len(pattern.fields)
    if position <= count:
        return None
    return (
        f"'${position}' names token {position}, but the pattern has {count} "
        f"field{'s' if count != 1 else ''} and no '...': no event that matches has it"
    )


def metric_value_fix(pattern: Pattern, written: str) -> str:
    """The rewrite of a metric value or dimension the pattern cannot fill, as a hint."""
    text = written.strip()
    bare = _NAME.fullmatch(text)
    if isinstance(pattern, JsonPattern):
        if bare:
            return f"write $.{bare.group(1)} (a JSON pattern fills $.selector references)"
        return "write a number such as 1, or a selector such as $.latency"
    if isinstance(pattern, DelimitedPattern):
        names = [f.name for f in pattern.fields if not isinstance(f, EllipsisField) and f.name]
        listed = ", ".join(f"${name}" for name in names) or "$1, $2, …"
        if bare:
            wanted = bare.group(1)
            match = next((name for name in names if name.lower() == wanted.lower()), None)
            if match is not None:
                return f"write ${match} (a space-delimited pattern fills $field references)"
        if any(isinstance(f, EllipsisField) for f in pattern.fields):
            return f"name a field of the pattern ({listed}) or a token $1, $2, …"
        return f"name a field of the pattern ({listed}) or a token $1 … ${len(pattern.fields)}"
    return (
        "write a number such as 1 (each matching event adds it), or match the events with a "
        "JSON or space-delimited pattern whose fields hold the value"
    )

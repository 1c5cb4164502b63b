"""The value model of a running query (spec §3, §4, §7; I9, I14-I22, I43): what a value is,
how it reads as a number, how it prints, how two compare, and how values sort.

A value is ``None`` (null: absent), a ``str`` (message text, parsed text, JSON scalars kept as
their source text, I19), an ``int``/``float`` (computed numbers), a ``bool`` (computed
booleans), a :class:`Timestamp`, or a ``dict`` (MAP) / ``list`` (LIST).

>>> text(12.0), text(0.1 + 0.2), text(True), text(Timestamp(1709366400000))
('12', '0.30000000000000004', '1', '2024-03-02 08:00:00.000')
>>> equals("200", 200.0), equals("17", "17.0"), less("950 Exception", 400.0)
(True, False, None)
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from cwquery.insights.errors import QueryUnsupportedError

__all__ = [
    "Timestamp",
    "Value",
    "equals",
    "is_structure",
    "less",
    "number",
    "order_key",
    "stringify",
    "text",
    "truth",
    "unsupported",
    "utf8_size",
]

Value = Any

#: §3.2 (I14): the text of a decimal number; no exponent, an optional sign
_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)\Z")
#: §7.1: runs of digits and runs of non-digits
_CHUNKS = re.compile(r"\d+|\D+")


class Timestamp(int):
    """Epoch milliseconds that print as ``YYYY-MM-DD HH:MM:SS.mmm`` UTC (I18)."""

    __slots__ = ()

    def __str__(self) -> str:
        return timestamp_text(int(self))

    __repr__ = __str__


def utf8_size(value: str) -> int:
    """The UTF-8 size of a text in bytes; a lone surrogate (which only a Python caller can
    pass) counts as the three bytes its code point takes, as PutLogEvents sizes count it.

    >>> utf8_size("héllo"), utf8_size("a" + chr(0xD800))
    (6, 4)
    """
    return len(value.encode("utf-8", "surrogatepass"))


def timestamp_text(millis: int) -> str:
    """``2024-03-02 08:00:00.000`` for epoch milliseconds (I18)."""
    seconds, rest = divmod(millis, 1000)
    try:
        moment = datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return str(millis)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{rest:03d}"


def is_structure(value: Value) -> bool:
    """A MAP or LIST (§4.4)."""
    return isinstance(value, dict | list)


def number(value: Value) -> float | None:
    """The value as a number (§3.2), or ``None``: numbers, booleans (1/0), timestamps (epoch
    ms) and strings that spell a decimal number."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and len(value) < 400 and _DECIMAL.match(value):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def is_number_typed(value: Value) -> bool:
    """A value computed as a number (not text that spells one): I15's "numeric result"."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_text(value: float) -> str:
    """I20: integral numbers without a decimal point, others in the shortest round-trip form,
    never in exponent notation for 1e-6 <= |x| < 1e21."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    spelled = repr(value)
    if "e" in spelled and 1e-6 <= abs(value) < 1e21:
        return format(Decimal(spelled), "f")
    return spelled


def text(value: Value) -> str | None:
    """How a value prints in a result (§4.2), ``None`` for null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Timestamp):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dict | list):
        return stringify(value)
    return str(value)


def stringify(value: Value) -> str:
    """``jsonStringify``: compact, keys in source order, non-ASCII kept (I28)."""
    return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)


def _plain(value: Value) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Timestamp):
        return str(value)
    return value


def truth(value: Value) -> bool | None:
    """A value used as a condition (I16): ``None`` stays null."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, dict | list):
        return bool(value)
    return bool(value != "")


def _bool_text(value: Value) -> Value:
    return ("true" if value else "false") if isinstance(value, bool) else value


def equals(left: Value, right: Value) -> bool | None:
    """``=`` (§3.3, I15, I76): null with a null side; false with a MAP or LIST; numeric when a
    number-typed side meets a numeric value; else exact text."""
    if left is None or right is None:
        return None
    if is_structure(left) or is_structure(right):
        return False
    if isinstance(left, bool) and isinstance(right, bool):
        return left == right
    if isinstance(left, bool) != isinstance(right, bool):
        flag, other = (left, right) if isinstance(left, bool) else (right, left)
        if isinstance(other, str):
            return other == ("true" if flag else "false")
    if is_number_typed(left) or is_number_typed(right) or isinstance(left, bool | Timestamp):
        a, b = number(left), number(right)
        if a is not None and b is not None:
            return a == b
    return text(_bool_text(left)) == text(_bool_text(right))


def less(left: Value, right: Value) -> bool | None:
    """``<`` (§3.4, I15): numeric when both are numbers, code points when both are text,
    else null."""
    if left is None or right is None:
        return None
    if is_structure(left) or is_structure(right):
        return False
    a, b = number(left), number(right)
    if a is not None and b is not None:
        return a < b
    if a is None and b is None:
        return str(text(left)) < str(text(right))
    return None


def unsupported(message: str) -> QueryUnsupportedError:
    """The error ``run`` raises for what it cannot answer (I65, I54)."""
    return QueryUnsupportedError(message, "", 0)


def order_key(value: Value) -> tuple[Any, ...]:
    """The §7.1 ascending key of a non-null value: every non-number before every number;
    numbers numerically; text chunk by chunk (digit runs by length, then value; anything else
    by code point). A MAP or LIST raises ``unsupported`` (I65)."""
    if is_structure(value):
        raise unsupported("a MAP or LIST value cannot be sorted, deduplicated or grouped (I65)")
    numeric = number(value)
    if numeric is not None:
        return (1, numeric)
    chunks: list[tuple[Any, ...]] = []
    for chunk in _CHUNKS.findall(str(text(value))):
        if chunk[0].isdigit() and chunk.isascii():
            chunks.append((48, 0, len(chunk), chunk))
        else:
            chunks.append((ord(chunk[0]), 1, chunk))
    return (0, tuple(chunks))


class Descending:
    """Wraps a key so that it orders in reverse (for ``sort … desc``)."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: Descending) -> bool:
        return bool(other.key < self.key)

    def __gt__(self, other: Descending) -> bool:
        return bool(other.key > self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def sort_key(value: Value, descending: bool = False) -> tuple[Any, ...]:
    """One key of a ``sort``: nulls last in both directions (I43)."""
    if value is None:
        return (1,)
    key = order_key(value)
    return (0, Descending(key) if descending else key)

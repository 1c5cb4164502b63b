"""The number syntax of filter patterns and how a number's text becomes a value (D22, D30).

Numbers are read as orjson reads JSON numbers: integers that fit in 64 bits are exact, every
other number is an IEEE double, and a double beyond the range is infinite. Reading never raises,
whatever the length of the text.

>>> bool(NUMBER_SYNTAX.fullmatch("-1.5e3")), bool(NUMBER_SYNTAX.fullmatch("1.")), number_value("10")
(True, False, 10)
>>> number_value("1" * 25), number_value("1e999"), token_number("1" * 5000)
(1.1111111111111111e+24, inf, inf)
>>> token_number("4xx") is None
True
"""

from __future__ import annotations

import math
import re
from typing import Final

#: Unquoted numbers (D22). Anything else unquoted is a string (D11).
NUMBER_SYNTAX: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1
#: No integer of more digits fits in 64 bits (2**64 has 20), so longer ones are never exact.
_MAX_EXACT_DIGITS: Final = 20


def number_value(text: str) -> int | float:
    """The value of a number's text (D30): an int when it is an integer that fits in 64 bits
    (signed, or unsigned when positive), else a double (``inf`` beyond the range)."""
    integer = "." not in text and "e" not in text and "E" not in text
    if integer and len(text.lstrip("+-")) <= _MAX_EXACT_DIGITS:
        value = int(text)
        if _INT64_MIN <= value <= _UINT64_MAX:
            return value
    return float(text)


def json_number(text: str) -> int | float:
    """A JSON number as orjson reads it (D30): :func:`number_value`, except that a number
    beyond the double range makes the document unreadable (``ValueError``)."""
    value = number_value(text)
    if type(value) is float and not math.isfinite(value):
        raise ValueError(f"number {text[:20]}… is out of range")
    return value


def token_number(text: str) -> float | None:
    """D30: a space-delimited token that spells a number, of any length, as a double
    (``±inf`` beyond the range); ``None`` when the token is not written as a number (D27)."""
    return float(text) if NUMBER_SYNTAX.fullmatch(text) else None

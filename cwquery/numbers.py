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


def js_number_text(value: float) -> str:
    """How JavaScript writes a float (ECMAScript ``Number::toString``), as the AWS CDK renders
    numbers in patterns: no ``.0`` on whole numbers, exponents from ``1e21`` and below ``1e-6``.

    >>> [js_number_text(v) for v in (5.0, -1.5, 1e16, 1e21, 0.000001, 1e-7, 123.456e-10)]
    ['5', '-1.5', '10000000000000000', '1e+21', '0.000001', '1e-7', '1.23456e-8']
    """
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    if len(digits) <= point <= 21:
        return sign + digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    tail = f".{digits[1:]}" if len(digits) > 1 else ""
    power = point - 1
    return f"{sign}{digits[0]}{tail}e{'+' if power > 0 else '-'}{abs(power)}"


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

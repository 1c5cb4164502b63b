"""The number syntax of filter patterns and how a number's text becomes a value (D22).

>>> bool(NUMBER_SYNTAX.fullmatch("-1.5e3")), bool(NUMBER_SYNTAX.fullmatch("1.")), number_value("10")
(True, False, 10)
>>> parse_number("4xx") is None
True
"""

from __future__ import annotations

import re
from typing import Final

#: Unquoted numbers (D22). Anything else unquoted is a string (D11).
NUMBER_SYNTAX: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1


def number_value(text: str) -> int | float:
    """A number literal's value (D22): an int when it is a 64-bit integer, else a float."""
    if "." not in text and "e" not in text and "E" not in text:
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


def parse_number(text: str) -> int | float | None:
    """The value of a token that is written as a number (D27), else ``None``."""
    return number_value(text) if NUMBER_SYNTAX.fullmatch(text) else None

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


def parse_number(text: str) -> int | float | None:
    """The value of a token that is written as a number (D27), else ``None``."""
    return number_value(text) if NUMBER_SYNTAX.fullmatch(text) else None

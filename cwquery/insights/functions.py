"""Every function name the query language knows, with its arity and kind (spec §5, §6.1;
I29, I68, I73). Names are case-insensitive (I2); the tree keeps the spelling given here.

>>> lookup("ISPRESENT").name, lookup("count").kind
('ispresent', 'aggregate')
>>> lookup("nope") is None
True
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

__all__ = [
    "AGGREGATE",
    "FUNCTIONS",
    "NOT_RUN",
    "PERIOD_UNITS",
    "SCALAR",
    "Function",
    "close_names",
    "lookup",
]

SCALAR = "scalar"
AGGREGATE = "aggregate"

#: more arguments than any call needs
MANY = 1_000


@dataclass(frozen=True)
class Function:
    """A function: canonical ``name``, ``kind`` (scalar or aggregate), the argument count range,
    and the indexes of arguments that must be a time period (``periods``)."""

    name: str
    kind: str
    low: int
    high: int
    periods: tuple[int, ...] = ()


def _table() -> dict[str, Function]:
    rows: list[Function] = []

    def add(names: str, low: int, high: int, kind: str = SCALAR, periods: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
        rows.extend(Function(name, kind, low, high, periods) for name in names.split())

    # §5, first table
    add("abs ceil floor log sqrt", 1, 1)
    add("greatest least coalesce concat", 1, MANY)
    add("ispresent isempty isblank strlen toupper tolower", 1, 1)
    add("ltrim rtrim trim", 1, 2)
    add("substr", 2, 3)
    add("replace", 3, 3)
    add("strcontains", 2, 3)
    add("bin", 1, 1, periods=(0,))
    add("datefloor dateceil", 2, 2, periods=(1,))
    add("fromMillis toMillis", 1, 1)
    add("isValidIp isValidIpV4 isValidIpV6", 1, 1)
    add("isIpInSubnet isIpv4InSubnet isIpv6InSubnet", 2, 2)
    add("jsonParse jsonStringify", 1, 1)
    # §5, second table (I68)
    add("round", 1, 2)
    add("haversine", 4, 4)
    add("toNumber toDouble toInt toLong", 1, 1)
    add("now queryStartTime queryEndTime queryTimeRange", 0, 0)
    add("parseDate formatDate strftime", 2, 3)
    add("case", 2, 21)  # at most 10 branches and a default
    add("if", 3, 3)
    add("isNumeric messageSize jsonArraySize ipv4ToNumber", 1, 1)
    add("jsonArrayContains startsWith endsWith split", 2, 2)
    add("isPrivateIP isPublicIP isReservedIP", 1, 1)
    add("regexReplace", 3, 3)
    add("urlencode urldecode base64encode base64decode hexToAscii hexToDec decToHex", 1, 1)
    # §5's last paragraph (I68): the hashing and time-series pages' names, known, not run
    add("md5 sha256", 1, 1)
    add("count_over_time sum_over_time", 1, 1, AGGREGATE)
    add("rate", 2, 2, AGGREGATE, periods=(1,))
    add("histogram", 2, 2, AGGREGATE)
    # §6.1 and I73
    add("count", 0, 1, AGGREGATE)
    add("count_distinct sum avg stddev min max earliest latest", 1, 1, AGGREGATE)
    add("sortsFirst sortsLast median", 1, 1, AGGREGATE)
    add("pct percentile", 2, 2, AGGREGATE)
    return {row.name.lower(): row for row in rows}


FUNCTIONS: dict[str, Function] = _table()

#: I68: names the parser knows and ``run`` refuses, in lower case (the hashing and
#: time-series functions of the current pages)
NOT_RUN = frozenset({"md5", "sha256", "count_over_time", "sum_over_time", "rate", "histogram"})

#: §6.3 period units: every spelling → the canonical unit
PERIOD_UNITS: dict[str, str] = {
    spelling: unit
    for unit, spellings in {
        "ms": "ms msec msecs millisecond milliseconds",
        "s": "s sec secs second seconds",
        "m": "m min mins minute minutes",
        "h": "h hr hrs hour hours",
        "d": "d day days",
        "w": "w week weeks",
        "mo": "mo mon mons month months",
        "q": "q qtr qtrs quarter quarters",
        "y": "y yr yrs year years",
    }.items()
    for spelling in spellings.split()
}


def lookup(name: str) -> Function | None:
    """The function of that name, in any case, or ``None``."""
    return FUNCTIONS.get(name.lower())


def close_names(name: str) -> list[str]:
    """Known names that look like ``name`` (for I29's hint).

    >>> close_names("ispresnt")
    ['ispresent']
    """
    spellings = {function.name.lower(): function.name for function in FUNCTIONS.values()}
    found = difflib.get_close_matches(name.lower(), list(spellings), n=3, cutoff=0.75)
    return [spellings[match] for match in found]

"""Every statistic CloudWatch computes over one period (spec §8, E11, E12): the five basic ones,
percentiles ``pNN``, trimmed mean ``tmNN``/``TM(a:b)``, winsorized mean ``wmNN``/``WM(a:b)``,
trimmed count ``tcNN``/``TC(a:b)``, trimmed sum ``tsNN``/``TS(a:b)``, percentile rank
``PR(a:b)`` and ``IQM``.

Bounds are percentages (``TM(10%:90%)``) or values (``TM(150:1000)``); either may be left out.
Value bounds exclude the lower and include the upper bound (D5). Percentage bounds cut at the
nearest ranks of E11: of n sorted samples, ``a%`` removes the lowest ``ceil(a·n/100)`` and ``b%``
keeps up to rank ``ceil(b·n/100)``, so ``TM(0%:100%)`` is the Average and ``IQM`` is
``TM(25%:75%)``.

>>> values = sorted([1.0, 2.0, 3.0, 4.0, 100.0])
>>> [compute(parse_statistic(s), values) for s in ("tm80", "TM(20%:80%)", "IQM", "PR(:3)")]
[2.5, 3.0, 3.5, 60.0]
>>> compute(parse_statistic("WM(20%:80%)"), values), compute(parse_statistic("TC(1:4)"), values)
(3.0, 3.0)
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from cwquery.errors import CWQueryError

#: The statistics every datapoint row reports (spec §8).
BASIC_STATISTICS = ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
#: The statistics computed from a period's sorted samples.
EXTENDED_KINDS = ("p", "TM", "WM", "TC", "TS", "PR")
_PERCENT = r"[0-9]{1,3}(?:\.[0-9]{1,10})?"
_PERCENTILE = re.compile(rf"p({_PERCENT})")
_SHORT = re.compile(rf"(tm|wm|tc|ts)({_PERCENT})")
_BOUNDED = re.compile(r"(TM|WM|TC|TS|PR)\(([^():]*):([^():]*)\)")
_BOUND = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_USE = (
    "use SampleCount, Sum, Average, Minimum, Maximum, pNN, tmNN, wmNN, tcNN, tsNN, IQM, "
    "TM(a:b), WM(a:b), TC(a:b), TS(a:b) or PR(a:b) (NN and percentages 0 to 100)"
)


class StatisticError(CWQueryError, ValueError):
    """A statistic name CloudWatch does not accept."""


@dataclass(frozen=True)
class Statistic:
    """A parsed statistic: its ``kind`` (a basic name, or one of :data:`EXTENDED_KINDS`) and its
    bounds (``None`` = open); ``percent`` tells whether the bounds are percentages."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    percent: bool = False

    @property
    def extended(self) -> bool:
        """Whether it needs the raw samples (percentile-type, spec §8)."""
        return self.kind in EXTENDED_KINDS


@lru_cache(maxsize=256)
def parse_statistic(name: str) -> Statistic:
    """The statistic ``name`` denotes, else :class:`StatisticError` saying what is wrong.

    >>> parse_statistic("tm90")
    Statistic(name='tm90', kind='TM', low=None, high=90.0, percent=True)
    >>> parse_statistic("TM(150:1000)").percent, parse_statistic("IQM").low
    (False, 25.0)
    >>> parse_statistic("TM(10%:500)")
    Traceback (most recent call last):
    ...
    cwquery.backtest.statistics.StatisticError: invalid statistic 'TM(10%:500)': both bounds \
must be percentages or both values
    """
    if name in BASIC_STATISTICS:
        return Statistic(name, name)
    if name == "IQM":
        return Statistic(name, "TM", 25.0, 75.0, True)
    match = _PERCENTILE.fullmatch(name)
    if match:
        return Statistic(name, "p", None, _percent(name, match.group(1)), True)
    match = _SHORT.fullmatch(name)
    if match:
        return Statistic(name, match.group(1).upper(), None, _percent(name, match.group(2)), True)
    match = _BOUNDED.fullmatch(name)
    if not match:
        raise StatisticError(f"unsupported statistic {name!r}: {_USE}")
    kind, low_text, high_text = match.groups()
    texts = [low_text, high_text]
    if not any(texts):
        raise StatisticError(f"invalid statistic {name!r}: give at least one bound")
    marked = {t.endswith("%") for t in texts if t}
    if len(marked) > 1:
        raise StatisticError(
            f"invalid statistic {name!r}: both bounds must be percentages or both values"
        )
    percent = marked == {True}
    if percent and kind == "PR":
        raise StatisticError(f"invalid statistic {name!r}: PR takes values, not percentages")
    low, high = (_bound(name, t, percent) if t else None for t in texts)
    if low is not None and high is not None and low >= high:
        raise StatisticError(
            f"invalid statistic {name!r}: the lower bound must be below the upper bound"
        )
    return Statistic(name, kind, low, high, percent)


def _percent(name: str, text: str) -> float:
    value = float(text)
    if value > 100:
        raise StatisticError(f"invalid statistic {name!r}: a percentage is between 0 and 100")
    return value


def _bound(name: str, text: str, percent: bool) -> float:
    body = text[:-1] if percent else text
    if percent:
        if not re.fullmatch(_PERCENT, body):
            raise StatisticError(
                f"invalid statistic {name!r}: {text!r} is not a percentage "
                "(0 to 100, up to ten decimals)"
            )
        return _percent(name, body)
    if not _BOUND.fullmatch(body) or not math.isfinite(float(body)):
        raise StatisticError(f"invalid statistic {name!r}: {text!r} is not a number")
    return float(body)


def check_statistic(name: str) -> str:
    """The statistic's name if CloudWatch accepts it, else :class:`StatisticError`.

    >>> check_statistic("p99.9"), check_statistic("TS(:90%)")
    ('p99.9', 'TS(:90%)')
    """
    parse_statistic(name)
    return name


def percentile_of(name: str) -> float | None:
    """The percent of a ``pNN`` statistic name (0 to 100), else ``None``.

    >>> percentile_of("p99"), percentile_of("p100"), percentile_of("p101"), percentile_of("tm9")
    (99.0, 100.0, None, None)
    """
    match = _PERCENTILE.fullmatch(name)
    if not match:
        return None
    percent = float(match.group(1))
    return percent if percent <= 100 else None


def nearest_rank(ordered: Sequence[float], percent: float) -> float:
    """E11: the value at rank ``max(1, ceil(p·n/100))`` of ascending ``ordered``.

    >>> values = [1.0, 2.0, 3.0, 4.0, 100.0]
    >>> nearest_rank(values, 50), nearest_rank(values, 90), nearest_rank(values, 10)
    (3.0, 100.0, 1.0)
    """
    return ordered[max(1, _rank(len(ordered), percent)) - 1]


def _rank(count: int, percent: float) -> int:
    """How many of ``count`` sorted samples lie at or below the ``percent`` cut (E11)."""
    return min(count, math.ceil(percent * count / 100))


def compute(statistic: Statistic, ordered: Sequence[float]) -> float | None:
    """An extended statistic over ascending, non-empty ``ordered`` samples; ``None`` when it
    has no value (a trimmed or winsorized mean over nothing kept).

    >>> compute(parse_statistic("TS(10%:)"), [1.0, 2.0, 3.0])
    5.0
    >>> compute(parse_statistic("TM(5:6)"), [1.0, 2.0]) is None
    True
    """
    kind = statistic.kind
    count = len(ordered)
    if kind == "p":
        return nearest_rank(ordered, statistic.high if statistic.high is not None else 0.0)
    if kind == "PR":
        first, last = _value_cut(statistic, ordered)
        return 100.0 * (last - first) / count
    if statistic.percent:
        first = _rank(count, statistic.low) if statistic.low is not None else 0
        last = _rank(count, statistic.high) if statistic.high is not None else count
    else:
        first, last = _value_cut(statistic, ordered)
    if kind == "TC":
        return float(max(0, last - first))
    if kind == "TS":
        return math.fsum(ordered[first:last]) if last > first else 0.0
    if kind == "TM":
        return math.fsum(ordered[first:last]) / (last - first) if last > first else None
    # WM: the samples cut away take the value of the nearest bound (D5)
    if statistic.percent:
        if last <= first:
            return None
        floor, ceiling = ordered[first], ordered[last - 1]
    else:
        floor = statistic.low if statistic.low is not None else -math.inf
        ceiling = statistic.high if statistic.high is not None else math.inf
    total = math.fsum(min(max(value, floor), ceiling) for value in ordered)
    return total / count


def _value_cut(statistic: Statistic, ordered: Sequence[float]) -> tuple[int, int]:
    """The slice ``[first, last)`` of ``ordered`` with ``low < value <= high`` (D5)."""
    first = bisect.bisect_right(ordered, statistic.low) if statistic.low is not None else 0
    last = (
        bisect.bisect_right(ordered, statistic.high) if statistic.high is not None else len(ordered)
    )
    return first, max(first, last)


__all__ = [
    "BASIC_STATISTICS",
    "Statistic",
    "StatisticError",
    "check_statistic",
    "compute",
    "nearest_rank",
    "parse_statistic",
    "percentile_of",
]

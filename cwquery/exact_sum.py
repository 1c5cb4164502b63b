"""Exact running sums of floats, for totals that must not depend on the order values arrive
in (a backtest's Sum merged from workers, an Insights ``stats`` split over Spark tasks).

>>> partials: list[float] = []
>>> for value in [1e16, 1.0, -1e16, 0.1]:
...     exact_add(partials, value)
>>> import math; math.fsum(partials)
1.1
"""

from __future__ import annotations

import math

__all__ = ["exact_add"]


def exact_add(partials: list[float], value: float) -> None:
    """Add ``value`` to ``partials``, non-overlapping floats whose exact sum is the running
    total (Shewchuk's method), so ``math.fsum(partials)`` is the correctly rounded sum of every
    value added, whatever their order. A total past the float range stays ``[inf]``.

    >>> partials: list[float] = []
    >>> for value in [1e308, 1e308, -1e308]:
    ...     exact_add(partials, value)
    >>> partials
    [inf]
    """
    if partials and math.isinf(partials[-1]):
        return
    kept = 0
    for other in partials:
        if abs(value) < abs(other):
            value, other = other, value
        high = value + other
        if math.isinf(high):
            partials[:] = [math.inf]
            return
        low = other - (high - value)
        if low:
            partials[kept] = low
            kept += 1
        value = high
    partials[kept:] = [value]

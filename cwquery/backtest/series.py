"""Samples to datapoints: a metric's samples stored by minute (E5, E14) and the statistics of
one period (spec §8, E11, E12; the statistics themselves are in
:mod:`cwquery.backtest.statistics`).

>>> series = MinuteSeries()
>>> for millis, value in [(5_000, 1.0), (59_999, 1.0), (60_000, 1.0)]:
...     series.add(millis, value)
>>> [(start, window.stat("Sum")) for start, window in series.periods(60)]
[(0, 2.0), (60000, 1.0)]
>>> series.window(0, 120_000).stat("SampleCount")
3.0
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import dataclass

from cwquery.backtest.statistics import (
    BASIC_STATISTICS,
    StatisticError,
    check_statistic,
    compute,
    nearest_rank,
    parse_statistic,
    percentile_of,
)

MINUTE_MS = 60_000
#: The earliest event time read (epoch ms): PutLogEvents' ``timestamp`` has a minimum of 0.
EARLIEST_MS = 0
#: The latest event time read: 9998-12-31T23:59:59.999Z, a year before the end of what
#: ``datetime`` represents, so that an alarm replay past the last sample can still be dated.
LATEST_MS = 253_370_764_799_999
#: The last instant ``datetime`` represents (9999-12-31T23:59:59.999Z): no replay goes past it.
END_OF_TIME_MS = 253_402_300_799_999


def in_time_range(millis: int) -> bool:
    """Whether an event time (epoch ms) is one the backtest reads: from 1970 to the end of 9998.

    >>> in_time_range(0), in_time_range(-1), in_time_range(10**22), in_time_range(LATEST_MS)
    (True, False, False, True)
    """
    return EARLIEST_MS <= millis <= LATEST_MS


class Window:
    """The samples of one period (or any span of minutes), with their statistics."""

    __slots__ = ("_exact", "_ordered", "_sum", "count", "maximum", "minimum", "values")

    def __init__(self, values: list[float]) -> None:
        self.values = values
        self.count = len(values)
        self.minimum = min(values) if values else math.nan
        self.maximum = max(values) if values else math.nan
        self._sum: float | None = None
        self._ordered: list[float] | None = None

    @property
    def sum(self) -> float:
        """The correctly rounded sum (``math.fsum``): the same whatever the samples' order."""
        if self._sum is None:
            self._sum = math.fsum(self.values)
        return self._sum

    def stat(self, name: str) -> float | None:
        """One statistic; ``None`` when the window has no datapoint for it (no samples, or a
        percentile-type statistic over a negative sample, E12; a trimmed mean of nothing).

        >>> window = Window([1.0, 2.0, 3.0, 4.0, 100.0])
        >>> [window.stat(s) for s in ("SampleCount", "Sum", "Average", "p50", "p90")]
        [5.0, 110.0, 22.0, 3.0, 100.0]
        >>> Window([1.0, -1.0]).stat("p50") is None, Window([1.0, -1.0]).stat("Sum")
        (True, 0.0)
        """
        if not self.count:
            return None
        if name == "SampleCount":
            return float(self.count)
        if name == "Sum":
            return self.sum
        if name == "Average":
            return self.sum / self.count
        if name == "Minimum":
            return self.minimum
        if name == "Maximum":
            return self.maximum
        statistic = parse_statistic(name)
        if self.minimum < 0:  # E12: percentile-type statistics need non-negative samples
            return None
        if self._ordered is None:
            self._ordered = sorted(self.values)
        return compute(statistic, self._ordered)


@dataclass(frozen=True)
class Sample:
    """One published value: event time (epoch ms) and, for late-arrival studies, the instant
    from which an alarm can see it (``visible``, epoch ms; ``None`` = at once)."""

    timestamp: int
    value: float
    visible: int | None = None


class MinuteSeries:
    """One metric's samples stored at one-minute granularity (E5): a sample's time is floored
    to its minute, and all samples of a minute sit at its ``:00`` instant (E14)."""

    def __init__(self) -> None:
        self._minutes: dict[int, list[float]] = {}
        self._visible: dict[int, list[int]] = {}
        self._sorted: list[int] | None = None

    def add(self, timestamp: int, value: float, visible: int | None = None) -> None:
        """Store one sample; ``visible`` is when an alarm can first see it (E8)."""
        minute = timestamp - timestamp % MINUTE_MS
        values = self._minutes.get(minute)
        if values is None:
            values = self._minutes[minute] = []
            self._sorted = None
        values.append(value)
        if visible is not None or minute in self._visible:
            seen = self._visible.setdefault(minute, [minute] * (len(values) - 1))
            seen.append(minute if visible is None else visible)

    def add_minute(self, minute: int, values: list[float]) -> None:
        """Store many samples of one minute at once (``minute`` is a multiple of 60 000)."""
        stored = self._minutes.get(minute)
        if stored is None:
            self._minutes[minute] = list(values)
            self._sorted = None
        else:
            stored.extend(values)
            if minute in self._visible:
                self._visible[minute].extend([minute] * len(values))

    def merge(self, other: MinuteSeries) -> None:
        """Add another series' samples (two filters publishing one metric, spec §6)."""
        for minute, values in other._minutes.items():
            seen = other._visible.get(minute)
            if seen is None and minute not in self._visible:
                self.add_minute(minute, values)
            else:
                for position, value in enumerate(values):
                    self.add(minute, value, seen[position] if seen else None)

    def __bool__(self) -> bool:
        return bool(self._minutes)

    def minutes(self) -> list[int]:
        """The minutes that hold samples, in order."""
        if self._sorted is None:
            self._sorted = sorted(self._minutes)
        return self._sorted

    def first_minute_from(self, instant: int) -> int | None:
        """The first minute holding samples at or after ``instant``, else ``None``."""
        minutes = self.minutes()
        position = bisect.bisect_left(minutes, instant)
        return minutes[position] if position < len(minutes) else None

    def visible_after(self, start: int, end: int, instant: int) -> Iterator[tuple[int, int]]:
        """``(minute, visible)`` for each sample in ``[start, end)`` not yet visible at
        ``instant`` (E8)."""
        minutes = self.minutes()
        first = bisect.bisect_left(minutes, start)
        last = bisect.bisect_left(minutes, end)
        for minute in minutes[first:last]:
            for visible in self._visible.get(minute, ()):
                if visible > instant:
                    yield minute, visible

    def window(self, start: int, end: int, seen_at: int | None = None) -> Window:
        """The samples in ``[start, end)`` (epoch ms); only those visible at ``seen_at``, if
        given."""
        minutes = self.minutes()
        first = bisect.bisect_left(minutes, start)
        last = bisect.bisect_left(minutes, end)
        values: list[float] = []
        for minute in minutes[first:last]:
            stored = self._minutes[minute]
            seen = self._visible.get(minute)
            if seen is None or seen_at is None:
                values.extend(stored)
            else:
                values.extend(v for v, t in zip(stored, seen, strict=True) if t <= seen_at)
        return Window(values)

    def periods(self, period_s: int) -> Iterator[tuple[int, Window]]:
        """``(start, window)`` for every period holding samples; periods are aligned to
        multiples of ``period_s`` since the epoch, as GetMetricStatistics buckets them."""
        period = period_s * 1000
        minutes = self.minutes()
        position = 0
        while position < len(minutes):
            start = minutes[position] - minutes[position] % period
            end = start + period
            values: list[float] = []
            while position < len(minutes) and minutes[position] < end:
                values.extend(self._minutes[minutes[position]])
                position += 1
            yield start, Window(values)


__all__ = [
    "BASIC_STATISTICS",
    "EARLIEST_MS",
    "END_OF_TIME_MS",
    "LATEST_MS",
    "MINUTE_MS",
    "MinuteSeries",
    "Sample",
    "StatisticError",
    "Window",
    "check_statistic",
    "in_time_range",
    "nearest_rank",
    "percentile_of",
]

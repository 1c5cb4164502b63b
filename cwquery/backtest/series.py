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
import collections
import itertools
import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from cwquery.backtest.statistics import (
    BASIC_STATISTICS,
    StatisticError,
    check_statistic,
    compute,
    nearest_rank,
    parse_statistic,
    percentile_of,
)
from cwquery.exact_sum import exact_add

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


def _add_times(partials: list[float], value: float, times: int) -> None:
    """``exact_add`` of ``value`` repeated ``times`` times: one exact term per set bit."""
    bit = 0
    while times:
        if times & 1:
            exact_add(partials, math.ldexp(value, bit))
        times >>= 1
        bit += 1


#: Alarms are evaluated on multiples of 10 s (E8: every 10 s, minute or hour), so a sample
#: visible at ``t`` is first seen at the next multiple of this at or after ``t`` (ms).
VISIBILITY_STEP = 10_000


def visibility_slot(visible: int) -> int:
    """The first evaluation instant (a multiple of :data:`VISIBILITY_STEP`) at or after
    ``visible``: samples are held by it, since no alarm looks in between.

    >>> visibility_slot(60_000), visibility_slot(60_001)
    (60000, 70000)
    """
    return -(-visible // VISIBILITY_STEP) * VISIBILITY_STEP


#: Counts up to here are exact as floats (2**53).
_EXACT_COUNT = 1 << 53


class Bag:
    """The samples of one minute (or of a window of minutes), held exactly for the statistics
    asked and in memory that does not grow with their number: the count, minimum, maximum and
    an exact sum, and, when ``detail`` (percentile-type statistics), how many times each
    distinct value occurred. A ``-0.0`` sample is held as ``0.0``."""

    __slots__ = ("_counts", "_frozen", "count", "maximum", "minimum", "partials")

    def __init__(self, detail: bool = True) -> None:
        self.count = 0
        self.minimum = math.inf
        self.maximum = -math.inf
        #: The exact sum; ``None`` while it is to be derived from ``counts``.
        self.partials: list[float] | None = None if detail else []
        self._counts: dict[float, int] | None = {} if detail else None
        #: ``counts`` as two sorted arrays (values, times), while nothing is added.
        self._frozen: tuple[array[float], array[int]] | None = None

    @classmethod
    def of(cls, values: Iterable[float], detail: bool = True) -> Bag:
        """A bag holding ``values``."""
        bag = cls(detail)
        for value in values:
            bag.add(value)
        return bag

    @classmethod
    def frozen(cls, values: Iterable[float], times: Iterable[int]) -> Bag:
        """A bag of distinct ascending ``values`` occurring ``times`` times each, held in two
        arrays (16 bytes a value) until something is added to it."""
        bag = cls()
        frozen = (array("d", values), array("q", times))
        if frozen[0]:
            bag.count = sum(frozen[1])
            bag.minimum, bag.maximum = frozen[0][0] + 0.0, frozen[0][-1] + 0.0
        bag._counts, bag._frozen = None, frozen
        return bag

    @property
    def detail(self) -> bool:
        """Whether the bag knows each distinct value's count (percentile-type statistics)."""
        return self._counts is not None or self._frozen is not None

    @property
    def counts(self) -> dict[float, int] | None:
        """How many times each distinct value occurred (``None`` without ``detail``)."""
        if self._frozen is not None:
            self._counts = dict(zip(*self._frozen, strict=True))
            self._frozen = None
        return self._counts

    def pairs(self) -> Iterator[tuple[float, int]]:
        """``(value, times)`` for each distinct value (none without ``detail``)."""
        if self._frozen is not None:
            return zip(*self._frozen, strict=True)
        return iter((self._counts or {}).items())

    def add(self, value: float, times: int = 1) -> None:
        """Hold ``times`` more samples of ``value``."""
        value += 0.0
        self.count += times
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        counts = self.counts
        if counts is not None:
            counts[value] = counts.get(value, 0) + times
            self.partials = None
        else:
            assert self.partials is not None
            _add_times(self.partials, value, times)

    def merge(self, other: Bag) -> None:
        """Hold ``other``'s samples too (a bag without ``detail`` makes this one lose it)."""
        if not other.count:
            return
        self.count += other.count
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        counts = self.counts
        if counts is not None and other.detail:
            for value, times in other.pairs():
                counts[value] = counts.get(value, 0) + times
            self.partials = None
            return
        mine = self.exact_sum()
        for partial in other.exact_sum():
            exact_add(mine, partial)
        self.partials, self._counts, self._frozen = mine, None, None

    def exact_sum(self) -> list[float]:
        """Partials whose exact sum is the samples' sum (see :func:`exact_add`)."""
        if self.partials is None:
            partials: list[float] = []
            for value, times in self.pairs():
                _add_times(partials, value, times)
            self.partials = partials
        return self.partials

    def size(self) -> int:
        """The entries the bag holds: its distinct values, or four numbers without detail."""
        if self._frozen is not None:
            return len(self._frozen[0])
        return 4 if self._counts is None else len(self._counts)

    def only_value(self) -> float | None:
        """The one distinct value of a bag that knows its values and holds one, else
        ``None``."""
        if self._frozen is not None:
            values = self._frozen[0]
            return values[0] if len(values) == 1 else None
        counts = self._counts
        if counts is not None and len(counts) == 1:
            for value in counts:
                return value
        return None

    def ordered(self) -> Ordered:
        """The samples in ascending order, as a sequence that is not materialized."""
        if not self.detail:
            raise StatisticError(
                "percentile-type statistics need the samples' values, which were not kept"
            )
        if self._frozen is not None:
            return Ordered(list(self.pairs()))
        return Ordered(sorted(self.pairs()))


class Ordered(Sequence[float]):
    """Ascending samples stored as ``(value, times)`` pairs; indexing, slicing and iteration
    behave as on the expanded list, so :func:`~cwquery.backtest.statistics.compute` reads
    it unchanged."""

    def __init__(self, pairs: list[tuple[float, int]]) -> None:
        self._values = [value for value, _ in pairs]
        self._ends = list(itertools.accumulate(times for _, times in pairs))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[float]: ...
    def __getitem__(self, index: int | slice) -> float | Sequence[float]:
        if isinstance(index, slice):
            first, last, step = index.indices(len(self))
            if step != 1:
                raise ValueError("only contiguous slices")
            return _Slice(self, first, max(first, last))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._values[bisect.bisect_right(self._ends, index)]

    def runs(self, first: int, last: int) -> Iterator[tuple[float, int]]:
        """``(value, times)`` for the samples at ranks ``[first, last)``."""
        position = bisect.bisect_right(self._ends, first)
        while first < last:
            end = min(self._ends[position], last)
            yield self._values[position], end - first
            first = end
            position += 1

    def __iter__(self) -> Iterator[float]:
        return self.iterate(0, len(self))

    def iterate(self, first: int, last: int) -> Iterator[float]:
        for value, times in self.runs(first, last):
            yield from itertools.repeat(value, times)


class _Slice(Sequence[float]):
    """A contiguous slice of :class:`Ordered`, iterated without being expanded."""

    def __init__(self, ordered: Ordered, first: int, last: int) -> None:
        self._ordered, self._first, self._last = ordered, first, last

    def __len__(self) -> int:
        return self._last - self._first

    @overload
    def __getitem__(self, index: int) -> float: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[float]: ...
    def __getitem__(self, index: int | slice) -> float | Sequence[float]:
        if isinstance(index, slice):
            first, last, _ = index.indices(len(self))
            return _Slice(self._ordered, self._first + first, self._first + max(first, last))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._ordered[self._first + index]

    def __iter__(self) -> Iterator[float]:
        return self._ordered.iterate(self._first, self._last)


class Window:
    """The samples of one period (or any span of minutes), with their statistics."""

    __slots__ = ("_ordered", "_sum", "bag", "count", "maximum", "minimum")

    def __init__(self, values: Iterable[float] = (), *, bag: Bag | None = None) -> None:
        self.bag = bag if bag is not None else Bag.of(values)
        self.count = self.bag.count
        self.minimum = self.bag.minimum if self.count else math.nan
        self.maximum = self.bag.maximum if self.count else math.nan
        self._sum: float | None = None
        self._ordered: Ordered | None = None

    @property
    def sum(self) -> float:
        """The correctly rounded sum (``math.fsum``): the same whatever the samples' order.
        Samples of one value ``v``, ``n`` times, sum to the float product ``n * v``: with
        ``n`` exact, IEEE multiplication rounds the exact ``n·v`` correctly too."""
        if self._sum is None:
            value = self.bag.only_value()
            if value and self.count <= _EXACT_COUNT:  # a zero keeps the sign fsum gives it
                product = value * self.count
                if math.isfinite(product):
                    self._sum = product
                    return product
            self._sum = math.fsum(self.bag.exact_sum())
        return self._sum

    def basic(self) -> dict[str, float | None]:
        """The :data:`BASIC_STATISTICS`, as :meth:`stat` gives each, at once.

        >>> Window([1.0, 2.0, 6.0]).basic()["Average"], Window().basic()["Sum"]
        (3.0, None)
        """
        count = self.count
        if not count:
            return dict.fromkeys(BASIC_STATISTICS)
        total = self.sum
        return {
            "SampleCount": float(count),
            "Sum": total,
            "Average": total / count,
            "Minimum": self.minimum,
            "Maximum": self.maximum,
        }

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
            self._ordered = self.bag.ordered()
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
    to its minute, and all samples of a minute sit at its ``:00`` instant (E14). Each minute
    is a :class:`Bag` (``detail``: keep what percentile-type statistics need). Samples given
    a ``visible`` instant (E8 studies) are also held by when an alarm can first see them: one
    bag per minute and :data:`VISIBILITY_STEP` slot, so memory follows the distinct values and
    slots, not the samples."""

    def __init__(self, detail: bool = True) -> None:
        self.detail = detail
        self._minutes: dict[int, Bag] = {}
        #: minute -> the first evaluation slot from which samples are visible -> their bag
        self._visible: dict[int, dict[int, Bag]] = {}
        self._sorted: list[int] | None = None

    def _bag(self, minute: int) -> Bag:
        bag = self._minutes.get(minute)
        if bag is None:
            bag = self._minutes[minute] = Bag(self.detail)
            self._sorted = None
        return bag

    def _slots(self, minute: int) -> dict[int, Bag]:
        """A minute's bags by visibility, begun with the samples it holds already (seen at
        once: from the minute)."""
        slots = self._visible.get(minute)
        if slots is None:
            slots = self._visible[minute] = {}
            held = self._minutes.get(minute)
            if held is not None and held.count:
                slots[minute] = Bag(self.detail)
                slots[minute].merge(held)
        return slots

    def add(self, timestamp: int, value: float, visible: int | None = None) -> None:
        """Store one sample; ``visible`` is when an alarm can first see it (E8)."""
        minute = timestamp - timestamp % MINUTE_MS
        bag = self._bag(minute)
        if visible is not None or minute in self._visible:
            slot = minute if visible is None else visibility_slot(visible)
            slots = self._slots(minute)
            held = slots.get(slot)
            if held is None:
                held = slots[slot] = Bag(self.detail)
            held.add(value)
        bag.add(value)

    def add_minute(self, minute: int, values: Iterable[float]) -> None:
        """Store many samples of one minute at once (``minute`` is a multiple of 60 000)."""
        bag = Bag(self.detail)
        for value, times in collections.Counter(values).items():
            bag.add(value, times)
        self.add_bag(minute, bag, adopt=True)

    def add_bag(self, minute: int, bag: Bag, *, adopt: bool = False) -> None:
        """Store a minute's samples held in ``bag`` (seen at once); ``adopt``: the series may
        keep ``bag`` itself, which nothing else will change."""
        if minute in self._visible:
            self._merge_visible(minute, minute, bag)
        if adopt and minute not in self._minutes:
            self._minutes[minute] = bag
            self._sorted = None
            return
        self._bag(minute).merge(bag)

    def _merge_visible(self, minute: int, slot: int, bag: Bag) -> None:
        slots = self._slots(minute)
        held = slots.get(slot)
        if held is None:
            held = slots[slot] = Bag(self.detail)
        held.merge(bag)

    def bags(self) -> Iterator[tuple[int, Bag]]:
        """``(minute, bag)`` in time order."""
        for minute in self.minutes():
            yield minute, self._minutes[minute]

    def merge(self, other: MinuteSeries) -> None:
        """Add another series' samples (two filters publishing one metric, spec §6)."""
        for minute, bag in other._minutes.items():
            slots = other._visible.get(minute)
            if slots is None:
                self.add_bag(minute, bag)
                continue
            for slot, held in slots.items():
                self._merge_visible(minute, slot, held)
            self._bag(minute).merge(bag)

    def footprint(self) -> int:
        """How many entries the series holds (each bag's distinct values, or its four numbers
        without ``detail``, and each visibility slot's): what its memory grows with."""
        bags = [*self._minutes.values(), *(b for s in self._visible.values() for b in s.values())]
        return sum(bag.size() for bag in bags) + sum(map(len, self._visible.values()))

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
        """``(minute, visible)`` for the samples in ``[start, end)`` not yet visible at
        ``instant`` (E8): once per minute and visibility slot."""
        minutes = self.minutes()
        first = bisect.bisect_left(minutes, start)
        last = bisect.bisect_left(minutes, end)
        for minute in minutes[first:last]:
            for visible in self._visible.get(minute, ()):
                if visible > instant:
                    yield minute, visible

    def window(self, start: int, end: int, seen_at: int | None = None) -> Window:
        """The samples in ``[start, end)`` (epoch ms); only those visible at ``seen_at``, if
        given: an evaluation instant, a multiple of :data:`VISIBILITY_STEP`."""
        minutes = self.minutes()
        first = bisect.bisect_left(minutes, start)
        last = bisect.bisect_left(minutes, end)
        bag = Bag(self.detail)
        for minute in minutes[first:last]:
            slots = self._visible.get(minute)
            if slots is None or seen_at is None:
                bag.merge(self._minutes[minute])
            else:
                for visible, held in slots.items():
                    if visible <= seen_at:
                        bag.merge(held)
        return Window(bag=bag)

    def periods(self, period_s: int) -> Iterator[tuple[int, Window]]:
        """``(start, window)`` for every period holding samples; periods are aligned to
        multiples of ``period_s`` since the epoch, as GetMetricStatistics buckets them."""
        period = period_s * 1000
        minutes = self.minutes()
        position = 0
        count = len(minutes)
        while position < count:
            start = minutes[position] - minutes[position] % period
            end = start + period
            alone = self._minutes[minutes[position]]
            if (position + 1 == count or minutes[position + 1] >= end) and (
                self.detail or not alone.detail
            ):
                # one minute in the period: its bag as a copy would be (a window only reads it)
                yield start, Window(bag=alone)
                position += 1
                continue
            bag = Bag(self.detail)
            while position < count and minutes[position] < end:
                bag.merge(self._minutes[minutes[position]])
                position += 1
            yield start, Window(bag=bag)


__all__ = [
    "BASIC_STATISTICS",
    "EARLIEST_MS",
    "END_OF_TIME_MS",
    "LATEST_MS",
    "MINUTE_MS",
    "VISIBILITY_STEP",
    "Bag",
    "MinuteSeries",
    "Ordered",
    "Sample",
    "StatisticError",
    "Window",
    "check_statistic",
    "exact_add",
    "in_time_range",
    "nearest_rank",
    "parse_statistic",
    "percentile_of",
    "visibility_slot",
]

"""The local engine: log events through metric filters into per-minute metric series (spec
§1-§7, E1-E6), and the series into datapoints and alarm histories.

:func:`collect` is the one loop that reads and matches events; everything after it works on
the series it returns, so a faster reader (or another engine) only has to fill a
:class:`Collected`.

>>> from cwquery.metrics import MetricFilter, MetricTransformation
>>> errors = MetricFilter("ERROR", MetricTransformation("Errors", "App", "1"))
>>> events = [("ERROR a", 5_000, None), ("INFO", 50_000, None), ("ERROR c", 60_000, None)]
>>> collected = collect(events, [errors])
>>> [(row.start, row.stats["Sum"]) for row in datapoints(collected, 60)]
[(0, 1.0), (60000, 1.0)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cwquery.backtest.alarms import Alarm, EvaluationOptions, Transition, replay
from cwquery.backtest.series import (
    BASIC_STATISTICS,
    MINUTE_MS,
    Bag,
    MinuteSeries,
    Window,
    in_time_range,
)
from cwquery.errors import CWQueryError
from cwquery.metrics import NO_DIMENSION, NO_VALUE, Datapoint, MetricFilter

Event = tuple[str, "int | None", "int | None"]
#: E4: distinct dimension name/value pairs per filter per UTC hour that trigger the guard.
CARDINALITY_LIMIT = 1000
#: Ingestion bounds (spec §7): events older than 14 days or 2 hours ahead of their ingestion.
_MAX_AGE_MS = 14 * 86_400_000
_MAX_AHEAD_MS = 2 * 3_600_000
_HOUR_MS = 3_600_000
#: The accepted event times, as the reports name them.
TIME_RANGE_TEXT = "1970-01-01T00:00:00Z to 9998-12-31T23:59:59.999Z"


class BacktestError(CWQueryError, ValueError):
    """Input the backtest cannot use (an event without a time, mismatched options)."""


@dataclass(frozen=True, order=True)
class MetricKey:
    """A metric's identity (spec §6): namespace, name, exact dimension set and unit."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    unit: str = "None"

    def label(self) -> str:
        """``Namespace/Name{dim=value,…}``."""
        dims = ",".join(f"{k}={v}" for k, v in self.dimensions)
        return f"{self.namespace}/{self.name}" + (f"{{{dims}}}" if dims else "")


@dataclass(frozen=True)
class PublishOptions:
    """How samples are published: E1 (``default_value_mode`` ``per-event`` or
    ``per-minute``), E4 (``enforce_cardinality_limit``), E6 (``created``: epoch ms of the
    filter's creation, faithful mode), E8 (``ingestion_lag_ms``: ingestion-aware visibility).
    ``detail``: keep what percentile-type statistics need (how many times each distinct value
    occurred per minute); without it a minute is its count, sum, minimum and maximum."""

    default_value_mode: str = "per-event"
    enforce_cardinality_limit: bool = False
    created: int | None = None
    ingestion_lag_ms: int | None = None
    detail: bool = True


#: The event counts of :class:`Collected`, summed when results are merged.
COUNTERS = (
    "events",
    "matched",
    "no_value",
    "no_dimension",
    "untimed",
    "out_of_range",
    "rejected",
    "before_creation",
)


@dataclass
class Collected:
    """What :func:`collect` found: a series per metric, and counts for the report."""

    series: dict[MetricKey, MinuteSeries] = field(default_factory=dict)
    events: int = 0
    matched: int = 0
    no_value: int = 0
    no_dimension: int = 0
    untimed: int = 0
    out_of_range: int = 0
    rejected: int = 0
    before_creation: int = 0
    first: int | None = None
    last: int | None = None
    warnings: list[str] = field(default_factory=list)
    #: Whether new series keep what percentile-type statistics need (:class:`MinuteSeries`).
    detail: bool = True

    def seen(self, timestamp: int) -> None:
        """Widen the time span of the events read."""
        if self.first is None or timestamp < self.first:
            self.first = timestamp
        if self.last is None or timestamp > self.last:
            self.last = timestamp

    def merge(self, found: Collected) -> None:
        """Add the samples, counts and notes of ``found`` (series merge by key)."""
        for key, series in found.series.items():
            if key in self.series:
                self.series[key].merge(series)
            else:
                self.series[key] = series
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(found, name))
        for when in (found.first, found.last):
            if when is not None:
                self.seen(when)
        self.warnings += found.warnings


def metric_key(metric_filter: MetricFilter, dimensions: Mapping[str, str]) -> MetricKey:
    """The identity a filter's sample with ``dimensions`` is published under."""
    transformation = metric_filter.transformation
    return MetricKey(
        transformation.metric_namespace,
        transformation.metric_name,
        tuple(sorted(dimensions.items())),
        transformation.unit or "None",
    )


def collect(
    events: Iterable[Event],
    filters: Sequence[MetricFilter],
    options: PublishOptions | None = None,
    time_of: Callable[[str], int | None] | None = None,
) -> Collected:
    """Run every event through every filter. An event is ``(message, timestamp,
    ingestion_time)``; a ``None`` timestamp is read with ``time_of(message)`` when needed."""
    options = options or PublishOptions()
    if options.default_value_mode not in ("per-event", "per-minute"):
        raise BacktestError("the default value mode is per-event or per-minute")
    if counts_only(filters, options):
        return _collect_counts(events, filters[0], time_of)
    return _collect_general(events, filters, options, time_of)


def counts_only(filters: Sequence[MetricFilter], options: PublishOptions | None = None) -> bool:
    """Whether :func:`collect` takes the common case: one filter, a literal value, no default,
    no creation time and no ingestion lag. Then only matched events are timed, so a reader may
    count the others without reading them (:class:`CountTally`)."""
    options = options or PublishOptions()
    return (
        len(filters) == 1
        and filters[0].constant_value is not None
        and filters[0].transformation.default_value is None
        and options.created is None
        and options.ingestion_lag_ms is None
    )


class CountTally:
    """The common case's counts (:func:`counts_only`): matched events per minute, timed with
    ``time_of`` when they come without a time. Every reader of that case fills one."""

    def __init__(self, time_of: Callable[[str], int | None] | None) -> None:
        self.time_of = time_of
        self.events = 0
        self.counts: dict[int, int] = {}
        self.untimed = self.out_of_range = self.rejected = 0

    def add(self, message: str, timestamp: int | None, ingestion: int | None) -> None:
        """Count one matched event (``events`` is the reader's to count)."""
        if timestamp is None:
            timestamp = self.time_of(message) if self.time_of else None
            if timestamp is None:
                self.untimed += 1
                return
            ingestion = None
        if not _in_range(timestamp, ingestion):
            self.out_of_range += 1
            return
        if ingestion is not None and _rejected(timestamp, ingestion):
            self.rejected += 1
            return
        minute = timestamp - timestamp % MINUTE_MS
        self.counts[minute] = self.counts.get(minute, 0) + 1

    def add_minutes(self, minutes: Mapping[int, int], untimed: int) -> None:
        """Count matched events given by the minute of their time (epoch ms, each with how
        many events have it; ``untimed`` events had no time): the range the backtest reads
        starts and ends with a whole minute, so a minute is in it or out of it whole."""
        self.untimed += untimed
        counts = self.counts
        for minute, count in minutes.items():
            if not in_time_range(minute):
                self.out_of_range += count
                continue
            counts[minute] = counts.get(minute, 0) + count

    def collected(self, metric_filter: MetricFilter) -> Collected:
        """The counts as :func:`collect` reports them for ``metric_filter``."""
        collected = Collected(
            events=self.events,
            untimed=self.untimed,
            out_of_range=self.out_of_range,
            rejected=self.rejected,
        )
        value = metric_filter.constant_value
        assert value is not None
        counts = self.counts
        if counts:
            collected.matched = sum(counts.values())
            collected.first, collected.last = min(counts), max(counts)
            collected.series[metric_key(metric_filter, {})] = CountSeries(value, counts)
        return collected


class CountSeries(MinuteSeries):
    """A series whose samples all have one ``value``: how many fell in each minute
    (``counts``, minute to count). Its bags are made from the counts when something first
    reads or changes them; until then :func:`datapoints` reads the counts."""

    def __init__(self, value: float, counts: dict[int, int], detail: bool = True) -> None:
        super().__init__(detail)
        del self._minutes  # made by __getattr__ when first read
        self.value = value
        self.counts = counts

    def __getattr__(self, name: str) -> Any:
        if name != "_minutes":
            raise AttributeError(name)
        bags = {}
        for minute in sorted(self.counts):
            bag = bags[minute] = Bag(self.detail)
            bag.add(self.value, self.counts[minute])
        self._minutes = bags
        return bags

    def counted(self) -> dict[int, int] | None:
        """The counts per minute while they are the series (no bag made yet), else ``None``."""
        return None if "_minutes" in self.__dict__ else self.counts

    def __bool__(self) -> bool:
        return bool(self.counts) if self.counted() is not None else super().__bool__()


def _collect_counts(
    events: Iterable[Event],
    metric_filter: MetricFilter,
    time_of: Callable[[str], int | None] | None,
) -> Collected:
    """The common case: one filter, a literal value, no default: count matches per minute."""
    tally = CountTally(time_of)
    matches, add = metric_filter.matcher.matches, tally.add
    read = 0
    for message, timestamp, ingestion in events:
        read += 1
        if matches(message):
            add(message, timestamp, ingestion)
    tally.events += read
    return tally.collected(metric_filter)


def _collect_general(
    events: Iterable[Event],
    filters: Sequence[MetricFilter],
    options: PublishOptions,
    time_of: Callable[[str], int | None] | None,
) -> Collected:
    collected = Collected(detail=options.detail)
    per_minute = options.default_value_mode == "per-minute"
    guards = [_CardinalityGuard(f, options.enforce_cardinality_limit) for f in filters]
    quiet: list[dict[int, int | None]] = [{} for _ in filters]  # per-minute defaults (E1)
    matched_minutes: list[set[int]] = [set() for _ in filters]
    for message, timestamp, ingestion in events:
        collected.events += 1
        if timestamp is None:
            timestamp = time_of(message) if time_of else None
            if timestamp is None:
                collected.untimed += 1
                continue
        if not _in_range(timestamp, ingestion):
            collected.out_of_range += 1
            continue
        if ingestion is not None and _rejected(timestamp, ingestion):
            collected.rejected += 1
            continue
        if options.created is not None and (ingestion or timestamp) < options.created:
            collected.before_creation += 1
            continue
        collected.seen(timestamp)
        visible = None
        if options.ingestion_lag_ms is not None:
            visible = (ingestion if ingestion is not None else timestamp) + options.ingestion_lag_ms
        for position, metric_filter in enumerate(filters):
            guard = guards[position]
            if guard.stopped:
                continue
            outcome = metric_filter.outcome(message)
            default = metric_filter.transformation.default_value
            if outcome is None:
                if default is None:
                    continue
                if per_minute:
                    minute = timestamp - timestamp % MINUTE_MS
                    quiet[position].setdefault(minute, visible)
                    continue
                _add(collected, metric_key(metric_filter, {}), timestamp, default, visible)
                continue
            collected.matched += 1
            if outcome == NO_VALUE:
                collected.no_value += 1
            elif outcome == NO_DIMENSION:
                collected.no_dimension += 1
            elif isinstance(outcome, Datapoint) and guard.admit(outcome, timestamp, collected):
                matched_minutes[position].add(timestamp - timestamp % MINUTE_MS)
                key = metric_key(metric_filter, outcome.dimensions)
                _add(collected, key, timestamp, outcome.value, visible)
    if per_minute:
        for position, metric_filter in enumerate(filters):
            default = metric_filter.transformation.default_value
            for minute, visible in sorted(quiet[position].items()):
                if default is not None and minute not in matched_minutes[position]:
                    _add(collected, metric_key(metric_filter, {}), minute, default, visible)
    return collected


def _add(
    collected: Collected, key: MetricKey, timestamp: int, value: float, visible: int | None
) -> None:
    series = collected.series.get(key)
    if series is None:
        series = collected.series[key] = MinuteSeries(collected.detail)
    series.add(timestamp, value, visible)


def _in_range(timestamp: int, ingestion: int | None) -> bool:
    """Whether the event's times lie in the range the backtest reads (1970 to the end of 9998,
    :func:`~cwquery.backtest.series.in_time_range`); one outside is counted, not read."""
    return in_time_range(timestamp) and (ingestion is None or in_time_range(ingestion))


def _rejected(timestamp: int, ingestion: int) -> bool:
    """PutLogEvents refuses events 14 days older or 2 hours newer than their ingestion (X34)."""
    return timestamp < ingestion - _MAX_AGE_MS or timestamp > ingestion + _MAX_AHEAD_MS


class _CardinalityGuard:
    """E4: distinct dimension name/value pairs per UTC hour of event time."""

    def __init__(self, metric_filter: MetricFilter, enforce: bool) -> None:
        self.name = metric_filter.transformation.metric_name
        self.enforce = enforce
        self.stopped = False
        self.hour: int | None = None
        self.pairs: set[tuple[str, str]] = set()
        self.warned = False

    def admit(self, point: Datapoint, timestamp: int, collected: Collected) -> bool:
        if not point.dimensions:
            return True
        hour = timestamp - timestamp % _HOUR_MS
        if hour != self.hour:
            self.hour, self.pairs, self.warned = hour, set(), False
        self.pairs.update(point.dimensions.items())
        if len(self.pairs) >= CARDINALITY_LIMIT and not self.warned:
            self.warned = True
            action = "stopped" if self.enforce else "kept publishing"
            collected.warnings.append(
                f"{self.name}: {CARDINALITY_LIMIT} distinct dimension name/value pairs within "
                f"the hour starting {_iso(hour)}; CloudWatch may disable such a filter ({action})"
            )
            if self.enforce:
                self.stopped = True
                return False
        return True


@dataclass(frozen=True)
class Row:
    """One datapoint of the output: a metric, a period start (epoch ms) and its statistics
    (``None`` where a statistic has no value, E12)."""

    key: MetricKey
    start: int
    stats: dict[str, float | None]


def datapoints(collected: Collected, period: int, extra: Sequence[str] = ()) -> list[Row]:
    """Every metric's datapoints per period (aligned to the epoch), with the basic statistics
    and the ``extra`` ones (percentiles), ordered by metric then time."""
    others = [s for s in dict.fromkeys(extra) if s not in BASIC_STATISTICS]
    rows = []
    for key in sorted(collected.series):
        series = collected.series[key]
        if not others and isinstance(series, CountSeries) and series.counted() is not None:
            rows += _count_rows(key, series, period)
            continue
        for start, window in series.periods(period):
            stats = window.basic()
            for name in others:
                stats[name] = window.stat(name)
            rows.append(Row(key, start, stats))
    return rows


def _count_rows(key: MetricKey, series: CountSeries, period: int) -> list[Row]:
    """:func:`datapoints`' basic statistics of a :class:`CountSeries`, each computed once per
    count from a bag made as the series makes it (:meth:`MinuteSeries.periods` reads the one
    minute of a period from its bag, and merges the bags of several)."""
    period_ms = period * 1000
    counts, value, detail = series.counts, series.value, series.detail
    minutes = sorted(counts)
    if period_ms <= MINUTE_MS:  # a period holds one minute at most
        known = {n: Window(bag=_bag_of(value, n, detail)).basic() for n in set(counts.values())}
        return [Row(key, m - m % period_ms, dict(known[counts[m]])) for m in minutes]
    known = {}  # a minute's count to its statistics
    rows = []
    position, size = 0, len(minutes)
    while position < size:
        minute = minutes[position]
        start = minute - minute % period_ms
        end = start + period_ms
        position += 1
        if position == size or minutes[position] >= end:  # the period's one minute
            count = counts[minute]
            stats = known.get(count)
            if stats is None:
                stats = known[count] = Window(bag=_bag_of(value, count, detail)).basic()
            rows.append(Row(key, start, dict(stats)))
            continue
        bag = Bag(detail)
        bag.merge(_bag_of(value, counts[minute], detail))
        while position < size and minutes[position] < end:
            bag.merge(_bag_of(value, counts[minutes[position]], detail))
            position += 1
        rows.append(Row(key, start, Window(bag=bag).basic()))
    return rows


def _bag_of(value: float, count: int, detail: bool) -> Bag:
    bag = Bag(detail)
    bag.add(value, count)
    return bag


def alarm_series(collected: Collected, alarm: Alarm) -> MinuteSeries:
    """The samples an alarm reads (spec §6, §14): the metric with exactly the alarm's
    dimensions, every unit unless the alarm names one."""
    series = MinuteSeries(collected.detail)
    wanted = tuple(sorted(alarm.dimensions.items()))
    for key, found in collected.series.items():
        if alarm.metric_name is not None and key.name != alarm.metric_name:
            continue
        if alarm.namespace is not None and key.namespace != alarm.namespace:
            continue
        if key.dimensions != wanted or (alarm.unit is not None and key.unit != alarm.unit):
            continue
        series.merge(found)
    return series


def alarm_history(
    collected: Collected,
    alarm: Alarm,
    start: int | None = None,
    end: int | None = None,
    options: EvaluationOptions | None = None,
) -> list[Transition]:
    """The alarm's transitions; by default from the first sample's minute until the last
    sample has left the evaluation range."""
    options = options or EvaluationOptions()
    if start is None:  # the first sample's minute, whichever engine or path collected it
        firsts = [series.minutes()[0] for series in collected.series.values() if series]
        start = min(firsts) if firsts else (collected.first or 0)
        start -= start % MINUTE_MS
    if end is None:
        last = collected.last if collected.last is not None else start
        span = (alarm.evaluation_periods + options.range_extra + 1) * alarm.period * 1000
        end = last + span + 3_600_000 * alarm.multi_day
    return replay(alarm_series(collected, alarm), alarm, start, end, options)


def _iso(millis: int) -> str:
    return datetime.fromtimestamp(millis // 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%MZ")

"""Metric alarm evaluation (spec §9-§15): the state one evaluation gives, and the state history
of an alarm replayed over a metric's stored samples.

>>> alarm = Alarm("errors", statistic="Sum", period=60, evaluation_periods=1, threshold=1,
...               comparison="GreaterThanOrEqualToThreshold")
>>> decide([None, None, 2.0], alarm, INSUFFICIENT_DATA)
'ALARM'
>>> decide([None, None, None], alarm, OK)
'INSUFFICIENT_DATA'
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from cwquery.backtest.series import (
    END_OF_TIME_MS,
    MINUTE_MS,
    MinuteSeries,
    StatisticError,
    Window,
    check_statistic,
    percentile_of,
)
from cwquery.errors import CWQueryError

OK = "OK"
ALARM = "ALARM"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (OK, ALARM, INSUFFICIENT_DATA)

COMPARISONS: Mapping[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}
#: How the reason texts name each comparison (spec §15).
_WORDS = {
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "GreaterThanThreshold": "greater than",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
_BANDS = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
TREAT_MISSING_DATA = ("missing", "notBreaching", "breaching", "ignore")
#: E7: the evaluation range holds N + 2 periods.
RANGE_EXTRA_PERIODS = 2
_DAY_S = 86_400
_SUB_MINUTE_PERIODS = (10, 20, 30)


class AlarmError(CWQueryError, ValueError):
    """An alarm configuration CloudWatch refuses, or one the backtest cannot replay (E16)."""


@dataclass(frozen=True)
class Alarm:
    """A metric alarm (``PutMetricAlarm``) on one metric of a metric filter."""

    name: str
    statistic: str
    period: int
    evaluation_periods: int
    threshold: float
    comparison: str
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    evaluate_low_sample_count_percentile: str = "evaluate"
    metric_name: str | None = None
    namespace: str | None = None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    unit: str | None = None

    def __post_init__(self) -> None:
        check_alarm(self)

    @property
    def m(self) -> int:
        """``DatapointsToAlarm``; omitted means all N (spec §9)."""
        return self.datapoints_to_alarm or self.evaluation_periods

    @property
    def multi_day(self) -> bool:
        """Period x N beyond one day: evaluated hourly (spec §10, E17)."""
        return self.period * self.evaluation_periods > _DAY_S

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Alarm:
        """Build from ``PutMetricAlarm``'s (or CloudFormation's) PascalCase properties.

        >>> Alarm.from_api({"AlarmName": "a", "Statistic": "Sum", "Period": 60,
        ...     "EvaluationPeriods": 1, "Threshold": 1,
        ...     "ComparisonOperator": "GreaterThanThreshold"}).m
        1
        """
        for unsupported in ("Metrics", "ThresholdMetricId", "EvaluationCriteria"):
            if data.get(unsupported):
                raise AlarmError(
                    f"{unsupported} (metric math, anomaly bands, Metrics Insights "
                    "or PromQL alarms) cannot be backtested (E16)"
                )
        if data.get("EvaluationWindow") or data.get("WallClockWindow"):
            raise AlarmError("wall-clock evaluation windows cannot be backtested (E16)")
        statistic = data.get("Statistic") or data.get("ExtendedStatistic")
        if not isinstance(statistic, str):
            raise AlarmError("an alarm needs a Statistic or an ExtendedStatistic")
        dimensions = data.get("Dimensions") or []
        try:
            return cls(
                name=str(data.get("AlarmName") or "alarm"),
                statistic=statistic,
                period=int(data["Period"]),
                evaluation_periods=int(data["EvaluationPeriods"]),
                threshold=float(data["Threshold"]),
                comparison=str(data["ComparisonOperator"]),
                datapoints_to_alarm=(
                    int(data["DatapointsToAlarm"]) if data.get("DatapointsToAlarm") else None
                ),
                treat_missing_data=str(data.get("TreatMissingData") or "missing"),
                evaluate_low_sample_count_percentile=str(
                    data.get("EvaluateLowSampleCountPercentile") or "evaluate"
                ),
                metric_name=data.get("MetricName"),
                namespace=data.get("Namespace"),
                dimensions={str(d["Name"]): str(d["Value"]) for d in dimensions},
                unit=data.get("Unit"),
            )
        except KeyError as err:
            raise AlarmError(f"the alarm has no {err.args[0]}") from None
        except (TypeError, ValueError) as err:
            raise AlarmError(f"the alarm has a property of the wrong kind: {err}") from None


def check_alarm(alarm: Alarm) -> None:
    """Raise :class:`AlarmError` for what ``PutMetricAlarm`` refuses (spec §9)."""
    if alarm.comparison in _BANDS:
        raise AlarmError(f"{alarm.comparison} needs an anomaly detection band (E16)")
    if alarm.comparison not in COMPARISONS:
        raise AlarmError(f"unknown ComparisonOperator {alarm.comparison!r}")
    if alarm.treat_missing_data not in TREAT_MISSING_DATA:
        raise AlarmError(f"unknown TreatMissingData {alarm.treat_missing_data!r}")
    if alarm.evaluate_low_sample_count_percentile not in ("evaluate", "ignore"):
        raise AlarmError("EvaluateLowSampleCountPercentile is evaluate or ignore")
    if alarm.period not in _SUB_MINUTE_PERIODS and (alarm.period < 60 or alarm.period % 60):
        raise AlarmError("Period must be 10, 20, 30 or a multiple of 60 seconds")
    if alarm.evaluation_periods < 1:
        raise AlarmError("EvaluationPeriods must be at least 1")
    if not 1 <= alarm.m <= alarm.evaluation_periods:
        raise AlarmError("DatapointsToAlarm must be between 1 and EvaluationPeriods")
    limit = _DAY_S if alarm.period < 3600 else 7 * _DAY_S
    if alarm.period * alarm.evaluation_periods > limit:
        raise AlarmError(f"Period x EvaluationPeriods must be at most {limit} seconds")
    try:
        check_statistic(alarm.statistic)
    except StatisticError as err:
        raise AlarmError(str(err)) from None


def decide(slots: Sequence[float | None], alarm: Alarm, state: str) -> str:
    """The state one evaluation gives (spec §12, E9): ``slots`` are the evaluation range's
    statistic values oldest→newest (``None`` = missing), ``state`` the state before.

    >>> gt500 = Alarm("x", "Maximum", 300, 3, 500, "GreaterThanThreshold")
    >>> decide([None, None, 900.0, None, None], gt500, OK)  # X5: premature ALARM
    'ALARM'
    >>> decide([None, None, None, None, 900.0], gt500, OK)  # X11
    'INSUFFICIENT_DATA'
    """
    breaches = COMPARISONS[alarm.comparison]
    n, m, treat = alarm.evaluation_periods, alarm.m, alarm.treat_missing_data
    real = [(age, value) for age, value in enumerate(reversed(slots), 1) if value is not None]
    if len(real) >= n:
        breaching = sum(breaches(value, alarm.threshold) for _, value in real[:n])
        return ALARM if breaching >= m else OK
    if not real:
        return {"missing": INSUFFICIENT_DATA, "ignore": state, "breaching": ALARM}.get(treat, OK)
    flags = [(age, breaches(value, alarm.threshold)) for age, value in real]
    breaching = sum(flag for _, flag in flags)
    if treat == "breaching":
        return ALARM if breaching + n - len(real) >= m else OK
    if treat == "notBreaching":
        return ALARM if breaching >= m else OK
    if breaching >= m:
        return ALARM
    if breaching < len(flags):  # at least one real datapoint is not breaching
        return OK
    if treat == "ignore":
        return state
    oldest_breaching = max(age for age, flag in flags if flag)
    return ALARM if oldest_breaching >= m else INSUFFICIENT_DATA


def low_sample_threshold(statistic: str) -> float | None:
    """How many samples a percentile needs before ``ignore`` lets it count (spec §13, E10).

    >>> low_sample_threshold("p99"), low_sample_threshold("p10"), low_sample_threshold("p100")
    (1000.0, 100.0, None)
    """
    percent = percentile_of(statistic)
    if percent is None or not 0 < percent < 100:
        return None
    return 1000 / (100 - percent) if percent >= 50 else 1000 / percent


@dataclass(frozen=True)
class Datapoint:
    """One window of an evaluation: its start (epoch ms), statistic value and sample count."""

    start: int
    value: float | None
    sample_count: int


@dataclass(frozen=True)
class Transition:
    """A state change: when (epoch ms), from, to, why, and the range's datapoints."""

    time: int
    old: str
    new: str
    reason: str
    datapoints: tuple[Datapoint, ...]


@dataclass(frozen=True)
class EvaluationOptions:
    """How the replay evaluates (E7, E8, E13)."""

    range_extra: int = RANGE_EXTRA_PERIODS
    offset_s: int = 0
    initial_state: str = INSUFFICIENT_DATA
    ingestion_aware: bool = False


def evaluation_step(alarm: Alarm) -> int:
    """Seconds between evaluations: 10 for sub-minute periods, 3600 for multi-day alarms,
    else 60 (spec §10, E8, E17)."""
    if alarm.period < 60:
        return 10
    return 3600 if alarm.multi_day else 60


def replay(
    series: MinuteSeries,
    alarm: Alarm,
    start: int,
    end: int,
    options: EvaluationOptions | None = None,
) -> list[Transition]:
    """The alarm's transitions over ``[start, end]`` (epoch ms): created at ``start`` in
    ``options.initial_state``, evaluated at every step boundary ≥ ``start`` (E13).

    >>> series = MinuteSeries()
    >>> series.add(_at("12:03:10"), 1.0); series.add(_at("12:03:40"), 1.0)
    >>> alarm = Alarm("x", "Sum", 60, 1, 1, "GreaterThanOrEqualToThreshold")
    >>> [(_clock(t.time), t.new) for t in replay(series, alarm, _at("12:00"), _at("12:10"))]
    [('12:04:00', 'ALARM'), ('12:07:00', 'INSUFFICIENT_DATA')]
    """
    options = options or EvaluationOptions()
    step = evaluation_step(alarm) * 1000
    period = alarm.period * 1000
    slots = alarm.evaluation_periods + options.range_extra
    end = min(end, END_OF_TIME_MS - max(options.offset_s, 0) * 1000)
    threshold = (
        low_sample_threshold(alarm.statistic)
        if alarm.evaluate_low_sample_count_percentile == "ignore"
        else None
    )
    cache: dict[int, Window] = {}
    state = options.initial_state
    history: list[Transition] = []
    instant: int | None = -(-start // step) * step
    while instant is not None and instant <= end:
        windows = []
        for k in range(slots, 0, -1):
            window_start = instant - k * period
            if options.ingestion_aware:
                window = series.window(window_start, window_start + period, seen_at=instant)
            else:
                window = cache.get(window_start) or series.window(
                    window_start, window_start + period
                )
                cache[window_start] = window
            windows.append((window_start, window))
        if len(cache) > 4 * slots:
            oldest = instant - slots * period
            cache = {key: value for key, value in cache.items() if key >= oldest}
        values = [window.stat(alarm.statistic) for _, window in windows]
        if threshold is None or not _too_few(windows, values, alarm, threshold):
            new = decide(values, alarm, state)
            if new != state:
                points = tuple(
                    Datapoint(s, v, w.count) for (s, w), v in zip(windows, values, strict=True)
                )
                reason = _reason(values, points, alarm, state, new)
                history.append(
                    Transition(instant + options.offset_s * 1000, state, new, reason, points)
                )
                state = new
        if any(window.count for _, window in windows):
            instant += step
        else:  # an empty range decides the same state until a sample enters the range
            instant = next_busy_instant(
                series, instant, step, slots * period, options.ingestion_aware
            )
    return history


def next_busy_instant(
    series: MinuteSeries, instant: int, step: int, reach: int, ingestion_aware: bool
) -> int | None:
    """The next evaluation instant (after ``instant``, on the ``step`` grid, ms) whose range of
    ``reach`` ms may hold a visible sample, given that the range at ``instant`` holds none;
    ``None`` when no sample ever enters the range again.

    Every evaluation of an empty range decides the same state (spec §12 case 2: ``missing``,
    ``breaching`` and ``notBreaching`` each give one state, ``ignore`` keeps it), so the
    evaluations in between change nothing and are skipped: a replay's cost follows its
    samples, not the span between them.

    >>> series = MinuteSeries(); series.add(10 * MINUTE_MS, 1.0)
    >>> next_busy_instant(series, 0, MINUTE_MS, 3 * MINUTE_MS, False) // MINUTE_MS
    11
    >>> next_busy_instant(series, 14 * MINUTE_MS, MINUTE_MS, 3 * MINUTE_MS, False) is None
    True
    """
    candidates = []
    minute = series.first_minute_from(instant)
    if minute is not None:  # in range from the first instant after its minute
        candidates.append((minute // step + 1) * step)
    if ingestion_aware:  # in range already, but not yet visible (E8)
        for minute, visible in series.visible_after(instant - reach, instant, instant):
            seen = -(-visible // step) * step
            if seen <= minute + reach:
                candidates.append(seen)
    return max(instant + step, min(candidates)) if candidates else None


def _too_few(
    windows: list[tuple[int, Window]], values: list[float | None], alarm: Alarm, threshold: float
) -> bool:
    """E10: whether a real datapoint that §12 uses has fewer samples than ``threshold``."""
    real = [w for (_, w), v in zip(windows, values, strict=True) if v is not None]
    used = real[-alarm.evaluation_periods :] if len(real) >= alarm.evaluation_periods else real
    return any(window.count < threshold for window in used)


def _reason(
    values: list[float | None], points: tuple[Datapoint, ...], alarm: Alarm, old: str, new: str
) -> str:
    """The reason in the service's words (spec §15; notifications quoted in docs/sources.md).

    The datapoints named are those behind the decision: the breaching ones for ALARM, the
    others for OK, among the N datapoints evaluated (newest first, five at most); ``minimum`` is
    M for OK -> ALARM and N - M + 1 for ALARM -> OK; datapoints filled in under ``breaching`` or
    ``notBreaching`` are counted at the end. An alarm without ``DatapointsToAlarm`` is written
    without ``out of the last N`` and without the minimum (E18).
    """
    n = alarm.evaluation_periods
    real = [p for p in reversed(points) if p.value is not None][:n]
    fillers = n - len(real)
    treated = "Breaching" if alarm.treat_missing_data == "breaching" else "NonBreaching"
    if not real:
        if new == INSUFFICIENT_DATA:
            return f"Insufficient Data: {_count(n, 'datapoint')} unknown."
        return (
            f"Threshold Crossed: no datapoints were received for {n} {_plural(n, 'period')} "
            f"and {_count(n, 'missing datapoint')} treated as [{treated}]."
        )
    if new == INSUFFICIENT_DATA:
        return f"Insufficient Data: {_count(fillers, 'datapoint')} unknown."
    breaches = COMPARISONS[alarm.comparison]
    named = [
        p
        for p in real
        if p.value is not None and breaches(p.value, alarm.threshold) == (new == ALARM)
    ]
    filled = (
        f" and {_count(fillers, 'missing datapoint')} treated as [{treated}]"
        if fillers and alarm.treat_missing_data in ("breaching", "notBreaching")
        else ""
    )
    if not named:  # the decision rests on the filled-in datapoints alone
        return (
            f"Threshold Crossed: {_count(len(real), 'datapoint')} received for {n} "
            f"{_plural(n, 'period')}{filled}."
        )
    words = _WORDS[alarm.comparison] if new == ALARM else f"not {_WORDS[alarm.comparison]}"
    listed = ", ".join(f"{_number(p.value)} ({_stamp(p.start)})" for p in named[:_LISTED])
    threshold = f"the threshold ({_number(alarm.threshold)})"
    if len(named) < _LISTED:
        crossed = f"[{listed}] {'was' if len(named) == 1 else 'were'} {words} {threshold}"
    else:
        crossed = (
            f"were {words} {threshold}. The most recent datapoints which crossed the "
            f"threshold: [{listed}]"
        )
    if alarm.datapoints_to_alarm is None:  # no M of N: the older form, without a minimum
        return (
            f"Threshold Crossed: {len(named)} {_plural(len(named), 'datapoint')} {crossed}{filled}."
        )
    minimum = alarm.m if new == ALARM else n - alarm.m + 1
    return (
        f"Threshold Crossed: {len(named)} out of the last {n} datapoints {crossed}{filled} "
        f"(minimum {minimum} {_plural(minimum, 'datapoint')} for "
        f"{'OK -> ALARM' if new == ALARM else 'ALARM -> OK'} transition)."
    )


#: From this many datapoints on, a reason names the five newest after the sentence.
_LISTED = 5


def _plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{noun}s"


def _count(count: int, noun: str) -> str:
    """``1 datapoint was`` / ``2 datapoints were``."""
    return f"{count} {_plural(count, noun)} {'was' if count == 1 else 'were'}"


def _number(value: float | None) -> str:
    """A number as the service writes it (Java's ``Double.toString``).

    >>> [_number(v) for v in (2, 0.43262672424316406, 1e7, 1.5e-4, -0.0)]
    ['2.0', '0.43262672424316406', '1.0E7', '1.5E-4', '-0.0']
    """
    number = float(value if value is not None else math.nan)
    if number == 0 or 1e-3 <= abs(number) < 1e7 or not math.isfinite(number):
        text = repr(number)
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}.get(text, text)
    from decimal import Decimal  # imported only for the rare number written with E

    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' * sign}{text[0]}.{text[1:] or '0'}E{len(digits) - 1 + exponent}"


def _stamp(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def _at(clock: str) -> int:
    """Epoch ms of a time of day on 2024-05-01 (doctests)."""
    parts = [int(p) for p in clock.split(":")] + [0]
    return 1_714_521_600_000 + (parts[0] * 3600 + parts[1] * 60 + parts[2]) * 1000


def _clock(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%H:%M:%S")


__all__ = [
    "ALARM",
    "INSUFFICIENT_DATA",
    "MINUTE_MS",
    "OK",
    "Alarm",
    "AlarmError",
    "Datapoint",
    "EvaluationOptions",
    "Transition",
    "decide",
    "next_busy_instant",
    "replay",
]

"""A backtest from start to end: filters and alarms, events, then datapoints and histories.

>>> from cwquery.metrics import MetricFilter, MetricTransformation
>>> from cwquery.backtest.alarms import Alarm
>>> errors = MetricFilter("ERROR", MetricTransformation("Errors", "App", "1"))
>>> alarm = Alarm("errors", "Sum", 60, 1, 1, "GreaterThanOrEqualToThreshold",
...               metric_name="Errors", namespace="App")
>>> result = backtest([("ERROR x", 1_714_564_805_000, None)], [errors], [alarm])
>>> [(row.stats["Sum"], [t.new for t in result.histories["errors"][1]]) for row in result.rows]
[(1.0, ['ALARM', 'INSUFFICIENT_DATA'])]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cwquery.backtest.alarms import Alarm, EvaluationOptions, Transition
from cwquery.backtest.engine import (
    Collected,
    Event,
    PublishOptions,
    Row,
    alarm_history,
    collect,
    datapoints,
)
from cwquery.backtest.series import BASIC_STATISTICS
from cwquery.metrics import MetricFilter


@dataclass
class Result:
    """Datapoints of every metric, and each alarm's transitions (keyed by alarm name)."""

    collected: Collected
    rows: list[Row]
    statistics: list[str]
    histories: dict[str, tuple[Alarm, list[Transition]]] = field(default_factory=dict)


def statistics_for(alarms: Sequence[Alarm], extra: Sequence[str] = ()) -> list[str]:
    """The basic statistics, then the extra and alarm percentiles, each once."""
    names = list(BASIC_STATISTICS)
    for name in [*extra, *(a.statistic for a in alarms)]:
        if name not in names:
            names.append(name)
    return names


def finish(
    collected: Collected,
    alarms: Sequence[Alarm],
    *,
    period: int = 60,
    extra: Sequence[str] = (),
    start: int | None = None,
    end: int | None = None,
    evaluation: EvaluationOptions | None = None,
) -> Result:
    """Datapoints and histories from collected series (any engine's)."""
    statistics = statistics_for(alarms, extra)
    result = Result(collected, datapoints(collected, period, statistics), statistics)
    for alarm in alarms:
        history = alarm_history(collected, alarm, start, end, evaluation)
        result.histories[alarm.name] = (alarm, history)
    return result


def backtest(
    events: Iterable[Event],
    filters: Sequence[MetricFilter],
    alarms: Sequence[Alarm] = (),
    *,
    period: int = 60,
    extra: Sequence[str] = (),
    publish: PublishOptions | None = None,
    evaluation: EvaluationOptions | None = None,
    start: int | None = None,
    end: int | None = None,
    time_of: Callable[[str], int | None] | None = None,
) -> Result:
    """Run events ``(message, timestamp, ingestion_time)`` through the filters with the local
    engine, then aggregate per ``period`` seconds and replay the alarms."""
    collected = collect(events, filters, publish, time_of)
    return finish(
        collected, alarms, period=period, extra=extra, start=start, end=end, evaluation=evaluation
    )

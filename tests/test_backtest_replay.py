"""The alarm replay skips the evaluations of empty ranges; a plain replay that evaluates every
instant, with no cache and no skipping, must give exactly the same transitions (times, states,
reasons, datapoints) on random sparse series, under every missing-data treatment (D32-style:
the fast path is proven against the plain reference)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cwquery.backtest.alarms import (
    Alarm,
    Datapoint,
    EvaluationOptions,
    Transition,
    _reason,
    _too_few,
    decide,
    evaluation_step,
    low_sample_threshold,
    replay,
)
from cwquery.backtest.series import MINUTE_MS, MinuteSeries

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z


def plain_replay(
    series: MinuteSeries, alarm: Alarm, start: int, end: int, options: EvaluationOptions
) -> list[Transition]:
    """Every evaluation instant from ``start`` to ``end``, each range read afresh (E7-E13)."""
    step = evaluation_step(alarm) * 1000
    period = alarm.period * 1000
    slots = alarm.evaluation_periods + options.range_extra
    threshold = (
        low_sample_threshold(alarm.statistic)
        if alarm.evaluate_low_sample_count_percentile == "ignore"
        else None
    )
    state = options.initial_state
    history = []
    instant = -(-start // step) * step
    while instant <= end:
        seen_at = instant if options.ingestion_aware else None
        windows = [
            (
                instant - k * period,
                series.window(instant - k * period, instant - (k - 1) * period, seen_at),
            )
            for k in range(slots, 0, -1)
        ]
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
        instant += step
    return history


# (period, evaluation periods): sub-minute, minute, five-minute and multi-day alarms
SHAPES = st.sampled_from([(10, 1), (30, 2), (60, 1), (60, 3), (300, 2), (3600, 25), (86400, 2)])
STATISTICS = st.sampled_from(["Sum", "Maximum", "SampleCount", "Minimum", "p50", "p90"])
COMPARISONS = st.sampled_from(
    [
        "GreaterThanOrEqualToThreshold",
        "GreaterThanThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[MinuteSeries, Alarm, int, int, EvaluationOptions]:
    period, n = draw(SHAPES)
    alarm = Alarm(
        "a",
        draw(STATISTICS),
        period,
        n,
        draw(st.sampled_from([0.0, 1.0, 2.0, 5.0])),
        draw(COMPARISONS),
        datapoints_to_alarm=draw(st.integers(1, n)),
        treat_missing_data=draw(
            st.sampled_from(["missing", "notBreaching", "breaching", "ignore"])
        ),
        evaluate_low_sample_count_percentile=draw(st.sampled_from(["evaluate", "ignore"])),
    )
    step = evaluation_step(alarm) * 1000
    # a few bursts of samples, far apart compared with the evaluation range, so that most of
    # the span is empty; the plain replay walks all of it
    span_steps = draw(st.integers(1, 2500))
    aware = draw(st.booleans())
    series = MinuteSeries()
    for _ in range(draw(st.integers(0, 4))):
        burst = T0 + draw(st.integers(0, span_steps)) * step
        for _ in range(draw(st.integers(1, 4))):
            at = burst + draw(st.integers(0, 5)) * MINUTE_MS + draw(st.integers(0, 59_999))
            lag = draw(st.integers(0, 40)) * step + draw(st.integers(0, 9_999)) if aware else None
            value = draw(st.sampled_from([0.0, 1.0, 3.0, -1.0, 1000.0]))
            series.add(at, value, None if lag is None else at + lag)
    options = EvaluationOptions(
        range_extra=draw(st.integers(0, 3)),
        offset_s=draw(st.sampled_from([0, 51])),
        initial_state=draw(st.sampled_from(["INSUFFICIENT_DATA", "OK", "ALARM"])),
        ingestion_aware=aware,
    )
    start = T0 - draw(st.integers(0, 3)) * step - draw(st.integers(0, 9_999))
    end = T0 + (span_steps + draw(st.integers(0, 60))) * step + draw(st.integers(0, 9_999))
    return series, alarm, start, end, options


@given(cases())
def test_skipping_empty_ranges_changes_no_transition(
    case: tuple[MinuteSeries, Alarm, int, int, EvaluationOptions],
) -> None:
    series, alarm, start, end, options = case
    assert replay(series, alarm, start, end, options) == plain_replay(
        series, alarm, start, end, options
    )


def test_a_lone_sample_is_found_across_an_empty_stretch() -> None:
    """The skip lands on the first evaluation whose range holds the next sample, also when the
    sample becomes visible only later (E8)."""
    series = MinuteSeries()
    series.add(T0, 1.0)
    far = T0 + 30 * 86_400_000 + 20_000
    series.add(far, 1.0, visible=far + MINUTE_MS)  # seen two evaluations late
    alarm = Alarm("a", "Sum", 60, 1, 1, "GreaterThanOrEqualToThreshold")
    for aware in (False, True):
        options = EvaluationOptions(ingestion_aware=aware)
        found = replay(series, alarm, T0, far + 86_400_000, options)
        assert found == plain_replay(series, alarm, T0, far + 86_400_000, options)
        minute = far - far % MINUTE_MS
        assert found[2].new == "ALARM"
        assert found[2].time == minute + (2 if aware else 1) * MINUTE_MS


def test_ingestion_aware_samples_are_held_by_slot_not_one_by_one() -> None:
    """E8 with many samples: memory follows the minutes, visibility slots and distinct values
    (``footprint``), not the samples, and every evaluation instant sees exactly the samples
    whose visibility is at or before it."""
    import random

    from cwquery.backtest.engine import PublishOptions, collect
    from cwquery.metrics import MetricFilter, MetricTransformation

    chance = random.Random(7)
    events, samples = [], []
    for _ in range(30_000):
        timestamp = T0 + chance.randrange(3 * MINUTE_MS)
        ingestion = timestamp + chance.randrange(25_000)
        value = chance.choice([1, 2, 5])
        events.append((f'{{"v": {value}}}', timestamp, ingestion))
        samples.append((timestamp - timestamp % MINUTE_MS, float(value), ingestion + 5_000))
    latency = MetricFilter("{ $.v = * }", MetricTransformation("V", "App", "$.v"))
    collected = collect(events, [latency], PublishOptions(ingestion_lag_ms=5_000))
    (series,) = collected.series.values()
    # 3 minutes, each: its bag and at most 10 slots of 3 distinct values, and the slots
    assert series.footprint() <= 3 * 3 + 3 * 10 * 3 + 3 * 10
    for instant in range(T0, T0 + 5 * MINUTE_MS, 10_000):
        window = series.window(T0, T0 + 3 * MINUTE_MS, seen_at=instant)
        seen = sorted(v for _, v, visible in samples if visible <= instant)
        assert (window.count, window.stat("Sum"), window.stat("p50")) == (
            len(seen),
            float(sum(seen)) if seen else None,
            seen[(len(seen) + 1) // 2 - 1] if seen else None,
        )

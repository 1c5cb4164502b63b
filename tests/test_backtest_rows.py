"""The backtest's datapoints and their text, each against the plain computation it stands for:
``datapoints`` against every window's own statistics, ``iso`` against ``strftime``, ``to_csv``
against a CSV writer given every field, ``to_table`` and ``to_json`` over the same rows."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import datetime, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cwquery.backtest.engine import (
    Collected,
    CountSeries,
    MetricKey,
    Row,
    collect,
    datapoints,
)
from cwquery.backtest.render import iso, number, to_csv, to_json, to_table
from cwquery.backtest.series import BASIC_STATISTICS, END_OF_TIME_MS, MinuteSeries
from cwquery.metrics import MetricFilter, MetricTransformation

MINUTE = 60_000
VALUES = st.one_of(
    st.sampled_from([1.0, 0.0, -0.0, 2.5, -1.0, 1e308, -1e308, 5e-324, math.inf, math.nan]),
    st.floats(allow_nan=True, allow_infinity=True),
)
FIELDS = st.sampled_from(["", "App", "a,b", 'say "x"', "line\nend", "cr\rx", "é", " ", "a;b=c"])
EXTRA = st.lists(st.sampled_from(["p50", "p99.9", "TM(10%:90%)", "IQM", "Sum", "WM(:50)"]))


def windows_stats(collected: Collected, period: int, extra: Sequence[str]) -> list[Row]:
    """Every statistic from each window, as the rows were computed before any shortcut."""
    names = [*BASIC_STATISTICS, *(s for s in extra if s not in BASIC_STATISTICS)]
    return [
        Row(key, start, {name: window.stat(name) for name in names})
        for key in sorted(collected.series)
        for start, window in collected.series[key].periods(period)
    ]


def same_numbers(left: list[Row], right: list[Row]) -> bool:
    """Equal rows, NaN equal to NaN and the sign of a zero told apart."""
    return [(r.key, r.start, {k: number(v) for k, v in r.stats.items()}) for r in left] == [
        (r.key, r.start, {k: number(v) for k, v in r.stats.items()}) for r in right
    ]


@given(
    minutes=st.lists(
        st.tuples(st.integers(0, 30), st.lists(VALUES, min_size=1, max_size=6)), max_size=12
    ),
    repeat=st.integers(1, 40),
    period=st.sampled_from([60, 300, 3600]),
    extra=EXTRA,
)
@example(minutes=[(0, [-0.0]), (1, [0.0])], repeat=1, period=300, extra=[])
@example(minutes=[(0, [1e308])], repeat=2, period=60, extra=[])
@example(minutes=[(0, [1.0, math.nan])], repeat=3, period=60, extra=["p50"])
def test_datapoints_are_every_windows_own_statistics(
    minutes: list[tuple[int, list[float]]], repeat: int, period: int, extra: list[str]
) -> None:
    series = MinuteSeries()
    for minute, values in minutes:
        series.add_minute(minute * MINUTE, values * repeat)
    collected = Collected(series={MetricKey("App", "Errors"): series} if series else {})
    try:
        expected = windows_stats(collected, period, extra)
    except (OverflowError, ValueError) as err:  # fsum's: past the float range, inf - inf
        with pytest.raises(type(err)):
            datapoints(collected, period, extra)
        return
    assert same_numbers(datapoints(collected, period, extra), expected)


@given(
    value=VALUES,
    counts=st.dictionaries(st.integers(0, 40), st.integers(1, 1 << 60), max_size=12),
    period=st.sampled_from([10, 45, 60, 120, 300, 3600]),
    detail=st.booleans(),
)
@example(value=1e308, counts={0: 2, 1: 3}, period=300, detail=False)
@example(value=-0.0, counts={0: 1, 3: 2}, period=60, detail=True)
@example(value=0.1, counts={0: 3, 1: 3, 2: 7}, period=120, detail=True)
def test_count_series_rows_are_the_rows_of_their_bags(
    value: float, counts: dict[int, int], period: int, detail: bool
) -> None:
    """The rows of a series of counts read from its counts are those its bags give, once
    made (each period's window statistics, or the same error)."""
    counted = CountSeries(value, {m * MINUTE: n for m, n in counts.items()}, detail)
    collected = Collected(series={MetricKey("App", "Errors"): counted})
    try:
        found = datapoints(collected, period)
    except (OverflowError, ValueError) as err:
        with pytest.raises(type(err)):
            windows_stats(collected, period, [])
        return
    assert counted.counted() is not None or not counts  # the rows read no bag
    assert same_numbers(found, windows_stats(collected, period, []))
    assert counted.counted() is None  # the windows made the bags


def strftime_iso(millis: int) -> str:
    moment = datetime.fromtimestamp(millis // 1000, tz=timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{millis % 1000:03d}Z" if millis % 1000 else "Z")


@given(millis=st.integers(-62_135_596_800_000, END_OF_TIME_MS))
@example(millis=0)
@example(millis=-1)
@example(millis=END_OF_TIME_MS)
@example(millis=951_782_399_999)  # 2000-02-28T23:59:59.999Z, then a leap day
@example(millis=-61_000_000_000_000)  # a year before 1000
def test_iso_is_strftime(millis: int) -> None:
    assert iso(millis) == strftime_iso(millis)
    assert iso(millis) == strftime_iso(millis)  # the day is now known


def writer_csv(rows: Sequence[Row], statistics: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["namespace", "metric", "dimensions", "unit", "timestamp", *statistics])
    for row in rows:
        dimensions = ";".join(f"{k}={v}" for k, v in row.key.dimensions)
        writer.writerow(
            [row.key.namespace, row.key.name, dimensions, row.key.unit, strftime_iso(row.start)]
            + [number(row.stats.get(name)) for name in statistics]
        )
    return out.getvalue()


ROWS = st.lists(
    st.builds(
        Row,
        st.builds(
            MetricKey,
            FIELDS,
            FIELDS,
            st.lists(st.tuples(FIELDS, FIELDS), max_size=2).map(tuple),
            FIELDS,
        ),
        st.integers(0, END_OF_TIME_MS),
        st.dictionaries(st.sampled_from([*BASIC_STATISTICS, "p50"]), st.one_of(st.none(), VALUES)),
    ),
    max_size=8,
)


@given(rows=ROWS, statistics=st.lists(st.sampled_from([*BASIC_STATISTICS, "p50"]), max_size=4))
@example(
    rows=[Row(MetricKey("", ""), 0, {}), Row(MetricKey("", ""), 60_000, {"Sum": -0.0})],
    statistics=[],
)
def test_csv_is_what_the_csv_writer_writes(rows: list[Row], statistics: list[str]) -> None:
    assert to_csv(rows, statistics) == writer_csv(rows, statistics)


@given(
    lines=st.lists(
        st.builds(
            "t {} {}".format,
            st.sampled_from(["ERROR", "INFO", "a,b", '"q"']),
            st.integers(0, 3),
        ),
        max_size=40,
    ),
    dimension=st.booleans(),
    extra=EXTRA,
)
def test_every_format_writes_the_rows_as_every_window_gives_them(
    lines: list[str], dimension: bool, extra: list[str]
) -> None:
    """Rows of counts with and without dimensions, several statistics: the three formats of
    ``datapoints`` are those of every window's own statistics."""
    transformation = MetricTransformation(
        "Bytes", "App", "1", dimensions={"level": "$level"} if dimension else {}
    )
    pattern = "[ts, level, n]" if dimension else "[ts, level = ERROR, n]"
    events = [(line, 1_714_564_800_000 + 7_000 * k, None) for k, line in enumerate(lines)]
    collected = collect(events, [MetricFilter(pattern, transformation)])
    found = datapoints(collected, 60, extra)
    expected = windows_stats(collected, 60, extra)
    names = [*BASIC_STATISTICS, *(s for s in extra if s not in BASIC_STATISTICS)]
    assert to_csv(found, names) == writer_csv(expected, names)
    assert to_table(found, names) == to_table(expected, names)
    assert to_json(found, names, {}, collected) == to_json(expected, names, {}, collected)


def test_csv_numbers_are_written_value_by_value_zeros_and_nan_included() -> None:
    """Each number is written once and reused; a zero's sign and NaN are never reused."""
    values = [0.0, -0.0, float("nan"), 1.0, -0.0, 1.0, float("inf"), None, 0.0]
    rows = [Row(MetricKey("A", "B"), 60_000, {"Sum": v}) for v in values]
    written = [line.rsplit(",", 1)[1] for line in to_csv(rows, ["Sum"]).splitlines()[1:]]
    assert written == [number(v) for v in values]
    assert written[:3] == ["0.0", "-0.0", "nan"] and written[4] == "-0.0"

"""The statistics of one period (cwquery.backtest.statistics): syntax, refusals, and properties
that tie the family together (trimmed mean of everything is the Average, counts add up, ...)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cwquery.backtest.alarms import Alarm, AlarmError
from cwquery.backtest.series import Window
from cwquery.backtest.statistics import StatisticError, compute, parse_statistic

SAMPLES = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=60,
)
PERCENT = st.integers(min_value=0, max_value=100)
VALUE = st.integers(min_value=0, max_value=1000)


def stat(name: str, values: list[float]) -> float | None:
    return Window(list(values)).stat(name)


@pytest.mark.parametrize(
    "name",
    [
        "p0", "p100", "p99.9999999999", "tm90", "tm0", "wm98", "tc90", "ts90", "IQM",
        "TM(10%:90%)", "TM(:95%)", "TM(5%:)", "TM(150:1000)", "TM(:0.5)", "TM(-5:)",
        "WM(10%:90%)", "TC(2%:98%)", "TS(1e2:2e3)", "PR(:300)", "PR(100:2000)", "PR(0.5:)",
    ],
)  # fmt: skip
def test_accepted_forms(name: str) -> None:
    assert parse_statistic(name).name == name
    Alarm("a", name, 60, 1, 1, "GreaterThanThreshold")  # an alarm takes it too


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("tm(90)", "unsupported statistic"),
        ("TM90", "unsupported statistic"),
        ("iqm", "unsupported statistic"),
        ("p101", "between 0 and 100"),
        ("tm100.5", "between 0 and 100"),
        ("TM(10%:101%)", "between 0 and 100"),
        ("TM(:)", "at least one bound"),
        ("TM(10%:500)", "both bounds must be percentages or both values"),
        ("TM(90%:10%)", "lower bound must be below the upper bound"),
        ("TM(5:5)", "lower bound must be below the upper bound"),
        ("PR(10%:90%)", "PR takes values, not percentages"),
        ("TM(a:5)", "'a' is not a number"),
        ("TM(1.5e999:)", "is not a number"),
        ("TM(10.12345678901%:)", "is not a percentage"),
        ("TM(10%:90%", "unsupported statistic"),
        ("TM( 10%:90%)", "is not a percentage"),
        ("TM(150: 1000)", "is not a number"),
    ],
)
def test_refused_forms(name: str, message: str) -> None:
    with pytest.raises(StatisticError, match=message.replace("(", r"\(")):
        parse_statistic(name)
    with pytest.raises(AlarmError, match="statistic"):
        Alarm("a", name, 60, 1, 1, "GreaterThanThreshold")


def test_the_documented_examples() -> None:
    """The examples of the statistics definitions page (D5), on 1..10 and on values around
    the bounds: bounds exclude the lower and include the upper value."""
    ten = [float(v) for v in range(1, 11)]
    assert stat("tm90", ten) == pytest.approx(5.0)  # the highest 10% (10) removed
    assert stat("TM(10%:90%)", ten) == pytest.approx(5.5)  # 1 and 10 removed
    assert stat("WM(10%:90%)", ten) == pytest.approx(5.5)  # 1 → 2, 10 → 9
    assert stat("wm90", ten) == pytest.approx(5.4)  # 10 → 9
    assert stat("tc90", ten) == 9.0 and stat("ts90", ten) == 45.0
    assert stat("IQM", ten) == pytest.approx(stat("TM(25%:75%)", ten))
    around = [150.0, 151.0, 1000.0, 1001.0]
    assert stat("TM(150:1000)", around) == pytest.approx(575.5)  # 150 and 1001 removed
    assert stat("TC(150:1000)", around) == 2.0 and stat("TS(150:1000)", around) == 1151.0
    assert stat("WM(150:1000)", around) == pytest.approx((150 + 151 + 1000 + 1000) / 4)
    assert stat("PR(:300)", [100.0, 300.0, 301.0, 500.0]) == 50.0  # 300 counts
    assert stat("PR(100:2000)", [100.0, 300.0, 2000.0, 2001.0]) == 50.0  # 100 does not


def test_empty_selections() -> None:
    """Nothing inside the bounds: no trimmed mean (missing), a count and a sum of 0."""
    values = [1.0, 2.0]
    assert stat("TM(5:6)", values) is None and stat("WM(50%:51%)", [1.0]) is None
    assert stat("TC(5:6)", values) == 0.0 and stat("TS(5:6)", values) == 0.0
    assert stat("PR(5:6)", values) == 0.0


def test_negative_samples_leave_every_extended_statistic_missing() -> None:
    """E12 for the whole percentile family; the basic statistics are unaffected."""
    values = [-1.0, 2.0, 3.0]
    for name in ("p50", "tm90", "TM(10%:90%)", "WM(1:2)", "tc90", "TS(:90%)", "PR(:1)", "IQM"):
        assert stat(name, values) is None, name
    assert stat("Sum", values) == 4.0 and stat("Minimum", values) == -1.0


@given(SAMPLES)
def test_trimming_nothing_is_the_average(values: list[float]) -> None:
    average = stat("Average", values)
    assert average is not None
    for name in ("TM(0%:100%)", "WM(0%:100%)", "tm100", "wm100"):
        assert stat(name, values) == pytest.approx(average, rel=1e-9, abs=1e-9), name
    assert stat("TC(0%:100%)", values) == len(values)
    assert stat("TS(0%:100%)", values) == pytest.approx(stat("Sum", values))


@given(SAMPLES, PERCENT, PERCENT)
def test_trimmed_count_plus_the_samples_cut_is_the_sample_count(
    values: list[float], a: int, b: int
) -> None:
    low, high = sorted((a, b))
    if low == high:
        return
    name = f"TC({low}%:{high}%)"
    ordered = sorted(values)
    n = len(values)
    below, at_or_below = math.ceil(low * n / 100), math.ceil(high * n / 100)
    assert stat(name, values) == float(at_or_below - below)
    assert (stat(name, values) or 0) + below + (n - at_or_below) == n
    kept = ordered[below:at_or_below]
    assert stat(f"TS({low}%:{high}%)", values) == pytest.approx(math.fsum(kept))


@given(SAMPLES, VALUE, VALUE)
def test_value_bounds_exclude_the_lower_and_include_the_upper(
    values: list[float], a: int, b: int
) -> None:
    low, high = sorted((a, b))
    if low == high:
        return
    inside = [v for v in values if low < v <= high]
    assert stat(f"TC({low}:{high})", values) == len(inside)
    mean = stat(f"TM({low}:{high})", values)
    assert mean == (pytest.approx(math.fsum(inside) / len(inside)) if inside else None)
    assert stat(f"PR({low}:{high})", values) == pytest.approx(100 * len(inside) / len(values))


@given(SAMPLES, PERCENT, PERCENT)
def test_winsorized_and_trimmed_means_lie_between_minimum_and_maximum(
    values: list[float], a: int, b: int
) -> None:
    low, high = sorted((a, b))
    if low == high:
        return
    lowest, highest = min(values), max(values)
    for name in (f"WM({low}%:{high}%)", f"TM({low}%:{high}%)", f"wm{high}", f"tm{high}"):
        value = stat(name, values)
        if value is not None:
            assert lowest - 1e-6 <= value <= highest + 1e-6, name


@given(SAMPLES, st.floats(min_value=0, max_value=1e6))
def test_percentile_rank_of_everything_is_100(values: list[float], bound: float) -> None:
    assert stat("PR(:1e300)", values) == 100.0
    assert stat("PR(-1:)", values) == 100.0
    below = stat(f"PR(:{bound!r})", values)
    above = stat(f"PR({bound!r}:)", values)
    assert below is not None and above is not None
    assert below + above == pytest.approx(100.0)


@given(SAMPLES, PERCENT)
def test_a_percentile_is_a_sample_and_the_trimmed_mean_below_it_is_not_above_it(
    values: list[float], percent: int
) -> None:
    value = stat(f"p{percent}", values)
    assert value in values
    trimmed = compute(parse_statistic(f"tm{percent}"), sorted(values))
    assert trimmed is None or trimmed <= value + 1e-6

"""Per-minute bags against the expanded samples: every statistic the same, in memory that
does not grow with the number of samples."""

from __future__ import annotations

import collections
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.backtest.engine import PublishOptions, collect, datapoints
from cwquery.backtest.series import BASIC_STATISTICS as BASIC_NAMES
from cwquery.backtest.series import Bag, MinuteSeries, StatisticError, Window
from cwquery.backtest.statistics import compute, parse_statistic
from cwquery.cli import main
from cwquery.metrics import MetricFilter, MetricTransformation

NAMES = [
    "SampleCount",
    "Sum",
    "Average",
    "Minimum",
    "Maximum",
    "p0",
    "p50",
    "p99.9",
    "tm90",
    "TM(10%:90%)",
    "IQM",
    "wm80",
    "WM(5:50)",
    "tc95",
    "TS(:90%)",
    "PR(:30)",
    "TM(3:40)",
]


def expected(values: list[float], name: str) -> float | None:
    """The statistic over the plain sorted list, as the definitions read it."""
    if name == "SampleCount":
        return float(len(values))
    if name == "Sum":
        return math.fsum(values)
    if name == "Average":
        return math.fsum(values) / len(values)
    if name == "Minimum":
        return min(values)
    if name == "Maximum":
        return max(values)
    return compute(parse_statistic(name), sorted(values))


@pytest.mark.parametrize("seed", range(6))
def test_windows_of_bags_give_the_statistics_of_the_sorted_samples(seed: int) -> None:
    chance = random.Random(seed)
    pool = [chance.choice([0.1, 0.2, 0.3, 1e16, 7.0]) for _ in range(5)] + [
        round(chance.uniform(0, 60), chance.choice([0, 1, 3])) for _ in range(40)
    ]
    series = MinuteSeries()
    values = []
    for _ in range(chance.randrange(1, 400)):
        value = chance.choice(pool)
        values.append(value)
        series.add(chance.randrange(0, 5 * 60_000), value)
    window = series.window(0, 5 * 60_000)
    assert [window.stat(n) for n in NAMES] == [expected(values, n) for n in NAMES]


@pytest.mark.parametrize("seed", range(6))
def test_periods_of_one_or_many_minutes_give_the_basic_statistics_at_once(seed: int) -> None:
    """A period holding one minute is answered from that minute's bag, several from their
    merge; either way ``basic()`` is the five statistics one by one, and the minutes' bags are
    left as they were."""
    chance = random.Random(seed)
    detail = chance.random() < 0.5
    series = MinuteSeries(detail)
    by_minute: dict[int, list[float]] = collections.defaultdict(list)
    for _ in range(chance.randrange(1, 200)):
        minute = chance.choice([0, 1, 2, 5, 9, 10]) * 60_000
        value = chance.choice([0.1, -0.0, 3.0, 1e16, -2.5])
        series.add(minute + chance.randrange(60_000), value)
        by_minute[minute].append(value)
    for period in (60, 120, 300):
        for start, window in series.periods(period):
            values = [
                v for m, vs in by_minute.items() if start <= m < start + period * 1000 for v in vs
            ]
            assert window.basic() == {n: expected(values, n) for n in BASIC_NAMES}
            assert window.basic() == {n: window.stat(n) for n in BASIC_NAMES}
    for minute, bag in series.bags():
        assert bag.count == len(by_minute[minute])
    assert Window().basic() == dict.fromkeys(BASIC_NAMES)


def test_the_exact_sum_does_not_depend_on_the_order_nor_on_repetition() -> None:
    bag = Bag(detail=False)
    bag.add(1e16)
    bag.add(0.1, times=999)
    bag.add(-1e16)
    assert Window(bag=bag).sum == math.fsum([1e16, *[0.1] * 999, -1e16]) == 99.9
    assert Window([0.1] * 999).sum == math.fsum([0.1] * 999)


def test_a_bag_without_detail_holds_four_numbers_and_refuses_percentiles() -> None:
    bag = Bag(detail=False)
    for n in range(100_000):
        bag.add(float(n % 977))
    assert bag.counts is None and len(bag.exact_sum()) <= 2
    window = Window(bag=bag)
    assert (window.stat("Minimum"), window.stat("Maximum"), window.stat("SampleCount")) == (
        0.0,
        976.0,
        100_000.0,
    )
    with pytest.raises(StatisticError, match="not kept"):
        window.stat("p99")


def test_a_bag_holds_each_distinct_value_once() -> None:
    bag = Bag()
    for n in range(100_000):
        bag.add(float(n % 10))
    assert bag.counts is not None and len(bag.counts) == 10 and bag.count == 100_000
    assert Window(bag=bag).stat("p50") == 4.0


def test_negative_zero_is_held_as_zero() -> None:
    window = Window([-0.0, 0.0, -0.0])
    assert math.copysign(1, window.stat("Minimum") or 0.0) == 1.0
    assert window.stat("p50") == 0.0 and math.copysign(1, window.sum) == 1.0


def test_value_metrics_without_detail_give_the_same_basic_datapoints() -> None:
    latency = MetricFilter(
        "{ $.ms = * }", MetricTransformation("Latency", "App", "$.ms", unit="Milliseconds")
    )
    chance = random.Random(3)
    events = [
        (f'{{"ms": {round(chance.uniform(0, 900), 2)}}}', chance.randrange(0, 3_600_000), None)
        for _ in range(3000)
    ]
    full = collect(events, [latency])
    lean = collect(events, [latency], PublishOptions(detail=False))
    assert [(r.start, r.stats) for r in datapoints(full, 300)] == [
        (r.start, r.stats) for r in datapoints(lean, 300)
    ]
    assert all(bag.counts is None for series in lean.series.values() for _, bag in series.bags())


def test_spark_only_inputs_are_refused_by_the_local_engine(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("2024-05-01T12:00:05.000Z ERROR a\n")
    runner = CliRunner()
    parquet = runner.invoke(
        main, ["backtest", "-p", "ERROR", "--input-format", "parquet", str(log)]
    )
    assert (
        parquet.exit_code == 2 and "--input-format parquet needs --engine spark" in parquet.stderr
    )
    folder = runner.invoke(main, ["backtest", "-p", "ERROR", str(tmp_path)])
    assert folder.exit_code == 2 and "folders need --engine spark" in folder.stderr
    standard_input = runner.invoke(main, ["backtest", "-p", "ERROR", "--engine", "spark", "-"])
    assert standard_input.exit_code == 2 and "not standard input" in standard_input.stderr


def test_the_cli_gives_the_same_basic_columns_with_or_without_a_trimmed_mean(
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text(
        "".join(f'{{"time": "2024-05-01T12:00:{n:02d}Z", "ms": {n}}}\n' for n in range(40))
    )
    base = ["backtest", "-p", "{ $.ms >= 0 }", "--metric-value", "$.ms", "--format", "csv"]
    basic = CliRunner().invoke(main, [*base, str(log)])
    extended = CliRunner().invoke(main, [*base, "--statistics", "tm90", str(log)])
    assert basic.exit_code == extended.exit_code == 0, basic.output
    assert basic.stdout.splitlines()[1].endswith(",40.0,780.0,19.5,0.0,39.0")
    assert extended.stdout.splitlines()[1].endswith(",40.0,780.0,19.5,0.0,39.0,17.5")


def test_frozen_bags_answer_windows_without_being_thawed() -> None:
    chance = random.Random(8)
    plain, frozen = MinuteSeries(), MinuteSeries()
    for minute in range(0, 10 * 60_000, 60_000):
        values = [float(chance.randrange(0, 50)) for _ in range(200)]
        for value in values:
            plain.add(minute, value)
        counts = sorted(collections.Counter(values).items())
        frozen.add_bag(minute, Bag.frozen(*zip(*counts, strict=True)), adopt=True)
    for period in (60, 300):
        assert [(s, [w.stat(n) for n in NAMES]) for s, w in frozen.periods(period)] == [
            (s, [w.stat(n) for n in NAMES]) for s, w in plain.periods(period)
        ]
    assert frozen.window(0, 300_000).stat("p90") == plain.window(0, 300_000).stat("p90")
    assert all(bag._frozen is not None for _, bag in frozen.bags())
    first = next(frozen.bags())[1]
    first.add(1.0)
    assert first._frozen is None and first.count == 201 and first.counts is not None


@pytest.mark.parametrize("value", [0.1, -0.1, 1 / 3, 7.0, 1e16, -0.0, 0.0, 5e-324, 1e300, -1e308])
def test_one_value_many_times_sums_as_fsum_does(value: float) -> None:
    """A bag of one distinct value is summed as the product, which is fsum's answer."""
    for times in (1, 2, 3, 6, 7, 999, 1000):
        bag = Bag()
        bag.add(value, times)
        assert bag.only_value() == value
        expected = math.fsum([value] * times) if math.isfinite(value * times) else None
        if expected is None:
            with pytest.raises(OverflowError):
                math.fsum([value] * times)
            continue
        got = Window(bag=bag).sum
        assert got == expected and math.copysign(1, got) == math.copysign(1, expected)
    assert Bag.of([1.0, 2.0]).only_value() is None and Bag(detail=False).only_value() is None

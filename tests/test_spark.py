"""cwquery.spark in Spark's local mode against the local engine: the same datapoints, byte for
byte, on a generated archive of every input kind."""

from __future__ import annotations

import gzip
import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from test_reader_matrix import cases

from cwquery.ast import Pattern
from cwquery.aws.timeparse import format_millis
from cwquery.backtest.alarms import Alarm
from cwquery.backtest.engine import BacktestError, Collected, PublishOptions, collect, datapoints
from cwquery.backtest.inputs import open_source, prefix_time
from cwquery.backtest.render import to_csv, transition_json
from cwquery.backtest.run import finish
from cwquery.errors import PatternError
from cwquery.metrics import MetricFilter, MetricTransformation
from cwquery.plan import plan_for

pytestmark = [pytest.mark.slow, pytest.mark.host]  # pyspark, and Java for its local mode

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
pyspark_sql = pytest.importorskip("pyspark.sql", reason="the [spark] extra is not installed")
spark_module = pytest.importorskip("cwquery.spark")

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z
STATISTICS = ["SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "p99"]


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("cwquery-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two hours of events in a text log, application JSON lines, an S3 export and a
    Firehose delivery."""
    folder = tmp_path_factory.mktemp("archive")
    chance = random.Random(14)
    text, app, export, firehose = [], [], [], []
    for n in range(4000):
        when = T0 + chance.randrange(0, 7_200_000)
        latency = round(chance.uniform(0, 2000), 3)
        level = chance.choice(["INFO", "INFO", "WARN", "ERROR"])
        region = chance.choice(["eu", "us", "ap"])
        bucket = n % 4
        if bucket == 0:
            text.append(f"{format_millis(when)} {level} request took {latency} ms")
        elif bucket == 1:
            record = {
                "time": format_millis(when),
                "level": level,
                "latency": latency,
                "region": region,
            }
            app.append(json.dumps(record))
        elif bucket == 2:
            export.append(
                f"{format_millis(when)} {level} 10.0.0.{n % 7} GET {chance.choice([200, 500])} "
                f"{int(latency)}"
            )
        else:
            firehose.append(
                {
                    "id": str(n),
                    "timestamp": when,
                    "message": json.dumps({"level": level, "latency": latency, "region": region}),
                }
            )
    (folder / "app.log").write_text("\n".join(text) + "\n")
    (folder / "app.jsonl").write_text("\n".join(app) + "\n")
    (folder / "export-000000.gz").write_bytes(gzip.compress(("\n".join(export) + "\n").encode()))
    records = [{"messageType": "CONTROL_MESSAGE", "logEvents": []}] + [
        {"messageType": "DATA_MESSAGE", "logGroup": "/app", "logEvents": firehose[i : i + 50]}
        for i in range(0, len(firehose), 50)
    ]
    (folder / "delivery-1.gz").write_bytes(
        gzip.compress("".join(map(json.dumps, records)).encode())
    )
    return [
        str(folder / name) for name in ("app.log", "app.jsonl", "export-000000.gz", "delivery-1.gz")
    ]


FILTERS = [
    MetricFilter("ERROR", MetricTransformation("Errors", "App", "1", default_value=0)),
    MetricFilter(
        "{ $.latency > 500 }",
        MetricTransformation(
            "Slow", "App", "$.latency", dimensions={"Region": "$.region"}, unit="Milliseconds"
        ),
    ),
    MetricFilter(
        "[time, level, ip, method, status=5*, bytes]",
        MetricTransformation("Bytes", "App", "$bytes"),
    ),
]


def local_collect(paths: list[str]) -> Collected:
    _merge = Collected.merge

    merged = Collected()
    for path in paths:
        source = open_source(path)
        _merge(merged, collect(source.events, FILTERS, None, source.time_of))
    return merged


def test_spark_and_local_engines_publish_identical_datapoints(
    spark: object, archive: list[str]
) -> None:
    local = local_collect(archive)
    remote = spark_module.collect_files(archive, FILTERS, spark=spark)
    assert local.matched > 1000 and remote.events == local.events == 4000
    for period in (60, 300):
        expected = to_csv(datapoints(local, period, STATISTICS), STATISTICS)
        assert to_csv(datapoints(remote, period, STATISTICS), STATISTICS) == expected
    alarm = Alarm(
        "errors",
        "Sum",
        300,
        3,
        8,
        "GreaterThanThreshold",
        datapoints_to_alarm=2,
        metric_name="Errors",
        namespace="App",
    )
    histories = [finish(found, [alarm]).histories["errors"][1] for found in (local, remote)]
    assert (
        histories[0]
        and [list(map(transition_json, h)) for h in histories]
        == [list(map(transition_json, histories[0]))] * 2
    )


def test_match_and_metric_series_on_a_data_frame(spark: object) -> None:
    rows = [
        ("ERROR a", T0 + 5_000),
        ("INFO b", T0 + 6_000),
        ("ERROR c", T0 + 61_000),
        ("ERROR d", T0 + 62_500),
    ]
    frame = spark.createDataFrame(rows, ["message", "timestamp"])  # type: ignore[attr-defined]
    assert [r["message"] for r in spark_module.match(frame, "ERROR").collect()] == [
        "ERROR a",
        "ERROR c",
        "ERROR d",
    ]
    with pytest.raises(PatternError):
        spark_module.match(frame, '{ $.a = "')
    series = spark_module.metric_series(frame, FILTERS[0], period=60, time_column="timestamp")
    found = [(r["timestamp"], r["SampleCount"], r["Sum"]) for r in series.collect()]
    local = collect([(m, t, None) for m, t in rows], [FILTERS[0]])
    assert found == [
        (r.start, r.stats["SampleCount"], r.stats["Sum"]) for r in datapoints(local, 60)
    ]
    assert found == [(T0, 2.0, 1.0), (T0 + 60_000, 2.0, 2.0)]


def test_options_that_need_every_event_of_a_minute_are_refused(
    spark: object, archive: list[str]
) -> None:
    with pytest.raises(BacktestError, match="per-minute"):
        spark_module.collect_files(archive, FILTERS, PublishOptions("per-minute"), spark=spark)


def test_the_cli_spark_engine(archive: list[str], spark: object, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cwquery.cli import main

    arguments = ["backtest", "-p", "ERROR", "--format", "csv", *archive]
    local = CliRunner().invoke(main, arguments)
    remote = CliRunner().invoke(main, [*arguments, "--engine", "spark"])
    assert local.exit_code == remote.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout and len(local.stdout.splitlines()) > 100


# The differential archive: gaps, out-of-order times, mixed JSON and text, value metrics.
VALUE_STATISTICS = [
    "SampleCount",
    "Sum",
    "Average",
    "Minimum",
    "Maximum",
    "p50",
    "p99",
    "tm90",
    "IQM",
    "TM(10%:90%)",
    "wm80",
    "PR(:300)",
]
VALUE_FILTERS = [
    MetricFilter(
        "{ $.latency >= 0 }",
        MetricTransformation(
            "Latency", "App", "$.latency", dimensions={"Region": "$.region"}, unit="Milliseconds"
        ),
    ),
    MetricFilter(
        "[time, level, request, took, latency, ms]",
        MetricTransformation("Latency", "App", "$latency", unit="Milliseconds"),
    ),
    MetricFilter("ERROR", MetricTransformation("Errors", "App", "1", default_value=0)),
]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Three hours with a 40-minute gap, times shuffled within each file, JSON and text lines
    in one folder (and JSON lines after text in the same read), an S3 export."""
    folder = tmp_path_factory.mktemp("mixed")
    chance = random.Random(21)
    text, app, export = [], [], []
    for n in range(3000):
        when = T0 + chance.randrange(0, 10_800_000)
        if 3_600_000 <= when - T0 < 6_000_000:
            continue  # the gap
        latency = chance.choice([chance.randrange(0, 900), round(chance.uniform(0, 900), 2)])
        level = chance.choice(["INFO", "INFO", "WARN", "ERROR"])
        region = chance.choice(["eu", "us"])
        if n % 3 == 0:
            text.append(f"{format_millis(when)} {level} request took {latency} ms")
        elif n % 3 == 1:
            app.append(
                json.dumps(
                    {
                        "time": format_millis(when),
                        "level": level,
                        "latency": latency,
                        "region": region,
                    }
                )
            )
        else:
            export.append(f"{format_millis(when)} {level} request took {latency} ms")
    (folder / "a-text.log").write_text("\n".join(text) + "\n")
    (folder / "b-app.jsonl").write_text("\n".join(app) + "\n")
    (folder / "c-export.gz").write_bytes(gzip.compress(("\n".join(export) + "\n").encode()))
    return [str(folder / n) for n in ("a-text.log", "b-app.jsonl", "c-export.gz")]


def _local(paths: list[str], filters: list[MetricFilter], options: PublishOptions) -> Collected:
    _merge = Collected.merge

    merged = Collected(detail=options.detail)
    for path in paths:
        source = open_source(path)
        _merge(merged, collect(source.events, filters, options, source.time_of))
    return merged


def test_value_metrics_on_spark_and_locally_give_identical_rows_and_histories(
    spark: object, mixed: list[str]
) -> None:
    """Every statistic, dimensions, a filter created mid-archive, and text files read in
    several splits each: identical datapoints and alarm histories."""
    from cwquery.backtest.alarms import EvaluationOptions

    options = PublishOptions(created=T0 + 1_800_000)
    local = _local(mixed, VALUE_FILTERS, options)
    conf = spark.conf  # type: ignore[attr-defined]
    conf.set("spark.sql.files.maxPartitionBytes", "16384")
    try:
        splits = spark.read.text(mixed[0]).rdd.getNumPartitions()  # type: ignore[attr-defined]
        remote = spark_module.collect_files(mixed, VALUE_FILTERS, options, spark=spark)
    finally:
        conf.unset("spark.sql.files.maxPartitionBytes")
    assert splits > 1
    assert local.before_creation > 100 and local.matched > 1000
    assert [
        getattr(remote, n) for n in ("events", "matched", "before_creation", "first", "last")
    ] == [getattr(local, n) for n in ("events", "matched", "before_creation", "first", "last")]
    for period in (60, 300):
        expected = to_csv(datapoints(local, period, VALUE_STATISTICS), VALUE_STATISTICS)
        assert to_csv(datapoints(remote, period, VALUE_STATISTICS), VALUE_STATISTICS) == expected
    alarms = [
        Alarm(
            "p99",
            "p99",
            300,
            2,
            600,
            "GreaterThanThreshold",
            metric_name="Latency",
            namespace="App",
            dimensions={"Region": "eu"},
            unit="Milliseconds",
        ),
        Alarm(
            "tm90",
            "tm90",
            60,
            3,
            420,
            "GreaterThanOrEqualToThreshold",
            datapoints_to_alarm=2,
            treat_missing_data="breaching",
            metric_name="Latency",
            namespace="App",
        ),
        Alarm(
            "errors",
            "Sum",
            120,
            2,
            3,
            "GreaterThanThreshold",
            metric_name="Errors",
            namespace="App",
            treat_missing_data="notBreaching",
        ),
    ]
    evaluation = EvaluationOptions(range_extra=1, offset_s=20)
    results = [finish(found, alarms, evaluation=evaluation) for found in (local, remote)]
    for alarm in alarms:
        histories = [list(map(transition_json, r.histories[alarm.name][1])) for r in results]
        assert histories[0] and histories[0] == histories[1], alarm.name


def test_without_percentile_statistics_only_four_numbers_per_minute_reach_the_driver(
    spark: object, mixed: list[str]
) -> None:
    options = PublishOptions(detail=False)
    local = _local(mixed, VALUE_FILTERS, options)
    remote = spark_module.collect_files(mixed, VALUE_FILTERS, options, spark=spark)
    basic = STATISTICS[:5]
    assert to_csv(datapoints(remote, 60, basic), basic) == to_csv(
        datapoints(local, 60, basic), basic
    )
    bags = [bag for series in remote.series.values() for _, bag in series.bags()]
    assert bags and all(bag.counts is None for bag in bags)


def test_strip_time_is_honoured_on_spark(spark: object, tmp_path: Path) -> None:
    """Regression: --engine spark ignored --strip-time (0 matches where the local engine
    found hundreds in the same 2,000 lines)."""
    from click.testing import CliRunner

    from cwquery.cli import main

    chance = random.Random(5)
    lines = [
        f"{format_millis(T0 + chance.randrange(0, 3_600_000))} "
        f"{chance.choice(['ERROR', 'INFO'])} worker {n}"
        for n in range(2000)
    ]
    path = tmp_path / "export.log"
    path.write_text("\n".join(lines) + "\n")
    arguments = ["backtest", "-p", "[level=ERROR, ...]", "--strip-time", "--format", "csv"]
    local = CliRunner().invoke(main, [*arguments, str(path)])
    remote = CliRunner().invoke(main, [*arguments, "--engine", "spark", str(path)])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert remote.stdout == local.stdout
    total = sum(float(row.split(",")[-4]) for row in local.stdout.splitlines()[1:])
    assert total == sum(" ERROR " in line for line in lines) > 800


def test_parquet_and_json_folders_and_data_frames(spark: object, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cwquery.cli import main

    chance = random.Random(9)
    events: list[dict[str, Any]] = [
        {
            "timestamp": T0 + chance.randrange(0, 1_800_000),
            "message": json.dumps({"latency": chance.randrange(0, 500), "level": "INFO"}),
        }
        for _ in range(600)
    ]
    exported = tmp_path / "events.jsonl"
    exported.write_text("".join(json.dumps(e) + "\n" for e in events))
    frame = spark.createDataFrame(events)  # type: ignore[attr-defined]
    frame.write.parquet(str(tmp_path / "parquet"))
    frame.write.json(str(tmp_path / "json"))
    arguments = ["backtest", "-p", "{ $.latency > 100 }", "--metric-value", "$.latency"]
    arguments += ["--statistics", "p90", "--statistics", "IQM", "--format", "csv"]
    local = CliRunner().invoke(main, [*arguments, str(exported)])
    assert local.exit_code == 0 and len(local.stdout.splitlines()) > 20
    for kind in ("parquet", "json"):
        remote = CliRunner().invoke(
            main, [*arguments, "--engine", "spark", "--input-format", kind, str(tmp_path / kind)]
        )
        assert remote.exit_code == 0, remote.output
        assert remote.stdout == local.stdout, kind
    refused = CliRunner().invoke(main, [*arguments, "--input-format", "parquet", str(exported)])
    assert refused.exit_code == 2 and "needs --engine spark" in refused.stderr
    # A frame without a time column: the time leads each message
    lines = [f"{format_millis(e['timestamp'])} INFO took {n % 97}" for n, e in enumerate(events)]
    text = spark.createDataFrame([(line,) for line in lines], ["message"])  # type: ignore[attr-defined]
    took = MetricFilter("[time, level, took, ms]", MetricTransformation("Took", "App", "$ms"))
    series = spark_module.metric_series(text, took, 300, None, statistics=["p90", "tm80"])
    found = [(r["timestamp"], r["SampleCount"], r["p90"], r["tm80"]) for r in series.collect()]
    local_rows = datapoints(
        collect([(line, None, None) for line in lines], [took], None, prefix_time),
        300,
        ["p90", "tm80"],
    )
    assert found == [
        (r.start, r.stats["SampleCount"], r.stats["p90"], r.stats["tm80"]) for r in local_rows
    ]
    assert len(found) == 6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_spark_masks_agree_with_the_verdict(case: tuple[Pattern, bytes]) -> None:
    """Spark's filter finds candidates with Arrow and confirms them with the verdict: the same
    answer as the plan's verdict line by line (the reader matrix's cases)."""
    import pyarrow

    from cwquery import spark

    pattern, data = case
    messages: list[Any] = [
        line.decode("utf-8", "replace") for line in data.replace(b"\r", b"\n").split(b"\n")
    ]
    plan = plan_for(pattern)
    mask = spark.matched_mask(plan, pyarrow.array([*messages, None], pyarrow.string()))
    assert mask.to_pylist() == [bool(plan.verdict(m)) for m in messages] + [False]


def test_a_time_column_that_holds_no_time_is_refused_before_any_job(spark: object) -> None:
    """Booleans, arrays, structs or only nulls were events without a time, dropped in silence
    from ``metric_series``; decimals were too. Null or unreadable values in a column of a time
    type stay events without a time, counted as the local engine counts them."""
    from decimal import Decimal

    session: Any = spark
    types = pyspark_sql.types
    count = MetricFilter("x", MetricTransformation("Count", "App", "1"))
    refused = {
        "boolean values": ("boolean", True),
        "array<bigint> values": ("array<bigint>", [T0]),
        "struct<at:bigint> values": ("struct<at:bigint>", (T0,)),
    }
    for held, (kind, value) in refused.items():
        frame = session.createDataFrame([(value, "x")], f"timestamp {kind}, message string")
        with pytest.raises(BacktestError, match=f"the time column 'timestamp' holds {held}:"):
            spark_module.metric_series(frame, count, 300)
    nothing = types.StructType(
        [
            types.StructField("at", types.NullType()),
            types.StructField("message", types.StringType()),
        ]
    )
    nulls = session.createDataFrame([(None, "x")], nothing)
    with pytest.raises(BacktestError, match="the time column 'at' holds only nulls"):
        spark_module.events_frame(nulls, [count], time_column="at")
    decimals = session.createDataFrame(
        [(Decimal(T0), "x")], "timestamp decimal(15,0), message string"
    )
    series = spark_module.metric_series(decimals, count, 300).collect()
    assert [(row["timestamp"], row["SampleCount"]) for row in series] == [(T0, 1.0)]
    texts = session.createDataFrame(
        [(None, "x"), ("not a time", "x"), (str(T0), "x")], "timestamp string, message string"
    )
    collected = spark_module.to_collected(spark_module.events_frame(texts, [count]))
    assert (collected.events, collected.untimed) == (3, 2)

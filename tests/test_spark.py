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
from cwquery.backtest.inputs import open_source
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
    from cwquery.cli.backtest import _merge

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

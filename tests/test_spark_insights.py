"""cwquery.spark.insights in Spark's local mode against cwquery.insights.run: the same
GetQueryResults answer, rows and statistics, for stats queries over a generated archive split
into many partitions, and the worked examples' rows; refusals for what needs every event in
one place."""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cwquery.insights import QueryUnsupportedError, run

pytestmark = [pytest.mark.slow, pytest.mark.host]  # pyspark, and Java for its local mode

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
pyspark_sql = pytest.importorskip("pyspark.sql", reason="the [spark] extra is not installed")
spark_module = pytest.importorskip("cwquery.spark")

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z
EXAMPLES = json.loads(
    (Path(__file__).parent / "compliance" / "insights" / "examples.json").read_text("utf-8")
)
COLUMNS = ["timestamp", "message", "ingestionTime", "logStreamName", "logGroupName"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("cwquery-insights-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


def _message(chance: random.Random, n: int) -> str:
    kind = chance.randrange(5)
    if kind == 0:
        record = {
            "level": chance.choice(["INFO", "WARN", "ERROR"]),
            "ms": chance.choice(
                [chance.randint(0, 900), round(chance.uniform(0, 5), 2), "slow", None]
            ),
            "path": chance.choice(["/a", "/b", "/c"]),
            "tags": ["x", "y"][: chance.randrange(3)],
        }
        if chance.random() < 0.2:
            del record["level"]
        return json.dumps(record)
    if kind == 1:
        used = chance.randint(40, 128)
        return (
            f"REPORT RequestId: r-{n}\tDuration: {chance.uniform(1, 900):.2f} ms\t"
            f"Billed Duration: {chance.randint(1, 900)} ms\tMemory Size: 128 MB\t"
            f"Max Memory Used: {used} MB\t"
        )
    if kind == 2:
        action = chance.choice(["ACCEPT", "REJECT"])
        source = chance.choice(["192.0.2.10", "198.51.100.7", "203.0.113.5"])
        return (
            f"2 123456789012 eni-1 {source} 10.0.0.5 443 {chance.randint(1024, 65535)} 6 "
            f"{chance.randint(1, 20)} {chance.randint(40, 9000)} 1714564800 1714564860 {action} OK"
        )
    level = chance.choice(["INFO", "ERROR"])
    return f"[{level}] user={chance.choice(['ann', 'bo', 'cy'])} latency={chance.randint(1, 999)}"


@pytest.fixture(scope="module")
def archive(spark: Any) -> tuple[Any, list[dict[str, Any]]]:
    """3,000 events over three hours (many sharing a time, to test ties), in 7 partitions,
    and the same events in the DataFrame's order as ``run`` takes them."""
    chance = random.Random(22)
    events = []
    for n in range(3000):
        moment = T0 + chance.randrange(0, 3 * 3_600_000, 500)
        event: dict[str, Any] = {
            "timestamp": moment,
            "message": _message(chance, n),
            "ingestionTime": moment + chance.randrange(0, 2000),
            "logStreamName": chance.choice(["s1", "s2", None]),
            "logGroupName": chance.choice(["/app", None]),
        }
        events.append(event)
    schema = (
        "timestamp long, message string, ingestionTime long, logStreamName string,"
        " logGroupName string"
    )
    df = spark.createDataFrame([tuple(e[c] for c in COLUMNS) for e in events], schema).repartition(
        7
    )
    ordered = [{k: v for k, v in row.asDict().items() if v is not None} for row in df.collect()]
    return df, ordered


QUERIES = [
    "stats count(*) as n",
    "stats count(*) as n, avg(ms), sum(ms), stddev(ms), min(ms), max(ms) by level",
    "stats pct(ms, 90) as p90, median(ms), count_distinct(path) as paths, count(level) by bin(30m)",
    "stats earliest(@message) as first, latest(@message) as last, sortsFirst(path),"
    " sortsLast(path) by bin(1h)",
    'filter @type = "REPORT" | stats max(@memorySize / 1000 / 1000) as mem,'
    " avg(@maxMemoryUsed) as used, mem - used as spare",
    'filter action = "REJECT" | stats count(*) as rejected, sum(bytes) as b by srcAddr'
    " | sort rejected desc | limit 2",
    "parse @message '[*] user=* latency=*' as lvl, who, lat | filter ispresent(lat)"
    " | stats avg(lat) as a, count(*) as n by who, lvl | sort a desc",
    "stats count(*) as c by bin(10m) | stats max(c) as peak, min(c) as low, avg(c) as mean",
    "fields jsonParse(@message) as m | unnest m.tags into tag"
    " | stats count(*) as n by tag, @logStream",
    "stats count(*) as n by @log, @logStream | sort n desc",
    "filter level = 'ERROR' or level = 'WARN' | fields concat(level, ':', path) as k"
    " | stats count(*) by k | display k",
]


@pytest.mark.parametrize("query", QUERIES)
def test_same_answer_as_run(archive: tuple[Any, list[dict[str, Any]]], query: str) -> None:
    df, events = archive
    expected = run(query, events, log_group="/default")
    assert expected["results"], "the case should return rows"
    assert spark_module.insights(df, query, log_group="/default") == expected


def test_same_answer_inside_a_time_window(archive: tuple[Any, list[dict[str, Any]]]) -> None:
    df, events = archive
    query = "stats count(*) as n, latest(@ingestionTime) as seen by bin(5m)"
    start, end = (T0 + 1_800_000) / 1000, (T0 + 3_600_000) / 1000
    expected = run(query, events, start=start, end=end)
    assert expected["statistics"]["recordsScanned"] < len(events)
    assert spark_module.insights(df, query, start=start, end=end) == expected


def _millis(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


@pytest.mark.parametrize(
    "case",
    [c for c in EXAMPLES["cases"] if "rows" in c and "stats" in c["query"]],
    ids=lambda c: c["id"],
)
def test_worked_examples_with_stats(spark: Any, case: dict[str, Any]) -> None:
    events = [
        (_millis(e["timestamp"]), e["message"], e.get("logStreamName"))
        for e in EXAMPLES["eventSets"][case["events"]]
    ]
    df = spark.createDataFrame(events, "timestamp long, message string, logStreamName string")
    result = spark_module.insights(df.repartition(3), case["query"])
    rows = [[[i["field"], i["value"]] for i in row] for row in result["results"]]
    assert rows == case["rows"]


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("fields @message | limit 3", "must aggregate with stats"),
        ("sort @timestamp | stats count(*)", "only filter, fields"),
        ("limit 5 | stats count(*)", "only filter, fields"),
        ("stats count(*) by bin(1h) | anomaly", "not run locally"),
        ("filter x in (fields x) | stats count(*)", "subquery"),
    ],
)
def test_refused(archive: tuple[Any, list[dict[str, Any]]], query: str, needle: str) -> None:
    with pytest.raises(QueryUnsupportedError) as caught:
        spark_module.insights(archive[0], query)
    assert needle in caught.value.message and caught.value.code == "unsupported"


def test_a_frame_without_messages_is_refused(spark: Any) -> None:
    df = spark.createDataFrame([(1, "x")], "timestamp long, text string")
    with pytest.raises(ValueError, match="'message' column"):
        spark_module.insights(df, "stats count(*)")


def test_an_empty_frame_gives_no_rows(spark: Any) -> None:
    df = spark.createDataFrame([], "timestamp long, message string")
    result = spark_module.insights(df, "stats count(*) as n")
    assert result == run("stats count(*) as n", [])

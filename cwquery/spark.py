"""cwquery on Spark (the ``[spark]`` extra): the same compiled matcher and the same
event-to-sample code as the local engine run inside ``mapInArrow``; Spark groups the samples
by metric and minute (and by period for :func:`metric_series`), so the answers are the local
engine's by construction.

Library use::

    from cwquery.spark import match, metric_series
    errors = match(spark.read.json("s3a://bucket/logs/"), "ERROR", column="message")
    series = metric_series(df, metric_filter, period=300, time_column="timestamp")

Each executor runs :func:`cwquery.backtest.engine.collect` on its share of the events. Two
publishing options depend on all events of a minute or an hour at once and are refused here:
``default_value_mode="per-minute"`` and ``enforce_cardinality_limit`` (the cardinality
*warning* of E4 is computed over the whole result); so is ingestion-aware visibility.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cwquery.backtest.engine import (
    CARDINALITY_LIMIT,
    BacktestError,
    Collected,
    Event,
    MetricKey,
    PublishOptions,
    collect,
)
from cwquery.backtest.inputs import line_kind, line_source, open_bytes, parse_time
from cwquery.backtest.series import BASIC_STATISTICS, MinuteSeries, Window, check_statistic
from cwquery.metrics import MetricFilter, MetricTransformation
from cwquery.plan import Plan, plan_for

#: One row per (metric, minute) with that minute's values, or one per counter (``kind``).
SAMPLE_SCHEMA = T.StructType(
    [
        T.StructField("kind", T.StringType(), False),
        T.StructField("namespace", T.StringType(), True),
        T.StructField("metric", T.StringType(), True),
        T.StructField("dimensions", T.StringType(), True),
        T.StructField("unit", T.StringType(), True),
        T.StructField("minute", T.LongType(), False),
        T.StructField("values", T.ArrayType(T.DoubleType(), False), True),
    ]
)
_COUNTERS = (
    "events",
    "matched",
    "no_value",
    "no_dimension",
    "untimed",
    "rejected",
    "before_creation",
)
_ARROW_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("namespace", pa.string()),
        ("metric", pa.string()),
        ("dimensions", pa.string()),
        ("unit", pa.string()),
        ("minute", pa.int64()),
        ("values", pa.list_(pa.float64())),
    ]
)


def match(df: DataFrame, pattern: str, column: str = "message") -> DataFrame:
    """The rows of ``df`` whose ``column`` matches ``pattern`` (checked on the driver first:
    a bad pattern raises :class:`cwquery.PatternError` before any job runs)."""
    plan = plan_for(pattern)  # sent to the executors as its tree

    def keep(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            messages = batch.column(batch.schema.get_field_index(column))
            yield batch.filter(matched_mask(plan, messages))

    return df.mapInArrow(keep, df.schema)


def matched_mask(plan: Plan, messages: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Which of a string column's messages match (a null matches nothing). Where the plan has
    needles, only the messages holding one are candidates (found by Arrow, not Python); when
    a needle decides, the candidates are the answer, else the plan's verdict confirms each.

    >>> mask = matched_mask(plan_for("ERROR"), pa.array(["ERROR a", None, "INFO"]))
    >>> mask.to_pylist()
    [True, False, False]
    """
    import pyarrow.compute as pc

    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    needles = plan.needles
    if needles is None:
        candidates = pc.invert(pc.is_null(messages))
    else:
        texts = needles.texts + (("\\",) if needles.escape_also else ())
        candidates = pc.match_substring(messages, texts[0])
        for text in texts[1:]:
            candidates = pc.or_(candidates, pc.match_substring(messages, text))
        candidates = pc.fill_null(candidates, False)
        if needles.decides:
            return candidates
    verdict = plan.verdict
    indices = pc.indices_nonzero(candidates)
    found = [False] * len(messages)
    for index, message in zip(indices.to_pylist(), messages.take(indices).to_pylist(), strict=True):
        found[index] = bool(verdict(message))
    return pa.array(found, pa.bool_())


def _specs(filters: Sequence[MetricFilter]) -> list[tuple[str, dict[str, Any]]]:
    """Filters as plain data for the executors (they compile them again, cached)."""
    return [
        (
            f.matcher.text,
            {
                "metricName": f.transformation.metric_name,
                "metricNamespace": f.transformation.metric_namespace,
                "metricValue": f.transformation.metric_value,
                "defaultValue": f.transformation.default_value,
                "dimensions": dict(f.transformation.dimensions),
                "unit": f.transformation.unit,
            },
        )
        for f in filters
    ]


def _rebuild(specs: list[tuple[str, dict[str, Any]]]) -> list[MetricFilter]:
    return [MetricFilter(text, MetricTransformation.from_api(data)) for text, data in specs]


def _check(options: PublishOptions) -> None:
    if options.default_value_mode != "per-event":
        raise BacktestError("the per-minute default value mode needs --engine local")
    if options.enforce_cardinality_limit:
        raise BacktestError("--enforce-cardinality-limit needs --engine local")
    if options.ingestion_lag_ms is not None:
        raise BacktestError("ingestion-aware evaluation needs --engine local")


def _rows(collected: Collected) -> pa.RecordBatch:
    """A :class:`Collected` as Arrow rows of :data:`SAMPLE_SCHEMA`."""
    rows: list[tuple[Any, ...]] = []
    for key, series in collected.series.items():
        dimensions = json.dumps(key.dimensions)
        for minute in series.minutes():
            values = series.window(minute, minute + 1).values
            rows.append(("s", key.namespace, key.name, dimensions, key.unit, minute, values))
    for counter in _COUNTERS:
        rows.append((counter, None, None, None, None, getattr(collected, counter), None))
    columns = {
        name: [row[position] for row in rows] for position, name in enumerate(_ARROW_SCHEMA.names)
    }
    return pa.RecordBatch.from_pydict(columns, schema=_ARROW_SCHEMA)


def samples(
    df: DataFrame,
    filters: Sequence[MetricFilter],
    options: PublishOptions | None = None,
    *,
    column: str = "message",
    time_column: str | None = "timestamp",
    kind: str = "events",
    time_field: str | None = None,
) -> DataFrame:
    """Per-batch samples of :data:`SAMPLE_SCHEMA` (not yet merged across batches).

    ``kind`` says what a row is: ``events`` (``column`` and ``time_column``), ``text`` or
    ``json-lines`` (a ``value`` line of such a file, ``time_field`` its time field) or
    ``files`` (``path`` and ``content`` of ``binaryFile``)."""
    options = options or PublishOptions()
    _check(options)
    specs = _specs(filters)

    def publish(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        compiled = _rebuild(specs)
        for batch in batches:
            data = batch.to_pydict()
            if kind == "files":
                for path, content in zip(data["path"], data["content"], strict=True):
                    source = open_bytes(path, content, time_field=time_field)
                    yield _rows(collect(source.events, compiled, options, source.time_of))
                continue
            if kind in ("text", "json-lines"):
                lines = [line.rstrip("\r") for line in data["value"] if line and line.strip()]
                source = line_source(lines, kind, time_field)
                yield _rows(collect(source.events, compiled, options, source.time_of))
                continue
            times = data[time_column] if time_column else [None] * len(data[column])
            events: list[Event] = [
                (message, parse_time(when), None)
                for message, when in zip(data[column], times, strict=True)
                if message is not None
            ]
            yield _rows(collect(events, compiled, options))

    if kind == "events" and time_column is not None:
        field = df.schema[time_column].dataType
        if isinstance(field, T.TimestampType | T.TimestampNTZType):
            df = df.withColumn(time_column, F.unix_millis(F.col(time_column)))
        elif isinstance(field, T.DateType):
            df = df.withColumn(time_column, F.unix_millis(F.col(time_column).cast("timestamp")))
    return df.mapInArrow(publish, SAMPLE_SCHEMA)


def merged(sampled: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Samples merged per metric and minute, and the counters summed (both in Spark)."""
    keys = ["namespace", "metric", "dimensions", "unit", "minute"]
    minutes = (
        sampled.filter(F.col("kind") == "s")
        .groupBy(*keys)
        .agg(F.flatten(F.collect_list("values")).alias("values"))
    )
    counters = sampled.filter(F.col("kind") != "s").groupBy("kind").agg(F.sum("minute").alias("n"))
    return minutes, counters


def to_collected(sampled: DataFrame) -> Collected:
    """Bring merged minutes back to the driver as the local engine's :class:`Collected`."""
    minutes, counters = merged(sampled)
    collected = Collected()
    for row in minutes.orderBy("namespace", "metric", "dimensions", "unit", "minute").collect():
        dimensions = tuple(tuple(pair) for pair in json.loads(row["dimensions"]))
        key = MetricKey(row["namespace"], row["metric"], dimensions, row["unit"])
        series = collected.series.setdefault(key, MinuteSeries())
        series.add_minute(row["minute"], list(row["values"]))
        collected.seen(row["minute"])
    for row in counters.collect():
        setattr(collected, row["kind"], int(row["n"]))
    _cardinality_warnings(collected)
    return collected


def _cardinality_warnings(collected: Collected) -> None:
    """E4's warning over the whole result: distinct dimension pairs per metric and hour."""
    pairs: dict[tuple[str, str, int], set[tuple[str, str]]] = {}
    for key, series in collected.series.items():
        for minute in series.minutes():
            hour = minute - minute % 3_600_000
            pairs.setdefault((key.namespace, key.name, hour), set()).update(key.dimensions)
    for (_, name, hour), found in sorted(pairs.items()):
        if len(found) >= CARDINALITY_LIMIT:
            from cwquery.backtest.render import iso

            collected.warnings.append(
                f"{name}: {len(found)} distinct dimension name/value pairs within the hour "
                f"starting {iso(hour)}; CloudWatch may disable such a filter"
            )


def metric_series(
    df: DataFrame,
    metric_filter: MetricFilter,
    period: int = 60,
    time_column: str = "timestamp",
    *,
    column: str = "message",
    statistics: Sequence[str] = (),
    options: PublishOptions | None = None,
) -> DataFrame:
    """The datapoints ``metric_filter`` publishes over ``df``'s events, one row per metric and
    period: ``namespace``, ``metric``, ``dimensions`` (JSON), ``unit``, ``timestamp`` (epoch
    ms of the period's start) and the statistics (basic ones, then ``statistics``)."""
    names = [
        *BASIC_STATISTICS,
        *(check_statistic(s) for s in statistics if s not in BASIC_STATISTICS),
    ]
    minutes, _ = merged(
        samples(df, [metric_filter], options, column=column, time_column=time_column)
    )
    period_ms = period * 1000
    grouped = minutes.withColumn("timestamp", F.col("minute") - F.col("minute") % period_ms)
    schema = T.StructType(
        [T.StructField(n, T.StringType()) for n in ("namespace", "metric", "dimensions", "unit")]
        + [T.StructField("timestamp", T.LongType())]
        + [T.StructField(n, T.DoubleType(), True) for n in names]
    )

    def statistics_of(frame: Any) -> Any:
        import pandas as pd

        values = [v for chunk in frame["values"] for v in chunk]
        window = Window(values)
        first = frame.iloc[0]
        row = {n: first[n] for n in ("namespace", "metric", "dimensions", "unit", "timestamp")}
        row.update({n: window.stat(n) for n in names})
        return pd.DataFrame([row])

    keys = ["namespace", "metric", "dimensions", "unit", "timestamp"]
    return grouped.groupBy(*keys).applyInPandas(statistics_of, schema).orderBy(*keys)


def collect_files(
    paths: list[str],
    filters: Sequence[MetricFilter],
    options: PublishOptions | None = None,
    *,
    time_field: str | None = None,
    spark: SparkSession | None = None,
) -> Collected:
    """The backtest's collection step over files (local paths or ``s3a://`` URIs): ``.gz``
    files (S3 exports, Firehose deliveries) are read whole, one task per file; text and JSON
    lines are split by Spark (the first line of the first file tells which kind they are).
    ``.json`` files (CloudWatch exports) are read whole too."""
    spark = spark or SparkSession.builder.appName("cwquery-backtest").getOrCreate()
    whole = [p for p in paths if p.endswith((".gz", ".json"))]
    lines = [p for p in paths if not p.endswith((".gz", ".json"))]
    frames = []
    if whole:
        files = spark.read.format("binaryFile").load(whole).select("path", "content")
        frames.append(samples(files, filters, options, kind="files", time_field=time_field))
    if lines:
        text = spark.read.text(lines)
        first = text.filter(F.trim(F.col("value")) != "").first()
        kind, field = line_kind(first["value"] if first else "", time_field)
        frames.append(samples(text, filters, options, kind=kind, time_field=field))
    sampled = frames[0]
    for frame in frames[1:]:
        sampled = sampled.unionByName(frame)
    return to_collected(sampled)

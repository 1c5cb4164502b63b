"""cwquery on Spark (the ``[spark]`` extra): the same compiled matcher and the same
event-to-sample code as the local engine run inside ``mapInArrow``; each task reduces its
samples to one :class:`~cwquery.backtest.series.Bag` per metric and minute, and the executors
merge them per metric and minute (and compute every statistic per period for
:func:`metric_series`) with the local engine's code, so the answers are the local engine's by
construction and only per-minute rows reach the driver.

Library use::

    from cwquery.spark import match, metric_series
    errors = match(spark.read.json("s3a://bucket/logs/"), "ERROR", column="message")
    series = metric_series(df, metric_filter, period=300, time_column="timestamp")
    result = insights(df, "stats count(*) by bin(1h)")  # cwquery.spark_insights

Each executor runs :func:`cwquery.backtest.engine.collect` on its share of the events. Two
publishing options depend on all events of a minute or an hour at once and are refused here:
``default_value_mode="per-minute"`` and ``enforce_cardinality_limit`` (the cardinality
*warning* of E4 is computed over the whole result); so is ingestion-aware visibility.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cwquery.backtest.engine import (
    CARDINALITY_LIMIT,
    COUNTERS,
    BacktestError,
    Collected,
    Event,
    MetricKey,
    PublishOptions,
    collect,
)
from cwquery.backtest.inputs import line_kind, line_source, open_bytes, parse_time
from cwquery.backtest.series import (
    BASIC_STATISTICS,
    Bag,
    MinuteSeries,
    Window,
    check_statistic,
    exact_add,
    parse_statistic,
)
from cwquery.metrics import MetricFilter, MetricTransformation
from cwquery.plan import Plan, plan_for
from cwquery.spark_insights import insights as insights  # Logs Insights stats queries

#: One row per (metric, minute) with that minute's samples as a bag (count, minimum,
#: maximum, the partials of its exact sum, and distinct ``values`` with their ``times`` when
#: percentile-type statistics are asked), or one per counter (``kind``, value in ``count``).
SAMPLE_SCHEMA = T.StructType(
    [
        T.StructField("kind", T.StringType(), False),
        T.StructField("namespace", T.StringType(), True),
        T.StructField("metric", T.StringType(), True),
        T.StructField("dimensions", T.StringType(), True),
        T.StructField("unit", T.StringType(), True),
        T.StructField("minute", T.LongType(), True),
        T.StructField("count", T.LongType(), True),
        T.StructField("minimum", T.DoubleType(), True),
        T.StructField("maximum", T.DoubleType(), True),
        T.StructField("partials", T.ArrayType(T.DoubleType(), False), True),
        T.StructField("values", T.ArrayType(T.DoubleType(), False), True),
        T.StructField("times", T.ArrayType(T.LongType(), False), True),
    ]
)
_KEYS = ["namespace", "metric", "dimensions", "unit"]
_ARROW_SCHEMA = pa.schema(
    [
        ("kind", pa.string()),
        ("namespace", pa.string()),
        ("metric", pa.string()),
        ("dimensions", pa.string()),
        ("unit", pa.string()),
        ("minute", pa.int64()),
        ("count", pa.int64()),
        ("minimum", pa.float64()),
        ("maximum", pa.float64()),
        ("partials", pa.list_(pa.float64())),
        ("values", pa.list_(pa.float64())),
        ("times", pa.list_(pa.int64())),
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


def _bag_row(bag: Bag) -> tuple[Any, ...]:
    """A bag as the columns ``count`` … ``times`` of :data:`SAMPLE_SCHEMA`."""
    pairs = sorted(bag.pairs()) if bag.detail else None
    return (
        bag.count,
        bag.minimum,
        bag.maximum,
        list(bag.exact_sum()),
        [value for value, _ in pairs] if pairs is not None else None,
        [times for _, times in pairs] if pairs is not None else None,
    )


def _bag_of(
    count: int, minimum: float, maximum: float, partials: Any, values: Any, times: Any
) -> Bag:
    """The bag a row of :data:`SAMPLE_SCHEMA` holds."""
    if values is not None:  # distinct and ascending (:func:`_bag_row`)
        return Bag.frozen(values, times)
    bag = Bag(detail=False)
    bag.count, bag.minimum, bag.maximum = int(count), float(minimum), float(maximum)
    bag.partials = []
    for partial in partials:
        exact_add(bag.partials, float(partial))
    return bag


def _rows(collected: Collected) -> pa.RecordBatch:
    """A :class:`Collected` as Arrow rows of :data:`SAMPLE_SCHEMA`: one per metric and minute,
    then the counters and the first and last event times."""
    rows: list[tuple[Any, ...]] = []
    for key, series in collected.series.items():
        dimensions = json.dumps(key.dimensions)
        for minute, bag in series.bags():
            rows.append(
                ("s", key.namespace, key.name, dimensions, key.unit, minute, *_bag_row(bag))
            )
    counters = [(name, getattr(collected, name)) for name in COUNTERS]
    counters += [("first", collected.first), ("last", collected.last)]
    for name, value in counters:
        if value is not None:
            rows.append((name, None, None, None, None, None, value, None, None, None, None, None))
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
    strip_time: bool = False,
    kinds: dict[str, tuple[str, str | None]] | None = None,
) -> DataFrame:
    """Per-batch samples of :data:`SAMPLE_SCHEMA` (not yet merged across batches).

    ``kind`` says what a row is: ``events`` (``column`` and ``time_column``), ``text`` or
    ``json-lines`` (a ``value`` line of such a file, ``time_field`` its time field) or
    ``files`` (``path`` and ``content`` of ``binaryFile``) or ``lines`` (a ``value`` line of
    the file ``path``, whose kind and time field are ``kinds[path]``). ``strip_time``: text
    lines' leading time is not part of the message (``--strip-time``)."""
    options = options or PublishOptions()
    _check(options)
    specs = _specs(filters)
    kinds = kinds or {}

    def publish(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        compiled = _rebuild(specs)
        for batch in batches:
            data = batch.to_pydict()
            if kind == "files":
                for path, content in zip(data["path"], data["content"], strict=True):
                    source = open_bytes(path, content, time_field=time_field, strip_time=strip_time)
                    yield _rows(collect(source.events, compiled, options, source.time_of))
                continue
            if kind in ("text", "json-lines"):
                lines = [line.rstrip("\r") for line in data["value"] if line and line.strip()]
                source = line_source(lines, kind, time_field, strip_time=strip_time)
                yield _rows(collect(source.events, compiled, options, source.time_of))
                continue
            if kind == "lines":  # lines of files of several kinds: each file's own
                by_file: dict[str, list[str]] = {}
                for line, path in zip(data["value"], data["path"], strict=True):
                    if line and line.strip():
                        by_file.setdefault(path, []).append(line.rstrip("\r"))
                for path, lines in by_file.items():
                    line_kind_, field = kinds[path]
                    source = line_source(lines, line_kind_, field, strip_time=strip_time)
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
        df = _times_readable(df, time_column)
    return df.mapInArrow(publish, SAMPLE_SCHEMA)


def _times_readable(df: DataFrame, time_column: str) -> DataFrame:
    """``df`` with ``time_column`` as the local engine reads times: epoch ms or seconds
    (integers or floating point; decimals as doubles), text (ISO 8601 or digits), timestamps and
    dates as epoch ms. A column of another type holds no event time: :class:`BacktestError`
    before any job runs, not events silently left without a time. (A null or unreadable value
    in a column of the right type makes that event one without a time, as in a file.)"""
    field = df.schema[time_column].dataType
    column = F.col(time_column)
    if isinstance(field, T.TimestampType | T.TimestampNTZType):
        return df.withColumn(time_column, F.unix_millis(column))
    if isinstance(field, T.DateType):
        return df.withColumn(time_column, F.unix_millis(column.cast("timestamp")))
    if isinstance(field, T.DecimalType):
        return df.withColumn(time_column, column.cast("double"))
    if isinstance(field, T.IntegralType | T.FloatType | T.DoubleType | T.StringType):
        return df
    held = "only nulls" if isinstance(field, T.NullType) else f"{field.simpleString()} values"
    raise BacktestError(
        f"the time column {time_column!r} holds {held}: an event's time is epoch milliseconds "
        "(or seconds), ISO 8601 text, a timestamp or a date (or name no time column to read "
        "each time from its message)"
    )


def _merge_bags(frame: Any) -> Bag:
    """The bags of a pandas frame of :data:`SAMPLE_SCHEMA` rows, merged into one."""
    merged = Bag()
    columns = ("count", "minimum", "maximum", "partials", "values", "times")
    for parts in zip(*(frame[name] for name in columns), strict=True):
        merged.merge(_bag_of(*parts))
    return merged


def merged(sampled: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Samples merged per metric and minute on the executors (one bag per row, whatever the
    number of samples), and the counters summed (both in Spark)."""
    keys = [*_KEYS, "minute"]

    def merge_minute(frame: Any) -> Any:
        import pandas as pd

        first = frame.iloc[0]
        head = (first[name] for name in ("kind", *keys))
        return pd.DataFrame([(*head, *_bag_row(_merge_bags(frame)))], columns=SAMPLE_SCHEMA.names)

    minutes = (
        sampled.filter(F.col("kind") == "s")
        .groupBy(*keys)
        .applyInPandas(merge_minute, SAMPLE_SCHEMA)
    )
    counters = (
        sampled.filter(F.col("kind") != "s")
        .groupBy("kind")
        .agg(F.sum("count").alias("n"), F.min("count").alias("low"), F.max("count").alias("high"))
    )
    return minutes, counters


def to_collected(sampled: DataFrame, detail: bool = True) -> Collected:
    """Bring merged minutes back to the driver as the local engine's :class:`Collected`: one
    bag per metric and minute reaches it, never the samples one by one."""
    minutes, counters = merged(sampled)
    collected = Collected(detail=detail)
    for row in minutes.orderBy(*_KEYS, "minute").toLocalIterator():
        dimensions = tuple(tuple(pair) for pair in json.loads(row["dimensions"]))
        key = MetricKey(row["namespace"], row["metric"], dimensions, row["unit"])
        series = collected.series.get(key)
        if series is None:
            series = collected.series[key] = MinuteSeries(detail)
        bag = _bag_of(*(row[n] for n in SAMPLE_SCHEMA.names[6:]))
        series.add_bag(row["minute"], bag, adopt=True)
    for row in counters.collect():
        if row["kind"] == "first":
            collected.seen(int(row["low"]))
        elif row["kind"] == "last":
            collected.seen(int(row["high"]))
        else:
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


def events_frame(
    df: DataFrame,
    filters: Sequence[MetricFilter],
    options: PublishOptions | None = None,
    *,
    column: str = "message",
    time_column: str | None = "timestamp",
    time_field: str | None = None,
    strip_time: bool = False,
) -> DataFrame:
    """The samples of any DataFrame with a ``column`` of messages: with ``time_column`` each
    event's time is read from it (epoch ms, ISO 8601 text, a timestamp or a date); without it
    (``None``, or a column the frame lacks), from the message as from a file's lines (a leading
    time, or ``time_field`` of JSON messages; ``strip_time``: the leading time is not part of
    the message)."""
    if column not in df.columns:
        raise BacktestError(f"the input has no {column!r} column (it has {', '.join(df.columns)})")
    if time_column is not None and time_column in df.columns:
        if strip_time:
            raise BacktestError(
                f"--strip-time applies to messages without a time column ({time_column!r})"
            )
        return samples(df, filters, options, column=column, time_column=time_column)
    lines = df.select(F.col(column).alias("value"))
    first = lines.filter(F.trim(F.col("value")) != "").first()
    kind, field = line_kind(first["value"] if first else "", time_field)
    return samples(lines, filters, options, kind=kind, time_field=field, strip_time=strip_time)


def metric_series(
    df: DataFrame,
    metric_filter: MetricFilter,
    period: int = 60,
    time_column: str | None = "timestamp",
    *,
    column: str = "message",
    statistics: Sequence[str] = (),
    options: PublishOptions | None = None,
    time_field: str | None = None,
    strip_time: bool = False,
) -> DataFrame:
    """The datapoints ``metric_filter`` publishes over ``df``'s events, one row per metric and
    period: ``namespace``, ``metric``, ``dimensions`` (JSON), ``unit``, ``timestamp`` (epoch
    ms of the period's start) and the statistics (basic ones, then ``statistics``). Every
    statistic is computed on the executors, from one bag per metric and minute; events are
    read as :func:`events_frame` reads them."""
    names = [
        *BASIC_STATISTICS,
        *(check_statistic(s) for s in statistics if s not in BASIC_STATISTICS),
    ]
    detail = any(parse_statistic(name).extended for name in names)
    options = dataclasses.replace(options or PublishOptions(), detail=detail)
    sampled = events_frame(
        df,
        [metric_filter],
        options,
        column=column,
        time_column=time_column,
        time_field=time_field,
        strip_time=strip_time,
    )
    period_ms = period * 1000
    grouped = sampled.filter(F.col("kind") == "s").withColumn(
        "timestamp", F.col("minute") - F.col("minute") % period_ms
    )
    keys = [*_KEYS, "timestamp"]
    schema = T.StructType(
        [T.StructField(n, T.StringType()) for n in _KEYS]
        + [T.StructField("timestamp", T.LongType())]
        + [T.StructField(n, T.DoubleType(), True) for n in names]
    )

    def statistics_of(frame: Any) -> Any:
        import pandas as pd

        window = Window(bag=_merge_bags(frame))
        first = frame.iloc[0]
        row = {n: first[n] for n in keys}
        row.update({n: window.stat(n) for n in names})
        return pd.DataFrame([row], columns=schema.names)

    return grouped.groupBy(*keys).applyInPandas(statistics_of, schema).orderBy(*keys)


def _line_kinds(text: DataFrame, time_field: str | None) -> dict[str, tuple[str, str | None]]:
    """Each file's kind and time field, from its first non-blank line (as the local engine
    tells them): one pass over the lines, since a file's splits are read apart."""
    firsts = (
        text.filter(F.trim(F.col("value")) != "")
        .groupBy("path")
        .agg(F.min_by("value", F.struct("block", "row")).alias("first"))
        .collect()
    )
    return {row["path"]: line_kind(row["first"], time_field) for row in firsts}


#: What ``--input-format`` reads with ``--engine spark``.
INPUT_FORMATS = ("auto", "text", "json", "parquet")


def collect_files(
    paths: list[str],
    filters: Sequence[MetricFilter],
    options: PublishOptions | None = None,
    *,
    time_field: str | None = None,
    strip_time: bool = False,
    input_format: str = "auto",
    spark: SparkSession | None = None,
) -> Collected:
    """The backtest's collection step over files or folders (local paths or ``s3a://`` URIs).

    ``auto``: ``.gz`` files (S3 exports, Firehose deliveries) and ``.json`` files (CloudWatch
    exports) are read whole, one task per file; text and JSON lines are split by Spark, many
    tasks per large file (the first line of the first file tells which kind they are).
    ``text``: every line is a text event (``.gz`` files decompressed by Spark).
    ``json`` and ``parquet``: records with a ``message`` column and a ``timestamp`` column
    (or ``time_field``); without one, the time is read from the message
    (:func:`events_frame`)."""
    if input_format not in INPUT_FORMATS:
        raise BacktestError(f"the input format is one of {', '.join(INPUT_FORMATS)}")
    options = options or PublishOptions()
    spark = spark or SparkSession.builder.appName("cwquery-backtest").getOrCreate()
    frames = []
    if input_format in ("json", "parquet"):
        records = spark.read.format(input_format).load(paths)
        time_column = time_field or "timestamp"
        frames.append(
            events_frame(
                records,
                filters,
                options,
                time_column=time_column,
                time_field=time_field,
                strip_time=strip_time,
            )
        )
    elif input_format == "text":
        if time_field:
            raise BacktestError("--time-field applies to JSON lines only")
        text = spark.read.text(paths)
        frames.append(samples(text, filters, options, kind="text", strip_time=strip_time))
    else:
        whole = [p for p in paths if p.endswith((".gz", ".json"))]
        lines = [p for p in paths if not p.endswith((".gz", ".json"))]
        if whole:
            files = spark.read.format("binaryFile").load(whole).select("path", "content")
            frames.append(
                samples(
                    files,
                    filters,
                    options,
                    kind="files",
                    time_field=time_field,
                    strip_time=strip_time,
                )
            )
        if lines:
            text = spark.read.text(lines).select(
                "value",
                F.col("_metadata.file_path").alias("path"),
                F.col("_metadata.file_block_start").alias("block"),
                F.monotonically_increasing_id().alias("row"),
            )
            kinds = _line_kinds(text, time_field)
            text = text.select("value", "path")
            frames.append(
                samples(text, filters, options, kind="lines", kinds=kinds, strip_time=strip_time)
            )
    sampled = frames[0]
    for frame in frames[1:]:
        sampled = sampled.unionByName(frame)
    return to_collected(sampled, options.detail)

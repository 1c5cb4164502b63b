"""The backtest against the emulator: the same events put into a log group with metric filters
publish, into moto's CloudWatch, the datapoints the backtest computes (get_metric_statistics).

The emulator reports a default value once per minute without a match, so the filter with a
default value is compared under the backtest's ``per-minute`` mode (E1's alternative)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from emulator_support import REGION, now_ms

from cwquery.backtest.engine import PublishOptions, collect, datapoints
from cwquery.emulator import mock_logs
from cwquery.metrics import MetricFilter, MetricTransformation

GROUP = "/backtest/app"
FILTERS = {
    "errors": ("ERROR", {"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}),
    "defaulted": (
        "WARN",
        {"metricName": "Warnings", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0},
    ),
    "latency": (
        "{ $.latency > 100 }",
        {
            "metricName": "Latency",
            "metricNamespace": "App",
            "metricValue": "$.latency",
            "dimensions": {"Region": "$.region"},
            "unit": "Milliseconds",
        },
    ),
    "bytes": (
        "[level, ip, status=5*, bytes]",
        {"metricName": "Bytes", "metricNamespace": "App", "metricValue": "$bytes"},
    ),
}


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with mock_logs():
        yield (
            boto3.client("logs", region_name=REGION),
            boto3.client("cloudwatch", region_name=REGION),
        )


def generated_events(start: int) -> list[tuple[str, int, None]]:
    chance = random.Random(7)
    events = []
    for _ in range(600):
        when = start + chance.randrange(0, 30 * 60_000)
        kind = chance.randrange(3)
        if kind == 0:
            message = (
                f"{chance.choice(['ERROR', 'WARN', 'INFO'])} 10.0.0.1 "
                f"{chance.choice([200, 500, 503])} {chance.randrange(1, 5000)}"
            )
        elif kind == 1:
            message = (
                f'{{"latency": {round(chance.uniform(0, 900), 2)}, '
                f'"region": "{chance.choice(["eu", "us"])}"}}'
            )
        else:
            message = f"INFO plain line {chance.randrange(100)}"
        events.append((message, when, None))
    return sorted(events, key=lambda event: event[1])


def published(
    cloudwatch: Any, name: str, minute: int, dimensions: list[dict[str, str]]
) -> tuple[float, float, float, float] | None:
    """One minute's statistics as moto computes them (one query per minute: moto's periods
    start at the first datapoint found, not at a minute boundary)."""
    answer = cloudwatch.get_metric_statistics(
        Namespace="App",
        MetricName=name,
        Dimensions=dimensions,
        StartTime=datetime.fromtimestamp(minute / 1000, tz=timezone.utc),
        EndTime=datetime.fromtimestamp((minute + 60_000) / 1000, tz=timezone.utc),
        Period=60,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum"],
    )
    points = answer["Datapoints"]
    assert len(points) <= 1
    if not points:
        return None
    point = points[0]
    return point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"]


def test_backtest_matches_what_the_emulator_publishes(clients: tuple[Any, Any]) -> None:
    logs, cloudwatch = clients
    start = now_ms() - 50 * 60_000
    start -= start % 60_000
    events = generated_events(start)
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    for name, (pattern, transformation) in FILTERS.items():
        logs.put_metric_filter(
            logGroupName=GROUP,
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[transformation],
        )
    for offset in range(0, len(events), 200):
        batch = events[offset : offset + 200]
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName="s",
            logEvents=[{"timestamp": t, "message": m} for m, t, _ in batch],
        )
    filters = [MetricFilter(p, MetricTransformation.from_api(t)) for p, t in FILTERS.values()]  # type: ignore[arg-type]
    collected = collect(events, filters, PublishOptions(default_value_mode="per-minute"))
    compared = 0
    for key in collected.series:
        dimensions = [{"Name": k, "Value": v} for k, v in key.dimensions]
        expected = {
            row.start: tuple(row.stats[s] for s in ("SampleCount", "Sum", "Minimum", "Maximum"))
            for row in datapoints(collected, 60)
            if row.key == key
        }
        for minute in range(start, start + 31 * 60_000, 60_000):
            found = published(cloudwatch, key.name, minute, dimensions)
            assert (found is None) == (minute not in expected), (key, minute)
            if found is not None:
                assert found == pytest.approx(expected[minute]), (key, minute)
                compared += 1
    assert len(collected.series) == 5 and compared > 60

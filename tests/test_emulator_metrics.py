"""Metric filters publish exact datapoints; subscription filters forward only matching events."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from emulator_support import (
    GROUP,
    REFERENCE_COUNTS,
    REGION,
    now_ms,
    populate,
    read_all,
    walkthrough_messages,
)

import cwquery
from cwquery.emulator import mock_logs
from cwquery.limits import regex_filter_quota

ACCOUNT = "123456789012"


@pytest.fixture
def clients() -> Iterator[tuple[Any, Any]]:
    with mock_logs():
        # botocore retries LimitExceededException with back-off; one attempt keeps tests fast
        once = Config(retries={"total_max_attempts": 1})
        yield (
            boto3.client("logs", region_name=REGION, config=once),
            boto3.client("cloudwatch", region_name=REGION),
        )


def metric_filter(logs: Any, name: str, pattern: str, **transformation: Any) -> None:
    body = {"metricName": name, "metricNamespace": "App", "metricValue": "1", **transformation}
    logs.put_metric_filter(
        logGroupName=GROUP, filterName=name, filterPattern=pattern, metricTransformations=[body]
    )


def statistics(cloudwatch: Any, name: str, **extra: Any) -> dict[str, float]:
    now = datetime.now(timezone.utc)
    answer = cloudwatch.get_metric_statistics(
        Namespace="App",
        MetricName=name,
        StartTime=now - timedelta(hours=2),
        EndTime=now + timedelta(hours=1),
        Period=86400,
        Statistics=["Sum", "SampleCount", "Maximum"],
        **extra,
    )
    points = answer["Datapoints"]
    if not points:
        return {}
    assert len(points) == 1
    return {key: points[0][key] for key in ("Sum", "SampleCount", "Maximum")}


def error_of(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_reference_patterns_count_as_metric_filters(clients: tuple[Any, Any]) -> None:
    logs, cloudwatch = clients
    logs.create_log_group(logGroupName=GROUP)
    for n, (pattern, _) in enumerate(REFERENCE_COUNTS):
        metric_filter(logs, f"ref{n}", pattern)
    populate(logs, walkthrough_messages(), streams=4, create=False)
    for n, (pattern, count) in enumerate(REFERENCE_COUNTS):
        found = statistics(cloudwatch, f"ref{n}")
        assert found.get("Sum", 0) == count, pattern


def test_values_dimensions_and_unit(clients: tuple[Any, Any]) -> None:
    logs, cloudwatch = clients
    logs.create_log_group(logGroupName=GROUP)
    metric_filter(
        logs,
        "Latency",
        "{ $.latency = * }",
        metricValue="$.latency",
        dimensions={"type": "$.requestType"},
        unit="Milliseconds",
    )
    messages = [
        '{"latency": 50, "requestType": "GET"}',
        '{"latency": 70, "requestType": "GET"}',
        '{"latency": 5, "requestType": "PUT"}',
        '{"latency": "slow", "requestType": "GET"}',  # not a number: nothing published
        '{"requestType": "GET"}',  # no match
        "latency 900",
    ]
    populate(logs, messages, streams=2, create=False)
    get = {"Dimensions": [{"Name": "type", "Value": "GET"}], "Unit": "Milliseconds"}
    assert statistics(cloudwatch, "Latency", **get) == {"Sum": 120, "SampleCount": 2, "Maximum": 70}
    put = {"Dimensions": [{"Name": "type", "Value": "PUT"}]}
    assert statistics(cloudwatch, "Latency", **put)["Sum"] == 5
    assert statistics(cloudwatch, "Latency", Unit="Seconds") == {}
    now = datetime.now(timezone.utc)
    data = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "get",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "App",
                        "MetricName": "Latency",
                        "Dimensions": get["Dimensions"],
                    },
                    "Period": 86400,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - timedelta(hours=2),
        EndTime=now + timedelta(hours=1),
    )
    assert data["MetricDataResults"][0]["Values"] == [120.0]


def test_delimited_field_value(clients: tuple[Any, Any]) -> None:
    logs, cloudwatch = clients
    logs.create_log_group(logGroupName=GROUP)
    metric_filter(logs, "Bytes", "[ip, user, username, timestamp, request, status, size]",
                  metricValue="$size")  # fmt: skip
    populate(logs, walkthrough_messages(), streams=3, create=False)
    assert statistics(cloudwatch, "Bytes") == {
        "Sum": 1534 + 2326,
        "SampleCount": 2,
        "Maximum": 2326,
    }


def test_default_value_only_for_minutes_without_matches(clients: tuple[Any, Any]) -> None:
    logs, cloudwatch = clients
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    metric_filter(logs, "Errors", "ERROR", defaultValue=0.0, metricValue="3")
    minute = (now_ms() // 60_000 - 30) * 60_000

    def put(offset: int, message: str) -> None:
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName="s",
            logEvents=[{"timestamp": minute + offset, "message": message}],
        )

    put(1_000, "INFO fine")  # minute 0: no match yet -> default 0
    put(61_000, "INFO fine")  # minute 1: no match -> default 0
    assert statistics(cloudwatch, "Errors") == {"Sum": 0, "SampleCount": 2, "Maximum": 0}
    put(2_000, "ERROR late")  # minute 0 now has a match: its default goes away
    put(3_000, "INFO again")  # minute 0 already settled: no second default
    assert statistics(cloudwatch, "Errors") == {"Sum": 3, "SampleCount": 2, "Maximum": 3}


def test_metric_filter_checks(clients: tuple[Any, Any]) -> None:
    logs, _ = clients
    request = {
        "logGroupName": GROUP,
        "filterName": "f",
        "filterPattern": "ERROR",
        "metricTransformations": [
            {
                "metricName": "M",
                "metricNamespace": "N",
                "metricValue": "1",
                "dimensions": {"a": "$.a"},
            }
        ],
    }
    assert error_of(logs.put_metric_filter, **request) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    logs.create_log_group(logGroupName=GROUP)
    assert error_of(logs.put_metric_filter, **request) == (
        "InvalidParameterException",
        "The specified filter pattern does not support dimensions",
    )
    request["filterPattern"] = "{ $.a = * }"
    logs.put_metric_filter(**request)
    logs.put_metric_filter(**request)  # same name: replaced, not stored twice
    assert len(logs.describe_metric_filters(logGroupName=GROUP)["metricFilters"]) == 1
    logs.put_metric_filter(**{**request, "filterName": "g"})
    described = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]
    assert described["metricFilterCount"] == 2


def test_regex_quota_across_metric_and_subscription_filters(clients: tuple[Any, Any]) -> None:
    logs, _ = clients
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_group(logGroupName="/dest")
    destination = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/dest:*"
    for n in range(4):
        metric_filter(logs, f"m{n}", f"%ERR{n}%")
    logs.put_subscription_filter(
        logGroupName=GROUP,
        filterName="s0",
        filterPattern="{ $.a = %x% }",
        destinationArn=destination,
    )
    code, message = error_of(
        logs.put_metric_filter,
        logGroupName=GROUP,
        filterName="m9",
        filterPattern="[a = %b%]",
        metricTransformations=[{"metricName": "M", "metricNamespace": "N", "metricValue": "1"}],
    )
    assert code == "LimitExceededException"
    # the one quota message that `cwquery check` and cfn-lint report too
    assert message == regex_filter_quota(list("abcdef"), GROUP)[1]
    metric_filter(logs, "m0", "%ERROR%")  # replacing a regex filter keeps the count at 5
    logs.put_subscription_filter(  # replacing a regex subscription filter too
        logGroupName=GROUP, filterName="s0", filterPattern="%y%", destinationArn=destination
    )
    metric_filter(logs, "plain", "ERROR")  # patterns without regex are not counted
    names = {
        f["filterName"] for f in logs.describe_metric_filters(logGroupName=GROUP)["metricFilters"]
    }
    assert names == {"m0", "m1", "m2", "m3", "plain"}
    code, _ = error_of(
        logs.put_subscription_filter,
        logGroupName=GROUP,
        filterName="s1",
        filterPattern="[a = %b%]",
        destinationArn=destination,
    )
    assert code == "LimitExceededException"


def test_subscription_filters_forward_only_matches(clients: tuple[Any, Any]) -> None:
    logs, _ = clients
    messages = walkthrough_messages()
    logs.create_log_group(logGroupName=GROUP)
    destinations = {}
    for n, (pattern, _) in enumerate(REFERENCE_COUNTS[:2] + REFERENCE_COUNTS[14:16]):
        source = f"/src{n}"
        logs.create_log_group(logGroupName=source)
        destination = f"/dst{n}"
        logs.create_log_group(logGroupName=destination)
        logs.put_subscription_filter(
            logGroupName=source,
            filterName="only",
            filterPattern=pattern,
            destinationArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{destination}:*",
        )
        destinations[source] = (destination, pattern)
    for source, (destination, pattern) in destinations.items():
        logs.create_log_stream(logGroupName=source, logStreamName="app")
        logs.create_log_stream(logGroupName=destination, logStreamName="app")
        logs.put_log_events(
            logGroupName=source,
            logStreamName="app",
            logEvents=[
                {"timestamp": now_ms() - 100 + k, "message": m} for k, m in enumerate(messages)
            ],
        )
        delivered, _ = read_all(logs, logGroupName=destination)
        expected = [m for m in messages if cwquery.matches(pattern, m)]
        assert [e["message"] for e in delivered] == expected, pattern


def test_subscription_to_kinesis_carries_only_matches(clients: tuple[Any, Any]) -> None:
    logs, _ = clients
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="deliveries", ShardCount=1)
    stream_arn = kinesis.describe_stream(StreamName="deliveries")["StreamDescription"]["StreamARN"]
    logs.create_log_group(logGroupName=GROUP)
    logs.put_subscription_filter(
        logGroupName=GROUP,
        filterName="errors",
        filterPattern="ERROR -failed",
        destinationArn=stream_arn,
    )
    populate_stream = "app"
    logs.create_log_stream(logGroupName=GROUP, logStreamName=populate_stream)
    for batch in (walkthrough_messages(), ["INFO nothing to see"]):
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=populate_stream,
            logEvents=[{"timestamp": now_ms(), "message": m} for m in batch],
        )
    shard = kinesis.describe_stream(StreamName="deliveries")["StreamDescription"]["Shards"][0]
    iterator = kinesis.get_shard_iterator(
        StreamName="deliveries", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    kinds = [json.loads(_unpack(r["Data"]))["messageType"] for r in records]
    # the health check when the filter was put; the batch without a match delivered nothing
    assert kinds == ["CONTROL_MESSAGE", "DATA_MESSAGE"]
    payload = json.loads(_unpack(records[1]["Data"]))
    assert [e["message"] for e in payload["logEvents"]] == [
        "ERROR disk full",
        "ERRORS were found",
        "WARN ERROR mixed",
    ]
    assert payload["subscriptionFilters"] == ["errors"]


def _unpack(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except OSError:
        return gzip.decompress(base64.b64decode(data))

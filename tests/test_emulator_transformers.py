"""The emulator's log transformers: PutTransformer, GetTransformer, DeleteTransformer,
TestTransformer, and metric filters with applyOnTransformedLogs (spec §1.2, §2.7, #34)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cwquery.emulator import mock_logs

VPC = "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 51000 6 1 40 1700000000 1700000060 {} OK"


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_logs():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName="/app/api")
        client.create_log_stream(logGroupName="/app/api", logStreamName="web-1")
        yield client


def error_of(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_put_get_delete(logs: Any) -> None:
    config = [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "team", "value": "pay"}]}}]
    logs.put_transformer(logGroupIdentifier="/app/api", transformerConfig=config)
    found = logs.get_transformer(logGroupIdentifier="/app/api")
    assert found["transformerConfig"] == config
    assert found["logGroupIdentifier"].endswith(":log-group:/app/api")
    assert found["creationTime"] <= found["lastModifiedTime"]
    logs.delete_transformer(logGroupIdentifier="/app/api")
    code, _ = error_of(logs.get_transformer, logGroupIdentifier="/app/api")
    assert code == "ResourceNotFoundException"
    code, _ = error_of(logs.delete_transformer, logGroupIdentifier="/app/api")
    assert code == "ResourceNotFoundException"


def test_put_refuses_what_put_transformer_refuses(logs: Any) -> None:
    code, message = error_of(
        logs.put_transformer,
        logGroupIdentifier="/app/api",
        transformerConfig=[{"parseJSON": {}}, {"parseRoute53": {}}],
    )
    assert code == "InvalidParameterException"
    assert "parseRoute53 must be the first processor" in message
    code, _ = error_of(
        logs.put_transformer, logGroupIdentifier="/nope", transformerConfig=[{"parseJSON": {}}]
    )
    assert code == "ResourceNotFoundException"


def test_put_on_an_infrequent_access_group_is_an_invalid_operation(logs: Any) -> None:
    logs.create_log_group(logGroupName="/cold", logGroupClass="INFREQUENT_ACCESS")
    code, message = error_of(
        logs.put_transformer, logGroupIdentifier="/cold", transformerConfig=[{"parseJSON": {}}]
    )
    assert code == "InvalidOperationException"
    assert "Standard log class" in message


def test_test_transformer_answers_as_the_library_does(logs: Any) -> None:
    answer = logs.test_transformer(
        transformerConfig=[{"grok": {"match": "%{WORD:verb} %{INT:code}"}}],
        logEventMessages=["PUT 201", "nope"],
    )
    assert answer["transformedLogs"] == [
        {
            "eventNumber": 1,
            "eventMessage": "PUT 201",
            "transformedEventMessage": '{"verb":"PUT","code":"201"}',
        },
        {"eventNumber": 2, "eventMessage": "nope", "transformedEventMessage": "nope"},
    ]
    code, _ = error_of(
        logs.test_transformer,
        transformerConfig=[{"renameKeys": {"entries": [{"key": "a", "renameTo": "b"}]}}],
        logEventMessages=["x"],
    )
    assert code == "InvalidParameterException"


def _metric_sum(name: str) -> float:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    now = time.time()
    points = cloudwatch.get_metric_statistics(
        Namespace="T",
        MetricName=name,
        StartTime=now - 3600,
        EndTime=now + 3600,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(point["Sum"] for point in points))


def test_metric_filters_honour_apply_on_transformed_logs(logs: Any) -> None:
    """Worked example #34."""
    logs.put_transformer(logGroupIdentifier="/app/api", transformerConfig=[{"parseVPC": {}}])
    for name, flag in (("transformed", True), ("original", False)):
        logs.put_metric_filter(
            logGroupName="/app/api",
            filterName=name,
            filterPattern='{ $.action = "REJECT" }',
            metricTransformations=[
                {"metricName": name, "metricNamespace": "T", "metricValue": "1"}
            ],
            applyOnTransformedLogs=flag,
        )
    now = int(time.time() * 1000)
    line = VPC.format("REJECT")
    logs.put_log_events(
        logGroupName="/app/api",
        logStreamName="web-1",
        logEvents=[{"timestamp": now, "message": line}],
    )
    assert _metric_sum("transformed") == 1
    assert _metric_sum("original") == 0
    found = logs.filter_log_events(logGroupName="/app/api")["events"]
    assert [event["message"] for event in found] == [line]  # the original is stored
    described = logs.describe_metric_filters(logGroupName="/app/api")["metricFilters"]
    assert {f["filterName"]: f["applyOnTransformedLogs"] for f in described} == {
        "transformed": True,
        "original": False,
    }


def test_the_flag_without_a_transformer_sees_the_original(logs: Any) -> None:
    """T34: accepted, and the filter sees the original event."""
    logs.put_metric_filter(
        logGroupName="/app/api",
        filterName="f",
        filterPattern="REJECT",
        metricTransformations=[{"metricName": "plain", "metricNamespace": "T", "metricValue": "1"}],
        applyOnTransformedLogs=True,
    )
    logs.put_log_events(
        logGroupName="/app/api",
        logStreamName="web-1",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": VPC.format("REJECT")}],
    )
    assert _metric_sum("plain") == 1


def test_a_deleted_group_takes_its_transformer(logs: Any) -> None:
    logs.put_transformer(logGroupIdentifier="/app/api", transformerConfig=[{"parseJSON": {}}])
    logs.delete_log_group(logGroupName="/app/api")
    logs.create_log_group(logGroupName="/app/api")
    code, _ = error_of(logs.get_transformer, logGroupIdentifier="/app/api")
    assert code == "ResourceNotFoundException"

"""Hostile requests to the emulator's Logs Insights operations: each gets a 400 with the service's
exception type or a normal answer, never moto's 500 or a hang."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cwquery.emulator import mock_logs

REGION = "us-east-1"
GROUP = "/hostile"


@pytest.fixture
def logs() -> Iterator[Any]:
    """A client that sends what it is given (botocore's own checks off)."""
    with mock_logs():
        client = boto3.client(
            "logs",
            region_name=REGION,
            config=Config(parameter_validation=False, retries={"max_attempts": 0}),
        )
        client.create_log_group(logGroupName=GROUP)
        client.create_log_stream(logGroupName=GROUP, logStreamName="s")
        yield client


def outcome(call: Any, **request: Any) -> str:
    try:
        call(**request)
    except ClientError as err:
        return str(err.response["Error"]["Code"])
    return "ok"


QUERIES = [
    ("fields " + "(" * 4000 + "1" + ")" * 4000, {"ok", "MalformedQueryException"}),
    ("filter " + "not " * 2400 + "1", {"MalformedQueryException"}),
    ("fields " + "-" * 9000 + "1", {"MalformedQueryException"}),
    ("fields \x00", {"MalformedQueryException"}),
    ("fields `\ud800`", {"ok"}),
    ("", {"MalformedQueryException"}),
    ("   ", {"MalformedQueryException"}),
    ("fields a | " * 900 + "fields b", {"ok", "MalformedQueryException"}),
    ("filter @message like /(a+)+$/", {"ok"}),
    ("SOURCE logGroups() | fields @message", {"InvalidParameterException"}),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=range(len(QUERIES)))
def test_start_query_with_hostile_text(logs: Any, query: str, expected: set[str]) -> None:
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": 1_000 * 1_700_000_000, "message": "a" * 40 + "!"}],
    )
    result = outcome(
        logs.start_query, logGroupName=GROUP, startTime=0, endTime=2**40, queryString=query
    )
    assert result in expected


@pytest.mark.parametrize(
    "request_members",
    [
        {"startTime": 2**62, "endTime": 2**62},
        {"startTime": -1, "endTime": 10},
        {"startTime": "now", "endTime": 10},
        {"startTime": 0, "endTime": 10, "limit": 0},
        {"startTime": 0, "endTime": 10, "limit": 2**40},
        {"startTime": 0, "endTime": 10, "logGroupNames": []},
        {"startTime": 0, "endTime": 10, "logGroupIdentifiers": ["arn:aws:logs"]},
        {"startTime": 0, "endTime": 10, "logGroupIdentifiers": ["arn:aws:logs:x:y:log-group:/a:*"]},
    ],
)
def test_start_query_with_hostile_members(logs: Any, request_members: dict[str, Any]) -> None:
    request = {"logGroupName": GROUP, "queryString": "fields @message", **request_members}
    if "logGroupNames" in request or "logGroupIdentifiers" in request:
        del request["logGroupName"]
    assert outcome(logs.start_query, **request) in {
        "ok",
        "InvalidParameterException",
        "ResourceNotFoundException",
        "SerializationException",
    }


@pytest.mark.parametrize("token", ["", "é", "AAAA", "====", "x" * 1000, "\ud800"])
def test_result_tokens_that_are_not_ours(logs: Any, token: str) -> None:
    query_id = logs.start_query(
        logGroupName=GROUP, startTime=0, endTime=10, queryString="fields a"
    )["queryId"]
    assert outcome(logs.get_query_results, queryId=query_id, nextToken=token) in {
        "InvalidParameterException",
        "SerializationException",
    }
    assert outcome(logs.describe_queries, nextToken=token) in {
        "InvalidParameterException",
        "SerializationException",
    }
    assert outcome(logs.describe_query_definitions, nextToken=token) in {
        "InvalidParameterException",
        "SerializationException",
    }


@pytest.mark.parametrize("query_id", ["", "x" * 300, "é", None, 5])
def test_unknown_query_ids(logs: Any, query_id: Any) -> None:
    for call in (logs.get_query_results, logs.stop_query):
        assert outcome(call, queryId=query_id) in {
            "InvalidParameterException",
            "ResourceNotFoundException",
            "SerializationException",
        }
    assert outcome(logs.delete_query_definition, queryDefinitionId=query_id) in {
        "InvalidParameterException",
        "ResourceNotFoundException",
        "SerializationException",
    }

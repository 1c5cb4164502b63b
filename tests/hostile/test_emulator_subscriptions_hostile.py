"""Hostile requests to the emulator's subscription filters and account policies: each is the
service's 400, never a 500 or a stored bad policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cwquery.emulator import mock_logs

REGION = "us-east-1"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_logs():
        client = boto3.client(
            "logs", region_name=REGION, config=Config(retries={"total_max_attempts": 1})
        )
        client.create_log_group(logGroupName="/g")
        yield client


def code_of(call: Any, **request: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**request)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


@pytest.mark.parametrize(
    ("document", "criteria"),
    [
        ("not json", None),
        ("[]", None),
        (json.dumps({"FilterPattern": ""}), None),
        (json.dumps({"DestinationArn": LAMBDA, "FilterPattern": "{ $.a = "}), None),
        (json.dumps({"DestinationArn": LAMBDA, "Distribution": "Sideways"}), None),
        (json.dumps({"DestinationArn": LAMBDA}), 'LogGroupName NOT IN ["a" "b"]'),
        (json.dumps({"DestinationArn": LAMBDA}), "LogGroupName NOT IN [" + "]" * 50),
        (json.dumps({"DestinationArn": LAMBDA}), 'LogGroupName NOT IN ["\\ud800"] OR'),
    ],
)
def test_bad_subscription_policies_are_refused(logs: Any, document: str, criteria: Any) -> None:
    request = {
        "policyName": "p",
        "policyDocument": document,
        "policyType": "SUBSCRIPTION_FILTER_POLICY",
    }
    if criteria is not None:
        request["selectionCriteria"] = criteria
    assert code_of(logs.put_account_policy, **request) == "InvalidParameterException"
    described = logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")
    assert described["accountPolicies"] == []


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"transformerConfig": 5},
        {"transformerConfig": []},
        {"transformerConfig": [{"renameKeys": {"entries": [{"key": "a", "renameTo": "b"}]}}]},
    ],
)
def test_a_transformer_policy_put_transformer_would_refuse_is_refused(
    logs: Any, document: dict[str, Any]
) -> None:
    request = {
        "policyName": "p",
        "policyDocument": json.dumps(document),
        "policyType": "TRANSFORMER_POLICY",
    }
    assert code_of(logs.put_account_policy, **request) == "InvalidParameterException"
    assert logs.describe_account_policies(policyType="TRANSFORMER_POLICY")["accountPolicies"] == []


def test_dry_run_only_for_retention(logs: Any) -> None:
    code = code_of(
        logs.put_account_policy,
        policyName="p",
        policyDocument="{}",
        policyType="TRANSFORMER_POLICY",
        dryRun=True,
    )
    assert code == "InvalidParameterException"


@pytest.mark.parametrize(
    "extra",
    [
        {"emitSystemFields": ["@aws.partition"]},
        {"fieldSelectionCriteria": "@aws.region = 'x'"},
        {"fieldSelectionCriteria": 'LogGroupName = "x"'},
    ],
)
def test_bad_subscription_filter_members(logs: Any, extra: dict[str, Any]) -> None:
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="k", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="k")["StreamDescription"]["StreamARN"]
    request = {
        "logGroupName": "/g",
        "filterName": "f",
        "filterPattern": "",
        "destinationArn": arn,
        **extra,
    }
    assert code_of(logs.put_subscription_filter, **request) == "InvalidParameterException"
    assert logs.describe_subscription_filters(logGroupName="/g")["subscriptionFilters"] == []

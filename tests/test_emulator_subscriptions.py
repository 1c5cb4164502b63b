"""Subscription filters, filter options and account policies through boto3 against the emulator:
the exact deliveries to Lambda, Kinesis and Firehose (spec §3), the quotas, the criteria (§4),
and the worked examples #31-#41 of the subscription compliance file that need a service."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from emulator_support import now_ms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwquery.emulator import mock_logs
from cwquery.emulator import policies as account_policies
from cwquery.emulator.subscriptions import deliveries, on_lambda
from cwquery.subscriptions import decode, decode_all, payload

REGION = "us-east-1"
ACCOUNT = "123456789012"
QUOTAS = json.loads(
    (Path(__file__).parent / "compliance" / "subscriptions" / "delivery.json").read_text("utf-8")
)["quotas"]
ONCE = Config(retries={"total_max_attempts": 1})  # botocore retries LimitExceededException


class Account:
    """boto3 clients in one mock, and helpers to make destinations."""

    def __init__(self) -> None:
        self.logs = boto3.client("logs", region_name=REGION, config=ONCE)
        self.kinesis = boto3.client("kinesis", region_name=REGION)
        self.role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="cwl", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]

    def group(self, name: str, stream: str = "web-1") -> None:
        self.logs.create_log_group(logGroupName=name)
        self.logs.create_log_stream(logGroupName=name, logStreamName=stream)

    def put(self, group: str, *messages: str, stream: str = "web-1") -> list[int]:
        base = now_ms()
        times = [base + n for n in range(len(messages))]
        self.logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": t, "message": m} for t, m in zip(times, messages, strict=True)
            ],
        )
        return times

    def function(self, name: str) -> tuple[str, list[dict[str, Any]]]:
        """A Lambda function whose deliveries are collected (decoded) in the returned list."""
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("h.py", "def handler(event, context):\n    return None\n")
        arn = boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role,
            Handler="h.handler",
            Code={"ZipFile": code.getvalue()},
        )["FunctionArn"]
        received: list[dict[str, Any]] = []
        on_lambda(arn, lambda event, context: received.append(event))
        return arn, received

    def stream(self, name: str) -> str:
        self.kinesis.create_stream(StreamName=name, ShardCount=1)
        return str(self.kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"])

    def records(self, name: str) -> list[dict[str, Any]]:
        shard = self.kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][0]
        iterator = self.kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        return list(self.kinesis.get_records(ShardIterator=iterator)["Records"])


@pytest.fixture
def aws() -> Iterator[Account]:
    with mock_logs(config={"lambda": {"use_docker": False}}):
        yield Account()


def error_code(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def data_messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    envelopes = [decode(event) for event in events]
    assert envelopes[0]["messageType"] == "CONTROL_MESSAGE"  # the health check comes first
    return [e for e in envelopes if e["messageType"] == "DATA_MESSAGE"]


def test_lambda_receives_the_exact_envelope(aws: Account) -> None:
    """§5 #31 and #41: one invocation with the matching event, system field added."""
    arn, received = aws.function("consumer")
    aws.group("/app/api")
    aws.logs.put_subscription_filter(
        logGroupName="/app/api",
        filterName="f",
        filterPattern="5xx",
        destinationArn=arn,
        emitSystemFields=["@aws.region"],
    )
    times = aws.put("/app/api", "GET / 200", "GET /x 5xx")
    assert list(received[-1]) == ["awslogs"]
    (envelope,) = data_messages(received)
    (event,) = envelope["logEvents"]
    assert int(event["id"]) >> 144 == event["timestamp"] == times[1] and len(event["id"]) == 56
    assert envelope == {
        "messageType": "DATA_MESSAGE",
        "owner": ACCOUNT,
        "logGroup": "/app/api",
        "logStream": "web-1",
        "subscriptionFilters": ["f"],
        "logEvents": [
            {
                "id": event["id"],
                "timestamp": times[1],
                "message": "GET /x 5xx",
                "@aws.region": REGION,
            }
        ],
    }
    aws.put("/app/api", "GET / 200")  # no match: no invocation (T27)
    assert len(received) == 2
    (described,) = aws.logs.describe_subscription_filters(logGroupName="/app/api")[
        "subscriptionFilters"
    ]
    assert described["emitSystemFields"] == ["@aws.region"]
    assert described["distribution"] == "ByLogStream"


def test_kinesis_records_are_gzip_bytes_keyed_by_stream(aws: Account) -> None:
    """§5 #32 and #33: nothing for a non-match, then one record whose data is gzip."""
    arn = aws.stream("deliveries")
    aws.group("/app/api")
    aws.logs.put_subscription_filter(
        logGroupName="/app/api",
        filterName="f",
        filterPattern="{ $.status >= 500 }",
        destinationArn=arn,
        roleArn=aws.role,
    )
    aws.put("/app/api", '{"status":200}')
    assert [decode(r["Data"])["messageType"] for r in aws.records("deliveries")] == [
        "CONTROL_MESSAGE"
    ]
    aws.put("/app/api", '{"status":503}')
    record = aws.records("deliveries")[-1]
    assert record["Data"][:2] == b"\x1f\x8b"  # never base64 text (I1)
    assert record["PartitionKey"] == "web-1"
    assert [e["message"] for e in decode(record["Data"])["logEvents"]] == ['{"status":503}']


def test_random_distribution_keys_records_randomly(aws: Account) -> None:
    arn = aws.stream("spread")
    aws.group("/g")
    aws.logs.put_subscription_filter(
        logGroupName="/g",
        filterName="f",
        filterPattern="",
        destinationArn=arn,
        roleArn=aws.role,
        distribution="Random",
    )
    aws.put("/g", "a")
    aws.put("/g", "b")
    keys = [r["PartitionKey"] for r in aws.records("spread")[1:]]
    assert len(set(keys)) == 2 and "web-1" not in keys


def test_firehose_s3_object_holds_gzip_members_back_to_back(aws: Account) -> None:
    """§5 #39 and #40: the control message, then two batches in one buffered object."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="landing")
    firehose = boto3.client("firehose", region_name=REGION)
    arn = firehose.create_delivery_stream(
        DeliveryStreamName="to-s3",
        ExtendedS3DestinationConfiguration={
            "RoleARN": aws.role,
            "BucketARN": "arn:aws:s3:::landing",
        },
    )["DeliveryStreamARN"]
    aws.group("/app/api")
    aws.logs.put_subscription_filter(
        logGroupName="/app/api",
        filterName="f",
        filterPattern="ERROR",
        destinationArn=arn,
        roleArn=aws.role,
    )
    aws.put("/app/api", "ERROR one")
    aws.put("/app/api", "INFO skip")
    aws.put("/app/api", "ERROR two")
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket="landing")["Contents"]]
    body = s3.get_object(Bucket="landing", Key=key)["Body"].read()
    envelopes = decode_all(body)
    control = envelopes[0]
    assert control["owner"] == "CloudwatchLogs" and control["logEvents"][0]["id"] == ""
    assert control["logEvents"][0]["message"].endswith("destination Firehose.")
    assert [e["logEvents"][0]["message"] for e in envelopes[1:]] == ["ERROR one", "ERROR two"]
    assert [d.kind for d in deliveries(arn)] == ["firehose"] * 3


@pytest.mark.parametrize("case", QUOTAS, ids=lambda case: case["comment"][:60])
def test_subscription_filter_quota(aws: Account, case: dict[str, Any]) -> None:
    """§5 #38: two names per group; a third is LimitExceededException, a known name replaces."""
    arn = aws.stream("q")
    aws.group("/g")
    *first, last = case["subscriptionFilters"]
    for name in first:
        aws.logs.put_subscription_filter(
            logGroupName="/g", filterName=name, filterPattern="", destinationArn=arn
        )
    request = {
        "logGroupName": "/g",
        "filterName": last,
        "filterPattern": "x",
        "destinationArn": arn,
    }
    if case["error"] is None:
        aws.logs.put_subscription_filter(**request)
        described = aws.logs.describe_subscription_filters(logGroupName="/g")
        assert {f["filterName"]: f["filterPattern"] for f in described["subscriptionFilters"]}[
            last
        ] == "x"
    else:
        assert error_code(aws.logs.put_subscription_filter, **request)[0] == case["error"]


def test_a_group_subscribed_to_itself_does_not_recurse(aws: Account) -> None:
    aws.group("/loop")
    arn = aws.logs.describe_log_groups(logGroupNamePrefix="/loop")["logGroups"][0]["arn"]
    aws.logs.put_subscription_filter(
        logGroupName="/loop", filterName="self", filterPattern="", destinationArn=arn
    )
    aws.put("/loop", "once")
    events = aws.logs.get_log_events(logGroupName="/loop", logStreamName="web-1")["events"]
    assert [e["message"] for e in events] == ["once"]


def test_two_groups_subscribed_to_each_other_deliver_once(aws: Account) -> None:
    for name in ("/a", "/b"):
        aws.group(name)
    arns = {g["logGroupName"]: g["arn"] for g in aws.logs.describe_log_groups()["logGroups"]}
    for source, target in (("/a", "/b"), ("/b", "/a")):
        aws.logs.put_subscription_filter(
            logGroupName=source, filterName="x", filterPattern="", destinationArn=arns[target]
        )
    aws.put("/a", "ping")
    read = {
        name: [
            e["message"]
            for e in aws.logs.get_log_events(logGroupName=name, logStreamName="web-1")["events"]
        ]
        for name in ("/a", "/b")
    }
    assert read == {"/a": ["ping"], "/b": ["ping"]}


def test_field_selection_criteria_is_checked_and_honoured(aws: Account) -> None:
    arn, received = aws.function("sel")
    aws.group("/g")
    code, message = error_code(
        aws.logs.put_subscription_filter,
        logGroupName="/g",
        filterName="f",
        filterPattern="",
        destinationArn=arn,
        fieldSelectionCriteria="@aws.region ==",
    )
    assert code == "InvalidParameterException" and "fieldSelectionCriteria" in message
    aws.logs.put_subscription_filter(
        logGroupName="/g",
        filterName="f",
        filterPattern="",
        destinationArn=arn,
        fieldSelectionCriteria='@aws.region NOT IN ["us-east-1"]',
    )
    aws.put("/g", "x")
    assert data_messages(received) == []
    aws.logs.put_subscription_filter(
        logGroupName="/g",
        filterName="f",
        filterPattern="",
        destinationArn=arn,
        fieldSelectionCriteria=f'@aws.account = "{ACCOUNT}" AND @aws.region = "{REGION}"',
    )
    aws.put("/g", "y")
    assert [e["logEvents"][0]["message"] for e in data_messages(received)] == ["y"]


def test_a_failed_delivery_is_recorded_and_put_log_events_succeeds(aws: Account) -> None:
    arn, _ = aws.function("gone")
    aws.group("/g")
    aws.logs.put_subscription_filter(
        logGroupName="/g", filterName="f", filterPattern="", destinationArn=arn
    )
    boto3.client("lambda", region_name=REGION).delete_function(FunctionName="gone")
    aws.put("/g", "lost")
    last = deliveries(arn)[-1]
    assert last.error is not None and last.envelope["logEvents"][0]["message"] == "lost"


def test_account_subscription_policy(aws: Account) -> None:
    """§5 #35: the policy skips the forwarder's group and marks its deliveries."""
    arn, received = aws.function("forwarder")
    for name in ("/aws/lambda/forwarder", "/app/api", "/aws/lambda/other"):
        aws.group(name)
    document = json.dumps({"DestinationArn": arn, "FilterPattern": "", "RoleArn": aws.role})
    answer = aws.logs.put_account_policy(
        policyName="all",
        policyDocument=document,
        policyType="SUBSCRIPTION_FILTER_POLICY",
        selectionCriteria='LogGroupName NOT IN ["/aws/lambda/other"]',
    )["accountPolicy"]
    assert answer["selectionCriteria"] == 'LogGroupName NOT IN ["/aws/lambda/other"]'
    for name in ("/aws/lambda/forwarder", "/app/api", "/aws/lambda/other"):
        aws.put(name, f"event in {name}")
    delivered = [decode(e) for e in received]
    assert [d["logGroup"] for d in delivered] == ["/app/api"]
    assert delivered[0]["policyLevel"] == "ACCOUNT_LEVEL_POLICY"
    assert delivered[0]["subscriptionFilters"] == ["all"]
    code, _ = error_code(
        aws.logs.put_account_policy,
        policyName="second",
        policyDocument=document,
        policyType="SUBSCRIPTION_FILTER_POLICY",
    )
    assert code == "LimitExceededException"
    code, message = error_code(
        aws.logs.put_account_policy,
        policyName="all",
        policyDocument=document,
        policyType="SUBSCRIPTION_FILTER_POLICY",
        selectionCriteria='LogGroupName IN ["/x"]',
    )
    assert code == "InvalidParameterException" and "LogGroupName IN" in message
    listed = aws.logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")
    assert [p["policyName"] for p in listed["accountPolicies"]] == ["all"]
    aws.logs.delete_account_policy(policyName="all", policyType="SUBSCRIPTION_FILTER_POLICY")
    aws.put("/app/api", "after delete")
    assert len(received) == 1
    code, _ = error_code(
        aws.logs.delete_account_policy, policyName="all", policyType="SUBSCRIPTION_FILTER_POLICY"
    )
    assert code == "ResourceNotFoundException"


def test_transformer_and_field_index_policies_pick_groups(aws: Account) -> None:
    """§5 #36 and the §4 overlap rule."""
    config: list[dict[str, Any]] = [{"parseJSON": {}}]
    aws.logs.put_account_policy(
        policyName="app",
        policyType="TRANSFORMER_POLICY",
        policyDocument=json.dumps({"transformerConfig": config}),
        selectionCriteria='LogGroupNamePrefix IN ["/app/"]',
    )
    from moto.logs.models import logs_backends

    backend = logs_backends[ACCOUNT][REGION]
    assert account_policies.transformer_policy_for(backend, "/app/api") == config
    assert account_policies.transformer_policy_for(backend, "/apps/x") is None
    code, message = error_code(
        aws.logs.put_account_policy,
        policyName="overlap",
        policyType="TRANSFORMER_POLICY",
        policyDocument=json.dumps({"transformerConfig": config}),
        selectionCriteria='LogGroupNamePrefix IN ["/app/api"]',
    )
    assert code == "InvalidParameterException" and "overlaps" in message
    aws.logs.put_account_policy(
        policyName="fields",
        policyType="FIELD_INDEX_POLICY",
        policyDocument=json.dumps({"Fields": ["requestId"]}),
        selectionCriteria='LogGroupNamePrefix IN ["/app/"]',
    )
    assert account_policies.field_index_policies_for(backend, "/app/x") == [
        {"Fields": ["requestId"]}
    ]
    code, _ = error_code(
        aws.logs.put_account_policy,
        policyName="p",
        policyType="DATA_PROTECTION_POLICY",
        policyDocument="{}",
        selectionCriteria='LogGroupName IN ["/a"]',
    )
    assert code == "InvalidParameterException"


def test_metric_extraction_policies_follow_the_overlap_rule(aws: Account) -> None:
    put = aws.logs.put_account_policy
    common = {"policyType": "METRIC_EXTRACTION_POLICY", "policyDocument": "{}"}
    put(policyName="out", selectionCriteria='LogGroupNamePrefix NOT IN ["/aws/lambda"]', **common)
    put(policyName="in", selectionCriteria='LogGroupName IN ["/aws/lambda/function1"]', **common)
    code, _ = error_code(
        put, policyName="wide", selectionCriteria='LogGroupNamePrefix IN ["/aws"]', **common
    )
    assert code == "InvalidParameterException"
    code, _ = error_code(
        put, policyName="out2", selectionCriteria='LogGroupName NOT IN ["/x"]', **common
    )
    assert code == "LimitExceededException"


def test_metric_filter_emits_system_field_dimensions(aws: Account) -> None:
    """§5 #37."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    aws.group("/app/api")
    transformation = {"metricName": "Hits", "metricNamespace": "App", "metricValue": "1"}
    aws.logs.put_metric_filter(
        logGroupName="/app/api",
        filterName="m",
        filterPattern="",
        metricTransformations=[transformation],
        fieldSelectionCriteria='@aws.region = "us-east-1"',
        emitSystemFieldDimensions=["@aws.region"],
    )
    aws.logs.put_metric_filter(
        logGroupName="/app/api",
        filterName="elsewhere",
        filterPattern="",
        metricTransformations=[{**transformation, "metricName": "Never"}],
        fieldSelectionCriteria='@aws.region = "eu-west-1"',
    )
    aws.put("/app/api", "x")
    metrics = cloudwatch.list_metrics(Namespace="App")["Metrics"]
    assert [(m["MetricName"], m["Dimensions"]) for m in metrics] == [
        ("Hits", [{"Name": "@aws.region", "Value": "us-east-1"}])
    ]
    described = {f["filterName"]: f for f in aws.logs.describe_metric_filters()["metricFilters"]}
    assert described["m"]["emitSystemFieldDimensions"] == ["@aws.region"]
    code, message = error_code(
        aws.logs.put_metric_filter,
        logGroupName="/app/api",
        filterName="wide",
        filterPattern="{ $.a = * }",
        metricTransformations=[
            {**transformation, "dimensions": {"a": "$.a", "b": "$.a", "c": "$.a"}}
        ],
        emitSystemFieldDimensions=["@aws.account"],
    )
    assert code == "InvalidParameterException" and "at most 3 dimensions" in message
    code, _ = error_code(
        aws.logs.put_metric_filter,
        logGroupName="/app/api",
        filterName="bad",
        filterPattern="",
        metricTransformations=[transformation],
        emitSystemFieldDimensions=["@source.log"],
    )
    assert code == "InvalidParameterException"


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(["ERROR a", "WARN b", "INFO c", '{"level":"ERROR"}']), max_size=6),
    st.sampled_from(["ERROR", "?WARN ?INFO", '{ $.level = "ERROR" }', ""]),
)
def test_the_emulator_delivers_what_payload_says(
    aws: Account, messages: list[str], pattern: str
) -> None:
    """Each batch's Lambda delivery is :func:`cwquery.subscriptions.payload` of that batch."""
    arn, received = aws.function(f"p{len(deliveries())}")
    group = f"/p/{len(deliveries())}"
    aws.group(group)
    aws.logs.put_subscription_filter(
        logGroupName=group, filterName="f", filterPattern=pattern, destinationArn=arn
    )
    before = len(received)
    if messages:
        times = aws.put(group, *messages)
        batch = [{"timestamp": t, "message": m} for t, m in zip(times, messages, strict=True)]
    else:
        batch = []
    expected = payload(pattern, batch, log_group=group, log_stream="web-1")
    got = [decode(event) for event in received[before:]]
    if expected is None:
        assert got == []
        return
    (envelope,) = got
    for event in envelope["logEvents"]:
        assert int(event["id"]) >> 144 == event["timestamp"]
    strip = [{k: v for k, v in e.items() if k != "id"} for e in envelope["logEvents"]]
    assert strip == [{k: v for k, v in e.items() if k != "id"} for e in expected["logEvents"]]
    assert {**envelope, "logEvents": []} == {**expected, "logEvents": []}


def test_a_subscription_on_transformed_logs_delivers_the_transformed_event(aws: Account) -> None:
    """T18: with ``applyOnTransformedLogs`` the filter matches, and delivers, the event as the
    group's transformer wrote it; without the flag, the original message."""
    arn, received = aws.function("transformed")
    aws.group("/app/t")
    aws.logs.put_transformer(
        logGroupIdentifier="/app/t",
        transformerConfig=[
            {"parseJSON": {}},
            {"addKeys": {"entries": [{"key": "team", "value": "pay"}]}},
        ],
    )
    aws.logs.put_subscription_filter(
        logGroupName="/app/t",
        filterName="on-transformed",
        filterPattern='{ $.team = "pay" }',
        destinationArn=arn,
        applyOnTransformedLogs=True,
    )
    aws.put("/app/t", '{"level": "ERROR"}')
    (envelope,) = data_messages(received)
    (event,) = envelope["logEvents"]
    assert json.loads(event["message"]) == {"level": "ERROR", "team": "pay"}


def test_an_account_transformer_policy_feeds_filters_on_transformed_logs(aws: Account) -> None:
    """§1.2 with §4: a group without its own transformer is transformed by the account
    transformer policy that selects it; the group's own transformer wins over the policy."""
    arn, received = aws.function("by-policy")
    aws.logs.put_account_policy(
        policyName="app",
        policyType="TRANSFORMER_POLICY",
        policyDocument=json.dumps(
            {
                "transformerConfig": [
                    {"parseJSON": {}},
                    {"addKeys": {"entries": [{"key": "source", "value": "policy"}]}},
                ]
            }
        ),
        selectionCriteria='LogGroupNamePrefix IN ["/app/"]',
    )
    aws.group("/app/policy")
    aws.logs.put_subscription_filter(
        logGroupName="/app/policy",
        filterName="f",
        filterPattern='{ $.source = "policy" }',
        destinationArn=arn,
        applyOnTransformedLogs=True,
    )
    aws.put("/app/policy", '{"n": 1}')
    assert [json.loads(e["message"]) for m in data_messages(received) for e in m["logEvents"]] == [
        {"n": 1, "source": "policy"}
    ]
    aws.logs.put_transformer(
        logGroupIdentifier="/app/policy",
        transformerConfig=[
            {"parseJSON": {}},
            {"addKeys": {"entries": [{"key": "source", "value": "own"}]}},
        ],
    )
    aws.put("/app/policy", '{"n": 2}')  # the group's transformer now: no match, no delivery
    assert len(data_messages(received)) == 1

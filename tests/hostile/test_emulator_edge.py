"""The emulator's HTTP edge: a malformed request gets the service's 400, never a 500."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwquery.emulator.server import EmulatorServer

TARGET = "Logs_20140328."


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as running:
        yield running


def post(
    server: EmulatorServer, action: str | None, body: bytes | str
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/logs/aws4_request",
    }
    if action is not None:
        headers["X-Amz-Target"] = TARGET + action
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {"raw": raw.decode("utf-8", "replace")}
    return response.status, answer


def error_type(answer: dict[str, Any]) -> str:
    return str(answer.get("__type", "")).rsplit("#", 1)[-1]


def message(answer: dict[str, Any]) -> str:
    return str(answer.get("message") or answer.get("Message") or "")


@pytest.fixture(scope="module")
def group(server: EmulatorServer) -> str:
    name = "/hostile/edge"
    assert post(server, "CreateLogGroup", json.dumps({"logGroupName": name}))[0] == 200
    return name


def test_a_string_limit_is_a_serialization_error(server: EmulatorServer, group: str) -> None:
    status, answer = post(
        server, "FilterLogEvents", json.dumps({"logGroupName": group, "limit": "x"})
    )
    assert (status, error_type(answer)) == (400, "SerializationException")
    assert message(answer) == "STRING_VALUE can not be converted to an Integer"


def test_a_string_start_time_is_a_serialization_error(server: EmulatorServer, group: str) -> None:
    body = json.dumps({"logGroupName": group, "startTime": "yesterday"})
    status, answer = post(server, "FilterLogEvents", body)
    assert (status, error_type(answer)) == (400, "SerializationException")
    assert message(answer) == "STRING_VALUE can not be converted to a Long"


def test_a_deeply_nested_body_is_a_serialization_error(server: EmulatorServer) -> None:
    body = '{"logGroupName": ' + "[" * 50_000 + "]" * 50_000 + "}"
    status, answer = post(server, "CreateLogGroup", body)
    assert (status, error_type(answer)) == (400, "SerializationException")


def test_a_subscription_filter_without_destination(server: EmulatorServer, group: str) -> None:
    body = json.dumps({"logGroupName": group, "filterName": "f", "filterPattern": ""})
    status, answer = post(server, "PutSubscriptionFilter", body)
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    assert message(answer) == (
        "1 validation error detected: Value null at 'destinationArn' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_a_body_that_is_not_utf8(server: EmulatorServer) -> None:
    status, answer = post(server, "CreateLogGroup", b'{"logGroupName": "\xff\xfe"}')
    assert (status, error_type(answer)) == (400, "SerializationException")


def test_a_body_that_is_not_json(server: EmulatorServer) -> None:
    status, answer = post(server, "CreateLogGroup", b"{not json")
    assert (status, error_type(answer)) == (400, "SerializationException")


def test_an_unknown_action(server: EmulatorServer) -> None:
    status, answer = post(server, "StealAllLogs", "{}")
    assert (status, error_type(answer)) == (400, "UnknownOperationException")


def test_put_log_events_without_events(server: EmulatorServer, group: str) -> None:
    body = json.dumps({"logGroupName": group, "logStreamName": "s"})
    status, answer = post(server, "PutLogEvents", body)
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    assert "'logEvents' failed to satisfy constraint: Member must not be null" in message(answer)


def test_create_log_group_without_a_name(server: EmulatorServer) -> None:
    status, answer = post(server, "CreateLogGroup", "{}")
    assert (status, error_type(answer)) == (400, "InvalidParameterException")


@pytest.mark.parametrize("name", ["has space", "a:b", ""])
def test_log_group_names_follow_the_service_rules(server: EmulatorServer, name: str) -> None:
    status, answer = post(server, "CreateLogGroup", json.dumps({"logGroupName": name}))
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    assert "at 'logGroupName' failed to satisfy constraint" in message(answer)


def test_a_log_group_name_over_512_characters_gets_the_service_text(
    server: EmulatorServer,
) -> None:
    # CreateLogGroup and DeleteMetricFilter with a 513-character name, recorded from the service
    # (localstack tests/aws/services/logs/test_logs_groups.snapshot.json, 2026-02).
    for action, body in (
        ("CreateLogGroup", {"logGroupName": "x" * 513}),
        ("DeleteMetricFilter", {"logGroupName": "X" * 513, "filterName": "valid"}),
    ):
        status, answer = post(server, action, json.dumps(body))
        assert (status, error_type(answer)) == (400, "InvalidParameterException")
        assert message(answer) == (
            "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
        )


def test_a_long_value_is_quoted_whole(server: EmulatorServer) -> None:
    name = "X" * 513
    body = json.dumps({"logGroupName": "valid", "filterName": name})
    status, answer = post(server, "DeleteMetricFilter", body)
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    assert message(answer) == (
        f"1 validation error detected: Value '{name}' at 'filterName' failed to satisfy "
        "constraint: Member must have length less than or equal to 512"
    )


def test_a_list_value_is_quoted_as_the_service_prints_it(
    server: EmulatorServer, group: str
) -> None:
    names = [f"s{number}" for number in range(101)]
    body = json.dumps({"logGroupName": group, "logStreamNames": names})
    status, answer = post(server, "FilterLogEvents", body)
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    assert message(answer) == (
        f"1 validation error detected: Value '[{', '.join(names)}]' at 'logStreamNames' "
        "failed to satisfy constraint: Member must have length less than or equal to 100"
    )


def test_a_list_of_structures_names_each_structure(server: EmulatorServer, group: str) -> None:
    transformation = {"metricName": "m", "metricNamespace": "n", "metricValue": "1"}
    body = json.dumps(
        {
            "logGroupName": group,
            "filterName": "f",
            "filterPattern": "",
            "metricTransformations": [transformation, transformation],
        }
    )
    status, answer = post(server, "PutMetricFilter", body)
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    shown = (
        "MetricTransformation(metricName=m, metricNamespace=n, metricValue=1, "
        "defaultValue=null, dimensions=null, unit=null)"
    )
    assert message(answer) == (
        f"1 validation error detected: Value '[{shown}, {shown}]' at 'metricTransformations' "
        "failed to satisfy constraint: Member must have length less than or equal to 1"
    )


def test_a_delivery_destination_check_is_a_validation_exception(server: EmulatorServer) -> None:
    body = json.dumps(
        {
            "name": "dd",
            "outputFormat": "foobar",
            "deliveryDestinationConfiguration": {"destinationResourceArn": "arn:aws:s3:::b"},
        }
    )
    status, answer = post(server, "PutDeliveryDestination", body)
    assert (status, error_type(answer)) == (400, "ValidationException")
    assert "Value 'foobar' at 'outputFormat' failed to satisfy constraint" in message(answer)


def _operations_with_required_members() -> list[tuple[str, frozenset[str]]]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("logs")
    found = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.input_shape is not None and operation.input_shape.required_members:
            found.append((name, frozenset(shape.name for shape in operation.error_shapes)))
    return found


def test_every_operation_answers_with_the_exception_it_declares(server: EmulatorServer) -> None:
    # An empty body misses every required member; the answer's type must be one the
    # operation's model declares (26 newer operations declare only ValidationException).
    validation_only = 0
    for action, declared in _operations_with_required_members():
        status, answer = post(server, action, "{}")
        assert status == 400, action
        # Two deprecated operations declare neither; they answer as their family does.
        allowed = declared & {"InvalidParameterException", "ValidationException"} or {
            "InvalidParameterException"
        }
        assert error_type(answer) in allowed, (action, error_type(answer), sorted(declared))
        assert message(answer).startswith("1 validation error") or "errors detected" in message(
            answer
        ), action
        if "InvalidParameterException" not in declared and "ValidationException" in declared:
            assert error_type(answer) == "ValidationException", action
            validation_only += 1
    assert validation_only >= 20


@pytest.mark.parametrize("name", ["a:b", "a*b"])
def test_log_stream_names_follow_the_service_rules(
    server: EmulatorServer, group: str, name: str
) -> None:
    body = json.dumps({"logGroupName": group, "logStreamName": name})
    status, answer = post(server, "CreateLogStream", body)
    assert (status, error_type(answer)) == (400, "InvalidParameterException")


def test_rejected_events_carry_the_service_indexes(server: EmulatorServer, group: str) -> None:
    now = int(time.time() * 1000)
    old, fresh, future = now - 20 * 86_400_000, now - 1000, now + 5 * 3_600_000
    assert (
        post(server, "CreateLogStream", json.dumps({"logGroupName": group, "logStreamName": "r"}))[
            0
        ]
        == 200
    )
    events = [
        {"timestamp": old, "message": "old 1"},
        {"timestamp": old + 1, "message": "old 2"},
        {"timestamp": fresh, "message": "ok"},
        {"timestamp": future, "message": "new 1"},
        {"timestamp": future + 1, "message": "new 2"},
    ]
    body = json.dumps({"logGroupName": group, "logStreamName": "r", "logEvents": events})
    status, answer = post(server, "PutLogEvents", body)
    assert status == 200
    # AWS: the too-old end is exclusive, the too-new start inclusive
    assert answer["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 2,
        "tooNewLogEventStartIndex": 3,
    }


def test_put_events_counts_rejected_events_as_rejected(server: EmulatorServer) -> None:
    from cwquery.aws import put_events

    client: Any = boto3.client(
        "logs", region_name="us-east-1", endpoint_url=server.endpoint_url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    old = int(time.time() * 1000) - 20 * 86_400_000
    result = put_events(
        "/hostile/put-events", "s", [{"timestamp": old, "message": "x"}], client=client, create=True
    )
    assert (result.accepted, len(result.rejected)) == (0, 1)


def test_a_slow_match_does_not_block_other_queries_on_the_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cwquery.emulator import filtering, mock_logs
    from cwquery.emulator.filtering import FilterQuery, filter_page
    from cwquery.emulator.server import logs_backend

    release = threading.Event()
    entered = threading.Event()
    real_plan_for = filtering.plan_for  # type: ignore[attr-defined]

    class Blocking:
        def __init__(self, inner: Any) -> None:
            self.pattern = inner.pattern
            self.inner = inner

        def matches(self, text: str) -> bool:
            entered.set()
            release.wait(30)
            return bool(self.inner.matches(text))

    def plan_blocking(pattern: Any) -> Any:
        inner = real_plan_for(pattern)
        return Blocking(inner) if inner.text == "slow" else inner

    monkeypatch.setattr(filtering, "plan_for", plan_blocking)
    with mock_logs():
        client = boto3.client("logs", region_name="us-east-1")
        client.create_log_group(logGroupName="/g")
        client.create_log_stream(logGroupName="/g", logStreamName="s")
        now = int(time.time() * 1000)
        client.put_log_events(
            logGroupName="/g", logStreamName="s",
            logEvents=[{"timestamp": now, "message": "slow one"}],
        )  # fmt: skip
        group = logs_backend().groups["/g"]
        slow = threading.Thread(target=filter_page, args=(group, FilterQuery(pattern="slow")))
        slow.start()
        try:
            assert entered.wait(30)
            done: list[int] = []
            fast = threading.Thread(
                target=lambda: done.append(
                    len(filter_page(group, FilterQuery(pattern="one")).events)
                )
            )
            fast.start()
            fast.join(20)
            assert done == [1], "the second query finished while the first was still matching"
        finally:
            release.set()
            slow.join(30)


JSON_LEAVES = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=20)
JSON = st.recursive(
    JSON_LEAVES | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
MEMBERS = st.sampled_from(
    ["logGroupName", "logStreamName", "limit", "startTime", "endTime", "filterPattern",
     "logEvents", "nextToken", "filterName", "destinationArn", "logStreamNames",
     "metricTransformations", "logEventMessages", "interleaved", "orderBy", "descending"]
)  # fmt: skip
ACTIONS = st.sampled_from(
    ["CreateLogGroup", "CreateLogStream", "PutLogEvents", "FilterLogEvents", "GetLogEvents",
     "DescribeLogGroups", "DescribeLogStreams", "PutMetricFilter", "TestMetricFilter",
     "PutSubscriptionFilter", "DeleteLogGroup", "PutRetentionPolicy", "Nope"]
)  # fmt: skip
FUZZ_REQUESTS = 200


@settings(
    max_examples=FUZZ_REQUESTS,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(action=ACTIONS, body=st.dictionaries(MEMBERS, JSON, max_size=5))
def test_fuzzed_requests_never_get_a_500(
    server: EmulatorServer, action: str, body: dict[str, Any]
) -> None:
    status, answer = post(server, action, json.dumps(body))
    assert status < 500, (action, body, answer)
    if status >= 400:
        assert error_type(answer), answer


def _batch(messages: list[str]) -> list[dict[str, Any]]:
    now = int(time.time() * 1000)
    return [{"timestamp": now, "message": text} for text in messages]


def test_a_batch_over_one_mebibyte_is_refused(server: EmulatorServer) -> None:
    # 4 events of 131,059 two-byte characters: 4 * (262,118 + 26) = 1,048,576 bytes, the limit.
    body = {"logGroupName": "/hostile/batch-size", "logStreamName": "s"}
    assert (
        post(server, "CreateLogGroup", json.dumps({"logGroupName": body["logGroupName"]}))[0] == 200
    )
    assert post(server, "CreateLogStream", json.dumps(body))[0] == 200
    at_limit = ["é" * 131_059] * 4
    over = [*at_limit[:3], at_limit[3] + "a"]
    status, answer = post(server, "PutLogEvents", json.dumps({**body, "logEvents": _batch(over)}))
    assert (status, error_type(answer)) == (400, "InvalidParameterException")
    assert message(answer) == "Upload too large: 1048577 bytes exceeds limit of 1048576"
    stored = post(server, "GetLogEvents", json.dumps({**body, "startFromHead": True}))[1]
    assert stored["events"] == []
    status, answer = post(
        server, "PutLogEvents", json.dumps({**body, "logEvents": _batch(at_limit)})
    )
    assert status == 200, answer
    stored = post(server, "GetLogEvents", json.dumps({**body, "startFromHead": True}))[1]
    assert len(stored["events"]) == 4


def test_a_lone_surrogate_counts_three_bytes() -> None:
    from cwquery.emulator.hooks import batch_size

    assert batch_size([{"message": "\ud800"}]) == 3 + 26

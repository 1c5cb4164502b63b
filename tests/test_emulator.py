"""The exact emulator in process: FilterLogEvents, TestMetricFilter, errors, install/uninstall."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
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
    walkthrough_patterns,
)
from moto import mock_aws
from moto.logs.models import LogStream, logs_backends

import cwquery
from cwquery.emulator import (
    MotoCompatibilityError,
    check_moto,
    filter_page,
    install,
    is_installed,
    mock_logs,
    uninstall,
)
from cwquery.emulator.filtering import FilterQuery

ACCOUNT = "123456789012"


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_logs():
        yield boto3.client("logs", region_name=REGION)


@pytest.fixture
def unchecked(logs: Any) -> Any:
    """A client that sends what it is given (botocore's own checks off), as other SDKs may."""
    return boto3.client("logs", region_name=REGION, config=Config(parameter_validation=False))


def error_of(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


# ------------------------------------------------------------------ walkthrough scenario


def test_walkthrough_patterns_give_what_local_evaluation_gives(logs: Any) -> None:
    messages = walkthrough_messages()
    populate(logs, messages)
    patterns = walkthrough_patterns()
    assert len(patterns) >= 30
    wrong = {}
    for pattern in patterns:
        expected = [m for m in messages if cwquery.compile(pattern).matches(m)]
        for page_size in (4, 10_000):
            events, _ = read_all(logs, logGroupName=GROUP, filterPattern=pattern, limit=page_size)
            got = [event["message"] for event in events]
            if got != expected:
                wrong[(pattern, page_size)] = (len(got), len(expected))
    assert wrong == {}


@pytest.mark.parametrize(("pattern", "count"), REFERENCE_COUNTS)
def test_reference_pattern_counts(logs: Any, pattern: str, count: int) -> None:
    populate(logs, walkthrough_messages(), streams=3)
    events, _ = read_all(logs, logGroupName=GROUP, filterPattern=pattern)
    assert len(events) == count


def test_event_fields(logs: Any) -> None:
    base = populate(logs, ["ERROR one", "INFO two"], streams=2)
    page = logs.filter_log_events(logGroupName=GROUP, filterPattern="ERROR")
    (event,) = page["events"]
    assert event["logStreamName"] == "stream-00"
    assert event["timestamp"] == base
    assert event["message"] == "ERROR one"
    assert event["ingestionTime"] >= base
    assert event["eventId"].isdigit()
    assert page["searchedLogStreams"] == []
    assert "nextToken" not in page


# ------------------------------------------------------------------ order (D29), time (D20)


def test_order_across_streams_ignores_interleaved(logs: Any) -> None:
    base = now_ms() - 1000
    logs.create_log_group(logGroupName="order")
    for name, offset in (("a", 0), ("b", 1)):
        logs.create_log_stream(logGroupName="order", logStreamName=name)
        logs.put_log_events(
            logGroupName="order",
            logStreamName=name,
            logEvents=[
                {"timestamp": base + 2 * n + offset, "message": f"{name}{n}"} for n in range(3)
            ],
        )
    for interleaved in (False, True):
        page = logs.filter_log_events(logGroupName="order", interleaved=interleaved)
        assert [e["message"] for e in page["events"]] == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_equal_timestamps_order_by_ingestion_time_then_put_order(logs: Any) -> None:
    stamp = now_ms() - 1000
    logs.create_log_group(logGroupName="ties")
    for name in ("a", "b", "c"):
        logs.create_log_stream(logGroupName="ties", logStreamName=name)
    for name in ("c", "a", "b"):  # put order: c, a, b
        logs.put_log_events(
            logGroupName="ties",
            logStreamName=name,
            logEvents=[{"timestamp": stamp, "message": name}],
        )
    backend_group = logs_backends[ACCOUNT][REGION].groups["ties"]
    late = backend_group.streams["c"].events[0]
    late.ingestion_time = backend_group.streams["b"].events[0].ingestion_time + 5
    page = logs.filter_log_events(logGroupName="ties")
    assert [e["message"] for e in page["events"]] == ["a", "b", "c"]


def test_time_bounds_are_inclusive_for_filter_and_end_exclusive_for_get(logs: Any) -> None:
    base = populate(logs, [f"event {k}" for k in range(10)], streams=1)
    page = logs.filter_log_events(logGroupName=GROUP, startTime=base + 2, endTime=base + 5)
    assert [e["message"] for e in page["events"]] == [f"event {k}" for k in range(2, 6)]
    got = logs.get_log_events(
        logGroupName=GROUP,
        logStreamName="stream-00",
        startTime=base + 2,
        endTime=base + 5,
        startFromHead=True,
    )
    assert [e["message"] for e in got["events"]] == [f"event {k}" for k in range(2, 5)]


def test_events_put_later_with_earlier_timestamps_are_merged(logs: Any) -> None:
    base = populate(logs, [f"late {k}" for k in range(5)], streams=1, base=now_ms() - 500)
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="stream-00",
        logEvents=[{"timestamp": base - 100 + k, "message": f"early {k}"} for k in range(3)],
    )
    events, _ = read_all(logs, logGroupName=GROUP, limit=2)
    assert [e["message"] for e in events] == [f"early {k}" for k in range(3)] + [
        f"late {k}" for k in range(5)
    ]


# ------------------------------------------------------------------ selecting streams and groups


def test_stream_names_and_prefix(logs: Any) -> None:
    messages = [f"m{k}" for k in range(14)]
    populate(logs, messages, streams=7)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="other")
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName="other",
        logEvents=[{"timestamp": now_ms(), "message": "x"}],
    )
    named, _ = read_all(
        logs, logGroupName=GROUP, logStreamNames=["stream-01", "stream-03"], limit=1
    )
    assert [e["message"] for e in named] == ["m1", "m3", "m8", "m10"]
    prefixed, _ = read_all(logs, logGroupName=GROUP, logStreamNamePrefix="stream-")
    assert [e["message"] for e in prefixed] == messages
    other, _ = read_all(logs, logGroupName=GROUP, logStreamNamePrefix="oth")
    assert [e["message"] for e in other] == ["x"]
    code, message = error_of(
        logs.filter_log_events,
        logGroupName=GROUP,
        logStreamNames=["stream-01"],
        logStreamNamePrefix="stream",
    )
    assert code == "InvalidParameterException"
    assert "logStreamNamePrefix" in message


def test_log_group_identifier_name_or_arn(logs: Any) -> None:
    populate(logs, ["ERROR a", "INFO b"], streams=1)
    arn = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]["logGroupArn"]
    for identifier in (GROUP, arn, arn + ":*"):
        page = logs.filter_log_events(logGroupIdentifier=identifier, filterPattern="ERROR")
        assert [e["message"] for e in page["events"]] == ["ERROR a"]
    code, _ = error_of(logs.filter_log_events, logGroupName=GROUP, logGroupIdentifier=arn)
    assert code == "InvalidParameterException"
    code, _ = error_of(logs.filter_log_events)
    assert code == "InvalidParameterException"
    code, message = error_of(logs.filter_log_events, logGroupIdentifier=arn.replace("test", "nope"))
    assert (code, message) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    code, _ = error_of(logs.filter_log_events, logGroupName="/nope")
    assert code == "ResourceNotFoundException"


# ------------------------------------------------------------------ limit and tokens


@pytest.mark.parametrize(
    ("limit", "constraint"),
    [
        (0, "Member must have value greater than or equal to 1"),
        (10001, "Member must have value less than or equal to 10000"),
    ],
)
def test_limit_bounds(unchecked: Any, limit: int, constraint: str) -> None:
    populate(unchecked, ["a"], streams=1)
    code, message = error_of(unchecked.filter_log_events, logGroupName=GROUP, limit=limit)
    assert code == "InvalidParameterException"
    assert message == (
        f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
        f"{constraint}"
    )
    assert unchecked.filter_log_events(logGroupName=GROUP, limit=10000)["events"]


def test_pages_fill_and_end_without_token(logs: Any) -> None:
    messages = [f"{'ERROR' if k % 3 == 0 else 'INFO'} {k}" for k in range(50)]
    populate(logs, messages, streams=4)
    events, pages = read_all(logs, logGroupName=GROUP, filterPattern="ERROR", limit=5)
    assert [e["message"] for e in events] == [m for m in messages if m.startswith("ERROR")]
    assert pages == 4  # 17 matches at 5 a page, and no empty page at the end


def test_sparse_matches_never_give_empty_pages(logs: Any) -> None:
    messages = ["noise"] * 400
    for k in (3, 250, 399):
        messages[k] = f"needle {k}"
    populate(logs, messages, streams=5)
    tokens = set()
    sent = None
    pages = []
    while True:
        request: dict[str, Any] = {"logGroupName": GROUP, "filterPattern": "needle", "limit": 1}
        if sent:
            request["nextToken"] = sent
        page = logs.filter_log_events(**request)
        pages.append([e["message"] for e in page["events"]])
        sent = page.get("nextToken")
        if sent is None:
            break
        assert sent not in tokens
        tokens.add(sent)
    assert pages == [["needle 3"], ["needle 250"], ["needle 399"]]


def test_bad_tokens_are_refused(logs: Any) -> None:
    populate(logs, [f"ERROR {k}" for k in range(6)], streams=2)
    logs.create_log_group(logGroupName="elsewhere")
    token = logs.filter_log_events(logGroupName=GROUP, limit=2)["nextToken"]
    refusals = [
        {"logGroupName": GROUP, "nextToken": "garbage"},
        {"logGroupName": GROUP, "nextToken": token[:-3]},
        {"logGroupName": "elsewhere", "nextToken": token},
        {"logGroupName": GROUP, "nextToken": token, "filterPattern": "ERROR"},
        {"logGroupName": GROUP, "nextToken": token, "startTime": 1},
    ]
    for request in refusals:
        code, message = error_of(logs.filter_log_events, limit=2, **request)
        assert (code, message) == (
            "InvalidParameterException",
            "The specified nextToken is invalid.",
        )
    resumed = logs.filter_log_events(logGroupName=GROUP, limit=2, nextToken=token)
    assert [e["message"] for e in resumed["events"]] == ["ERROR 2", "ERROR 3"]


def test_newest_first(logs: Any) -> None:
    base = populate(logs, [f"e{k}" for k in range(9)], streams=3)
    events, pages = read_all(logs, logGroupName=GROUP, startFromHead=False, limit=4)
    assert [e["message"] for e in events] == [f"e{k}" for k in reversed(range(9))]
    assert pages == 3
    window, _ = read_all(
        logs, logGroupName=GROUP, startFromHead=False, startTime=base + 2, endTime=base + 6, limit=2
    )
    assert [e["message"] for e in window] == ["e6", "e5", "e4", "e3", "e2"]
    code, _ = error_of(logs.filter_log_events, logGroupName=GROUP, startFromHead=False, startTime=5)
    assert code == "InvalidParameterException"


def test_paging_reads_only_the_page() -> None:
    with mock_logs():
        logs = boto3.client("logs", region_name=REGION)
        populate(logs, [f"event {k}" for k in range(3000)], streams=6)
        group = logs_backends[ACCOUNT][REGION].groups[GROUP]
        query = FilterQuery()
        token = None
        seen = 0
        while True:
            page = filter_page(group, query, limit=100, next_token=token)
            assert page.scanned <= 101
            seen += len(page.events)
            token = page.next_token
            if token is None:
                break
        assert seen == 3000
        # moto's own callers (export tasks) reach the same engine
        events, token, _ = logs_backends[ACCOUNT][REGION].filter_log_events(
            GROUP, ["stream-00"], 0, 0, 10, None, "event", False
        )
        assert [e["message"] for e in events] == [f"event {k}" for k in range(0, 60, 6)]
        assert token is not None


# ------------------------------------------------------------------ invalid patterns, every API

INVALID = [
    ("{ $.a = 1", "If a filter pattern starts with '{' it must end with '}'"),
    ("[..., status = 4*, ...]", "Duplicate field '...'"),
    ("%Status: (timeout|error)%", "Invalid character(s) in term '('"),
    ("{ $.a == 1 }", None),
    ("[a, b", None),
    ('"ERROR', None),
]


@pytest.mark.parametrize(("pattern", "specific"), INVALID)
def test_invalid_patterns_fail_on_every_api(logs: Any, pattern: str, specific: str | None) -> None:
    populate(logs, ["ERROR x"], streams=1)
    transformation = {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}
    destination = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:*"
    calls: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
        (logs.filter_log_events, {"logGroupName": GROUP}, "Invalid filter pattern"),
        (
            logs.test_metric_filter,
            {"logEventMessages": ["ERROR x"]},
            "Invalid filter pattern",
        ),
        (
            logs.put_metric_filter,
            {"logGroupName": GROUP, "filterName": "f", "metricTransformations": [transformation]},
            "Invalid metric filter pattern",
        ),
        (
            logs.put_subscription_filter,
            {"logGroupName": GROUP, "filterName": "f", "destinationArn": destination},
            "Invalid subscription filter pattern",
        ),
    ]
    for call, request, generic in calls:
        code, message = error_of(call, filterPattern=pattern, **request)
        assert code == "InvalidParameterException"
        assert message == (specific or generic)
    assert logs.describe_metric_filters(logGroupName=GROUP)["metricFilters"] == []
    assert logs.describe_subscription_filters(logGroupName=GROUP)["subscriptionFilters"] == []


def test_live_tail_uses_the_same_matching(logs: Any) -> None:
    if not hasattr(logs_backends[ACCOUNT][REGION], "start_live_tail"):
        pytest.skip("this moto has no StartLiveTail")
    populate(logs, walkthrough_messages(), streams=3)
    arn = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]["logGroupArn"]
    for pattern, count in REFERENCE_COUNTS:
        response = logs.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern=pattern)
        updates = [item for item in response["responseStream"] if "sessionUpdate" in item]
        assert len(updates[0]["sessionUpdate"]["sessionResults"]) == count, pattern
    code, message = error_of(
        logs.start_live_tail, logGroupIdentifiers=[arn], logEventFilterPattern="{"
    )
    assert (code, message) == (
        "InvalidParameterException",
        "If a filter pattern starts with '{' it must end with '}'",
    )


# ------------------------------------------------------------------ TestMetricFilter


def test_test_metric_filter_answers_as_cwquery(logs: Any) -> None:
    messages = walkthrough_messages()
    patterns = [*walkthrough_patterns(), "[..., size]", "[]", "[ip, ..., status = 4*, bytes]"]
    for pattern in patterns:
        answer = logs.test_metric_filter(filterPattern=pattern, logEventMessages=messages)
        assert answer["matches"] == cwquery.test_metric_filter(pattern, messages)["matches"], (
            pattern
        )
    answer = logs.test_metric_filter(
        filterPattern="[..., status = 404, size]", logEventMessages=messages
    )
    assert [m["eventNumber"] for m in answer["matches"]] == [28]
    assert answer["matches"][0]["extractedValues"]["$status"] == "404"


def test_test_metric_filter_limits(unchecked: Any) -> None:
    code, message = error_of(
        unchecked.test_metric_filter, filterPattern="x", logEventMessages=["m"] * 51
    )
    assert code == "InvalidParameterException"
    assert message.endswith("Member must have length less than or equal to 50")
    code, message = error_of(unchecked.test_metric_filter, filterPattern="x", logEventMessages=[])
    assert message.endswith("Member must have length greater than or equal to 1")
    code, message = error_of(
        unchecked.test_metric_filter, filterPattern="x", logEventMessages=["a", ""]
    )
    assert "'logEventMessages.2.member'" in message
    assert unchecked.test_metric_filter(filterPattern="", logEventMessages=["m"] * 50)["matches"]


# ------------------------------------------------------------------ install / uninstall


def test_uninstall_gives_moto_back() -> None:
    messages = walkthrough_messages()
    with mock_aws():
        logs = boto3.client("logs", region_name=REGION)
        populate(logs, messages, streams=1)
        request = {"logGroupName": GROUP, "filterPattern": "{ $.i > 90 }"}
        assert len(logs.filter_log_events(**request)["events"]) == len(messages)  # moto alone
        install()
        try:
            assert is_installed()
            install()  # idempotent
            assert len(logs.filter_log_events(**request)["events"]) == 2
        finally:
            uninstall()
        assert not is_installed()
        assert len(logs.filter_log_events(**request)["events"]) == len(messages)


def test_mock_logs_leaves_an_explicit_install_alone() -> None:
    install()
    try:
        with mock_logs():
            assert is_installed()
        assert is_installed()
    finally:
        uninstall()
    with mock_logs():
        assert is_installed()
    assert not is_installed()


def test_mock_logs_is_a_decorator() -> None:
    @mock_logs()
    def run() -> int:
        logs = boto3.client("logs", region_name=REGION)
        populate(logs, walkthrough_messages(), streams=2)
        return len(logs.filter_log_events(logGroupName=GROUP, filterPattern="%ERR.R%")["events"])

    assert run() == 4
    assert not is_installed()


def test_moto_internals_are_where_the_patch_expects_them(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check_moto() == []

    def moved(self: Any, service: str, destination: str, log_events: list[Any]) -> None:
        """A _send_log_events whose parameters changed."""

    monkeypatch.setattr(LogStream, "_send_log_events", moved)
    problems = check_moto()
    assert len(problems) == 1 and "_send_log_events" in problems[0]
    with pytest.raises(MotoCompatibilityError, match="_send_log_events"):
        install()
    assert not is_installed()
    assert inspect.signature(LogStream.put_log_events).parameters.keys() == {"self", "log_events"}


def test_pattern_length_limit(unchecked: Any) -> None:
    populate(unchecked, ["a"], streams=1)
    for call, request in (
        (unchecked.filter_log_events, {"logGroupName": GROUP}),
        (unchecked.test_metric_filter, {"logEventMessages": ["a"]}),
    ):
        code, message = error_of(call, filterPattern="a" * 1025, **request)
        assert code == "InvalidParameterException"
        assert message.endswith("Member must have length less than or equal to 1024")
    assert unchecked.filter_log_events(logGroupName=GROUP, filterPattern="a" * 1024)["events"] == []

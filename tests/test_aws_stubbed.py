"""Paging, retries and batching against botocore's Stubber: exact requests, scripted responses.

Each test queues the responses the service would give and, with ``expected_params``, the exact
request cwquery must send. No network, no sleeping (the retry policy's sleep is recorded).
"""

import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, PaginationError
from botocore.stub import Stubber

from cwquery import PatternError
from cwquery.aws import (
    MAX_BATCH_BYTES,
    AwsQueryError,
    InvalidEventError,
    Logger,
    PutEventsError,
    RetryPolicy,
    call_aws,
    ensure_log_stream,
    event_order,
    filter_events,
    make_client,
    plan_batches,
    put_batch,
    put_events,
    read_stream,
)

GROUP = "/myapp/test"


@pytest.fixture(scope="module")
def session() -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def client(session: Any) -> Any:
    return session.client("logs")


@pytest.fixture
def stub(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


class Sleeps:
    """A retry policy whose sleeps are recorded instead of slept; jitter is pinned to 1."""

    def __init__(self, max_attempts: int = 8) -> None:
        self.slept: list[float] = []
        self.policy = RetryPolicy(
            max_attempts=max_attempts,
            base_delay=0.25,
            max_delay=20.0,
            sleep=self.slept.append,
            jitter=lambda: 1.0,
        )


def event(n: int, stream: str = "s", ts: int | None = None, ingestion: int = 0) -> dict[str, Any]:
    return {
        "logStreamName": stream,
        "timestamp": 1000 + n if ts is None else ts,
        "message": f"event {n}",
        "ingestionTime": ingestion or 2000 + n,
        "eventId": f"{n:056d}",
    }


def page(events: list[dict[str, Any]], token: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"events": events, "searchedLogStreams": []}
    if token:
        response["nextToken"] = token
    return response


def request(token: str | None = None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"logGroupName": GROUP, **extra}
    if token:
        params["nextToken"] = token
    return params


def messages(events: Any) -> list[str]:
    return [e["message"] for e in events]


# --- filter_events: paging ---------------------------------------------------------------------


def test_empty_pages_that_carry_a_token_are_followed(client: Any, stub: Stubber) -> None:
    pattern = {"filterPattern": '{ $.level = "ERROR" }'}
    stub.add_response("filter_log_events", page([event(1)], "t1"), request(**pattern))
    stub.add_response("filter_log_events", page([], "t2"), request("t1", **pattern))
    stub.add_response("filter_log_events", page([], "t3"), request("t2", **pattern))
    stub.add_response("filter_log_events", page([event(2)]), request("t3", **pattern))
    found = filter_events("{$.level=ERROR}", GROUP, client=client)
    assert messages(found) == ["event 1", "event 2"]
    assert found.stats.requests == 4 and found.stats.empty_pages == 2
    assert found.stats.stop_reasons == ["done"]


def test_a_repeated_token_stops_with_a_warning(
    client: Any, stub: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    stub.add_response("filter_log_events", page([event(1)], "t1"), request())
    stub.add_response("filter_log_events", page([event(2)], "t1"), request("t1"))
    with caplog.at_level(logging.WARNING, logger="cwquery"):
        found = filter_events("", GROUP, client=client)
        assert messages(found) == ["event 1", "event 2"]
    assert found.stats.stop_reasons == ["repeated-token"]
    assert "already sent" in caplog.text


def test_a_token_cycle_also_stops(client: Any, stub: Stubber) -> None:
    stub.add_response("filter_log_events", page([event(1)], "t1"), request())
    stub.add_response("filter_log_events", page([], "t2"), request("t1"))
    stub.add_response("filter_log_events", page([], "t1"), request("t2"))
    found = filter_events(None, GROUP, client=client)
    assert messages(found) == ["event 1"]
    assert found.stats.stop_reasons == ["repeated-token"]


def test_botocores_paginator_raises_where_filter_events_stops(client: Any, stub: Stubber) -> None:
    """The trap filter_events exists for: the stock paginator fails on the same responses."""
    stub.add_response("filter_log_events", page([event(1)], "t1"), request())
    stub.add_response("filter_log_events", page([event(2)], "t1"), request("t1"))
    with pytest.raises(PaginationError, match="same next token"):
        for _ in client.get_paginator("filter_log_events").paginate(logGroupName=GROUP):
            pass


def test_too_many_empty_pages_in_a_row_gives_up(
    client: Any, stub: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    stub.add_response("filter_log_events", page([event(1)], "t1"), request())
    stub.add_response("filter_log_events", page([], "t2"), request("t1"))
    stub.add_response("filter_log_events", page([event(2)], "t3"), request("t2"))
    for n in range(3, 6):
        stub.add_response("filter_log_events", page([], f"t{n + 1}"), request(f"t{n}"))
    with caplog.at_level(logging.WARNING, logger="cwquery"):
        found = filter_events("", GROUP, client=client, max_empty_pages=3)
        assert messages(found) == ["event 1", "event 2"]
    assert found.stats.stop_reasons == ["empty-pages"]
    assert found.stats.requests == 6 and "3 empty pages in a row" in caplog.text


def test_limit_bounds_both_requests_and_results(client: Any, stub: Stubber) -> None:
    stub.add_response("filter_log_events", page([event(1), event(2)], "t1"), request(limit=2))
    stub.add_response("filter_log_events", page([event(3)], "t2"), request("t1", limit=1))
    found = filter_events("", GROUP, client=client, limit=3, page_size=2)
    assert messages(found) == ["event 1", "event 2", "event 3"]
    assert found.stats.stop_reasons == ["limit"]


def test_times_prefix_and_canonical_pattern_are_sent(client: Any, stub: Stubber) -> None:
    params = request(
        filterPattern="?ERROR ?WARN",
        startTime=1_714_564_800_000,
        endTime=1_714_568_400_000,
        logStreamNamePrefix="web_",
    )
    stub.add_response("filter_log_events", page([]), params)
    found = filter_events(
        "?ERROR  ?WARN",
        GROUP,
        client=client,
        start="2024-05-01T12:00:00Z",
        end="1h",
        now=1_714_568_400_000 + 3_600_000,
        stream_prefix="web_",
    )
    assert list(found) == []


def test_more_than_100_streams_are_split_into_requests(client: Any, stub: Stubber) -> None:
    names = [f"s{n:03d}" for n in range(150)]
    stub.add_response(
        "filter_log_events", page([event(2, "s001")]), request(logStreamNames=names[:100])
    )
    stub.add_response(
        "filter_log_events", page([event(1, "s120")]), request(logStreamNames=names[100:])
    )
    found = filter_events("", GROUP, client=client, streams=names)
    assert [e["logStreamName"] for e in found] == ["s120", "s001"]


def test_several_groups_merge_in_service_order(client: Any, stub: Stubber) -> None:
    a = [event(1, ts=10), event(3, ts=30, ingestion=5), event(5, ts=50)]
    b = [event(2, ts=20), event(4, ts=30, ingestion=4), event(6, ts=60)]
    stub.add_response("filter_log_events", page(a[:2], "a1"), {"logGroupName": "/a"})
    stub.add_response("filter_log_events", page(b), {"logGroupName": "/b"})
    stub.add_response("filter_log_events", page(a[2:]), {"logGroupName": "/a", "nextToken": "a1"})
    found = list(filter_events("", ["/a", "/b"], client=client))
    assert messages(found) == [f"event {n}" for n in (1, 2, 4, 3, 5, 6)]
    assert [e["logGroupName"] for e in found] == ["/a", "/b", "/b", "/a", "/a", "/b"]


def test_event_order_compares_ids_as_numbers() -> None:
    events = [{"timestamp": 5, "ingestionTime": 1, "eventId": i} for i in ("10", "9", "x")]
    assert [e["eventId"] for e in sorted(events, key=event_order)] == ["x", "9", "10"]


def test_a_bad_pattern_fails_before_any_request(client: Any, stub: Stubber) -> None:
    with pytest.raises(PatternError) as caught:
        filter_events("{ $.level == ERROR }", GROUP, client=client)
    assert caught.value.code == "syntax"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"streams": ["a"], "stream_prefix": "a"}, "not both"),
        ({"start": "2024-05-02", "end": "2024-05-01"}, "start is after end"),
        ({"limit": 0}, "limit"),
        ({"page_size": 10_001}, "page_size"),
        ({"streams": []}, "streams is empty"),
        ({"start": "last tuesday"}, "cannot read"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    client: Any, stub: Stubber, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        filter_events("", GROUP, client=client, **kwargs)


# --- retries -------------------------------------------------------------------------------------


def test_throttling_is_retried_with_jittered_backoff(client: Any, stub: Stubber) -> None:
    sleeps = Sleeps()
    stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded")
    stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded")
    stub.add_client_error("filter_log_events", "ServiceUnavailableException", http_status_code=503)
    stub.add_response("filter_log_events", page([event(1)]), request())
    found = filter_events("", GROUP, client=client, retry=sleeps.policy)
    assert messages(found) == ["event 1"]
    assert sleeps.slept == [0.25, 0.5, 1.0]


def test_jitter_spreads_waits_below_the_cap() -> None:
    values = iter([0.0, 0.5, 0.999])
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0, jitter=lambda: next(values))
    assert [policy.delay(n) for n in (1, 2, 5)] == [0.0, 1.0, 0.999 * 3.0]


def test_throttling_that_persists_raises_with_the_code(client: Any, stub: Stubber) -> None:
    sleeps = Sleeps(max_attempts=3)
    for _ in range(3):
        stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded")
    with pytest.raises(AwsQueryError) as caught:
        list(filter_events("", GROUP, client=client, retry=sleeps.policy))
    err = caught.value
    assert (err.code, err.operation, err.attempts) == (
        "ThrottlingException",
        "filter_log_events",
        3,
    )
    assert "Rate exceeded" in str(err) and "after 3 attempts" in str(err)
    assert sleeps.slept == [0.25, 0.5]


def test_too_many_requests_status_is_retried(client: Any, stub: Stubber) -> None:
    sleeps = Sleeps()
    stub.add_client_error("filter_log_events", "TooManyRequestsException", http_status_code=429)
    stub.add_client_error("filter_log_events", "SomethingNew", http_status_code=500)
    stub.add_response("filter_log_events", page([]), request())
    assert list(filter_events("", GROUP, client=client, retry=sleeps.policy)) == []
    assert len(sleeps.slept) == 2


def test_client_errors_are_not_retried(client: Any, stub: Stubber) -> None:
    sleeps = Sleeps()
    stub.add_client_error(
        "filter_log_events", "ResourceNotFoundException", "The specified log group does not exist."
    )
    with pytest.raises(AwsQueryError) as caught:
        list(filter_events("", GROUP, client=client, retry=sleeps.policy))
    assert caught.value.code == "ResourceNotFoundException" and caught.value.attempts == 1
    assert sleeps.slept == []


# --- read_stream ---------------------------------------------------------------------------------


def get_page(events: list[dict[str, Any]], forward: str, backward: str = "b/0") -> dict[str, Any]:
    stripped = [{k: e[k] for k in ("timestamp", "message", "ingestionTime")} for e in events]
    return {"events": stripped, "nextForwardToken": forward, "nextBackwardToken": backward}


def stream_request(token: str | None = None, head: bool = True) -> dict[str, Any]:
    params: dict[str, Any] = {"logGroupName": GROUP, "logStreamName": "s", "startFromHead": head}
    if token:
        params["nextToken"] = token
    return params


def test_read_stream_stops_when_the_forward_token_repeats(client: Any, stub: Stubber) -> None:
    stub.add_response("get_log_events", get_page([event(1), event(2)], "f/2"), stream_request())
    stub.add_response("get_log_events", get_page([], "f/3"), stream_request("f/2"))
    stub.add_response("get_log_events", get_page([event(3)], "f/4"), stream_request("f/3"))
    stub.add_response("get_log_events", get_page([], "f/4"), stream_request("f/4"))
    found = list(read_stream(GROUP, "s", client=client))
    assert messages(found) == ["event 1", "event 2", "event 3"]
    assert found[0]["logStreamName"] == "s" and found[0]["logGroupName"] == GROUP


def test_read_stream_from_the_tail_goes_backwards(client: Any, stub: Stubber) -> None:
    stub.add_response(
        "get_log_events", get_page([event(3), event(4)], "f/4", "b/3"), stream_request(head=False)
    )
    stub.add_response(
        "get_log_events", get_page([event(1), event(2)], "f/2", "b/1"), stream_request("b/3", False)
    )
    stub.add_response("get_log_events", get_page([], "f/0", "b/1"), stream_request("b/1", False))
    found = read_stream(GROUP, "s", start_from_head=False, client=client)
    assert messages(found) == ["event 4", "event 3", "event 2", "event 1"]


def test_read_stream_is_lazy(client: Any, stub: Stubber) -> None:
    read_stream(GROUP, "s", client=client)  # no request until iterated: the stub has none queued


# --- put_events ----------------------------------------------------------------------------------


def sized(n: int, size: int, ts: int = 0) -> dict[str, Any]:
    return {"timestamp": ts, "message": f"{n:08d}".ljust(size - 26, "x")}


def test_batches_fill_up_to_exactly_the_byte_limit() -> None:
    quarter = MAX_BATCH_BYTES // 4
    exact = [sized(n, quarter) for n in range(4)]
    assert [len(b) for b in plan_batches(exact)] == [4]
    over = [*exact[:3], sized(3, quarter + 1)]
    assert [len(b) for b in plan_batches(over)] == [3, 1]


def test_batches_hold_at_most_10000_events() -> None:
    events = [(n, "m") for n in range(20_001)]
    assert [len(b) for b in plan_batches(events)] == [10_000, 10_000, 1]


def test_batches_span_less_than_24_hours() -> None:
    day = 24 * 3600 * 1000
    assert [len(b) for b in plan_batches([(0, "a"), (day - 1, "b")])] == [2]
    assert [len(b) for b in plan_batches([(0, "a"), (day, "b"), (day + 5, "c")])] == [1, 2]


def test_events_are_sorted_stably() -> None:
    (batch,) = plan_batches([(5, "c"), (1, "a"), (5, "d"), (1, "b")])
    assert messages(batch) == ["a", "b", "c", "d"]


def test_an_event_over_the_limit_is_an_error_before_any_request(client: Any, stub: Stubber) -> None:
    fine = sized(0, MAX_BATCH_BYTES)
    too_big = sized(1, MAX_BATCH_BYTES + 1)
    with pytest.raises(InvalidEventError, match="over the 1048576-byte limit") as caught:
        put_events(GROUP, "s", [fine, too_big], client=client)
    assert caught.value.index == 1


def test_an_empty_message_is_an_error(client: Any, stub: Stubber) -> None:
    with pytest.raises(InvalidEventError, match="empty"):
        put_events(GROUP, "s", [(1, "ok"), (2, "")], client=client)


def test_put_events_sends_sorted_batches_without_sequence_tokens(
    client: Any, stub: Stubber
) -> None:
    half = MAX_BATCH_BYTES // 2
    first = [sized(0, half, ts=1), sized(1, half, ts=2)]
    second = [sized(2, 100, ts=3)]
    for batch in (first, second):
        stub.add_response(
            "put_log_events",
            {},
            {"logGroupName": GROUP, "logStreamName": "s", "logEvents": batch},
        )
    result = put_events(GROUP, "s", [second[0], first[1], first[0]], client=client)
    assert (result.accepted, result.batches, result.rejected) == (3, 2, [])


def test_rejected_events_are_reported(
    client: Any, stub: Stubber, caplog: pytest.LogCaptureFixture
) -> None:
    events = [(n, f"m{n}") for n in range(6)]
    info = {
        "expiredLogEventEndIndex": 1,
        "tooOldLogEventEndIndex": 2,
        "tooNewLogEventStartIndex": 5,
    }
    stub.add_response("put_log_events", {"rejectedLogEventsInfo": info})
    with caplog.at_level(logging.WARNING, logger="cwquery"):
        result = put_events(GROUP, "s", events, client=client)
    assert result.accepted == 3
    assert [(r.event["message"], r.reason) for r in result.rejected] == [
        ("m0", "expired"),
        ("m1", "too-old"),
        ("m5", "too-new"),
    ]
    assert "rejected 3 of 6 events" in caplog.text


def test_a_failing_batch_says_what_was_stored_and_what_was_not(client: Any, stub: Stubber) -> None:
    events = [(n, "m") for n in range(10_005)]
    stub.add_response("put_log_events", {})
    stub.add_client_error("put_log_events", "AccessDeniedException", "not allowed")
    with pytest.raises(PutEventsError) as caught:
        put_events(GROUP, "s", events, client=client)
    err = caught.value
    assert err.code == "AccessDeniedException" and err.result.accepted == 10_000
    assert [e["timestamp"] for e in err.unsent] == list(range(10_000, 10_005))


def test_put_with_create_makes_the_stream_and_retries(client: Any, stub: Stubber) -> None:
    stream = {"logGroupName": GROUP, "logStreamName": "s"}
    put = {**stream, "logEvents": [{"timestamp": 1, "message": "m"}]}
    stub.add_client_error("put_log_events", "ResourceNotFoundException", expected_params=put)
    stub.add_response("create_log_stream", {}, stream)
    stub.add_response("put_log_events", {}, put)
    assert put_batch(GROUP, "s", [{"timestamp": 1, "message": "m"}], client=client, create=True)


# --- ensure_log_stream ---------------------------------------------------------------------------


def test_ensure_an_existing_stream_costs_one_call(client: Any, stub: Stubber) -> None:
    stub.add_client_error("create_log_stream", "ResourceAlreadyExistsException")
    result = ensure_log_stream(GROUP, "s", client=client)
    assert (result.group_created, result.stream_created) == (False, False)


def test_ensure_a_missing_stream_costs_one_call(client: Any, stub: Stubber) -> None:
    stub.add_response("create_log_stream", {})
    assert ensure_log_stream(GROUP, "s", client=client).stream_created


def test_ensure_a_missing_group_and_stream(client: Any, stub: Stubber) -> None:
    sleeps = Sleeps()
    stub.add_client_error("create_log_stream", "ResourceNotFoundException")
    stub.add_response("create_log_group", {}, {"logGroupName": GROUP})
    stub.add_client_error("create_log_stream", "ResourceNotFoundException")  # not visible yet
    stub.add_response("create_log_stream", {})
    result = ensure_log_stream(GROUP, "s", client=client, retry=sleeps.policy)
    assert (result.group_created, result.stream_created) == (True, True)
    assert len(sleeps.slept) == 1


def test_ensure_tolerates_racing_creators(client: Any, stub: Stubber) -> None:
    stub.add_client_error("create_log_stream", "ResourceNotFoundException")
    stub.add_client_error("create_log_group", "ResourceAlreadyExistsException")
    stub.add_client_error("create_log_stream", "ResourceAlreadyExistsException")
    result = ensure_log_stream(GROUP, "s", client=client)
    assert (result.group_created, result.stream_created) == (False, False)


def test_ensure_reports_other_errors(client: Any, stub: Stubber) -> None:
    stub.add_client_error("create_log_stream", "AccessDeniedException", "no")
    with pytest.raises(AwsQueryError, match="AccessDeniedException: no"):
        ensure_log_stream(GROUP, "s", client=client)


# --- Logger --------------------------------------------------------------------------------------


def test_logger_keeps_its_buffer_when_a_flush_fails(client: Any, stub: Stubber) -> None:
    logger = Logger(GROUP, "s", client=client, create=False, clock=lambda: 7)
    logger("one")
    stub.add_client_error("put_log_events", "AccessDeniedException")
    with pytest.raises(AwsQueryError):
        logger.flush()
    stub.add_response(
        "put_log_events",
        {},
        {
            "logGroupName": GROUP,
            "logStreamName": "s",
            "logEvents": [{"timestamp": 7, "message": "one"}, {"timestamp": 7, "message": "two"}],
        },
    )
    logger("two")
    assert logger.flush().accepted == 2
    assert logger.flush().batches == 0  # nothing left: no request


def test_logger_flushes_by_itself_at_the_batch_limit(client: Any, stub: Stubber) -> None:
    big = "x" * (MAX_BATCH_BYTES // 2)
    stub.add_response("put_log_events", {})
    logger = Logger(GROUP, "s", client=client, create=False, clock=lambda: 7)
    logger(big)
    logger(big)  # does not fit with the first: the first is sent
    assert logger.accepted == 1
    stub.add_response("put_log_events", {})
    logger.close()
    assert logger.accepted == 2
    with pytest.raises(ValueError, match="closed"):
        logger("late")


# --- the client ----------------------------------------------------------------------------------


def test_connection_failures_are_retried_then_reported() -> None:
    sleeps = Sleeps(max_attempts=3)

    class Flaky:
        calls = 0

        def describe_log_groups(self, **params: Any) -> dict[str, Any]:
            Flaky.calls += 1
            if Flaky.calls < 3:
                raise EndpointConnectionError(endpoint_url="https://logs.example")
            return {"logGroups": []}

    assert call_aws(Flaky(), "describe_log_groups", {}, retry=sleeps.policy) == {"logGroups": []}
    assert len(sleeps.slept) == 2
    Flaky.calls = -10
    with pytest.raises(AwsQueryError) as caught:
        call_aws(Flaky(), "describe_log_groups", {}, retry=sleeps.policy)
    assert caught.value.code == "EndpointConnectionError" and caught.value.attempts == 3


def test_made_clients_leave_retrying_to_cwquery() -> None:
    client = make_client(region="eu-west-1", endpoint_url="http://127.0.0.1:9")
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.config.retries["total_max_attempts"] == 1  # no botocore retries
    assert "cwquery/" in client.meta.config.user_agent_extra


def test_importing_cwquery_aws_does_not_import_boto3() -> None:
    code = (
        "import sys, logging, cwquery.aws, cwquery.aws.shipper, cwquery.cli.cloudwatch\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
        "handlers = logging.getLogger('cwquery').handlers\n"
        "assert any(isinstance(h, logging.NullHandler) for h in handlers)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

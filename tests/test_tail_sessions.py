"""Live Tail session ends the emulator cannot produce: the three-hour timeout, a streaming
error sent mid-stream, and a connection lost mid-session.

The emulator's session sends one update and ends, and has no clock to run a session out, so
these tests hand :class:`~cwquery.aws.livetail.LiveTail` and ``cwquery tail`` a stub client
whose ``start_live_tail`` returns a stub event stream: the items botocore's ``EventStream``
yields, then the ``EventStreamError`` botocore raises for an exception event, or the network
error (urllib3's or botocore's) a dropped connection raises. The stub stands
for the service; everything under test (sessions, restarts, the exact filter, the output) is
the real code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, EventStreamError, ReadTimeoutError
from click.testing import CliRunner
from urllib3.exceptions import ProtocolError

from cwquery.aws import livetail
from cwquery.aws.livetail import LiveTail, LiveTailError, Reconnect, SessionStart, TailUpdate
from cwquery.cli import main
from cwquery.cli import tail as tail_cli

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/app"


def update(*messages: str, sampled: bool = False) -> dict[str, Any]:
    results = [
        {
            "logStreamName": "s",
            "logGroupIdentifier": ARN,
            "message": message,
            "timestamp": 1_800_000_000_000 + n,
            "ingestionTime": 1_800_000_000_100 + n,
        }
        for n, message in enumerate(messages)
    ]
    return {"sessionUpdate": {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}}


def stream_error(code: str) -> EventStreamError:
    return EventStreamError({"Error": {"Code": code, "Message": f"{code} sent"}}, "StartLiveTail")


class StubStream:
    """What botocore's EventStream yields, then an optional exception event."""

    def __init__(self, items: list[dict[str, Any]], end: BaseException | None) -> None:
        self.items, self.end, self.closed = items, end, False

    def __iter__(self) -> Iterator[dict[str, Any]]:
        yield {"sessionStart": {"sessionId": f"id-{id(self)}", "logGroupIdentifiers": [ARN]}}
        yield from self.items
        if self.end is not None:
            raise self.end

    def close(self) -> None:
        self.closed = True


class StubClient:
    """A logs client whose sessions are the given streams, one per StartLiveTail call."""

    def __init__(self, *streams: StubStream | BaseException) -> None:
        self.streams = list(streams)
        self.requests: list[dict[str, Any]] = []
        self.meta = type("Meta", (), {"config": type("Config", (), {"retries": {}})()})()

    def start_live_tail(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        stream = self.streams.pop(0)
        if isinstance(stream, BaseException):  # the session could not start
            raise stream
        return {"responseStream": stream}

    def describe_log_groups(self, **request: Any) -> dict[str, Any]:
        return {"logGroups": [{"logGroupName": "/app", "logGroupArn": ARN}]}


def test_a_timed_out_session_is_restarted() -> None:
    first = StubStream(
        [update("ERROR a", "INFO b"), update()], stream_error("SessionTimeoutException")
    )
    second = StubStream([update("ERROR c")], None)
    client = StubClient(first, second)
    tail = LiveTail([ARN], "ERROR", client=client)
    items = list(tail.items())
    assert [type(item).__name__ for item in items] == [
        "SessionStart", "TailUpdate", "TailUpdate", "SessionStart", "TailUpdate",
    ]  # fmt: skip
    assert [item.number for item in items if isinstance(item, SessionStart)] == [1, 2]
    events = [e.message for item in items if isinstance(item, TailUpdate) for e in item.events]
    assert events == ["ERROR a", "ERROR c"]
    assert (tail.stats.sessions, tail.stats.timeouts, tail.stats.heartbeats) == (2, 1, 1)
    assert (tail.stats.refused, tail.stats.ended) == (1, "closed")
    assert client.requests == [{"logGroupIdentifiers": [ARN], "logEventFilterPattern": "ERROR"}] * 2
    assert first.closed and second.closed


def test_without_restart_a_timeout_ends_the_tail() -> None:
    client = StubClient(StubStream([update("ERROR a")], stream_error("SessionTimeoutException")))
    tail = LiveTail([ARN], client=client, restart=False)
    assert [e.message for e in tail.events()] == ["ERROR a"]
    assert (tail.stats.ended, tail.stats.sessions) == ("timeout", 1)


def test_a_streaming_error_is_a_live_tail_error() -> None:
    client = StubClient(StubStream([update("x")], stream_error("SessionStreamingException")))
    with pytest.raises(LiveTailError, match="SessionStreamingException: SessionStreamingException"):
        list(LiveTail([ARN], client=client).events())


def run(client: StubClient, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setattr(tail_cli, "aws_client", lambda *_: client)
    return CliRunner().invoke(main, ["tail", "-g", "/app", *args])


def test_the_command_says_when_a_session_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    client = StubClient(
        StubStream([update("ERROR a")], stream_error("SessionTimeoutException")),
        StubStream([update("ERROR b")], None),
    )
    result = run(client, monkeypatch, "ERROR", "--format", "message")
    assert (result.exit_code, result.stdout) == (0, "ERROR a\nERROR b\n")
    assert result.stderr == (
        "note: the Live Tail session ended after 3 hours; a new one started (events in "
        "between were not seen)\n"
    )
    client = StubClient(StubStream([], stream_error("SessionTimeoutException")))
    result = run(client, monkeypatch, "--no-restart")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "note: the Live Tail session ended after 3 hours (--no-restart)\n"


def test_the_command_reports_sampling_and_streaming_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = StubClient(
        StubStream([update("ERROR a", sampled=True)], stream_error("SessionStreamingException"))
    )
    result = run(client, monkeypatch, "--format", "message")
    assert (result.exit_code, result.stdout) == (2, "ERROR a\n")
    assert result.stderr.splitlines() == [
        "warning: more than 500 events matched in one second; Live Tail sent a sample of 1",
        "error: the Live Tail session failed: SessionStreamingException: "
        "SessionStreamingException sent",
    ]


def test_ctrl_c_ends_the_tail_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = StubStream([update("ERROR a")], KeyboardInterrupt())
    result = run(StubClient(stream), monkeypatch, "--format", "message")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "ERROR a\n", "")
    assert stream.closed
    stream = StubStream([update("INFO a")], KeyboardInterrupt())
    result = run(StubClient(stream), monkeypatch, "ERROR")
    assert (result.exit_code, result.stdout) == (1, "")


def connection_reset() -> ProtocolError:
    """What urllib3 raises from a response stream whose connection was reset."""
    reset = ConnectionResetError(104, "Connection reset by peer")
    return ProtocolError(f"Connection broken: {reset!r}", reset)


def read_timeout() -> ReadTimeoutError:
    return ReadTimeoutError(endpoint_url="https://streaming-logs.us-east-1.amazonaws.com/")


def refused() -> EndpointConnectionError:
    """What a StartLiveTail call raises while the network is down."""
    url = "https://streaming-logs.us-east-1.amazonaws.com/"
    return EndpointConnectionError(endpoint_url=url, error="[Errno 111] Connection refused")


def test_a_lost_connection_starts_a_new_session() -> None:
    client = StubClient(
        StubStream([update("ERROR a", "INFO b")], connection_reset()),
        StubStream([update("ERROR c")], None),
    )
    pauses: list[float] = []
    tail = LiveTail([ARN], "ERROR", client=client, sleep=pauses.append)
    items = list(tail.items())
    assert [type(item).__name__ for item in items] == [
        "SessionStart", "TailUpdate", "Reconnect", "SessionStart", "TailUpdate",
    ]  # fmt: skip
    reconnect = items[2]
    assert isinstance(reconnect, Reconnect)
    assert (reconnect.attempt, reconnect.delay) == (1, 1.0)
    assert "Connection reset by peer" in reconnect.error
    starts = [(i.number, i.after) for i in items if isinstance(i, SessionStart)]
    assert starts == [(1, ""), (2, "reconnect")]
    events = [e.message for item in items if isinstance(item, TailUpdate) for e in item.events]
    assert events == ["ERROR a", "ERROR c"]
    assert (tail.stats.sessions, tail.stats.reconnects, tail.stats.ended) == (2, 1, "closed")
    assert pauses == [1.0]
    assert len(client.requests) == 2 and client.streams == []


def test_lost_connections_back_off_and_end_the_tail_after_five_in_a_row() -> None:
    client = StubClient(
        StubStream([update("ERROR a")], read_timeout()),  # an update: the row starts here
        StubStream([], connection_reset()),
        refused(),  # the network is still down: that attempt counts too
        StubStream([], read_timeout()),
        StubStream([], connection_reset()),
        StubStream([], connection_reset()),
        StubStream([update("ERROR never")], None),
    )
    pauses: list[float] = []
    tail = LiveTail([ARN], client=client, sleep=pauses.append)
    seen: list[str] = []
    with pytest.raises(LiveTailError) as raised:
        seen += [e.message for e in tail.events()]
    assert str(raised.value) == (
        "the Live Tail connection was lost and 5 new sessions did not hold: "
        "Connection broken: ConnectionResetError(104, 'Connection reset by peer')"
    )
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert (tail.stats.sessions, tail.stats.reconnects, tail.stats.ended) == (5, 5, "stopped")
    assert len(client.streams) == 1  # the last session was never started


def test_a_session_with_updates_ends_the_row_of_lost_connections() -> None:
    client = StubClient(
        StubStream([], connection_reset()),
        StubStream([], connection_reset()),
        StubStream([update()], connection_reset()),  # a heartbeat came: the connection held
        StubStream([update("ERROR z")], None),
    )
    pauses: list[float] = []
    tail = LiveTail([ARN], client=client, sleep=pauses.append)
    assert [e.message for e in tail.events()] == ["ERROR z"]
    assert pauses == [1.0, 2.0, 1.0]


def test_without_reconnects_a_lost_connection_is_an_error() -> None:
    client = StubClient(StubStream([update("a")], read_timeout()))
    tail = LiveTail([ARN], client=client, max_reconnects=0)
    with pytest.raises(LiveTailError, match=r"^the Live Tail connection was lost: Read timeout"):
        list(tail.events())


def test_the_command_says_when_a_lost_connection_starts_a_new_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(livetail, "_pause", pauses.append)
    client = StubClient(
        StubStream([update("ERROR a")], connection_reset()),
        StubStream([update("ERROR b")], None),
    )
    result = run(client, monkeypatch, "ERROR", "--format", "message")
    assert (result.exit_code, result.stdout) == (0, "ERROR a\nERROR b\n")
    assert result.stderr == (
        "note: the Live Tail connection was lost (Connection broken: ConnectionResetError(104, "
        "'Connection reset by peer')); a new session starts in 1 s (attempt 1 of 5; events in "
        "between are not seen)\n"
    )
    assert pauses == [1.0]
    client = StubClient(*[StubStream([], read_timeout()) for _ in range(6)])
    result = run(client, monkeypatch, "ERROR")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.splitlines()[-1] == (
        "error: the Live Tail connection was lost and 5 new sessions did not hold: Read timeout "
        'on endpoint URL: "https://streaming-logs.us-east-1.amazonaws.com/"'
    )

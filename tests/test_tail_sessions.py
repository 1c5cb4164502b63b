"""Live Tail session ends the emulator cannot produce: the three-hour timeout and a streaming
error sent mid-stream.

The emulator's session sends one update and ends, and has no clock to run a session out, so
these tests hand :class:`~cwquery.aws.livetail.LiveTail` and ``cwquery tail`` a stub client
whose ``start_live_tail`` returns a stub event stream: the items botocore's ``EventStream``
yields, then the ``EventStreamError`` botocore raises for an exception event. The stub stands
for the service; everything under test (sessions, restarts, the exact filter, the output) is
the real code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EventStreamError
from click.testing import CliRunner

from cwquery.aws.livetail import LiveTail, LiveTailError, SessionStart, TailUpdate
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

    def __init__(self, *streams: StubStream) -> None:
        self.streams = list(streams)
        self.requests: list[dict[str, Any]] = []
        self.meta = type("Meta", (), {"config": type("Config", (), {"retries": {}})()})()

    def start_live_tail(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {"responseStream": self.streams.pop(0)}

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

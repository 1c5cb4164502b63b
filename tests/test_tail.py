"""``cwquery tail`` and :mod:`cwquery.aws.livetail` against the emulator's StartLiveTail.

The emulator answers a Live Tail session with one update holding every stored event that the
pattern matches (sampled to 500 above that), then ends the stream; the tests rely on that.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from cwquery.aws import filter_pattern_text, put_events
from cwquery.aws.livetail import (
    LiveTail,
    LiveTailLimitError,
    SessionStart,
    TailUpdate,
    check_request,
    log_group_arns,
)
from cwquery.aws.timeparse import format_millis
from cwquery.cli import main
from cwquery.emulator import mock_logs

REGION = "us-east-1"
ACCOUNT = "123456789012"
RED = "\x1b[31m\x1b[1m"
RESET = "\x1b[0m"


def arn(group: str) -> str:
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_logs():
        yield boto3.client("logs", region_name=REGION)


@pytest.fixture
def base(logs: Any) -> int:
    """Events in /app/api and /app/worker (streams web-1, web-2, cron), a minute old, and an
    empty group /app/quiet."""
    start = int(time.time() * 1000) - 60_000
    put_events(
        "/app/api",
        "web-1",
        [(start, "ERROR disk full"), (start + 2000, '{"level": "ERROR", "latency": 250}')],
        client=logs,
        create=True,
    )
    put_events("/app/api", "web-2", [(start + 1000, "INFO fine")], client=logs, create=True)
    put_events(
        "/app/worker",
        "cron",
        [(start + 500, "WARN slow job took 1500 ms"), (start + 3000, "ERROR retry 3")],
        client=logs,
        create=True,
    )
    logs.create_log_group(logGroupName="/app/quiet")
    return start


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["tail", "--region", REGION, *args])
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------ the command


def test_one_group_detailed(base: int) -> None:
    code, out, err = run("-g", "/app/api", "ERROR")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{format_millis(base)} web-1 ERROR disk full",
        f'{format_millis(base + 2000)} web-1 {{"level": "ERROR", "latency": 250}}',
    ]


def test_several_groups_show_the_group_in_time_order(base: int) -> None:
    code, out, _ = run("-g", "/app/api", "-g", "/app/worker", "?ERROR ?WARN", "--format", "short")
    assert code == 0
    assert [line.split(" ", 1)[1] for line in out.splitlines()] == [
        "ERROR disk full",
        "WARN slow job took 1500 ms",
        '{"level": "ERROR", "latency": 250}',
        "ERROR retry 3",
    ]
    code, out, _ = run("-g", "/app/api", "-g", "/app/worker", "retry")
    assert out.splitlines() == [f"{format_millis(base + 3000)} /app/worker cron ERROR retry 3"]


def test_wildcards_and_arns_name_groups(base: int, logs: Any) -> None:
    assert log_group_arns(["/app/w*", arn("/app/api") + ":*", "/app/api"], client=logs) == [
        arn("/app/worker"),
        arn("/app/api"),
    ]
    code, out, _ = run("-g", "/app/*", "-g", arn("/app/api"), "ERROR", "--format", "message")
    assert code == 0
    assert sorted(out.splitlines()) == [
        "ERROR disk full",
        "ERROR retry 3",
        '{"level": "ERROR", "latency": 250}',
    ]


def test_stream_names_and_prefixes_with_one_group(base: int) -> None:
    code, out, _ = run("-g", "/app/api", "--log-stream-names", "web-2", "--format", "message")
    assert (code, out) == (0, "INFO fine\n")
    code, out, _ = run(
        "-g", "/app/api", "--log-stream-name-prefixes", "web-1", "--format", "message"
    )
    assert out.splitlines() == ["ERROR disk full", '{"level": "ERROR", "latency": 250}']


def test_nothing_shown_exits_1_and_a_heartbeat_prints_nothing(base: int, logs: Any) -> None:
    assert run("-g", "/app/quiet") == (1, "", "")
    tail = LiveTail([arn("/app/quiet")], client=logs)
    items = list(tail.items())
    assert [type(item) for item in items] == [SessionStart, TailUpdate]
    update = items[1]
    assert isinstance(update, TailUpdate) and update.heartbeat and not update.events
    assert (tail.stats.heartbeats, tail.stats.updates, tail.stats.ended) == (1, 1, "closed")


def test_formats_json_and_jsonl(base: int) -> None:
    code, out, _ = run("-g", "/app/api", "{ $.latency > 100 }", "--format", "json")
    assert code == 0
    assert out.split(" ", 2)[2] == '{\n    "level": "ERROR",\n    "latency": 250\n}\n'
    code, out, _ = run("-g", "/app/worker", "%[0-9]+ ms%", "--format", "jsonl")
    record = json.loads(out)
    assert record["message"] == "WARN slow job took 1500 ms"
    assert record["logGroupName"] == "/app/worker" and record["logStreamName"] == "cron"
    assert record["spans"] == [[19, 26]]


@pytest.mark.parametrize(
    ("pattern", "group", "coloured"),
    [
        ("ERROR", "/app/worker", f"{RED}ERROR{RESET} retry 3"),
        ('"slow job"', "/app/worker", f"WARN {RED}slow job{RESET} took 1500 ms"),
        ("%[0-9]+ ms%", "/app/worker", f"WARN slow job took {RED}1500 ms{RESET}"),
        (
            '{ $.level = "ERROR" && $.latency > 100 }',
            "/app/api",
            f'{{"level": {RED}"ERROR"{RESET}, "latency": {RED}250{RESET}}}',
        ),
    ],
)
def test_colour_marks_the_matched_spans(base: int, pattern: str, group: str, coloured: str) -> None:
    code, out, _ = run("-g", group, pattern, "--color", "on", "--format", "message")
    assert code == 0
    assert out.splitlines()[-1] == coloured


def test_colour_off_and_auto_off_a_terminal(base: int) -> None:
    for colour in ("off", "auto"):
        code, out, _ = run("-g", "/app/worker", "ERROR", "--color", colour)
        assert code == 0 and "\x1b[" not in out


def test_since_prints_recent_events_first_without_repeating_them(base: int, logs: Any) -> None:
    put_events("/app/api", "web-1", [(base - 3_600_000, "ERROR an hour ago")], client=logs)
    code, out, _ = run("-g", "/app/api", "ERROR", "--since", "30m", "--format", "message")
    assert code == 0
    # the event of an hour ago is stored, so the emulator's session sends it; --since 30m
    # printed the two recent ones, which the session sends again and the tail leaves out
    assert out.splitlines() == [
        "ERROR disk full",
        '{"level": "ERROR", "latency": 250}',
        "ERROR an hour ago",
    ]


def test_limit_stops_the_tail(base: int) -> None:
    code, out, _ = run("-g", "/app/api", "-g", "/app/worker", "--limit", "2", "--format", "message")
    assert (code, len(out.splitlines())) == (0, 2)


# ------------------------------------------------------------------ the limits


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [arg for n in range(11) for arg in ("-g", f"/g{n}")],
            "Live Tail takes at most 10 log groups; 11 given: /g0, /g1",
        ),
        (
            ["-g", "/app/api", "-g", "/app/worker", "--log-stream-names", "web-1"],
            "log stream names can only be used with a single log group (2 given)",
        ),
        (
            ["-g", "/app/*", "--log-stream-name-prefixes", "web"],
            "log stream name prefixes can only be used with a single log group (3 given)",
        ),
        (
            ["-g", "/app/api", "--log-stream-names", "a", "--log-stream-name-prefixes", "b"],
            "give log stream names or log stream name prefixes, not both",
        ),
        (
            ["-g", "/app/api", *[a for n in range(101) for a in ("--log-stream-names", f"s{n}")]],
            "Live Tail takes at most 100 log stream names; 101 given",
        ),
        (["-g", "/nope"], "no log group named '/nope'"),
        (["-g", "/none/*"], "no log group matches '/none/*'"),
    ],
)
def test_limits_are_clear_errors(base: int, args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert (code, out) == (2, "")
    assert message in err, err


def test_more_than_ten_groups_through_a_wildcard(logs: Any) -> None:
    for n in range(11):
        logs.create_log_group(logGroupName=f"/many/g{n:02d}")
    code, _, err = run("-g", "/many/*")
    assert code == 2 and "at most 10 log groups; 11 given: /many/g00" in err


def test_the_service_refuses_what_check_request_refuses(base: int, logs: Any) -> None:
    """The emulator's own answers to the requests the limits keep from being sent."""
    from botocore.exceptions import ClientError

    requests: list[dict[str, Any]] = [
        {"logGroupIdentifiers": [arn(f"/g{n}") for n in range(11)]},
        {"logGroupIdentifiers": [arn("/app/api"), arn("/app/worker")], "logStreamNames": ["a"]},
        {"logGroupIdentifiers": [arn("/app/api")], "logStreamNames": ["a"],
         "logStreamNamePrefixes": ["b"]},
        {"logGroupIdentifiers": [arn("/app/api") + ":*"]},
        {"logGroupIdentifiers": [arn("/app/api")], "logStreamNames": ["s"] * 101},
    ]  # fmt: skip
    for request in requests:
        with pytest.raises(LiveTailLimitError):
            check_request(
                request["logGroupIdentifiers"],
                request.get("logStreamNames", ()),
                request.get("logStreamNamePrefixes", ()),
            )
        with pytest.raises(ClientError) as caught:
            logs.start_live_tail(**request)
        assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_a_pattern_over_1024_characters_is_refused_and_its_spacing_does_not_count(
    base: int,
) -> None:
    code, _, err = run("-g", "/app/api", "x" * 1025)
    assert code == 2 and "the limit is 1024" in err
    compact = "{$.level=ERROR" + "".join(f"||$.k{n:03d}=1" for n in range(91)) + "}"
    assert len(compact) <= 1024 < len(filter_pattern_text(compact))
    code, out, err = run("-g", "/app/api", compact, "--format", "message")
    assert (code, err) == (0, "")
    assert out == '{"level": "ERROR", "latency": 250}\n'


# ------------------------------------------------------------------ sampling, the exact filter


def test_sampled_updates_are_reported(logs: Any) -> None:
    start = int(time.time() * 1000) - 60_000
    put_events(
        "/busy", "s", [(start + n, f"ERROR {n}") for n in range(620)], client=logs, create=True
    )
    code, out, err = run("-g", "/busy", "ERROR", "--format", "message")
    assert code == 0 and len(out.splitlines()) == 500
    assert err == (
        "warning: more than 500 events matched in one second; Live Tail sent a sample of 500\n"
    )
    tail = LiveTail([arn("/busy")], "ERROR", client=logs)
    assert len(list(tail.events())) == 500
    assert (tail.stats.sampled_updates, tail.stats.received) == (1, 500)


def test_the_local_filter_is_exact_behind_an_inexact_service(client: Any) -> None:
    """Plain moto (no emulator) matches JSON patterns loosely: every event comes back. The
    tail shows only what the pattern matches, and counts the rest as refused."""
    start = int(time.time() * 1000) - 60_000
    messages = ['{"level": "ERROR"}', '{"level": "INFO"}', "not json"]
    put_events("/loose", "s", [(start + n, m) for n, m in enumerate(messages)], client=client,
               create=True)  # fmt: skip
    pattern = '{ $.level = "ERROR" }'
    sent = client.start_live_tail(
        logGroupIdentifiers=[arn("/loose")], logEventFilterPattern=pattern
    )
    updates = [item for item in sent["responseStream"] if "sessionUpdate" in item]
    assert len(updates[0]["sessionUpdate"]["sessionResults"]) > 1  # moto's own matching
    tail = LiveTail([arn("/loose")], pattern, client=client, spans=True)
    events = list(tail.events())
    assert [(e.message, e.spans) for e in events] == [('{"level": "ERROR"}', ((10, 17),))]
    assert tail.stats.refused == tail.stats.received - 1 > 0
    code, out, _ = run("-g", "/loose", pattern, "--format", "message")
    assert (code, out) == (0, '{"level": "ERROR"}\n')


def test_a_caller_that_stops_ends_the_session(base: int, logs: Any) -> None:
    tail = LiveTail([arn("/app/api")], client=logs, spans=True)
    events = tail.events()
    first = next(events)
    assert (first.group_name, first.stream, first.spans) == ("/app/api", "web-1", ())
    events.close()
    assert (tail.stats.ended, tail.stats.sessions) == ("stopped", 1)

"""The walkthrough's workflows on moto: set up, write, read, Logger, search, follow.

moto evaluates only plain terms and phrases correctly (it returns every event for other patterns),
so the searches here use terms; the exact emulator runs the JSON patterns
(test_aws_walkthrough.py). Expected counts always come from cwquery's own evaluator.
"""

import json
import time
from typing import Any

import pytest
from walkthrough import TEXT_LINES as WALKTHROUGH_TEXT

import cwquery
from cwquery.aws import (
    Logger,
    ensure_log_group,
    ensure_log_stream,
    filter_events,
    follow_events,
    put_events,
    read_stream,
)

REGION = "us-east-1"
GROUP = "/myapp/test/"
TEXT_LINES = WALKTHROUGH_TEXT[:7]  # the plain log lines, without the access-log lines


def now_ms() -> int:
    return int(time.time() * 1000)


def doc(i: int) -> str:
    return json.dumps({"i": i, "iEven": i % 2 == 0, "nest": {"big": "bird"}, "uuidname": "aa"})


def test_setup_write_read_search(client: Any) -> None:
    created = ensure_log_stream(GROUP, "stream-0", client=client)
    assert (created.group_created, created.stream_created) == (True, True)
    again = ensure_log_stream(GROUP, "stream-0", client=client)
    assert (again.group_created, again.stream_created) == (False, False)
    assert not ensure_log_group(GROUP, client=client)

    base = now_ms() - 60_000
    messages = [doc(i) for i in range(200)] + TEXT_LINES * 3
    events = [(base + n, message) for n, message in enumerate(messages)]
    result = put_events(GROUP, "stream-0", reversed(events), client=client)
    assert (result.accepted, result.rejected) == (len(messages), [])

    stored = list(read_stream(GROUP, "stream-0", client=client, page_size=50))
    assert [e["message"] for e in stored] == messages
    assert [e["timestamp"] for e in stored] == sorted(e["timestamp"] for e in stored)

    for pattern in ["ERROR", '"ERROR something"', "error", "ERROR disk", ""]:
        matcher = cwquery.compile(pattern)
        expected = [m for m in messages if matcher.matches(m)]
        found = filter_events(pattern, GROUP, client=client, page_size=7)
        assert [e["message"] for e in found] == expected, pattern


def test_reading_from_the_tail(client: Any) -> None:
    base = now_ms()
    put_events(GROUP, "s", [(base + n, f"m{n}") for n in range(25)], client=client, create=True)
    newest_first = read_stream(GROUP, "s", start_from_head=False, client=client, page_size=10)
    assert [e["message"] for e in newest_first] == [f"m{n}" for n in reversed(range(25))]


def test_time_bounds(client: Any) -> None:
    base = now_ms() - 10_000
    put_events(
        GROUP, "s", [(base + n * 1000, f"m{n}") for n in range(10)], client=client, create=True
    )
    window = filter_events("", GROUP, client=client, start=base + 2000, end=base + 5000)
    assert [e["message"] for e in window] == ["m2", "m3", "m4", "m5"]  # both ends inclusive
    stream = read_stream(GROUP, "s", client=client, start=base + 2000, end=base + 5000)
    assert [e["message"] for e in stream] == ["m2", "m3", "m4", "m5"]


def test_several_groups_are_merged(client: Any) -> None:
    base = now_ms()
    put_events("/a", "s", [(base + n, f"a{n}") for n in (0, 2, 4)], client=client, create=True)
    put_events("/b", "s", [(base + n, f"b{n}") for n in (1, 3, 5)], client=client, create=True)
    found = list(filter_events("", ["/a", "/b"], client=client, page_size=2))
    assert [e["message"] for e in found] == ["a0", "b1", "a2", "b3", "a4", "b5"]


def test_only_the_named_streams(client: Any) -> None:
    base = now_ms()
    for name in ("web-1", "web-2", "worker"):
        put_events(GROUP, name, [(base, f"ERROR in {name}")], client=client, create=True)
    found = filter_events("ERROR", GROUP, client=client, streams=["web-2", "worker"])
    assert sorted(e["message"] for e in found) == ["ERROR in web-2", "ERROR in worker"]


def test_events_too_far_ahead_are_reported(client: Any) -> None:
    base = now_ms()
    events = [(base, "now"), (base + 300_000, "in five minutes"), (base + 86_400_000, "tomorrow")]
    result = put_events(GROUP, "s", events, client=client, create=True)
    assert result.accepted == 2
    assert [(r.event["message"], r.reason) for r in result.rejected] == [("tomorrow", "too-new")]
    stored = read_stream(GROUP, "s", client=client)
    assert [e["message"] for e in stored] == ["now", "in five minutes"]


def test_logger_writes_and_reads(client: Any) -> None:
    base = now_ms()
    with Logger(GROUP, "logger", client=client) as log:
        log("third", timestamp=base + 2)
        log({"i": 1, "iEven": False}, timestamp=base)
        log.write("second", base + 1)
        read_back = [e["message"] for e in log]  # iterating flushes first
    assert read_back == ['{"i": 1, "iEven": false}', "second", "third"]
    assert log.accepted == 3 and log.rejected == []
    with Logger(GROUP, "logger", client=client) as log:
        log("fourth")
    assert [e["message"] for e in Logger(GROUP, "logger", client=client)][-1] == "fourth"


def test_follow_polls_for_new_events_once_each(client: Any) -> None:
    base = now_ms() - 5_000
    put_events(GROUP, "s", [(base + n, f"ERROR {n}") for n in range(3)], client=client, create=True)
    put_events(GROUP, "s", [(base + 1, "INFO skipped")], client=client)
    arrivals = iter(
        [
            [(base + 2, "ERROR late, same millisecond as the newest seen"), (base + 3, "ERROR 3")],
            [(base + 4, "ERROR 4")],
        ]
    )
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        put_events(GROUP, "s", next(arrivals), client=client)

    found = follow_events(
        "ERROR", GROUP, client=client, start=base, interval=2.5, max_polls=3, sleep=sleep
    )
    assert [e["message"] for e in found] == [
        "ERROR 0",
        "ERROR 1",
        "ERROR 2",
        "ERROR late, same millisecond as the newest seen",
        "ERROR 3",
        "ERROR 4",
    ]
    assert polls == [2.5, 2.5]


def test_follow_validates_the_pattern_at_once(client: Any) -> None:
    with pytest.raises(cwquery.PatternError):
        follow_events("{ $.a = ", GROUP, client=client)

"""The boto3 walkthrough end to end, on the exact emulator: 100 streams x 1000 JSON events.

Set up the group and streams, write, read one stream back, search the whole group with every
walkthrough JSON pattern, and check each count against cwquery's own evaluator and against the
hand-computed counts of the reference data set.
"""

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from walkthrough import walkthrough_document

import cwquery
from cwquery import emulator
from cwquery.aws import Logger, ensure_log_stream, filter_events, put_events, read_stream

REGION = "us-east-1"
GROUP = "/myapp/test/"
STREAMS = 100
EVENTS_PER_STREAM = 1000
# pattern -> matches among the 20 reference documents (counted by hand in the reference)
PATTERNS = {
    "{ $.i > 90 }": 2,
    "{ $.i = 90 }": 1,
    "{ $.i <= 90 }": 18,
    "{ $.i != 90 }": 19,
    '{ $.uuidname = "aa" }': 3,
    "{ $.iEven IS TRUE }": 9,
    "{ $.iEven IS FALSE }": 10,
    "{ $.iEven IS NULL }": 1,
    '{ $.nest.big = "bird" }': 16,
    "{ $.values[0] < 0.1 }": 3,
    '{ $.uuidname = "a*" }': 8,
    '{ $.i != 95 && ($.uuidname = "aa" || $.uuidname = "ab") }': 5,
    "{ $.missingValue NOT EXISTS }": 20,
    "{ $.missingValue IS NULL }": 0,
}


def walkthrough_doc(sequence: int) -> dict[str, Any]:
    """The walkthrough document for ``sequence % 20``, numbered so every event is distinct."""
    return {**walkthrough_document(sequence % 20), "seq": sequence}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        with emulator.mock_logs():
            yield boto3.client("logs", region_name=REGION)


@pytest.fixture(scope="module")
def messages(client: Any) -> list[str]:
    """Create the streams and write every event; returns all messages."""
    base = int(time.time() * 1000) - 3_600_000
    written: list[str] = []
    for s in range(STREAMS):
        stream = f"stream-{s:03d}"
        assert ensure_log_stream(GROUP, stream, client=client).stream_created
        docs = [walkthrough_doc(s * EVENTS_PER_STREAM + k) for k in range(EVENTS_PER_STREAM)]
        events = [(base + k, json.dumps(doc)) for k, doc in enumerate(docs)]
        result = put_events(GROUP, stream, events, client=client)
        assert (result.accepted, result.rejected) == (EVENTS_PER_STREAM, [])
        written.extend(message for _, message in events)
    return written


def test_read_one_stream(client: Any, messages: list[str]) -> None:
    stream = list(read_stream(GROUP, "stream-042", client=client, page_size=300))
    assert [e["message"] for e in stream] == messages[42_000:43_000]


@pytest.mark.parametrize("pattern", list(PATTERNS))
def test_every_walkthrough_pattern_over_the_group(
    client: Any, messages: list[str], pattern: str
) -> None:
    matcher = cwquery.compile(pattern)
    expected = sum(1 for message in messages if matcher.matches(message))
    assert expected == PATTERNS[pattern] * len(messages) // 20
    found = list(filter_events(pattern, GROUP, client=client))
    assert len(found) == expected
    assert len({e["eventId"] for e in found}) == expected  # no event twice across pages


def test_a_stream_prefix_narrows_the_search(client: Any, messages: list[str]) -> None:
    pattern = '{ $.uuidname = "a*" }'
    found = list(filter_events(pattern, GROUP, client=client, stream_prefix="stream-00"))
    assert {e["logStreamName"] for e in found} == {f"stream-00{n}" for n in range(10)}
    matcher = cwquery.compile(pattern)
    assert len(found) == sum(1 for m in messages[:10_000] if matcher.matches(m))


def test_logger_in_the_same_group(client: Any, messages: list[str]) -> None:
    with Logger("/myapp/logger", "walkthrough", client=client) as log:
        for doc in (walkthrough_doc(n) for n in range(20)):
            log(doc)
    assert len(list(Logger("/myapp/logger", "walkthrough", client=client))) == 20

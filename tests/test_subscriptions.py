"""cwquery.subscriptions: the wire forms round-trip for every destination, and cutting events
into PutLogEvents batches never loses or repeats a matched event."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery import plan_for, subscriptions
from cwquery.subscriptions import DESTINATIONS, decode, encode, payload, payloads

HOUR_MS = 3_600_000
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_WORDS = st.sampled_from(["ERROR", "WARN", "INFO", "5xx", "é€", "tab\there", "end\n"])

events = st.lists(
    st.builds(
        lambda t, words, pad: {"timestamp": t, "message": " ".join(words) + "x" * pad},
        st.integers(0, 60 * HOUR_MS),
        st.lists(_WORDS, min_size=1, max_size=3),
        st.sampled_from([0, 0, 0, 10, 300_000]),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({"timestamp": st.integers(0, 2**42), "message": _TEXT})),
    st.sampled_from(DESTINATIONS),
    st.text(max_size=10),
    st.lists(st.sampled_from(subscriptions.EMITTABLE_FIELDS), unique=True),
)
def test_decode_inverts_encode(
    batch: list[dict[str, Any]], kind: str, group: str, emitted: list[str]
) -> None:
    envelope = payload("", batch, log_group=group, log_stream="s", emit_system_fields=emitted)
    if not batch:
        assert envelope is None
        return
    assert envelope is not None
    assert decode(encode(envelope, kind)) == envelope


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(_TEXT, st.recursive(st.none() | st.integers() | _TEXT, st.lists)),
    st.sampled_from(DESTINATIONS),
)
def test_any_envelope_round_trips(extra: dict[str, Any], kind: str) -> None:
    envelope = {"messageType": "DATA_MESSAGE", **extra}
    assert decode(encode(envelope, kind)) == envelope


@settings(max_examples=40, deadline=None)
@given(events, st.sampled_from(["ERROR", "?WARN ?5xx", "-INFO", ""]))
def test_batches_never_lose_a_matched_event(batch: list[dict[str, Any]], pattern: str) -> None:
    delivered = payloads(pattern, batch, log_group="/g", log_stream="s")
    in_time_order = sorted(batch, key=lambda event: event["timestamp"])
    expected = [e["message"] for e in in_time_order if plan_for(pattern).matches(e["message"])]
    got = [event["message"] for envelope in delivered for event in envelope["logEvents"]]
    assert got == expected
    ids = [event["id"] for envelope in delivered for event in envelope["logEvents"]]
    assert len(set(ids)) == len(ids)
    for envelope in delivered:
        times = [event["timestamp"] for event in envelope["logEvents"]]
        assert max(times) - min(times) < 24 * HOUR_MS
        assert envelope["logEvents"]  # no empty delivery (T27)


def test_a_batch_over_the_byte_limit_is_two_deliveries() -> None:
    big = "ERROR " + "x" * 600_000
    delivered = payloads(
        "ERROR", [{"timestamp": 1, "message": big}] * 2, log_group="g", log_stream="s"
    )
    assert [len(e["logEvents"]) for e in delivered] == [1, 1]
    first, second = (e["logEvents"][0]["id"] for e in delivered)
    assert int(first) & (2**80 - 1) == 0 and int(second) & (2**80 - 1) == 1


def _one(message: str) -> dict[str, Any]:
    envelope = payload("", [{"timestamp": 1, "message": message}], log_group="g", log_stream="s")
    assert envelope is not None
    return envelope


def test_lambda_data_is_base64_of_gzip_of_compact_json() -> None:
    envelope = _one("é")
    wire = encode(envelope, "lambda")
    assert isinstance(wire, dict)
    text = gzip.decompress(base64.b64decode(wire["awslogs"]["data"])).decode("utf-8")
    assert text == json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    assert "é" in text


def test_kinesis_and_firehose_records_are_gzip_level_6_bytes() -> None:
    envelope = _one("m")
    for kind in ("kinesis", "firehose"):
        record = encode(envelope, kind)
        assert isinstance(record, bytes) and record[:3] == b"\x1f\x8b\x08"
        assert record == encode(envelope, kind)  # no time in the header: the same bytes
    record = encode(envelope, "kinesis")
    assert isinstance(record, bytes)
    assert decode(base64.b64encode(record).decode()) == envelope


def test_ids_follow_put_order_within_a_batch() -> None:
    batch = [{"timestamp": 5, "message": "a"}, {"timestamp": 5, "message": "b"}]
    envelope = payload("", batch, log_group="g", log_stream="s", ingestion_time=9)
    assert envelope is not None
    ids = [int(event["id"]) for event in envelope["logEvents"]]
    assert ids[0] < ids[1] and {i >> 144 for i in ids} == {5}
    assert {(i >> 80) & (2**64 - 1) for i in ids} == {9}


def test_an_event_with_an_id_keeps_it() -> None:
    batch = [{"timestamp": 5, "message": "a", "id": "7" * 56}]
    envelope = payload("", batch, log_group="g", log_stream="s")
    assert envelope is not None and envelope["logEvents"][0]["id"] == "7" * 56


@pytest.mark.parametrize("pattern", ["{ $.a = ", "%[%"])
def test_an_invalid_pattern_is_a_pattern_error(pattern: str) -> None:
    from cwquery import PatternError

    with pytest.raises(PatternError):
        payload(pattern, [{"timestamp": 1, "message": "m"}], log_group="g", log_stream="s")


def test_payloads_keep_each_events_transformed_text_and_id() -> None:
    events = [
        {"timestamp": 2, "message": "raw two", "transformed": '{"level":"ERROR"}', "id": "7" * 56},
        {"timestamp": 1, "message": "raw one", "transformed": '{"level":"INFO"}'},
    ]
    (envelope,) = payloads(
        '{ $.level = "ERROR" }',
        events,
        log_group="g",
        log_stream="s",
        apply_on_transformed_logs=True,
    )
    assert [(e["id"], e["message"]) for e in envelope["logEvents"]] == [
        ("7" * 56, '{"level":"ERROR"}')
    ]


def test_members_larger_than_a_read_block_decode_back_to_back() -> None:
    envelopes = [
        {"messageType": "DATA_MESSAGE", "logEvents": [{"message": f"{n}" + "x\u00e9" * 70_000}]}
        for n in range(3)
    ]
    record = b"".join(encode(e, "firehose") for e in envelopes)  # type: ignore[misc]
    assert subscriptions.decode_all(record) == envelopes

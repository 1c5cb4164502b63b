"""Hostile inputs to cwquery.subscriptions and cwquery.selection: each is a clear error of the
project's root, never a crash or a wrong answer."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest

from cwquery.errors import CWQueryError
from cwquery.selection import FIELD_SELECTION, SelectionError, parse_criteria
from cwquery.subscriptions import (
    SubscriptionError,
    decode,
    decode_all,
    encode,
    metric_dimensions,
    payload,
)


def _payload(events: Any, **options: Any) -> Any:
    return payload("", events, log_group="g", log_stream="s", **options)


@pytest.mark.parametrize(
    "events",
    [
        [{"timestamp": -1, "message": "m"}],
        [{"timestamp": True, "message": "m"}],
        [{"timestamp": 1.5, "message": "m"}],
        [{"timestamp": 1, "message": b"m"}],
        [{"timestamp": 1}],
        ["m"],
        [{"timestamp": 1, "message": "m", "transformed": 3}],
    ],
)
def test_bad_events(events: Any) -> None:
    with pytest.raises(SubscriptionError):
        _payload(events)


@pytest.mark.parametrize("fields", [["@aws.partition"], "@aws.region", [""]])
def test_bad_system_fields(fields: Any) -> None:
    with pytest.raises(SubscriptionError):
        _payload([{"timestamp": 1, "message": "m"}], emit_system_fields=fields)
    with pytest.raises(SubscriptionError):
        metric_dimensions(
            None, fields if fields != ["@aws.partition"] else ["@source.log"], owner="1", region="r"
        )


def test_unknown_destination_kind() -> None:
    envelope = _payload([{"timestamp": 1, "message": "m"}])
    with pytest.raises(SubscriptionError, match="unknown destination kind 'sqs'"):
        encode(envelope, "sqs")
    with pytest.raises(SubscriptionError):
        encode({"no": "type"}, "lambda")


def test_a_lone_surrogate_cannot_be_sent() -> None:
    envelope = _payload([{"timestamp": 1, "message": "a\ud800b"}])
    with pytest.raises(SubscriptionError, match="lone surrogate"):
        encode(envelope, "kinesis")


@pytest.mark.parametrize(
    "wire",
    [
        b"",
        b"not gzip",
        gzip.compress(b"[1, 2]"),
        gzip.compress(b"{")[:-4],
        gzip.compress(b"\xff\xfe"),
        "%%%not base64",
        {"awslogs": "x"},
        {"awslogs": {"data": 5}},
        {},
        12,
    ],
)
def test_garbage_is_not_a_delivery(wire: Any) -> None:
    with pytest.raises(SubscriptionError):
        decode(wire)


def test_two_members_are_not_one_envelope() -> None:
    one = gzip.compress(b'{"messageType":"DATA_MESSAGE"}')
    assert len(decode_all(one + one)) == 2
    with pytest.raises(SubscriptionError, match="expected one envelope, found 2"):
        decode(base64.b64encode(one + one).decode())


@pytest.mark.parametrize(
    "text",
    [
        "@aws.region = ",
        "@aws.region",
        '= "a"',
        '@aws.region = "a" AND',
        '@aws.region = "a" XOR @aws.region = "b"',
        '@aws.region = "a\x00"',
        '@aws.region IN ["a" "b"]',
        '@aws.region = "unterminated',
        '(@aws.region = "a")',
        '@aws.region = "a" ' * 200,
    ],
)
def test_malformed_criteria(text: str) -> None:
    with pytest.raises(SelectionError) as caught:
        parse_criteria(text, FIELD_SELECTION)
    assert isinstance(caught.value, CWQueryError)
    assert 0 <= caught.value.offset <= len(text)
    assert "^" in str(caught.value)


def test_a_policy_criteria_over_25_kb() -> None:
    text = "LogGroupNamePrefix IN [" + ", ".join(['"/g"'] * 6000) + "]"
    with pytest.raises(SelectionError) as caught:
        parse_criteria(text, "TRANSFORMER_POLICY")
    assert caught.value.code == "limit"


def test_an_unknown_policy_type() -> None:
    with pytest.raises(SelectionError, match="unknown policy type"):
        parse_criteria('LogGroupName IN ["a"]', "NOPE")


@pytest.mark.parametrize(
    "options",
    [{"filter_pattern": "{ $.a = "}, {"field_selection_criteria": "@aws.region ="}],
)
def test_payloads_check_their_arguments_even_with_no_event(options: dict[str, Any]) -> None:
    from cwquery.subscriptions import payloads

    pattern = options.pop("filter_pattern", "")
    with pytest.raises(CWQueryError):
        payloads(pattern, [], log_group="g", log_stream="s", **options)


@pytest.mark.parametrize(
    "event",
    [{"timestamp": -5, "message": "m"}, {"timestamp": 1, "message": ""}, {"message": "m"}],
)
def test_payloads_refuse_an_event_put_log_events_refuses(event: dict[str, Any]) -> None:
    from cwquery.subscriptions import payloads

    with pytest.raises(SubscriptionError):
        payloads("", [event], log_group="g", log_stream="s")


def test_a_gzip_bomb_is_refused_before_it_is_decompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    from cwquery import subscriptions

    monkeypatch.setattr(subscriptions, "MAX_DECODED_BYTES", 1_000_000)
    bomb = gzip.compress(b'{"messageType": "' + b"x" * 2_000_000 + b'"}')
    with pytest.raises(SubscriptionError, match="more than 1000000 bytes"):
        decode_all(bomb)
    assert decode_all(gzip.compress(b'{"messageType": "' + b"x" * 900_000 + b'"}'))

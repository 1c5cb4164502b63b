"""cwquery.spans: the parts of a message that a pattern's satisfied conditions point at."""

from __future__ import annotations

import json

import pytest

import cwquery
from cwquery.spans import match_spans


def texts(pattern: str, message: str) -> list[str]:
    return [message[start:end] for start, end in match_spans(pattern, message)]


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        ("ERROR", "ERROR then ERROR again", ["ERROR", "ERROR"]),
        ('"disk full"', "warn: disk full on /", ["disk full"]),
        ("?ERROR ?WARN", "WARN first, ERROR later", ["WARN", "ERROR"]),
        # plain terms present: the ?terms are ignored, so not coloured
        ("timeout ?WARN", "WARN timeout", ["timeout"]),
        # an excluded term is never coloured
        ("ERROR -retry", "ERROR once", ["ERROR"]),
        # no match: nothing is coloured, though ERROR is there
        ("ERROR -retry", "ERROR and retry", []),
        ("", "anything", []),
        ("%[0-9]{3}%", "status 404 after 200", ["404", "200"]),
        ("%a|b%", "cab", ["ab"]),
    ],
)
def test_terms_and_regex(pattern: str, message: str, expected: list[str]) -> None:
    assert texts(pattern, message) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ $.level = "ERROR" }', ['"ERROR"']),
        ("{ $.latency > 100 && $.level = ERROR }", ['"ERROR"', "250"]),
        # under || only the branch that held
        ('{ $.level = "WARN" || $.latency > 100 }', ["250"]),
        # a wildcard: only the values that hold on their own
        ("{ $.tags[*] = db* }", ['"db-1"', '"db-2"']),
        ("{ $.user.id = 7 }", ["7"]),
        ("{ $.user IS NULL }", []),
        ("{ $.missing NOT EXISTS }", []),
        ("{ $.user.id = * }", ["7"]),
        ("{ $.tags = * }", []),  # no match: an array is not a value ``*`` matches
    ],
)
def test_json_values(pattern: str, expected: list[str]) -> None:
    message = json.dumps(
        {"level": "ERROR", "latency": 250, "tags": ["web", "db-1", "db-2"], "user": {"id": 7}}
    )
    assert texts(pattern, message) == expected


def test_json_duplicate_keys_point_at_the_value_that_counts() -> None:
    message = '{"level": "INFO", "level": "ERROR"}'
    at = message.rindex('"ERROR"')
    assert match_spans('{ $.level = "ERROR" }', message) == [(at, at + 7)]
    assert cwquery.matches('{ $.level = "ERROR" }', message)


def test_json_pattern_on_a_message_that_is_not_json() -> None:
    assert match_spans('{ $.level = "ERROR" }', "level ERROR") == []


def test_delimited_fields_whose_conditions_hold() -> None:
    line = '10.0.0.1 - alice [07/Dec/2026:10:00:00 +0000] "GET /x HTTP/1.1" 404 512'
    pattern = "[ip, id, user, time, request, status = 4*, bytes > 100]"
    assert texts(pattern, line) == ["404", "512"]
    pattern = "[ip = 10.*, ..., status = 404, bytes]"
    assert texts(pattern, line) == ["10.0.0.1", "404"]


def test_spans_merge_and_use_character_offsets() -> None:
    message = "été ERRORERROR"
    assert match_spans("ERROR", message) == [(4, 14)]
    assert match_spans("%ERR%", message) == [(4, 7), (9, 12)]


def test_plan_spans_are_the_same() -> None:
    plan = cwquery.plan_for("?ERROR ?WARN")
    assert plan.spans("a WARN b") == match_spans("?ERROR ?WARN", "a WARN b") == [(2, 6)]

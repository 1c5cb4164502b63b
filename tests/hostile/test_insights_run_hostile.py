"""Hostile inputs to cwquery.insights.run: nesting deeper than the stack, many braces,
overflowing arithmetic, huge numbers, and structures where keys are expected."""

from __future__ import annotations

import sys

import pytest

from cwquery.insights import QueryUnsupportedError, run


def _rows(query: str, *messages: str) -> list[dict[str, str]]:
    events = [{"timestamp": 1_000 * (i + 1), "message": m} for i, m in enumerate(messages)]
    result = run(query, events)
    return [
        {item["field"]: item["value"] for item in row if item["field"] != "@ptr"}
        for row in result["results"]
    ]


@pytest.mark.parametrize("depth", [50, sys.getrecursionlimit() - 50, 100_000])
def test_deeply_nested_json_is_read_or_left_alone(depth: int) -> None:
    message = '{"a":' * depth + '"x"' + "}" * depth
    found = _rows("fields a.a | display @message", message)
    assert found == [{"@message": message}]


def test_deep_nesting_reaches_its_scalar_when_the_parser_can() -> None:
    message = '{"a":' * 40 + '"x"' + "}" * 40
    name = ".".join(["a"] * 40)
    assert _rows(f"fields {name} | display {name}", message) == [{name: "x"}]


def test_many_braces_without_an_object() -> None:
    message = "{" * 100_000 + " ERROR"
    assert _rows("filter @message like 'ERROR' | stats count(*) as n", message) == [{"n": "1"}]
    assert _rows("fields k | display k", message) == [{}]


def test_overflowing_arithmetic_is_null() -> None:
    found = _rows("fields 10 ^ 400 as p, (0 - 10) ^ 0.5 as r | display p, r", "x")
    assert found == [{}]


def test_huge_number_text_is_not_a_number() -> None:
    digits = "9" * 5_000
    found = _rows("filter v > 1 | display v", '{"v": ' + digits + "}")
    assert found == []


def test_structure_keys_are_refused_not_answered() -> None:
    with pytest.raises(QueryUnsupportedError):
        run(
            "parse @message logfmt as m | stats count(*) by m", [{"timestamp": 1, "message": "a=1"}]
        )


def test_glob_with_many_stars_over_a_long_line() -> None:
    glob = "*," * 30
    aliases = ", ".join(f"a{i}" for i in range(30))
    message = "x," * 20_000
    found = _rows(f'parse @message "{glob}" as {aliases} | display a0, a29', message)
    assert found == [{"a0": "x", "a29": "x"}]


def test_lone_surrogates_are_counted_not_raised() -> None:
    """Only a Python caller can pass a lone surrogate: bytesScanned, messageSize and @ptr
    count it as the three bytes of its code point (I55), as PutLogEvents sizes do."""
    events = [{"timestamp": 1_000, "message": "a\ud800b", "logStreamName": "s\udcff"}]
    result = run("fields messageSize(@message) as n, strlen(@message) as c", events)
    assert result["statistics"]["bytesScanned"] == 5 + 31
    row = {item["field"]: item["value"] for item in result["results"][0]}
    assert (row["n"], row["c"]) == ("5", "3")
    assert row["@ptr"]

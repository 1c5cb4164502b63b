"""Transformers on hostile messages: deep JSON, lone surrogates, long near-misses for grok."""

from __future__ import annotations

import json
from typing import Any

from cwquery.transformers import Transformer, test_transformer


def test_deeply_nested_json_is_left_unstructured() -> None:
    message = "[" * 200_000 + "]" * 200_000
    assert Transformer([{"parseJSON": {}}]).transform(message) == message


def test_deep_object_under_destination_survives_rendering() -> None:
    message = '{"a":' * 50 + "1" + "}" * 50
    text = Transformer([{"parseJSON": {"destination": "d"}}]).transform(message)
    assert json.loads(text)["d"]["a"]["a"]["a"] is not None


def test_lone_surrogates_in_grok_and_vended_parsers() -> None:
    message = "abc\ud800 def"
    configs: tuple[list[dict[str, Any]], ...] = (
        [{"grok": {"match": "%{WORD:w} %{GREEDYDATA:r}"}}],
        [{"parsePostgres": {}}],
        [{"csv": {}}],
    )
    for config in configs:
        logs = test_transformer(config, [message])["transformedLogs"]
        assert logs[0]["eventMessage"] == message


def test_grok_near_miss_on_a_long_line_finishes() -> None:
    # a backtracking engine explores exponentially many splits here; RE2 does not
    config = [{"grok": {"match": "%{DATA:a}%{DATA:b}%{DATA:c}%{DATA:d}%{DATA:e}!"}}]
    message = "x" * 20_000
    assert Transformer(config).transform(message) == message


def test_csv_with_an_unterminated_quote_keeps_the_rest() -> None:
    text = Transformer([{"csv": {}}]).transform('a,"b,c')
    assert json.loads(text) == {"column_1": "a", "column_2": "b,c"}


def test_huge_key_value_line() -> None:
    message = "&".join(f"k{n}=v" for n in range(10_000))
    fields = Transformer([{"parseKeyValue": {}}]).fields(message)
    assert fields is not None and len(fields) == 10_000


def test_a_long_value_is_not_read_as_a_date() -> None:
    """Text over 256 characters is not tried: letter runs (E, MMM) could backtrack over it."""
    body = {"source": "t", "target": "o", "matchPatterns": ["yyyy-MM-dd EEE"]}
    config: list[dict[str, Any]] = [{"parseJSON": {}}, {"dateTimeConverter": body}]
    short = Transformer(config).fields(json.dumps({"t": "2025-01-05 Sunday"}))
    assert short is not None and short["o"] == "2025-01-05T00:00:00.000Z"
    fields = Transformer(config).fields(json.dumps({"t": "2025-01-05 " + "a" * 100_000}))
    assert fields is not None and "o" not in fields

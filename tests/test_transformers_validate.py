"""``cwquery.transformers.validate``: every PutTransformer rule of spec §1.1 (T14-T16), and the
properties that hold for any configuration and any message."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cwquery.errors import CWQueryError
from cwquery.transformers import TransformerError, test_transformer, validate

PJ: dict[str, Any] = {"parseJSON": {}}


def _entries(kind: str, count: int, **entry: Any) -> dict[str, Any]:
    return {kind: {"entries": [dict(entry) for _ in range(count)]}}


def rejected(config: Any) -> TransformerError:
    with pytest.raises(TransformerError) as caught:
        validate(config)
    return caught.value


@pytest.mark.parametrize(
    ("config", "code", "processor"),
    [
        ("parseJSON", "syntax", None),
        ([], "limit", None),
        ([PJ] + [{"trimString": {"withKeys": ["a"]}}] * 20, "limit", None),
        ([{"parseJSON": {}, "grok": {"match": "%{WORD}"}}], "syntax", 0),
        ([{}], "syntax", 0),
        ([{"parseXML": {}}], "syntax", 0),
        (["parseJSON"], "syntax", 0),
        ([PJ] * 6, "limit", 5),
        ([{"grok": {"match": "%{WORD}"}}, {"grok": {"match": "%{WORD}"}}], "limit", 1),
        (
            [PJ, _entries("addKeys", 1, key="a", value="b")] * 1
            + [_entries("addKeys", 1, key="c", value="d")],
            "limit",
            2,
        ),
        ([PJ, {"parseVPC": {}}], "order", 1),
        ([{"parseVPC": {"source": "x"}}], "syntax", 0),
        ([{"parseJSON": {"source": "body"}}], "order", 0),
        ([PJ, {"deleteKeys": {"withKeys": []}}], "limit", 1),
        ([PJ, _entries("addKeys", 6, key="a", value="b")], "limit", 1),
        ([PJ, _entries("typeConverter", 6, key="a", type="string")], "limit", 1),
        ([PJ, _entries("splitString", 11, source="a", delimiter=",")], "limit", 1),
        ([PJ, _entries("typeConverter", 1, key="a", type="float")], "syntax", 1),
        ([PJ, _entries("addKeys", 1, key="a", value="v" * 257)], "limit", 1),
        ([PJ, _entries("addKeys", 1, key="a", value="")], "limit", 1),
        ([PJ, _entries("addKeys", 1, key="k" * 129, value="v")], "limit", 1),
        ([PJ, _entries("addKeys", 1, key="a.b.c.d", value="v")], "limit", 1),
        ([PJ, _entries("addKeys", 1, value="v")], "missing", 1),
        ([PJ, _entries("addKeys", 1, key="a", value="v", overwriteIfExists="yes")], "syntax", 1),
        ([{"grok": {"match": "x" * 513}}], "limit", 0),
        ([{"grok": {"match": "%{NOPE:x}"}}], "syntax", 0),
        ([{"grok": {"match": "%{NUMBER:x:int}"}}], "syntax", 0),
        ([{"grok": {"match": "plain text"}}], "syntax", 0),
        ([{"grok": {"match": "%{WORD} " * 21}}], "limit", 0),
        ([{"grok": {"match": "%{NOTSPACE} " * 6}}], "limit", 0),
        ([{"grok": {"match": "%{DATA} %{GREEDYDATA} %{SPACE}%{URI} %{DATA} %{DATA}"}}], "limit", 0),
        ([{"grok": {"match": "%{WORD} %{APACHE_ACCESS_LOG}"}}], "order", 0),
        ([{"grok": {"match": "%{NGINX_ACCESS_LOG} %{DATA} %{DATA}"}}], "order", 0),
        ([{"grok": {"match": "%{WORD:x} (?P<y>a)"}}], "syntax", 0),
        ([{"grok": {"match": "%{WORD:x} (unclosed"}}], "syntax", 0),
        ([{"csv": {"delimiter": ";;"}}], "syntax", 0),
        ([{"csv": {"delimiter": "abc"}}], "limit", 0),
        ([{"csv": {"quoteCharacter": "''"}}], "limit", 0),
        ([{"csv": {"columns": ["c"] * 101}}], "limit", 0),
        ([PJ, {"listToMap": {"source": "a", "key": "k", "flatten": True}}], "missing", 1),
        (
            [PJ, {"listToMap": {"source": "a", "key": "k", "flattenedElement": "middle"}}],
            "syntax",
            1,
        ),
        ([{"parseToOCSF": {"eventSource": "VPCFlow"}}], "missing", 0),
        ([{"parseToOCSF": {"eventSource": "VPC", "ocsfVersion": "V1.1"}}], "syntax", 0),
        (
            [
                {
                    "parseToOCSF": {
                        "eventSource": "VPCFlow",
                        "ocsfVersion": "V1.1",
                        "mappingVersion": "v1",
                    }
                }
            ],
            "syntax",
            0,
        ),
        (
            [PJ, _entries("substituteString", 1, source="s", **{"from": "a", "to": "$1"})],
            "syntax",
            1,
        ),
        (
            [PJ, _entries("substituteString", 1, source="s", **{"from": "\\p{Alpha}", "to": "x"})],
            "syntax",
            1,
        ),
        (
            [PJ, _entries("substituteString", 1, source="s", **{"from": "(a)", "to": "$1$1$1"})],
            "limit",
            1,
        ),
        (
            [PJ, {"dateTimeConverter": {"source": "t", "target": "o", "matchPatterns": []}}],
            "limit",
            1,
        ),
        (
            [
                PJ,
                {
                    "dateTimeConverter": {
                        "source": "t",
                        "target": "o",
                        "matchPatterns": ["yyyy"] * 6,
                    }
                },
            ],
            "limit",
            1,
        ),
        (
            [PJ, {"dateTimeConverter": {"source": "t", "target": "o", "matchPatterns": ["'open"]}}],
            "syntax",
            1,
        ),
        (
            [
                PJ,
                {
                    "dateTimeConverter": {
                        "source": "t",
                        "target": "o",
                        "matchPatterns": ["yyyy"],
                        "sourceTimezone": "Mars/Olympus",
                    }
                },
            ],
            "syntax",
            1,
        ),
        ([PJ, {"dateTimeConverter": {"target": "o", "matchPatterns": ["yyyy"]}}], "missing", 1),
        (
            [
                PJ,
                {
                    "dateTimeConverter": {
                        "source": "t",
                        "target": "o",
                        "matchPatterns": ["yyyy"],
                        "targetFormat": "y" * 65,
                    }
                },
            ],
            "limit",
            1,
        ),
    ],
)
def test_rejected(config: Any, code: str, processor: int | None) -> None:
    error = rejected(config)
    assert (error.code, error.processor) == (code, processor)
    assert isinstance(error, CWQueryError)
    assert isinstance(error, ValueError)
    assert error.to_dict()["serviceException"] == "InvalidParameterException"


@pytest.mark.parametrize(
    "config",
    [
        [PJ] * 5,
        [PJ] + [{"trimString": {"withKeys": ["a"]}}] * 19,
        [{"grok": {"match": "%{NUMBER:n} %{GREEDYDATA:rest}"}}],
        [{"grok": {"match": "%{APACHE_ACCESS_LOG} %{GREEDYDATA:rest}"}}],
        [{"csv": {"delimiter": "\\t", "quoteCharacter": "'"}}],
        [
            {"parseVPC": {"source": "@message"}},
            {"addKeys": {"entries": [{"key": "a", "value": "b"}]}},
        ],
        [PJ, {"parseJSON": {"source": "body", "ignored": 1}}],
        [PJ, _entries("typeConverter", 5, key="a", type="string")],
        [PJ, _entries("substituteString", 1, source="s", **{"from": "(?P<n>a)", "to": "${n}$0"})],
        [
            {
                "parseToOCSF": {
                    "eventSource": "AWSWAF",
                    "ocsfVersion": "V1.5",
                    "mappingVersion": "1.2.3",
                }
            }
        ],
        [PJ, {"listToMap": {"source": "a", "key": "k", "flatten": False}}],
        [{"csv": {"columns": []}}],
        [{"grok": None, "parseJSON": {}}],
    ],
)
def test_accepted(config: list[dict[str, Any]]) -> None:
    validate(config)


def test_a_bad_expression_in_the_match_is_said_plainly() -> None:
    message = rejected([{"grok": {"match": "%{WORD:x} (unclosed"}}]).message
    assert message == "grok: the match is not a valid expression: missing )"


def test_message_names_the_processor_and_rule() -> None:
    assert str(rejected([PJ, {"parseRoute53": {}}])) == (
        "processor 1: parseRoute53 must be the first processor"
    )


_PROCESSOR_NAMES = st.sampled_from(
    ["parseJSON", "grok", "csv", "addKeys", "deleteKeys", "parseVPC", "typeConverter", "x"]
)
_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_CONFIGS = st.lists(st.dictionaries(_PROCESSOR_NAMES, _JSONISH, max_size=2), max_size=4)


@given(_CONFIGS | _JSONISH)
def test_validate_raises_only_the_error_root(config: Any) -> None:
    with contextlib.suppress(CWQueryError):
        validate(config)


_VALID_CONFIGS = st.sampled_from(
    [
        [PJ],
        [PJ, {"addKeys": {"entries": [{"key": "k", "value": "v"}]}}],
        [{"grok": {"match": "%{WORD:w} %{GREEDYDATA:rest}"}}],
        [{"csv": {}}],
        [{"parseKeyValue": {}}, {"typeConverter": {"entries": [{"key": "a", "type": "integer"}]}}],
        [{"parseVPC": {}}],
        [{"parseWAF": {}}],
        [{"parseCloudfront": {}}],
        [{"parsePostgres": {}}],
        [PJ, {"dateTimeConverter": {"source": "t", "target": "o", "matchPatterns": ["yyyy"]}}],
    ]
)


@given(_VALID_CONFIGS, st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=50))
def test_test_transformer_never_loses_an_event(
    config: list[dict[str, Any]], messages: list[str]
) -> None:
    logs = test_transformer(config, messages)["transformedLogs"]
    assert [log["eventNumber"] for log in logs] == list(range(1, len(messages) + 1))
    assert [log["eventMessage"] for log in logs] == messages
    for log in logs:
        text = log["transformedEventMessage"]
        assert text == log["eventMessage"] or isinstance(json.loads(text), dict)

"""Deeply nested messages (D10): a message counts as JSON when its arrays and objects nest at
most 1024 deep (orjson's limit, the root object counting as one), whatever Python's recursion
limit, and nothing that reads one (matcher, block scanner, explain, metric filter) raises."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import nesting, read_json

import cwquery
from cwquery.logs.blocks import BlockScanner
from cwquery.metrics import MetricFilter, MetricTransformation
from cwquery.plan import plan_for
from cwquery.semantics import MAX_JSON_DEPTH, NOT_JSON, json_depth, load_json_event


def nested(depth: int, shape: str = "[", lone_surrogate: str = "") -> str:
    """A JSON object ``depth`` levels deep: ``{"tag": "x…", "a": <depth - 1 levels>}``, the
    inner levels arrays (``[``), objects (``{``) or, for ``[{``, both in turn."""
    opening, closing = [], []
    for level in range(depth - 1):
        kind = shape[level % len(shape)]
        opening.append("[" if kind == "[" else '{"k": ')
        closing.append("]" if kind == "[" else "}")
    inner = "".join(opening) + "1" + "".join(reversed(closing))
    return '{"tag": "x' + lone_surrogate + '", "a": ' + inner + "}"


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


@contextmanager
def recursion_limit(which: str) -> Iterator[None]:
    """``low``: just above the caller's stack (far below 1024 levels); ``high``: 100,000."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + 150 if which == "low" else 100_000)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


DEPTHS = [2, 1000, 1023, 1024, 1025, 5000]
# a lone surrogate, raw or escaped, sends the message to the standard library's reader
SURROGATES = ["", "\ud800", "\\udc00"]


@pytest.mark.parametrize("limit", ["low", "high"])
@pytest.mark.parametrize("surrogate", SURROGATES, ids=["plain", "raw-surrogate", "escaped"])
@pytest.mark.parametrize("depth", DEPTHS)
def test_whether_a_message_is_json_does_not_depend_on_the_recursion_limit(
    depth: int, surrogate: str, limit: str
) -> None:
    message = nested(depth, "[{", surrogate)
    is_json = depth <= MAX_JSON_DEPTH
    matcher = cwquery.compile('{ $.tag = "x" }' if not surrogate else "{ $.tag = * }")
    judge = plan_for(matcher.pattern).verdict
    with recursion_limit(limit):
        assert (load_json_event(message) is not NOT_JSON) is is_json
        assert matcher.matches(message) is is_json
        assert judge(message) is (True if is_json else None)
        assert judge(message.encode("utf-8", "surrogatepass")) is (True if is_json else None)
        scanned = BlockScanner(
            '{ $.tag = "x" }' if not surrogate else "{ $.tag = * }", count_not_json=True
        ).scan(message.encode("utf-8", "surrogatepass") + b"\n")
        assert (scanned.matched, scanned.not_json) == ((1, 0) if is_json else (0, 1))


@pytest.mark.parametrize("limit", ["low", "high"])
@pytest.mark.parametrize("depth", [1000, 1024, 1025, 5000])
def test_explain_and_metrics_read_deep_values_without_recursion(depth: int, limit: str) -> None:
    message = nested(depth)
    metric = MetricFilter("{ $.a[0] = * || $.tag = x }", MetricTransformation("m", "n", "$.a"))
    with recursion_limit(limit):
        text = str(cwquery.explain("{ $.a = * }", message))
        point = metric.datapoint(message)
    if depth <= MAX_JSON_DEPTH:
        assert text.endswith('$.a = "*": ' + "[" * 57 + "... → false")
        assert point is None  # an array is no number: matched, but nothing published
    else:
        assert "not a JSON object" in text
        assert point is None


def test_the_limit_is_orjsons() -> None:
    import orjson

    orjson.loads(nested(MAX_JSON_DEPTH))
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(nested(MAX_JSON_DEPTH + 1))


@settings(max_examples=60, deadline=None)
@given(
    depth=st.integers(1000, 1100),
    shape=st.text(alphabet="[{", min_size=1, max_size=4),
    surrogate=st.sampled_from(SURROGATES),
    limit=st.sampled_from(["low", "high"]),
)
def test_any_shape_near_the_limit(depth: int, shape: str, surrogate: str, limit: str) -> None:
    message = nested(depth, shape, surrogate)
    with recursion_limit(limit):
        verdict = load_json_event(message) is not NOT_JSON
        reference = read_json(message)
    assert verdict is (depth <= MAX_JSON_DEPTH)
    assert verdict is isinstance(reference, dict)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_depth_count_ignores_brackets_inside_strings(value: object) -> None:
    import json

    text = json.dumps(value)
    assert json_depth(text) == nesting(text)

"""D32: every fast path agrees with the reference interpretation (tests/reference.py).

``compile(p).matches``, ``extract``, ``explain``, ``test_metric_filter`` and metric datapoints
are checked against a plain walk of the tree over messages built to break shortcuts.
"""

from __future__ import annotations

import math

import pytest
import reference
from fastpath_strategies import messages_for, patterns
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwquery import PatternError, compile, explain, parse, render, test_metric_filter
from cwquery.ast import DelimitedPattern, JsonPattern, Pattern
from cwquery.metrics import MetricFilter, MetricTransformation

#: CI runs at least this many examples of the main property on every run.
REFERENCE_EXAMPLES = 2000


def _valid(tree: Pattern) -> Pattern | None:
    try:
        return parse(render(tree))
    except PatternError:  # over a limit (two regexes, three wildcard selectors, length)
        return None


@settings(
    max_examples=REFERENCE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(patterns, st.data())
def test_fast_paths_agree_with_the_reference(tree: Pattern, data: st.DataObject) -> None:
    pattern = _valid(tree)
    if pattern is None:
        return
    batch = data.draw(messages_for(pattern))
    matcher = compile(render(pattern))
    for message in batch:
        expected = reference.matches(pattern, message)
        assert matcher.matches(message) is expected, (render(pattern), message)
        assert matcher.extract(message) == reference.extract(pattern, message)
        assert explain(pattern, message).matched is expected
    response = test_metric_filter(pattern, batch)
    assert [r["eventNumber"] - 1 for r in response["matches"]] == [
        i for i, m in enumerate(batch) if reference.matches(pattern, m)
    ]


def _reference_for(pattern: Pattern) -> str | None:
    if isinstance(pattern, JsonPattern):
        return "$.a"
    if isinstance(pattern, DelimitedPattern):
        return "$1"
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns, st.data())
def test_metric_datapoints_never_raise(tree: Pattern, data: st.DataObject) -> None:
    pattern = _valid(tree)
    value = None if pattern is None else _reference_for(pattern)
    if pattern is None or value is None:
        return
    batch = data.draw(messages_for(pattern))
    metric = MetricFilter(pattern, MetricTransformation("M", "N", value))
    for message in batch:
        point = metric.datapoint(message)
        assert (point is None) or reference.matches(pattern, message)
        assert point is None or math.isfinite(point.value)


# The examples of the issue that asked for this property, each pinned on its own.


def test_a_number_beyond_the_double_range_is_not_json() -> None:
    pattern, message = '{ $.a = "inf" }', '{"a": 1e999}'
    assert not compile(pattern).matches(message)
    assert not explain(pattern, message).matched
    assert not reference.matches(parse(pattern), message)


@pytest.mark.parametrize("digits", [309, 400, 4300, 4301, 10_000])
def test_long_digit_runs_never_raise(digits: int) -> None:
    token = "9" * digits
    assert compile("[a > 1]").matches(token)
    assert compile("[a, b = 1]").matches("x " + token) is False
    json_message = '{"a": ' + token + "}"
    assert compile("{ $.a = * }").matches(json_message) is (digits <= 308)
    metric = MetricFilter("[a]", MetricTransformation("M", "N", "$a"))
    point = metric.datapoint(token)
    assert point is None or math.isfinite(point.value)
    json_metric = MetricFilter("{ $.a = * }", MetricTransformation("M", "N", "$.a"))
    assert json_metric.datapoint(json_message) is None or digits <= 308


def test_the_fallback_reader_reads_numbers_as_orjson_does() -> None:
    exact = '{"s": "\\ud800", "a": ' + "1" * 400 + "}"  # the lone surrogate forces the fallback
    assert not compile("{ $.a = * }").matches(exact)
    assert compile("{ $.a > 1e24 }").matches('{"s": "\\ud800", "a": ' + "1" * 25 + "}")

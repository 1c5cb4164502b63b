"""D32: every fast path agrees with the reference interpretation (tests/reference.py).

``compile(p).matches``, ``extract``, ``explain``, ``test_metric_filter`` and metric datapoints
are checked against a plain walk of the tree over messages built to break shortcuts.
"""

from __future__ import annotations

import pytest
import reference
from fastpath_strategies import delimited_patterns, json_patterns, messages_for, patterns
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from test_explain import check_explanation

from cwquery import PatternError, compile, explain, parse, render, test_metric_filter
from cwquery.ast import DelimitedPattern, JsonPattern, Pattern
from cwquery.metrics import MetricFilter, MetricTransformation

#: CI runs at least this many examples of the main property on every run.
REFERENCE_EXAMPLES = 2000


def _valid(tree: Pattern) -> Pattern:
    """The parsed tree; a tree over a limit (two regexes, three wildcard selectors, length) is
    rejected, so that Hypothesis counts it (and its health check fires if too many are)."""
    try:
        return parse(render(tree))
    except PatternError:
        reject()


def _outcomes(verdicts: list[bool]) -> str:
    """A Hypothesis event naming what a batch held, so a statistics run shows how many examples
    compared a match and how many a non-match."""
    if all(verdicts):
        return "batch: all match"
    return "batch: none match" if not any(verdicts) else "batch: matches and non-matches"


@settings(
    max_examples=REFERENCE_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(patterns, st.data())
def test_fast_paths_agree_with_the_reference(tree: Pattern, data: st.DataObject) -> None:
    pattern = _valid(tree)
    batch = data.draw(messages_for(pattern))
    matcher = compile(render(pattern))
    verdicts = []
    for message in batch:
        expected = reference.matches(pattern, message)
        verdicts.append(expected)
        assert matcher.matches(message) is expected, (render(pattern), message)
        assert matcher.extract(message) == reference.extract(pattern, message)
        check_explanation(pattern, message)  # explain's checks combine to this verdict
    event(_outcomes(verdicts))
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
@given(st.one_of(json_patterns, delimited_patterns()), st.data())
def test_metric_datapoints_agree_with_the_reference(tree: Pattern, data: st.DataObject) -> None:
    pattern = _valid(tree)
    value = _reference_for(pattern)
    assert value is not None
    batch = data.draw(messages_for(pattern))
    metric = MetricFilter(pattern, MetricTransformation("M", "N", value))
    for message in batch:
        point = metric.datapoint(message)
        expected = (
            _expected_value(pattern, message) if reference.matches(pattern, message) else None
        )
        event("published" if expected is not None else "nothing published")
        assert (None if point is None else point.value) == expected, (render(pattern), message)


def _expected_value(pattern: Pattern, message: str) -> float | None:
    """E2, by the reference: what ``$.a`` (JSON) or ``$1`` (delimited) publishes on a match."""
    if isinstance(pattern, JsonPattern):
        document = reference.read_json(message)
        return reference.metric_number(document.get("a"))
    assert isinstance(pattern, DelimitedPattern)
    return reference.metric_number(reference.token_values(pattern, message).get(0))


# The examples of the issue that asked for this property, each pinned on its own.


def test_a_number_beyond_the_double_range_is_not_json() -> None:
    pattern, message = '{ $.a = "inf" }', '{"a": 1e999}'
    assert not compile(pattern).matches(message)
    assert not explain(pattern, message).matched
    assert not reference.matches(parse(pattern), message)


@pytest.mark.parametrize("digits", [100, 108, 109, 309, 400, 4300, 4301, 10_000])
def test_long_digit_runs_never_raise(digits: int) -> None:
    token = "9" * digits
    assert compile("[a > 1]").matches(token)
    assert compile("[a, b = 1]").matches("x " + token) is False
    json_message = '{"a": ' + token + "}"
    assert compile("{ $.a = * }").matches(json_message) is (digits <= 308)
    metric = MetricFilter("[a]", MetricTransformation("M", "N", "$a"))
    published = float(token) if digits <= 108 else None  # E2: within 2**360 (about 2.3e108)
    point = metric.datapoint(token)
    assert (None if point is None else point.value) == published
    json_metric = MetricFilter("{ $.a = * }", MetricTransformation("M", "N", "$.a"))
    json_point = json_metric.datapoint(json_message)
    assert (None if json_point is None else json_point.value) == published


def test_the_fallback_reader_reads_numbers_as_orjson_does() -> None:
    exact = '{"s": "\\ud800", "a": ' + "1" * 400 + "}"  # the lone surrogate forces the fallback
    assert not compile("{ $.a = * }").matches(exact)
    assert compile("{ $.a > 1e24 }").matches('{"s": "\\ud800", "a": ' + "1" * 25 + "}")

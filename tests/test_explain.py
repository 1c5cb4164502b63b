"""explain(): structured and readable, and always in agreement with the matcher."""

from hypothesis import given
from strategies import patterns
from test_evaluator import messages

import cwquery
from cwquery import explain


def test_json_explanation_shows_values_found() -> None:
    result = explain(
        '{ $.latency > 1000 && $.level = "ERROR" }', '{"latency": 50, "level": "ERROR"}'
    )
    assert not result.matched
    group = result.checks[0]
    assert group.condition == "all of" and group.result is False
    assert [(c.condition, c.found, c.result) for c in group.children] == [
        ("$.latency > 1000", "50", False),
        ('$.level = "ERROR"', '"ERROR"', True),
    ]
    assert "$.latency > 1000: 50 → false" in str(result)


def test_missing_and_not_json_are_named() -> None:
    assert "missing → false" in str(explain("{ $.x = 1 }", '{"y": 1}'))
    text = str(explain("{ $.x = 1 }", "plain text"))
    assert "not a JSON object" in text and text.startswith("no match")


def test_term_explanation_marks_ignored_optional_terms() -> None:  # D3
    result = explain("?ERROR ?ARGUMENTS REQUEST", "[INFO] REQUEST FAILED")
    assert result.matched
    assert any("ignored" in note for note in result.notes)
    assert [c.result for c in result.checks] == [True, None, None]


def test_delimited_explanation_shows_token_values() -> None:
    line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /x HTTP/1.0" 404 1534'
    text = str(explain("[ip, id, user, timestamp, request, status_code = 4*, bytes > 2000]", line))
    assert 'status_code = "4*": "404" → true' in text
    assert 'bytes > 2000: "1534" → false' in text
    short = explain("[a, b, c]", "x y")
    assert "2 tokens" in short.notes[0]


def test_regex_explanation_shows_the_match() -> None:
    assert 'matched "ERROR" at 3' in str(explain("%ERR.R%", "an ERROR here"))


def test_to_dict() -> None:
    data = explain("{ $.a = 1 }", '{"a": 1}').to_dict()
    assert data["matched"] is True
    assert data["checks"] == [{"condition": "$.a = 1", "found": "1", "result": True}]


@given(patterns, messages)
def test_explanation_agrees_with_the_matcher(tree: cwquery.Pattern, message: str) -> None:
    assert explain(tree, message).matched is cwquery.matches(tree, message)

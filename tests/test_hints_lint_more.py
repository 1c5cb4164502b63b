"""Hints for typographic quotes and Lambda's prefixed JSON lines; the lint rule for unanchored
regex wildcards."""

from __future__ import annotations

import pytest

from cwquery import compile, explain, parse
from cwquery.errors import PatternSyntaxError
from cwquery.iac.lint import lint_pattern as lint

LAMBDA_LINE = '2024-05-01T12:00:00.000Z\tc0ffee-42\tERROR\t{"level": "ERROR", "n": 1}'


@pytest.mark.parametrize(
    ("pattern", "quote"),
    [
        ("{ $.level = \u201cERROR\u201d }", "\u201c"),
        ("\u201cTask timed out\u201d", "\u201c"),
        ("ERROR \u201ctimed out\u201d", "\u201c"),
        ("{ $.level = \u2018ERROR\u2019 }", "\u2018"),
        ("[ip, status = \u201e404\u201c]", "\u201e"),
    ],
)
def test_typographic_quotes_are_named(pattern: str, quote: str) -> None:
    with pytest.raises(PatternSyntaxError) as caught:
        parse(pattern)
    assert caught.value.hint is not None
    assert caught.value.hint.startswith(f"this is a typographic quote ({quote})")
    assert pattern.index(quote) == caught.value.offset


def test_straight_quotes_get_no_typographic_hint() -> None:
    with pytest.raises(PatternSyntaxError) as caught:
        parse("{ $.level = 'ERROR' }")
    assert "typographic" not in (caught.value.hint or "")


def test_json_pattern_on_a_lambda_line_suggests_what_matches_it() -> None:
    pattern = parse('{ $.level = "ERROR" }')
    assert not compile(pattern).matches(LAMBDA_LINE)
    notes = explain(pattern, LAMBDA_LINE).notes
    assert any("Lambda's text log format" in note for note in notes)
    # the suggestions work: the space-delimited pattern of the hint and the JSON log format
    assert compile(parse("[time, request_id, level = ERROR, ...]")).matches(LAMBDA_LINE)
    assert compile(pattern).matches(LAMBDA_LINE.rsplit("\t", 1)[1])
    plain = explain(pattern, "not json at all").notes
    assert plain == ("the message is not a JSON object, so no JSON pattern matches it",)


@pytest.mark.parametrize(
    ("pattern", "found"),
    [
        ("%.*ERROR%", [(1, ".*")]),
        ("%ERROR.+%", [(6, ".+")]),
        ("%.+ERROR.*%", [(1, ".+"), (8, ".*")]),
        ("{ $.msg = %.*timed out% }", [(11, ".*")]),
        ("[ip, msg = %.*x%]", [(12, ".*")]),
        ("%^.*ERROR%", []),
        ("%ERROR.*$%", []),
        ("%ERROR\\.*%", []),
        ("%a.*b%", []),
        ("{ $.msg = %.+% }", []),
        ("ERROR", []),
    ],
)
def test_unanchored_regex_wildcards(pattern: str, found: list[tuple[int, str]]) -> None:
    diagnostics = [d for d in lint(pattern) if d.code == "unanchored-regex-wildcard"]
    assert [(d.offset, pattern[d.offset : d.offset + d.length]) for d in diagnostics] == found
    assert all(d.severity.value == "warning" for d in diagnostics)

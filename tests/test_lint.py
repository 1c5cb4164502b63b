"""Lint rules on patterns (D3, D5) and on metric transformations, and the rule registry."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from cwquery import PatternError, parse
from cwquery.iac.lint import RULES, Severity, lint_metric, lint_pattern


def codes(pattern: str) -> list[tuple[str, int]]:
    return [(d.code, d.offset) for d in lint_pattern(pattern)]


# --------------------------------------------------------------------------- D3


def test_ignored_optional_terms_points_at_the_first_optional_term() -> None:
    (found,) = lint_pattern("REQUEST ?ERROR ?ARGUMENTS")
    assert (found.code, found.offset, found.length) == ("ignored-optional-terms", 8, 6)
    assert found.severity is Severity.WARNING
    assert found.message == (
        "CloudWatch ignores ?ERROR ?ARGUMENTS because the pattern also has plain or - terms "
        "(D3); it matches every event that contains REQUEST"
    )
    assert found.hint and "only ?-terms" in found.hint


def test_ignored_optional_terms_describes_exclusions() -> None:
    (found,) = lint_pattern('?ERROR -DEBUG -"health check"')
    assert found.message.endswith('it matches every event that lacks DEBUG or "health check"')
    (found,) = lint_pattern("?a b -c")
    assert found.message.endswith("contains b and lacks c")


@pytest.mark.parametrize("pattern", ["?ERROR ?WARN", "ERROR -DEBUG", "?ERROR", '?"a-b" ?"c"'])
def test_no_d3_warning_without_mixing(pattern: str) -> None:
    assert "ignored-optional-terms" not in [code for code, _ in codes(pattern)]


# --------------------------------------------------------------------------- D5


def test_hyphen_inside_a_bare_word_is_flagged_at_the_dash() -> None:
    (found,) = lint_pattern("timeout request-id-42")
    assert (found.code, found.offset) == ("unquoted-punctuation", 15)
    assert found.message == (
        "'request-id-42' is read as request -id -42: a '-' inside an unquoted term excludes "
        "the text after it (D5)"
    )
    assert found.hint == 'to search for the text, quote it: "request-id-42"'


def test_hyphen_after_a_prefix_keeps_the_prefix_in_the_advice() -> None:
    # -bar is an exclusion, so ?foo and ?baz count not
    ignored, dash = lint_pattern("?foo-bar ?baz")
    assert ignored.code == "ignored-optional-terms" and ignored.message.endswith("lacks bar")
    assert dash.offset == 4 and dash.hint == 'to search for the text, quote it: ?"foo-bar"'


def test_other_punctuation_is_a_parse_error_not_a_warning() -> None:  # D5
    with pytest.raises(PatternError, match=r"Invalid character\(s\) in term ':'"):
        lint_pattern("ERROR: /api/v1")


@pytest.mark.parametrize(
    "pattern",
    [
        '"request-id" "/api/v1" -"a.b"',
        "ERROR_CODE 404",
        "a -b",  # a separate exclusion, not inside a word
        '{ $.a = "x-y" }',
        "[a = x-y]",
        "%a-b%",
        "",
    ],
)
def test_no_punctuation_warning(pattern: str) -> None:
    assert lint_pattern(pattern) == []


def test_lint_of_a_tree_uses_its_canonical_text() -> None:
    assert [d.code for d in lint_pattern(parse("?a b"))] == ["ignored-optional-terms"]


def test_lint_of_an_invalid_pattern_raises() -> None:
    with pytest.raises(PatternError):
        lint_pattern("{ $.a == 1 }")


# --------------------------------------------------------------------------- metrics


def metric_codes(
    pattern: str,
    value: str | None,
    dimensions: Sequence[tuple[str, str | None]] | None = None,
    default: float | None = None,
) -> list[tuple[str, str | None]]:
    found = lint_metric(parse(pattern), value, dimensions or [], default)
    return [(d.code, d.target) for d in found]


@pytest.mark.parametrize(
    ("pattern", "value", "dimensions", "expected"),
    [
        (
            "{ $.latency = * }",
            "$.latency",
            [("t", "$.type")],
            [("dimension-not-in-pattern", "dimension:t")],
        ),
        ("{ $.level = ERROR }", "$.latency", [], [("metric-value-not-in-pattern", "metricValue")]),
        ("{ $.a[0] = 1 }", "$.a[0]", [], []),
        ("{ $.a = 1 }", "1.5", [], []),
        ("{ $.a = 1 }", "$a", [], [("unresolvable-reference", "metricValue")]),
        ("{ $.a = 1 }", "$.a[*].b[*]", [], [("unresolvable-reference", "metricValue")]),
        ("[ip, user, bytes]", "$bytes", [("u", "$user")], []),
        ("[ip, ..., bytes]", "$3", [], []),
        ("[ip, bytes]", "$size", [], [("unresolvable-reference", "metricValue")]),
        ("[ip, bytes]", "$.size", [], [("unresolvable-reference", "metricValue")]),
        ("[ip, bytes]", "1", [("x", "$host")], [("unresolvable-reference", "dimension:x")]),
        ("ERROR", "1", [], []),
        ("ERROR", "$.latency", [], [("unresolvable-reference", "metricValue")]),
        ("%ERR%", "$x", [], [("unresolvable-reference", "metricValue")]),
        ("", "one", [], [("unresolvable-reference", "metricValue")]),
        ("ERROR", "1", [("level", "$.level")], [("dimensions-on-term-pattern", "dimension:level")]),
        ("ERROR", "1", [("level", None)], [("dimensions-on-term-pattern", "dimension:level")]),
        ("{ $.a = * }", None, [("a", None)], []),
    ],
)
def test_metric_references(
    pattern: str,
    value: str | None,
    dimensions: list[tuple[str, str | None]],
    expected: list[tuple[str, str]],
) -> None:
    assert metric_codes(pattern, value, dimensions) == expected


def test_service_rules_on_transformations() -> None:
    pattern = "{ $.a = * && $.b = * && $.c = * && $.d = * }"
    four = [(name, f"$.{name}") for name in "abcd"]
    assert metric_codes(pattern, "1", four) == [("invalid-metric-transformation", "transformation")]
    assert metric_codes(pattern, "1", four[:1], default=0) == [
        ("invalid-metric-transformation", "transformation")
    ]
    assert metric_codes(pattern, "1", [], default=0) == []
    (found,) = lint_metric(parse(pattern), "1", four[:1], 0)
    assert found.message == "A metric filter with dimensions cannot have a default value"


def test_dimensions_on_term_pattern_uses_the_service_text() -> None:
    (found,) = lint_metric(parse("ERROR"), "1", [("level", "$.level")])
    assert found.severity is Severity.ERROR
    assert found.message.startswith("The specified filter pattern does not support dimensions")


# --------------------------------------------------------------------------- registry


def test_rules_have_stable_kebab_case_codes_and_severities() -> None:
    for code, rule in RULES.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code) and rule.code == code
        assert rule.summary.endswith(".")
    assert RULES["dimensions-on-term-pattern"].severity is Severity.ERROR
    assert RULES["unresolvable-reference"].severity is Severity.ERROR
    for code in (
        "ignored-optional-terms",
        "unquoted-punctuation",
        "metric-value-not-in-pattern",
        "dimension-not-in-pattern",
        "too-many-regex-filters",
    ):
        assert RULES[code].severity is Severity.WARNING
    for code in ("syntax", "invalid-regex", "limit", "unsupported"):
        assert RULES[code].severity is Severity.ERROR

"""Lint rules on patterns (D3, D4, D5) and on metric transformations, and the rule registry."""

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


def test_punctuation_the_service_refuses_is_a_parse_error_not_a_warning() -> None:  # D5
    with pytest.raises(PatternError, match=r"Invalid character\(s\) in term ':'"):
        lint_pattern("ERROR: /api/v1")


def test_unevidenced_punctuation_warns_at_its_first_character() -> None:  # D5 revised
    (found,) = lint_pattern("timeout GET /api/v1?x=1")
    assert (found.code, found.offset, found.length) == ("unquoted-punctuation", 12, 1)
    assert found.severity is Severity.WARNING
    assert found.message == (
        "'/api/v1?x=1' holds '/?=' unquoted: the service's answer to that is not known, and "
        "it may refuse the pattern (D5)"
    )
    assert found.hint == 'quote the term: "/api/v1?x=1" (cwquery fmt does)'


def test_punctuation_and_a_dash_in_one_word_are_both_reported() -> None:  # D5
    assert codes("a/b-c!") == [
        ("unquoted-punctuation", 1),
        ("unquoted-punctuation", 3),
        ("unquoted-punctuation", 5),
    ]
    (_, _, bang) = lint_pattern("a/b-c!")
    assert bang.hint == 'quote the term: -"c!" (cwquery fmt does)'


@pytest.mark.parametrize(
    "pattern",
    ["Malware scan timed out for notification.id", "?example.com ?foo.bar", "..."],
)
def test_a_dot_in_a_bare_term_is_not_flagged(pattern: str) -> None:  # D5 revised
    assert lint_pattern(pattern) == []


def test_resolved_terraform_domain_gets_the_ignored_optional_warning() -> None:  # D3, D5
    assert codes("?example.com SERVFAIL") == [("ignored-optional-terms", 0)]


# --------------------------------------------------------------------------- D4


def test_detached_minus_is_flagged_on_the_minus_and_its_blanks() -> None:
    (found,) = lint_pattern('"ERROR" - "Exiting"')
    assert (found.code, found.offset, found.length) == ("detached-prefix", 8, 2)
    assert found.severity is Severity.WARNING
    assert found.message == (
        "the '-' is read as excluding Exiting, the item after it (D4); written apart, it is "
        "easy to misread"
    )
    assert found.hint == "attach it: -Exiting (cwquery fmt does)"


def test_detached_minus_before_a_phrase_and_inside_a_word() -> None:
    (found,) = lint_pattern('-\t "cwlogs push"')
    assert (found.offset, found.length, found.hint) == (
        0,
        3,
        'attach it: -"cwlogs push" (cwquery fmt does)',
    )
    # 'ERROR- x' is ERROR -x: a detached exclusion, not a '-' inside a word
    assert codes("ERROR- x") == [("detached-prefix", 5)]
    # the detached '-' takes 'request'; the '-' inside the word still splits it
    assert codes("- request-id") == [("detached-prefix", 0), ("unquoted-punctuation", 9)]


@pytest.mark.parametrize("pattern", ["ERROR -Exiting", '-"a b"', "a-b"])
def test_attached_minus_is_not_detached(pattern: str) -> None:
    assert "detached-prefix" not in [code for code, _ in codes(pattern)]


def test_fmt_output_has_nothing_detached_left() -> None:
    tree = parse('"ERROR" -  "Exiting" -\n"a b"')
    assert str(tree) == 'ERROR -Exiting -"a b"'
    assert lint_pattern(str(tree)) == []


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
        "detached-prefix",
        "metric-value-not-in-pattern",
        "dimension-not-in-pattern",
        "too-many-regex-filters",
    ):
        assert RULES[code].severity is Severity.WARNING
    for code in ("syntax", "invalid-regex", "limit", "unsupported"):
        assert RULES[code].severity is Severity.ERROR

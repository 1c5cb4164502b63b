"""The regex-cost rule: its score, its threshold and the fix it suggests."""

from __future__ import annotations

import pytest

from cwquery import parse
from cwquery.iac.lint import RULES, Severity, lint_pattern
from cwquery.iac.rules_regex import THRESHOLD, regex_cost, regex_score

#: The regex of aws-cdk #36901 that PutMetricFilter refused now and then.
CDK_36901 = r"%Task timed out after|^REPORT\s.+\sStatus: timeout%"


def test_the_regex_of_aws_cdk_36901_is_flagged_with_a_term_prefilter() -> None:
    (found,) = [d for d in lint_pattern(CDK_36901) if d.code == "regex-cost"]
    assert found.severity is Severity.WARNING
    assert (found.offset, found.length) == (1, len(CDK_36901) - 2)
    assert "one of 2 alternatives" in found.message
    assert "evaluation time exceeded" in found.message
    assert found.hint is not None
    assert '?"Task timed out after" ?"Status: timeout"' in found.hint
    # the suggested prefilter is a valid pattern that matches the lines the regex matches
    prefilter = '?"Task timed out after" ?"Status: timeout"'
    parse(prefilter)


@pytest.mark.parametrize(
    ("body", "wildcards"),
    [
        ("a.*b.*c", (2,)),
        (r"[^,]+,[^,]+,x", (2,)),
        (r"x\S*y\W+z", (2,)),
        ("a.{2,}b.+c", (2,)),
        ("ERROR|WARN.*x", (0, 1)),
        (r"a\.*b", (0,)),  # an escaped dot is a literal
        (r"[.]*x", (0,)),  # so is a dot in a class
        (r"\d+\s+\w+", (0,)),  # narrow classes cannot run across everything
    ],
)
def test_wildcards_are_counted_per_alternative(body: str, wildcards: tuple[int, ...]) -> None:
    assert regex_score(body).wildcards == wildcards


@pytest.mark.parametrize(
    "pattern",
    [
        "%ERROR.*timeout%",  # one wildcard after a literal: linear in any engine
        "%ERROR|WARN|FATAL%",
        r"%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%",
        "%.*%",
        "{ $.message = %timeout.+ms% }",
    ],
)
def test_cheap_regexes_are_not_flagged(pattern: str) -> None:
    assert [d for d in lint_pattern(pattern) if d.code == "regex-cost"] == []


def test_a_large_program_alone_crosses_the_threshold() -> None:
    assert regex_score("[a-z]{400}").score < THRESHOLD
    figures = regex_score("[a-z]{400}x{200}")
    assert figures.program_size > 500 and figures.score >= THRESHOLD
    (found,) = regex_cost(parse("%[a-z]{400}x{200}%"))
    assert f"a program of {figures.program_size} RE2 instructions" in found.message


def test_json_and_delimited_regex_values_are_scored_at_their_place() -> None:
    (found,) = [d for d in lint_pattern("{ $.m = %abc.*def.*g% }") if d.code == "regex-cost"]
    assert found.offset == 9
    assert found.hint is not None and '= "*abc*"' in found.hint
    (found,) = regex_cost(parse("[ip, msg = %x.*y.*z%]"))
    assert found.offset == 12


def test_no_prefilter_is_suggested_without_a_literal_in_every_alternative() -> None:
    (found,) = regex_cost(parse(r"%\d+.*\d+.*x%"))
    assert found.hint is not None and "prefilter" not in found.hint
    assert "narrow each wildcard" in found.hint


def test_the_rule_is_registered() -> None:
    assert RULES["regex-cost"].severity is Severity.WARNING

"""metricValue forms (E15): out-of-range $N, and the rewrite offered for a value in the wrong
form for the pattern's kind."""

from __future__ import annotations

import pytest

from cwquery import parse
from cwquery.iac.findings import check_sites
from cwquery.iac.lint import lint_metric
from cwquery.iac.scan import scan_text


def problems(pattern: str, value: str) -> list[tuple[str, str, str | None]]:
    return [(d.code, d.message, d.hint) for d in lint_metric(parse(pattern), value)]


@pytest.mark.parametrize(
    ("pattern", "value", "message"),
    [
        ("[ip, bytes]", "$5", "'$5' names token 5, but the pattern has 2 fields and no '...'"),
        ("[ip, bytes]", "$0", "'$0' names no token: tokens are numbered from $1"),
        ("[a, ..., b]", "$0", "'$0' names no token"),
    ],
)
def test_positions_no_matching_event_has_are_errors(pattern: str, value: str, message: str) -> None:
    ((code, text, hint),) = problems(pattern, value)
    assert code == "unresolvable-reference" and text.startswith(message)
    assert hint is not None and hint.startswith("name a field of the pattern ($")


@pytest.mark.parametrize(("pattern", "value"), [("[ip, bytes]", "$2"), ("[ip, ...]", "$9")])
def test_positions_that_exist_are_accepted(pattern: str, value: str) -> None:
    assert problems(pattern, value) == []


@pytest.mark.parametrize(
    ("pattern", "value", "fix"),
    [
        ("{ $.latency = * }", "latency", "write $.latency"),
        ("{ $.latency = * }", "$latency", "write $.latency"),
        ("{ $.latency = * }", "", "write a number such as 1"),
        ("[ip, bytes]", "$.bytes", "write $bytes"),
        ("[ip, bytes]", "bytes", "write $bytes"),
        ("[ip, Bytes]", "$bytes", "write $Bytes"),
        ("[ip, bytes]", "$size", "name a field of the pattern ($ip, $bytes) or a token $1 … $2"),
        ("[ip, ...]", "$size", "name a field of the pattern ($ip) or a token $1, $2, …"),
        ("ERROR", "$.latency", "write a number such as 1"),
        ("%ERR.R%", "$size", "write a number such as 1"),
    ],
)
def test_each_wrong_form_gets_its_rewrite(pattern: str, value: str, fix: str) -> None:
    ((code, _, hint),) = problems(pattern, value)
    assert code == "unresolvable-reference"
    assert hint is not None and hint.startswith(fix)


def test_dimensions_get_the_rewrite_too() -> None:
    (found,) = lint_metric(parse("{ $.a = * }"), "1", [("Level", "level")])
    assert found.target == "dimension:Level" and found.hint is not None
    assert found.hint.startswith("write $.level")


def test_the_rewrite_reaches_a_template_finding() -> None:
    text = (
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
        "      LogGroupName: /app\n      FilterPattern: '[ip, user, bytes]'\n"
        "      MetricTransformations:\n"
        "        - {MetricName: B, MetricNamespace: App, MetricValue: $.bytes}\n"
    )
    (found,) = check_sites(scan_text(text, "t.yaml").sites)
    assert (found.code, found.line) == ("unresolvable-reference", 8)
    assert found.hint is not None and found.hint.startswith("write $bytes")

"""Alarms of hostile Terraform: counts too large to expand, filters that refer to each other,
and references to what is not a filter of the module."""

from __future__ import annotations

from pathlib import Path

from cwquery.iac.alarms import scan_paths

_FILTER = (
    'resource "aws_cloudwatch_log_metric_filter" "f" {\n'
    '  count = COUNT\n  name = "f"\n  pattern = "ERROR"\n  log_group_name = "g"\n'
    '  metric_transformation {\n    name = "M"\n    namespace = "N"\n    value = "1"\n  }\n}\n'
)
_ALARM = (
    'resource "aws_cloudwatch_metric_alarm" "a" {\n  count = COUNT\n'
    '  metric_name = REFERENCE\n  namespace = "N"\n'
    '  statistic = "Sum"\n  period = 60\n  evaluation_periods = 1\n  threshold = 1\n'
    '  comparison_operator = "GreaterThanOrEqualToThreshold"\n}\n'
)


def _alarm(count: str, reference: str) -> str:
    return _ALARM.replace("COUNT", count).replace("REFERENCE", reference)


def test_an_alarm_counted_a_billion_times_is_not_expanded(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_alarm("1000000000", '"M"'))
    found = scan_paths([str(tmp_path)])
    ((_, name, reason),) = found.unread
    assert name == "aws_cloudwatch_metric_alarm.a"
    assert "count is above 10000" in reason


def test_a_filter_counted_a_billion_times_is_not_expanded_for_a_reference(
    tmp_path: Path,
) -> None:
    text = _FILTER.replace("COUNT", "1000000000") + _alarm(
        "1", "aws_cloudwatch_log_metric_filter.f[0].metric_transformation[0].name"
    )
    (tmp_path / "main.tf").write_text(text)
    found = scan_paths([str(tmp_path)])
    assert found.alarms == []
    assert "count is above 10000" in found.unread[0][2]


def test_references_to_what_is_not_a_filter_of_the_module(tmp_path: Path) -> None:
    text = _FILTER.replace("COUNT", "1")
    for reference in (
        "aws_cloudwatch_log_metric_filter.missing.id",
        "aws_cloudwatch_log_metric_filter.f.id",  # counted: a list, not an object
        "aws_cloudwatch_log_metric_filter.f[3].id",
        "aws_cloudwatch_log_metric_filter.f[0].arn",
        "aws_cloudwatch_log_metric_filter.f[0].metric_transformation[1].name",
        "aws_cloudwatch_log_metric_filter",
    ):
        (tmp_path / "main.tf").write_text(text + _alarm("1", reference))
        found = scan_paths([str(tmp_path)])
        assert found.alarms == [], reference
        assert len(found.unread) == 1, reference


def test_a_filter_counted_a_billion_times_with_a_namespace_from_a_variable(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from cwquery.cli import main

    text = _FILTER.replace("COUNT", "1000000000").replace('namespace = "N"', "namespace = var.n")
    (tmp_path / "main.tf").write_text(text + 'variable "n" {\n  default = "N"\n}\n')
    result = CliRunner().invoke(main, ["cis", str(tmp_path)])
    assert result.exit_code == 1
    assert "0 of 14 controls covered" in result.stdout

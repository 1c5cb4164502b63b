"""``cwquery cis`` on paths and templates that are not what they should be: the scan goes on
where ``cwquery check`` would, and says what it passed over."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent
CFN = ROOT / "examples" / "cis" / "cloudformation" / "template.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["cis", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_fifo_given_is_an_error_and_one_in_a_folder_a_warning(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    code, out, err = run(str(tmp_path / "pipe.yaml"))
    assert (code, out) == (2, "")
    assert "not a regular file or a folder" in err
    (tmp_path / "template.yaml").write_text(CFN.read_text())
    code, out, err = run("--format", "json", str(tmp_path))
    assert code == 0  # every control covered by the readable template
    assert "pipe.yaml" in err and "not a regular file (a FIFO)" in err
    assert len(json.loads(out)["controls"]) == 14


def test_a_dangling_link_in_a_folder_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "template.yaml").write_text(CFN.read_text())
    code, _, err = run(str(tmp_path))
    assert code == 0
    assert "gone.yaml" in err


def test_a_broken_template_is_a_warning_and_the_others_are_read(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n  ["
    )
    (tmp_path / "template.yaml").write_text(CFN.read_text())
    code, out, err = run(str(tmp_path))
    assert code == 0
    assert err.startswith("warning: ") and "broken.yaml" in err
    assert "(14 metric filters in 2 files)" in out


def test_invalid_and_unresolved_filters_are_noted_and_never_cover(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_log_metric_filter" "bad" {\n'
        '  name = "bad"\n  log_group_name = "trail"\n'
        '  pattern = "{ $.eventName = CreateTrail || "\n'
        '  metric_transformation {\n    name = "m"\n    namespace = "n"\n    value = "1"\n  }\n}\n'
        'resource "aws_cloudwatch_log_metric_filter" "computed" {\n'
        '  name = "computed"\n  log_group_name = "trail"\n  pattern = var.pattern\n'
        '  metric_transformation {\n    name = "m"\n    namespace = "n"\n    value = "1"\n  }\n}\n'
    )
    code, out, err = run("--format", "json", str(tmp_path))
    assert code == 1
    assert "aws_cloudwatch_log_metric_filter.bad not checked: not a valid pattern" in err
    assert "aws_cloudwatch_log_metric_filter.computed not checked" in err
    statuses = {entry["status"] for entry in json.loads(out)["controls"]}
    assert statuses == {"not-covered"}


def test_a_filter_that_matches_everything_covers_every_control(tmp_path: Path) -> None:
    """The direction of the check: a broader filter misses no event (docs/cis.md)."""
    alarm = (
        "  A:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      MetricName: All\n"
        "      Namespace: N\n      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n"
        "      Threshold: 1\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n"
    )
    (tmp_path / "t.yaml").write_text(
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
        "      LogGroupName: trail\n      FilterPattern: ''\n      MetricTransformations:\n"
        "        - {MetricName: All, MetricNamespace: N, MetricValue: '1'}\n" + alarm
    )
    code, out, _ = run("--format", "json", str(tmp_path))
    assert code == 0
    assert {entry["filter"]["pattern"] for entry in json.loads(out)["controls"]} == {""}

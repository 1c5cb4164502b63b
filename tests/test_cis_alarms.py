"""``cwquery cis`` links each filter to the alarms on its metric with the same resolution as the
filters: ``for_each``/``count`` instances, module calls, references to a filter, variable and
parameter defaults. An alarm whose metric is not known without deploying stays unlinked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cwquery.cli import main
from cwquery.iac.alarms import scan_paths as alarm_scan

SHAPES = Path(__file__).parent / "fixtures" / "iac" / "public_shapes"


def run(*paths: Path) -> tuple[int, dict[str, dict[str, Any]], str]:
    result = CliRunner().invoke(main, ["cis", "--format", "json", *map(str, paths)])
    assert result.exit_code in (0, 1), result.output
    entries = json.loads(result.stdout)["controls"]
    return result.exit_code, {entry["control"]: entry for entry in entries}, result.stderr


def statuses(found: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {control: entry["status"] for control, entry in found.items()}


def copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(SHAPES / name, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("shape", ["cis_alarms", "cloudtrail_cloudwatch_alarms", "secure_baseline"])
def test_the_public_module_shapes_are_covered_with_an_alarm(shape: str) -> None:
    code, found, err = run(SHAPES / shape)
    assert code == 0
    assert set(statuses(found).values()) == {"covered"}
    assert len(found) == 14
    assert "not read by the alarm scan: a value is resolved at deploy time" not in err


def test_text_names_the_alarm_of_a_for_each_instance() -> None:
    result = CliRunner().invoke(main, ["cis", str(SHAPES / "cis_alarms")])
    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if x.startswith("CloudWatch.14"))
    assert 'aws_cloudwatch_log_metric_filter.this["VPCChanges"] covers' in line
    assert line.endswith("alarm: VPCChanges")


def test_an_alarm_left_out_of_the_for_each_is_no_alarm(tmp_path: Path) -> None:
    folder = copy("cis_alarms", tmp_path)
    edit(
        folder / "main.tf",
        'resource "aws_cloudwatch_metric_alarm" "this" {\n  for_each = local.controls\n',
        'resource "aws_cloudwatch_metric_alarm" "this" {\n'
        '  for_each = { for k, v in local.controls : k => v if k != "VPCChanges" }\n',
    )
    code, found, _ = run(folder)
    assert code == 1
    assert statuses(found)["CloudWatch.14"] == "no-alarm"
    assert list(statuses(found).values()).count("covered") == 13
    text = CliRunner().invoke(main, ["cis", str(folder)]).stdout
    assert "no alarm watches the metric CISBenchmark/VPCChanges" in text


def test_a_removed_alarm_block_in_a_called_module_is_no_alarm(tmp_path: Path) -> None:
    folder = copy("secure_baseline", tmp_path)
    module = folder / "modules" / "alarm-baseline" / "main.tf"
    text = module.read_text()
    start = text.index('resource "aws_cloudwatch_metric_alarm" "route_table_changes"')
    end = text.index("\n}\n", start) + 3
    module.write_text(text[:start] + text[end:])
    code, found, _ = run(folder)
    assert code == 1
    assert statuses(found)["CloudWatch.13"] == "no-alarm"
    assert list(statuses(found).values()).count("covered") == 13


def test_an_alarm_with_count_zero_is_not_made(tmp_path: Path) -> None:
    folder = copy("secure_baseline", tmp_path)
    module = folder / "modules" / "alarm-baseline" / "main.tf"
    edit(
        module,
        'resource "aws_cloudwatch_metric_alarm" "vpc_changes" {\n'
        "  count = var.vpc_changes_enabled ? 1 : 0\n",
        'resource "aws_cloudwatch_metric_alarm" "vpc_changes" {\n  count = 0\n',
    )
    code, found, _ = run(folder)
    assert (code, statuses(found)["CloudWatch.14"]) == (1, "no-alarm")
    assert list(statuses(found).values()).count("covered") == 13


def test_a_catalog_entry_without_its_alarm_is_no_alarm(tmp_path: Path) -> None:
    folder = copy("cloudtrail_cloudwatch_alarms", tmp_path)
    edit(
        folder / "alarms.tf",
        "  for_each            = local.enabled ? var.metrics : {}\n  alarm_name",
        '  for_each            = { for k, v in var.metrics : k => v if k != "vpc-changes-count" }\n'
        "  alarm_name",
    )
    code, found, _ = run(folder)
    assert (code, statuses(found)["CloudWatch.14"]) == (1, "no-alarm")
    assert list(statuses(found).values()).count("covered") == 13


def test_an_alarm_on_a_computed_metric_stays_unlinked(tmp_path: Path) -> None:
    folder = copy("cis_alarms", tmp_path)
    edit(
        folder / "main.tf",
        "  metric_name         = aws_cloudwatch_log_metric_filter.this[each.key].id\n",
        '  metric_name         = each.key == "VPCChanges" ? data.aws_ssm_parameter.m.value'
        " : aws_cloudwatch_log_metric_filter.this[each.key].id\n",
    )
    code, found, err = run(folder)
    assert (code, statuses(found)["CloudWatch.14"]) == (1, "no-alarm")
    assert list(statuses(found).values()).count("covered") == 13
    assert (
        'aws_cloudwatch_metric_alarm.this["VPCChanges"] not read by the alarm scan: '
        "metric_name is computed at deploy time" in err
    )


def test_the_filter_id_is_its_name_not_its_metric(tmp_path: Path) -> None:
    """``.id`` of a metric filter is the filter's name: an alarm naming it watches the metric of
    that name, which this filter does not publish."""
    folder = copy("secure_baseline", tmp_path)
    module = folder / "modules" / "alarm-baseline" / "main.tf"
    edit(module, '  name           = "VPCChanges"\n', '  name           = "vpc-filter"\n')
    code, found, _ = run(folder)
    assert (code, statuses(found)["CloudWatch.14"]) == (1, "no-alarm")
    edit(
        module,
        "aws_cloudwatch_log_metric_filter.vpc_changes[0].id",
        "aws_cloudwatch_log_metric_filter.vpc_changes[0].metric_transformation[0].name",
    )
    code, found, _ = run(folder)
    assert (code, statuses(found)["CloudWatch.14"]) == (0, "covered")


def test_an_alarm_in_another_namespace_is_no_alarm(tmp_path: Path) -> None:
    folder = copy("cis_alarms", tmp_path)
    edit(
        folder / "main.tf",
        '  namespace           = lookup(each.value, "namespace", var.namespace)\n',
        '  namespace           = each.key == "VPCChanges" ? "Other" : var.namespace\n',
    )
    code, found, _ = run(folder)
    assert (code, statuses(found)["CloudWatch.14"]) == (1, "no-alarm")
    assert list(statuses(found).values()).count("covered") == 13


def test_filters_referring_to_each_other_are_unknown(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_log_metric_filter" "a" {\n'
        "  name = aws_cloudwatch_log_metric_filter.b.name\n"
        '  pattern = "{ ($.eventName = CreateVpc) }"\n  log_group_name = "g"\n'
        '  metric_transformation {\n    name = "A"\n    namespace = "N"\n    value = "1"\n  }\n}\n'
        'resource "aws_cloudwatch_log_metric_filter" "b" {\n'
        "  name = aws_cloudwatch_log_metric_filter.a.name\n"
        '  pattern = "ERROR"\n  log_group_name = "g"\n'
        '  metric_transformation {\n    name = "B"\n    namespace = "N"\n    value = "1"\n  }\n}\n'
        'resource "aws_cloudwatch_metric_alarm" "a" {\n'
        '  metric_name = aws_cloudwatch_log_metric_filter.a.id\n  namespace = "N"\n'
        '  statistic = "Sum"\n  period = 60\n  evaluation_periods = 1\n  threshold = 1\n'
        '  comparison_operator = "GreaterThanOrEqualToThreshold"\n}\n'
    )
    found = alarm_scan([str(tmp_path)])
    assert found.alarms == []
    ((_, name, reason),) = found.unread
    assert name == "aws_cloudwatch_metric_alarm.a"
    assert "refers to itself" in reason


# --------------------------------------------------------------------------- CloudFormation

_CFN = """\
Parameters:
  Namespace: {Type: String, Default: CISBenchmark}
  Prefix: {Type: String, Default: Vpc}
Resources:
  VpcFilter:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /ct
      FilterPattern: >-
        {($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute)
        || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection)
        || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection)
        || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc)
        || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}
      MetricTransformations:
        - MetricName: !Sub "${Prefix}Changes"
          MetricNamespace: !Ref Namespace
          MetricValue: "1"
  VpcAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: !Join ["", [!Ref Prefix, Changes]]
      Namespace: !Ref Namespace
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
"""


def test_cloudformation_names_from_parameter_defaults_are_linked(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(_CFN)
    _, found, _ = run(tmp_path)
    assert statuses(found)["CloudWatch.14"] == "covered"


def test_a_cloudformation_alarm_on_the_stack_name_stays_unlinked(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(
        _CFN.replace(
            'MetricName: !Join ["", [!Ref Prefix, Changes]]',
            'MetricName: !Sub "${AWS::StackName}Changes"',
        )
    )
    _, found, err = run(tmp_path)
    assert statuses(found)["CloudWatch.14"] == "no-alarm"
    assert "VpcAlarm not read by the alarm scan: a value is resolved at deploy time" in err


def test_the_same_names_in_a_json_template(tmp_path: Path) -> None:
    pattern = (
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute)"
        " || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection)"
        " || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection)"
        " || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc)"
        " || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}"
    )
    name = {"Fn::Join": ["", [{"Ref": "Prefix"}, "Changes"]]}
    template = {
        "Parameters": {"Namespace": {"Default": "CIS"}, "Prefix": {"Default": "Vpc"}},
        "Resources": {
            "VpcFilter": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "LogGroupName": "/ct",
                    "FilterPattern": pattern,
                    "MetricTransformations": [
                        {
                            "MetricName": {"Fn::Sub": "${Prefix}Changes"},
                            "MetricNamespace": {"Ref": "Namespace"},
                            "MetricValue": "1",
                        }
                    ],
                },
            },
            "VpcAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "MetricName": name,
                    "Namespace": {"Ref": "Namespace"},
                    "Statistic": "Sum",
                    "Period": 300,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                },
            },
        },
    }
    (tmp_path / "t.json").write_text(json.dumps(template))
    _, found, _ = run(tmp_path)
    assert statuses(found)["CloudWatch.14"] == "covered"


# --------------------------------------------------------------------------- Terraform JSON

_PATTERN = (
    "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || "
    "($.eventName=StartLogging) || ($.eventName=StopLogging)}"
)
_ALARM = {
    "statistic": "Sum",
    "period": 300,
    "evaluation_periods": 1,
    "threshold": 1,
    "comparison_operator": "GreaterThanOrEqualToThreshold",
}


def test_terraform_json_alarm_naming_its_filter(tmp_path: Path) -> None:
    document = {
        "resource": {
            "aws_cloudwatch_log_metric_filter": {
                "trail": {
                    "name": "TrailChanges",
                    "log_group_name": "/ct",
                    "pattern": _PATTERN,
                    "metric_transformation": {"name": "TrailChanges", "namespace": "CIS"},
                }
            },
            "aws_cloudwatch_metric_alarm": {
                "trail": {
                    "metric_name": "${aws_cloudwatch_log_metric_filter.trail.id}",
                    "namespace": "CIS",
                    **_ALARM,
                }
            },
        }
    }
    (tmp_path / "main.tf.json").write_text(json.dumps(document))
    _, found, _ = run(tmp_path)
    assert statuses(found)["CloudWatch.5"] == "covered"
    alarm = document["resource"]["aws_cloudwatch_metric_alarm"]["trail"]  # type: ignore[index]
    alarm["metric_name"] = "${var.metric}"
    (tmp_path / "main.tf.json").write_text(json.dumps(document))
    _, found, err = run(tmp_path)
    assert statuses(found)["CloudWatch.5"] == "no-alarm"
    assert "aws_cloudwatch_metric_alarm.trail not read by the alarm scan" in err


def _plan(metric_name: str | None) -> dict[str, Any]:
    filter_values = {
        "name": "TrailChanges",
        "log_group_name": "/ct",
        "pattern": _PATTERN,
        "metric_transformation": [{"name": "TrailChanges", "namespace": "CIS", "value": "1"}],
    }
    alarm_values = {"alarm_name": "trail", "metric_name": metric_name, "namespace": "CIS", **_ALARM}
    resources = [
        {
            "address": 'module.cis.aws_cloudwatch_log_metric_filter.this["trail"]',
            "type": "aws_cloudwatch_log_metric_filter",
            "values": filter_values,
        },
        {
            "address": 'module.cis.aws_cloudwatch_metric_alarm.this["trail"]',
            "type": "aws_cloudwatch_metric_alarm",
            "values": alarm_values,
        },
    ]
    module = {"address": "module.cis", "resources": resources}
    return {"format_version": "1.2", "planned_values": {"root_module": {"child_modules": [module]}}}


def test_a_plan_links_planned_values(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps(_plan("TrailChanges")))
    _, found, _ = run(tmp_path)
    assert statuses(found)["CloudWatch.5"] == "covered"
    (tmp_path / "plan.json").write_text(json.dumps(_plan(None)))
    _, found, err = run(tmp_path)
    assert statuses(found)["CloudWatch.5"] == "no-alarm"
    assert "metric_name is known only after apply" in err


# --------------------------------------------------------------------------- backtest --iac


def test_the_backtest_scan_attaches_a_counted_alarm(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_log_metric_filter" "errors" {\n'
        '  name = "errors"\n  pattern = "ERROR"\n  log_group_name = "/app"\n'
        '  metric_transformation {\n    name = "Errors"\n    namespace = "App"\n'
        '    value = "1"\n  }\n}\n'
        'resource "aws_cloudwatch_metric_alarm" "errors" {\n  count = var.on ? 1 : 0\n'
        "  metric_name = aws_cloudwatch_log_metric_filter.errors.metric_transformation[0].name\n"
        '  namespace = "App"\n  statistic = "Sum"\n  period = 300\n  evaluation_periods = 1\n'
        '  threshold = 5\n  comparison_operator = "GreaterThanThreshold"\n}\n'
        'variable "on" {\n  default = true\n}\n'
    )
    found = alarm_scan([str(tmp_path)])
    assert [[a.name for a in f.alarms] for f in found.filters] == [
        ["aws_cloudwatch_metric_alarm.errors"]
    ]
    edit(tmp_path / "main.tf", "default = true", "default = false")
    assert [f.alarms for f in alarm_scan([str(tmp_path)]).filters] == [[]]


def test_backtest_iac_replays_the_for_each_filters_and_their_alarms(tmp_path: Path) -> None:
    log = tmp_path / "trail.jsonl"
    log.write_text(
        '{"time": "2024-05-01T12:00:01Z", "eventName": "CreateVpc"}\n'
        '{"time": "2024-05-01T12:00:02Z", "userIdentity": {"type": "Root"}, '
        '"eventType": "AwsApiCall"}\n'
    )
    result = CliRunner().invoke(
        main,
        ["backtest", "--iac", str(SHAPES / "cis_alarms"), "--format", "json", str(log)],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    sums = {row["metric"]: row["Sum"] for row in document["datapoints"]}
    assert len(sums) == 15
    assert {name for name, total in sums.items() if total} == {"VPCChanges", "RootUsage"}
    states = {a["name"]: [t["to"] for t in a["transitions"]] for a in document["alarms"]}
    assert "ALARM" in states["VPCChanges"]
    assert states["IAMChanges"] == ["OK"]

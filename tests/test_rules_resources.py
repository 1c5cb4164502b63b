"""Rules on the resources around a filter: filters on Infrequent Access log groups (refused by
the service) and positional patterns on Lambda functions that log in JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cwquery.iac.findings import Finding, check_sites
from cwquery.iac.lint import RULES, Severity
from cwquery.iac.scan import scan_paths, scan_text


def check(text: str, path: str) -> list[Finding]:
    return check_sites(scan_text(text, path).sites)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


CFN_IA = """\
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/archive
      LogGroupClass: INFREQUENT_ACCESS
  ByRef:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref Logs
      FilterPattern: ERROR
      MetricTransformations: [{MetricName: E, MetricNamespace: App, MetricValue: "1"}]
  ByName:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: /app/archive
      FilterPattern: ERROR
      DestinationArn: arn:aws:lambda:eu-west-1:1:function:f
  Elsewhere:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: /app/live
      FilterPattern: ERROR
      DestinationArn: arn:aws:lambda:eu-west-1:1:function:f
"""


def test_filters_on_an_infrequent_access_group_are_errors() -> None:
    found = [f for f in check(CFN_IA, "t.yaml") if f.code == "filter-on-infrequent-access"]
    assert [f.line for f in found] == [11, 17]  # by !Ref and by name; not /app/live
    assert all(f.severity is Severity.ERROR for f in found)
    assert "INFREQUENT_ACCESS log class (AWS::Logs::LogGroup Logs)" in found[0].message
    assert found[0].hint is not None and "STANDARD" in found[0].hint


def test_a_standard_group_or_no_class_is_fine() -> None:
    for text in (
        CFN_IA.replace("INFREQUENT_ACCESS", "STANDARD"),
        CFN_IA.replace("      LogGroupClass: INFREQUENT_ACCESS\n", ""),
    ):
        assert "filter-on-infrequent-access" not in codes(check(text, "t.yaml"))


def test_an_anomaly_detector_on_the_group_is_not_a_filter() -> None:
    text = CFN_IA + (
        "  Detector:\n    Type: AWS::Logs::LogAnomalyDetector\n    Properties:\n"
        "      LogGroupArnList: [!GetAtt Logs.Arn]\n      FilterPattern: ERROR\n"
    )
    assert codes(check(text, "t.yaml")).count("filter-on-infrequent-access") == 2


def test_terraform_infrequent_access_group_in_another_file_of_the_folder(tmp_path: Path) -> None:
    (tmp_path / "logs.tf").write_text(
        'resource "aws_cloudwatch_log_group" "archive" {\n'
        '  name            = "/app/archive"\n'
        '  log_group_class = "INFREQUENT_ACCESS"\n}\n'
    )
    (tmp_path / "filters.tf").write_text(
        'resource "aws_cloudwatch_log_metric_filter" "errors" {\n'
        '  name           = "errors"\n'
        "  log_group_name = aws_cloudwatch_log_group.archive.name\n"
        '  pattern        = "ERROR"\n'
        "  metric_transformation {\n"
        '    name      = "Errors"\n    namespace = "App"\n    value     = "1"\n  }\n}\n'
        'resource "aws_cloudwatch_log_subscription_filter" "ship" {\n'
        '  name            = "ship"\n'
        '  log_group_name  = "/app/archive"\n'
        '  filter_pattern  = ""\n'
        '  destination_arn = "arn:aws:lambda:eu-west-1:1:function:f"\n}\n'
    )
    scanned = scan_paths([str(tmp_path)])
    found = [f for f in check_sites(scanned.sites) if f.code == "filter-on-infrequent-access"]
    assert [(Path(f.path or "").name, f.line) for f in found] == [
        ("filters.tf", 4),
        ("filters.tf", 14),
    ]
    assert "aws_cloudwatch_log_group.archive (logs.tf)" in found[0].message


CFN_LAMBDA = """\
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Code: {ZipFile: "exports.handler = async () => 1"}
      Role: arn:aws:iam::1:role/r
      LoggingConfig:
        LogFormat: JSON
  Errors:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Sub /aws/lambda/${Api}
      FilterPattern: "[timestamp, request_id, level = ERROR, ...]"
      MetricTransformations: [{MetricName: E, MetricNamespace: App, MetricValue: "1"}]
  Words:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Sub /aws/lambda/${Api}
      FilterPattern: ERROR
      MetricTransformations: [{MetricName: W, MetricNamespace: App, MetricValue: "1"}]
"""


def test_positional_pattern_on_a_json_logging_lambda_gets_the_json_pattern() -> None:
    (found,) = [
        f for f in check(CFN_LAMBDA, "t.yaml") if f.code == "positional-pattern-on-json-logs"
    ]
    assert found.line == 15 and found.severity is Severity.WARNING
    assert "AWS::Lambda::Function Api" in found.message and "LogFormat is JSON" in found.message
    assert found.hint is not None
    assert found.hint.startswith('match the JSON lines instead: { $.level = "ERROR" }')


def test_text_log_format_and_term_patterns_are_fine() -> None:
    text = CFN_LAMBDA.replace("LogFormat: JSON", "LogFormat: Text")
    assert "positional-pattern-on-json-logs" not in codes(check(text, "t.yaml"))


@pytest.mark.parametrize(
    ("function", "group"),
    [
        ("      FunctionName: api\n", "/aws/lambda/api"),
        ("      FunctionName: api\n", "!Join ['', [/aws/lambda/, !Ref Api]]"),
        ("", "!Join ['', [/aws/lambda/, !Ref Api]]"),
    ],
)
def test_function_and_group_are_linked_by_name_or_reference(function: str, group: str) -> None:
    text = CFN_LAMBDA.replace("      Runtime: nodejs20.x\n", function + "      Runtime: java21\n")
    text = text.replace("!Sub /aws/lambda/${Api}", group, 1)
    (found,) = [f for f in check(text, "t.yaml") if f.code == "positional-pattern-on-json-logs"]
    # no text layout known for the runtime: a general JSON pattern is suggested
    assert found.hint is not None and "$.level" in found.hint


def test_function_logging_to_its_own_group_resource() -> None:
    text = CFN_LAMBDA.replace(
        "        LogFormat: JSON\n", "        LogFormat: JSON\n        LogGroup: !Ref Shared\n"
    ).replace("!Sub /aws/lambda/${Api}", "/shared/logs")
    text += "  Shared:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
    text += "      LogGroupName: /shared/logs\n"
    assert "positional-pattern-on-json-logs" in codes(check(text, "t.yaml"))


def test_terraform_lambda_with_json_logging_config(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_lambda_function" "api" {\n'
        '  function_name = "api"\n  runtime = "python3.12"\n'
        '  logging_config {\n    log_format = "JSON"\n  }\n}\n'
        'resource "aws_cloudwatch_log_metric_filter" "errors" {\n'
        '  name           = "errors"\n'
        '  log_group_name = "/aws/lambda/${aws_lambda_function.api.function_name}"\n'
        '  pattern        = "[level = \\"[ERROR]\\", ...]"\n'
        "  metric_transformation {\n"
        '    name      = "Errors"\n    namespace = "App"\n    value     = "1"\n  }\n}\n'
    )
    scanned = scan_paths([str(tmp_path)])
    (found,) = [f for f in check_sites(scanned.sites) if f.code.startswith("positional")]
    assert found.line == 11
    assert found.hint is not None and '{ $.level = "ERROR" }' in found.hint


def test_the_rules_are_registered() -> None:
    assert RULES["filter-on-infrequent-access"].severity is Severity.ERROR
    assert RULES["positional-pattern-on-json-logs"].severity is Severity.WARNING


def test_terraform_plan_links_resolved_names() -> None:
    def resource(kind: str, address: str, values: dict[str, object]) -> dict[str, object]:
        return {"address": address, "type": kind, "values": values}

    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "child_modules": [
                    {
                        "resources": [
                            resource(
                                "aws_cloudwatch_log_group",
                                "module.logs.aws_cloudwatch_log_group.archive",
                                {"name": "/app/archive", "log_group_class": "INFREQUENT_ACCESS"},
                            ),
                            resource(
                                "aws_lambda_function",
                                "module.logs.aws_lambda_function.api",
                                {
                                    "function_name": "api",
                                    "runtime": "nodejs22.x",
                                    "logging_config": [{"log_format": "JSON"}],
                                },
                            ),
                            resource(
                                "aws_cloudwatch_log_subscription_filter",
                                "module.logs.aws_cloudwatch_log_subscription_filter.s",
                                {"log_group_name": "/app/archive", "filter_pattern": "ERROR"},
                            ),
                            resource(
                                "aws_cloudwatch_log_metric_filter",
                                "module.logs.aws_cloudwatch_log_metric_filter.m",
                                {"log_group_name": "/aws/lambda/api", "pattern": "[a, b, c=ERROR]"},
                            ),
                        ]
                    }
                ]
            }
        },
    }
    found = check(json.dumps(plan), "plan.json")
    assert sorted(codes(found)) == [
        "filter-on-infrequent-access",
        "positional-pattern-on-json-logs",
    ]
    (positional,) = [f for f in found if f.code == "positional-pattern-on-json-logs"]
    assert positional.hint is not None
    assert positional.hint.startswith('match the JSON lines instead: { $.level = "ERROR" }')


SAM_GLOBALS = """\
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    LoggingConfig:
      LogFormat: JSON
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
  Errors:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Sub /aws/lambda/${Worker}
      FilterPattern: '[level = "[ERROR]", ...]'
      MetricTransformations: [{MetricName: E, MetricNamespace: App, MetricValue: "1"}]
"""


def test_sam_functions_inherit_the_log_format_and_runtime_from_globals() -> None:
    (found,) = [f for f in check(SAM_GLOBALS, "template.yaml") if f.code.startswith("positional")]
    assert found.hint is not None
    assert found.hint.startswith('match the JSON lines instead: { $.level = "ERROR" }')
    own = SAM_GLOBALS.replace(
        "      CodeUri: src/\n", "      CodeUri: src/\n      LoggingConfig: {LogFormat: Text}\n"
    )
    assert [f.code for f in check(own, "template.yaml")] == []

"""Anomaly detectors' filter patterns (CloudFormation and Terraform) and Terraform account
policies, read like the filters and ``AWS::Logs::AccountPolicy`` are, with exact places."""

from __future__ import annotations

import json

import pytest

from cwquery.iac.findings import check_sites
from cwquery.iac.scan import scan_text


def findings(text: str, path: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in check_sites(scan_text(text, path).sites)]


CFN_DETECTOR = """\
Resources:
  Detector:
    Type: AWS::Logs::LogAnomalyDetector
    Properties:
      LogGroupArnList: [!GetAtt Logs.Arn]
      FilterPattern: '{ $.level = "ERROR" && }'
"""


def test_cloudformation_anomaly_detector_pattern_is_checked_with_a_caret() -> None:
    (site,) = scan_text(CFN_DETECTOR, "t.yaml").sites
    assert (site.kind, site.name) == ("AWS::Logs::LogAnomalyDetector", "Detector")
    ((code, line, column),) = findings(CFN_DETECTOR, "t.yaml")
    assert (code, line) == ("syntax", 6)
    assert CFN_DETECTOR.splitlines()[5][column - 1] == "}"


TF_DETECTOR = """\
resource "aws_cloudwatch_log_anomaly_detector" "d" {
  log_group_arn_list = [aws_cloudwatch_log_group.app.arn]
  filter_pattern     = "request-id"
}
"""


def test_terraform_anomaly_detector_pattern_is_linted_at_its_place() -> None:
    (site,) = scan_text(TF_DETECTOR, "main.tf").sites
    assert site.name == "aws_cloudwatch_log_anomaly_detector.d"
    line = TF_DETECTOR.splitlines()[2]
    assert findings(TF_DETECTOR, "main.tf") == [("unquoted-punctuation", 3, line.index("-") + 1)]


def test_anomaly_detector_in_a_plan_is_read() -> None:
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_cloudwatch_log_anomaly_detector.d",
                        "type": "aws_cloudwatch_log_anomaly_detector",
                        "values": {"filter_pattern": "{ $.a = }"},
                    }
                ]
            }
        },
    }
    assert [code for code, _, _ in findings(json.dumps(plan), "plan.json")] == ["syntax"]


TF_POLICY_ENCODED = """\
resource "aws_cloudwatch_log_account_policy" "subscription" {
  policy_name = "to-firehose"
  policy_type = "SUBSCRIPTION_FILTER_POLICY"
  policy_document = jsonencode({
    DestinationArn = aws_kinesis_firehose_delivery_stream.f.arn
    FilterPattern  = "{ $.level = ERROR ]"
    Distribution   = "Random"
  })
}
"""

TF_POLICY_HEREDOC = """\
resource "aws_cloudwatch_log_account_policy" "subscription" {
  policy_name     = "to-lambda"
  policy_type     = "SUBSCRIPTION_FILTER_POLICY"
  policy_document = <<JSON
{"DestinationArn": "arn:aws:lambda:eu-west-1:1:function:f", "FilterPattern": "?ERROR x-y"}
JSON
}
"""


def test_terraform_account_policy_through_jsonencode_is_placed_exactly() -> None:
    (site,) = scan_text(TF_POLICY_ENCODED, "policy.tf").sites
    assert (site.kind, site.text) == ("aws_cloudwatch_log_account_policy", "{ $.level = ERROR ]")
    ((code, line, column),) = findings(TF_POLICY_ENCODED, "policy.tf")
    assert (code, line) == ("syntax", 6)
    # the error is at the end of the pattern: the closing quote, right after the ']'
    assert TF_POLICY_ENCODED.splitlines()[5][column - 2 : column] == ']"'


def test_terraform_account_policy_heredoc_is_read_through_its_json() -> None:
    codes = findings(TF_POLICY_HEREDOC, "policy.tf")
    line = TF_POLICY_HEREDOC.splitlines()[4]
    assert ("unquoted-punctuation", 5, line.index("x-y") + 2) in codes


def test_terraform_account_policy_string_literal_is_read_through_both_quotings() -> None:
    document = json.dumps({"FilterPattern": '{ $.a = "x" && }'})
    escaped = document.replace("\\", "\\\\").replace('"', '\\"')
    text = (
        'resource "aws_cloudwatch_log_account_policy" "p" {\n'
        '  policy_type = "SUBSCRIPTION_FILTER_POLICY"\n'
        f'  policy_document = "{escaped}"\n}}\n'
    )
    ((code, line, column),) = findings(text, "p.tf")
    assert (code, line) == ("syntax", 3) and text.splitlines()[2][column - 1] == "}"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("data.aws_iam_policy_document.p.json", "resolved at plan time"),
        ('jsonencode({ FilterPattern = "${var.p}" })', "interpolation"),
        ("jsonencode({ DestinationArn = var.arn })", "no FilterPattern"),
        ('"{\\"FilterPattern\\": 1}"', "no FilterPattern string"),
        ('"not json"', "not JSON"),
    ],
)
def test_terraform_account_policy_that_cannot_be_read_is_a_note(document: str, reason: str) -> None:
    text = (
        'resource "aws_cloudwatch_log_account_policy" "p" {\n'
        '  policy_type = "SUBSCRIPTION_FILTER_POLICY"\n'
        f"  policy_document = {document}\n}}\n"
    )
    (site,) = scan_text(text, "p.tf").sites
    assert site.text is None and site.unresolved is not None and reason in site.unresolved
    assert [code for code, _, _ in findings(text, "p.tf")] == ["unresolved-pattern"]


def test_other_account_policy_types_hold_no_pattern() -> None:
    text = (
        'resource "aws_cloudwatch_log_account_policy" "p" {\n'
        '  policy_type = "DATA_PROTECTION_POLICY"\n'
        '  policy_document = jsonencode({ FilterPattern = "{" })\n}\n'
    )
    assert scan_text(text, "p.tf").sites == []


def test_terraform_json_and_plan_account_policies_are_read() -> None:
    body = {
        "policy_type": "SUBSCRIPTION_FILTER_POLICY",
        "policy_document": json.dumps({"FilterPattern": "{ $.a = }"}),
    }
    config = {"resource": {"aws_cloudwatch_log_account_policy": {"p": body}}}
    assert [c for c, _, _ in findings(json.dumps(config), "main.tf.json")] == ["syntax"]
    plan = {
        "format_version": "1.2",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_cloudwatch_log_account_policy.p",
                        "type": "aws_cloudwatch_log_account_policy",
                        "values": body,
                    }
                ]
            }
        },
    }
    assert [c for c, _, _ in findings(json.dumps(plan), "state.json")] == ["syntax"]

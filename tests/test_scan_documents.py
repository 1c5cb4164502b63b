"""Terraform JSON, Terraform plan JSON and AWS::Logs::AccountPolicy documents are scanned, with
exact positions."""

from __future__ import annotations

from cwquery.iac.findings import check_sites
from cwquery.iac.scan import scan_text

TF_JSON = """{
  "resource": {
    "aws_cloudwatch_log_metric_filter": {
      "errors": {
        "log_group_name": "/app/prod",
        "pattern": "{ $.level == \\"ERROR\\" }",
        "metric_transformation": {"name": "Errors", "namespace": "App", "value": "1"}
      },
      "from_variable": {
        "log_group_name": "/app/prod",
        "pattern": "${var.pattern}",
        "metric_transformation": {"name": "V", "namespace": "App", "value": "1",
                                  "dimensions": {"Level": "$.level"}}
      }
    }
  }
}
"""

# what `terraform show -json` prints for the same configuration, with var.pattern = "ERROR"
PLAN = """{"format_version": "1.2", "terraform_version": "1.9.0",
 "planned_values": {"root_module": {"resources": [
  {"address": "aws_cloudwatch_log_metric_filter.from_variable", "mode": "managed",
   "type": "aws_cloudwatch_log_metric_filter", "name": "from_variable",
   "values": {"log_group_name": "/app/prod", "pattern": "ERROR",
              "metric_transformation": [{"name": "V", "namespace": "App", "value": "1",
                                         "default_value": null,
                                         "dimensions": {"Level": "$.level"}}]}}],
  "child_modules": [{"address": "module.alerts", "resources": [
   {"address": "module.alerts.aws_cloudwatch_log_subscription_filter.s",
    "type": "aws_cloudwatch_log_subscription_filter", "name": "s",
    "values": {"filter_pattern": "%ERR(OR)?%", "log_group_name": "/app/prod"}},
   {"address": "module.alerts.aws_cloudwatch_log_subscription_filter.later",
    "type": "aws_cloudwatch_log_subscription_filter", "name": "later",
    "values": {"filter_pattern": null, "log_group_name": "/app/prod"}}]}]}}}
"""

POLICY = """Resources:
  Policy:
    Type: AWS::Logs::AccountPolicy
    Properties:
      PolicyName: ship-errors
      PolicyType: SUBSCRIPTION_FILTER_POLICY
      PolicyDocument: '{"DestinationArn": "arn:f", "FilterPattern": "{ $.level == \\"ERROR\\" }"}'
  Computed:
    Type: AWS::Logs::AccountPolicy
    Properties:
      PolicyName: c
      PolicyType: SUBSCRIPTION_FILTER_POLICY
      PolicyDocument: !Sub '{"DestinationArn": "${Fn.Arn}", "FilterPattern": "x"}'
  Indexes:
    Type: AWS::Logs::AccountPolicy
    Properties:
      PolicyName: i
      PolicyType: FIELD_INDEX_POLICY
      PolicyDocument: '{"Fields": ["requestId"]}'
"""


def _findings(text: str, path: str) -> list[tuple[str, int, int, str]]:
    result = scan_text(text, path)
    return [(f.code, f.line, f.column, f.resource or "") for f in check_sites(result.sites)]


def test_terraform_json_is_read_with_positions() -> None:
    sites = scan_text(TF_JSON, "infra/main.tf.json").sites
    assert [(s.name, s.text) for s in sites] == [
        ("aws_cloudwatch_log_metric_filter.errors", '{ $.level == "ERROR" }'),
        ("aws_cloudwatch_log_metric_filter.from_variable", None),
    ]
    findings = _findings(TF_JSON, "infra/main.tf.json")
    # the second '=' of '==', through the JSON escapes
    assert findings[0][:3] == ("syntax", 6, 32)
    assert TF_JSON.splitlines()[5][31] == "="
    assert findings[1][0] == "unresolved-pattern"


def test_a_plan_resolves_variables_and_reads_child_modules() -> None:
    sites = scan_text(PLAN, "plan.json").sites
    assert [(s.name, s.text) for s in sites] == [
        ("aws_cloudwatch_log_metric_filter.from_variable", "ERROR"),
        ("module.alerts.aws_cloudwatch_log_subscription_filter.s", "%ERR(OR)?%"),
        ("module.alerts.aws_cloudwatch_log_subscription_filter.later", None),
    ]
    assert sites[2].unresolved == "filter_pattern is known only after apply"
    codes = [code for code, *_ in _findings(PLAN, "plan.json")]
    # the pattern the .tf.json left unresolved, with its dimensions: refused by the service
    assert codes == ["dimensions-on-term-pattern", "invalid-regex", "unresolved-pattern"]


def test_account_policies_are_read_inside_their_document() -> None:
    sites = scan_text(POLICY, "policy.yaml").sites
    assert [(s.kind, s.name, s.text) for s in sites] == [
        ("AWS::Logs::AccountPolicy", "Policy", '{ $.level == "ERROR" }'),
        ("AWS::Logs::AccountPolicy", "Computed", None),
    ]
    (syntax, note) = _findings(POLICY, "policy.yaml")
    line = POLICY.splitlines()[syntax[1] - 1]
    assert syntax[0] == "syntax" and line[syntax[2] - 1 :].startswith('= \\"ERROR')
    assert note[0] == "unresolved-pattern"


# `terraform show -json` for pattern = "?${var.domain} SERVFAIL" with var.domain = "example.com"
# (a Route 53 resolver query-log alert), and the same module with a detached '-' (D4)
RESOLVED_PLAN = """{"format_version": "1.2", "terraform_version": "1.9.0",
 "planned_values": {"root_module": {"resources": [
  {"address": "aws_cloudwatch_log_metric_filter.servfail", "mode": "managed",
   "type": "aws_cloudwatch_log_metric_filter", "name": "servfail",
   "values": {"log_group_name": "/dns/queries", "pattern": "?example.com SERVFAIL",
              "metric_transformation": [{"name": "ServFail", "namespace": "DNS",
                                         "value": "1", "default_value": null,
                                         "dimensions": null}]}},
  {"address": "aws_cloudwatch_log_subscription_filter.ship", "mode": "managed",
   "type": "aws_cloudwatch_log_subscription_filter", "name": "ship",
   "values": {"filter_pattern": "- \\"cwlogs.push.publisher\\"",
              "log_group_name": "/dns/queries"}}]}}}
"""


def test_a_resolved_domain_gets_the_ignored_optional_warning_not_a_syntax_error() -> None:
    """D5: '.' belongs in a bare term, so the resolved pattern parses and the linter says the
    ?-term is ignored (D3); D4: the detached '-' is linted, not refused."""
    sites = scan_text(RESOLVED_PLAN, "plan.json").sites
    assert [s.text for s in sites] == ["?example.com SERVFAIL", '- "cwlogs.push.publisher"']
    findings = _findings(RESOLVED_PLAN, "plan.json")
    assert [(code, resource.split()[-1]) for code, _, _, resource in findings] == [
        ("ignored-optional-terms", "aws_cloudwatch_log_metric_filter.servfail"),
        ("detached-prefix", "aws_cloudwatch_log_subscription_filter.ship"),
    ]
    # each finding points into the plan's text: the '?' of the first, the '-' of the second
    lines = RESOLVED_PLAN.splitlines()
    (first, second) = findings
    assert lines[first[1] - 1][first[2] - 1 :].startswith("?example.com SERVFAIL")
    assert lines[second[1] - 1][second[2] - 1 :].startswith('- \\"cwlogs')

"""``cwquery check`` over Logs Insights queries in infrastructure code: query definitions and
dashboards' ``log`` widgets in CloudFormation, Terraform and CDK output, with exit codes and the
caret at the query's character in the file."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli.patterns import check
from cwquery.iac.scan import scan_text
from cwquery.iac.sites import INSIGHTS


def run(*args: str) -> tuple[int, str]:
    """The exit code, and the report (text findings go to stderr, JSON to stdout)."""
    result = CliRunner().invoke(check, list(args))
    return result.exit_code, result.stdout or result.stderr


CFN = """\
Resources:
  Broken:
    Type: AWS::Logs::QueryDefinition
    Properties:
      Name: broken
      QueryString: "fields @timestamp, @message | count(*)"
  Fine:
    Type: AWS::Logs::QueryDefinition
    Properties:
      Name: fine
      QueryString: fields @timestamp | sort @timestamp desc | limit 20
"""

TERRAFORM = """\
resource "aws_cloudwatch_query_definition" "errors" {
  name         = "errors"
  query_string = <<EOT
fields @timestamp, @message
| filter @message like /ERROR/
| stats count(*) by bin(5m) | limit 0
EOT
}

resource "aws_cloudwatch_query_definition" "computed" {
  name         = "computed"
  query_string = "fields ${var.field}"
}
"""


def _dashboard_template(query: str) -> str:
    body = {
        "widgets": [
            {"type": "metric", "properties": {"metrics": []}},
            {"type": "log", "properties": {"query": query, "region": "us-east-1"}},
        ]
    }
    template = {
        "Resources": {
            "Board": {
                "Type": "AWS::CloudWatch::Dashboard",
                "Properties": {"DashboardName": "b", "DashboardBody": json.dumps(body)},
            }
        }
    }
    return json.dumps(template, indent=1)


def test_cloudformation_query_definition_with_a_bad_query(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(CFN, encoding="utf-8")
    code, out = run(str(tmp_path / "template.yaml"))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith(
        "template.yaml:6:51: syntax: unexpected 'count': a command name was expected"
    )
    assert lines[1:3] == [
        '    6 |       QueryString: "fields @timestamp, @message | count(*)"',
        "      | " + " " * 50 + "^^^^^",
    ]
    assert "1 error, 0 warnings (2 patterns checked in 1 file)" in out


def test_terraform_query_definition_in_a_heredoc(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TERRAFORM, encoding="utf-8")
    code, out = run(str(tmp_path / "main.tf"))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("main.tf:6:31: limit: limit must be between 1 and 100,000, not 0")
    assert lines[1:3] == [
        "    6 | | stats count(*) by bin(5m) | limit 0",
        "      |                               ^^^^^^^",
    ]
    assert (
        "main.tf:12:18: unresolved-pattern (note): Terraform interpolation ${…} is resolved at "
        "plan time; the query was not checked"
    ) in out


def test_dashboard_log_widget_placed_through_the_body_json(tmp_path: Path) -> None:
    query = "SOURCE '/aws/lambda/app' | fields a as b, c as b"
    (tmp_path / "board.json").write_text(_dashboard_template(query), encoding="utf-8")
    code, out = run("--format", "json", str(tmp_path / "board.json"))
    assert code == 1
    document = json.loads(out)
    (finding,) = document["findings"]
    assert finding["code"] == "redefined"
    text = (tmp_path / "board.json").read_text(encoding="utf-8").splitlines()[finding["line"] - 1]
    column = finding["column"] - 1
    assert text[column : column + 6] == "c as b"
    (entry,) = document["patterns"]
    assert entry["language"] == INSIGHTS
    assert entry["resource"] == "AWS::CloudWatch::Dashboard Board.widgets[1]"


def test_a_valid_dashboard_query_passes(tmp_path: Path) -> None:
    query = "SOURCE 'a' | SOURCE 'b' | fields @timestamp, @message | sort @timestamp desc"
    (tmp_path / "board.json").write_text(_dashboard_template(query), encoding="utf-8")
    code, out = run("--format", "json", str(tmp_path / "board.json"))
    assert code == 0
    (entry,) = json.loads(out)["patterns"]
    assert (
        entry["canonical"]
        == "source 'a' | source 'b' | fields @timestamp, @message | sort @timestamp desc"
    )


def test_a_sub_dashboard_body_is_read_around_its_substitutions() -> None:
    template = (
        "Resources:\n  Board:\n    Type: AWS::CloudWatch::Dashboard\n    Properties:\n"
        '      DashboardBody: !Sub \'{"widgets": [{"type": "log", "properties": '
        '{"region": "${AWS::Region}", "query": "fields a | limit 0"}}, '
        '{"type": "log", "properties": {"query": "fields ${Field}"}}]}\'\n'
    )
    sites = scan_text(template, "t.yaml").sites
    assert [(site.name, site.text, site.unresolved is not None) for site in sites] == [
        ("Board.widgets[0]", "fields a | limit 0", False),
        ("Board.widgets[1]", None, True),
    ]
    line = template.splitlines()[4]
    assert sites[0].position(11) == (5, line.index("limit 0") + 1, True)


def test_cdk_output_query_definition(tmp_path: Path) -> None:
    template = {
        "Resources": {
            "QueryDef1A2B3C": {
                "Type": "AWS::Logs::QueryDefinition",
                "Properties": {
                    "Name": "q",
                    "QueryString": "fields @message\n| filter @message lik 'x'",
                },
            }
        }
    }
    folder = tmp_path / "cdk.out"
    folder.mkdir()
    (folder / "App.template.json").write_text(json.dumps(template, indent=1), encoding="utf-8")
    code, out = run(str(folder))
    assert code == 1
    assert "App.template.json:7:56: syntax: unexpected 'lik'" in out


def test_filter_pattern_sites_are_unchanged_by_the_query_scan() -> None:
    template = (
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
        "      LogGroupName: /app\n      FilterPattern: ERROR\n"
    )
    (site,) = scan_text(template, "t.yaml").sites
    assert (site.kind, site.language) == ("AWS::Logs::MetricFilter", "filter-pattern")


def test_terraform_json_and_plan_query_definitions() -> None:
    configuration = {
        "resource": {
            "aws_cloudwatch_query_definition": {
                "q": {"name": "q", "query_string": "fields a | limit 0"},
                "v": {"name": "v", "query_string": "fields ${var.f}"},
            }
        }
    }
    sites = scan_text(json.dumps(configuration, indent=1), "main.tf.json").sites
    assert [(s.name, s.text, s.language) for s in sites] == [
        ("aws_cloudwatch_query_definition.q", "fields a | limit 0", INSIGHTS),
        ("aws_cloudwatch_query_definition.v", None, INSIGHTS),
    ]
    widget = {"type": "log", "properties": {"query": "stats count(*) by level"}}
    plan = {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "child_modules": [
                    {
                        "resources": [
                            {
                                "address": "module.m.aws_cloudwatch_dashboard.d",
                                "type": "aws_cloudwatch_dashboard",
                                "values": {"dashboard_body": json.dumps({"widgets": [widget]})},
                            }
                        ]
                    }
                ]
            }
        },
    }
    (site,) = scan_text(json.dumps(plan), "plan.json").sites
    assert (site.name, site.text) == (
        "module.m.aws_cloudwatch_dashboard.d.widgets[0]",
        "stats count(*) by level",
    )

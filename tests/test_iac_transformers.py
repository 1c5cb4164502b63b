"""``cwquery check`` on ``AWS::Logs::Transformer`` and ``ApplyOnTransformedLogs``
(cwquery/iac/transformers.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main
from cwquery.iac.scan import scan_text
from cwquery.iac.transformers import transformer_findings

TEMPLATE = """\
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/api
  Good:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: !Ref Group
      TransformerConfig:
        - ParseJSON: {}
        - AddKeys:
            Entries:
              - Key: team
                Value: pay
                OverwriteIfExists: true
        - Grok:
            Source: msg
            Match: "%{WORD:verb} %{INT:code}"
  Bad:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: /app/other
      TransformerConfig:
        - ParseJSON: {}
        - ParseVPC: {}
  OnTransformed:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /app/api
      FilterPattern: '{ $.team = "pay" }'
      ApplyOnTransformedLogs: true
      MetricTransformations:
        - {MetricName: m, MetricNamespace: n, MetricValue: "1"}
  Orphan:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: /app/lonely
      FilterPattern: ERROR
      DestinationArn: arn:aws:lambda:us-east-1:123456789012:function:f
      ApplyOnTransformedLogs: true
"""


def findings(text: str, path: str = "t.yaml") -> list[tuple[str, int, int]]:
    scanned = scan_text(text, path)
    return [(f.code, f.line, f.column) for f in transformer_findings(scanned.transformers)]


def test_invalid_processor_and_flag_without_transformer() -> None:
    assert findings(TEMPLATE) == [
        ("invalid-transformer", 26, 11),  # the ParseVPC element
        ("no-transformer", 41, 31),  # the flag of the filter on /app/lonely
    ]


def test_the_json_form_and_getatt_arn() -> None:
    template = {
        "Resources": {
            "G": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/g"}},
            "T": {
                "Type": "AWS::Logs::Transformer",
                "Properties": {
                    "LogGroupIdentifier": {"Fn::GetAtt": ["G", "Arn"]},
                    "TransformerConfig": [{"Csv": {"Delimiter": ";;"}}],
                },
            },
            "F": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "LogGroupName": {"Ref": "G"},
                    "FilterPattern": "x",
                    "ApplyOnTransformedLogs": True,
                    "MetricTransformations": [
                        {"MetricName": "m", "MetricNamespace": "n", "MetricValue": "1"}
                    ],
                },
            },
        }
    }
    assert [code for code, _, _ in findings(json.dumps(template, indent=1), "t.json")] == [
        "invalid-transformer"
    ]


def test_a_computed_configuration_is_a_note() -> None:
    text = (
        "Resources:\n  T:\n    Type: AWS::Logs::Transformer\n    Properties:\n"
        "      LogGroupIdentifier: /a\n      TransformerConfig:\n"
        "        - AddKeys: {Entries: [{Key: k, Value: !Ref Param}]}\n"
    )
    assert findings(text) == [("unresolved-pattern", 7, 9)]


def test_check_command_reports_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:26:11: invalid-transformer: processor 1: parseVPC must be the first" in (
        result.stderr
    )
    assert f"{path}:41:31: no-transformer" in result.stderr
    good = tmp_path / "good.yaml"
    good.write_text(TEMPLATE.split("  Bad:")[0])
    assert CliRunner().invoke(main, ["check", str(good)]).exit_code == 0


TERRAFORM = """\
resource "aws_cloudwatch_log_group" "app" {
  name = "/app/api"
}

resource "aws_cloudwatch_log_transformer" "good" {
  log_group_arn = aws_cloudwatch_log_group.app.arn
  transformer_config {
    parse_json {}
  }
  transformer_config {
    add_keys {
      entry {
        key                 = "team"
        value               = "pay"
        overwrite_if_exists = true
      }
    }
  }
  transformer_config {
    delete_keys {
      with_keys = [
        "a",
        "b.c",
      ]
    }
  }
}

resource "aws_cloudwatch_log_transformer" "bad" {
  log_group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/app/other:*"
  transformer_config {
    parse_json {}
  }
  transformer_config {
    rename_keys {
      entry {
        key    = "a"
        target = "b"
      }
    }
  }
}

resource "aws_cloudwatch_log_transformer" "computed" {
  log_group_arn = "/x"
  transformer_config {
    grok { match = var.match }
  }
}

resource "aws_cloudwatch_log_metric_filter" "ok" {
  name                      = "ok"
  log_group_name            = "/app/api"
  pattern                   = "{ $.team = \\"pay\\" }"
  apply_on_transformed_logs = true
  metric_transformation {
    name      = "m"
    namespace = "n"
    value     = "1"
  }
}

resource "aws_cloudwatch_log_subscription_filter" "orphan" {
  name                      = "orphan"
  log_group_name            = aws_cloudwatch_log_group.lonely.name
  filter_pattern            = ""
  destination_arn           = "arn:aws:lambda:us-east-1:123456789012:function:f"
  apply_on_transformed_logs = true
}
"""


def test_terraform_transformers_and_flags() -> None:
    assert findings(TERRAFORM, "main.tf") == [
        ("invalid-transformer", 35, 5),  # rename_keys: renameTo missing (T20)
        ("unresolved-pattern", 46, 3),  # grok's match is a variable
        ("no-transformer", 68, 31),  # a group no transformer of the file applies to
    ]
    site = scan_text(TERRAFORM, "main.tf").transformers[0]
    assert site.config == [
        {"parseJSON": {}},
        {"addKeys": {"entries": [{"key": "team", "value": "pay", "overwriteIfExists": True}]}},
        {"deleteKeys": {"withKeys": ["a", "b.c"]}},
    ]
    assert site.log_group == "/app/api"


TERRAFORM_JSON = """\
{
  "resource": {
    "aws_cloudwatch_log_group": {"app": {"name": "/app/api"}},
    "aws_cloudwatch_log_transformer": {
      "good": {
        "log_group_arn": "${aws_cloudwatch_log_group.app.arn}",
        "transformer_config": [
          {"parse_json": {}},
          {"add_keys": {"entry": [{"key": "team", "value": "pay", "overwrite_if_exists": true}]}},
          {"delete_keys": {"with_keys": ["a", "b.c"]}}
        ]
      },
      "bad": {
        "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/other:*",
        "transformer_config": [
          {"parse_json": [{}]},
          {"rename_keys": [{"entry": {"key": "a", "target": "b"}}]}
        ]
      },
      "computed": {
        "log_group_arn": "/x",
        "transformer_config": {"grok": {"match": "${var.match}"}}
      }
    },
    "aws_cloudwatch_log_metric_filter": {
      "ok": {
        "name": "ok",
        "log_group_name": "/app/api",
        "pattern": "{ $.team = \\"pay\\" }",
        "apply_on_transformed_logs": true,
        "metric_transformation": {"name": "m", "namespace": "n", "value": "1"}
      }
    },
    "aws_cloudwatch_log_subscription_filter": {
      "orphan": {
        "name": "orphan",
        "log_group_name": "${aws_cloudwatch_log_group.lonely.name}",
        "filter_pattern": "",
        "destination_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "apply_on_transformed_logs": true
      }
    }
  }
}
"""


def test_terraform_json_transformers_and_flags() -> None:
    assert findings(TERRAFORM_JSON, "main.tf.json") == [
        ("invalid-transformer", 17, 11),  # rename_keys: renameTo missing (T20)
        ("unresolved-pattern", 22, 31),  # grok's match interpolates a variable
        ("no-transformer", 40, 38),  # a group no transformer of the file applies to
    ]
    site = scan_text(TERRAFORM_JSON, "main.tf.json").transformers[0]
    assert site.name == "good" and site.log_group == "/app/api"
    assert site.config == [
        {"parseJSON": {}},
        {"addKeys": {"entries": [{"key": "team", "value": "pay", "overwriteIfExists": True}]}},
        {"deleteKeys": {"withKeys": ["a", "b.c"]}},
    ]


def _planned(address: str, kind: str, values: dict[str, object]) -> dict[str, object]:
    return {"address": address, "mode": "managed", "type": kind, "name": address.split(".")[-1],
            "values": values}  # fmt: skip


def _plan_config(**processors: object) -> dict[str, object]:
    """One ``transformer_config`` item as a plan writes it: every processor block, ``[]``
    where absent."""
    names = ("add_keys", "copy_value", "csv", "delete_keys", "grok", "parse_json",
             "parse_key_value", "rename_keys", "trim_string")  # fmt: skip
    return {name: processors.get(name, []) for name in names}


FILTER = "aws_cloudwatch_log_metric_filter"


def test_terraform_plan_transformers() -> None:
    bad = [{"entry": [{"key": "a", "overwrite_if_exists": False, "rename_to": None}]}]
    resources = [
        _planned("aws_cloudwatch_log_transformer.bad", "aws_cloudwatch_log_transformer", {
            "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/api",
            "transformer_config": [
                _plan_config(parse_json=[{"source": None}]), _plan_config(rename_keys=bad),
            ],
        }),
        _planned("aws_cloudwatch_log_transformer.later", "aws_cloudwatch_log_transformer", {
            "log_group_arn": "/app/later",
            "transformer_config": [_plan_config(grok=[{"match": None, "source": None}])],
        }),
        _planned(f"module.m.{FILTER}.f", FILTER, {
            "log_group_name": "/app/api", "pattern": "", "apply_on_transformed_logs": True,
        }),
    ]  # fmt: skip
    later = {"transformer_config": [{"grok": [{"match": True}]}]}
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": [
            {"address": "aws_cloudwatch_log_transformer.later", "change": {"after_unknown": later}}
        ],
    }
    text = json.dumps(plan, indent=1)
    sites = scan_text(text, "plan.json").transformers
    assert [(s.name, s.log_group, s.flag) for s in sites] == [
        ("aws_cloudwatch_log_transformer.bad", "/app/api", False),
        ("aws_cloudwatch_log_transformer.later", "/app/later", False),
        ("module.m.aws_cloudwatch_log_metric_filter.f", "/app/api", True),
    ]
    assert sites[0].config == [
        {"parseJSON": {}},
        {"renameKeys": {"entries": [{"key": "a", "overwriteIfExists": False}]}},
    ]
    assert sites[1].unresolved == "transformer_config is known only after apply"
    found = transformer_findings(sites)
    assert [(f.code, f.message.split(":")[0]) for f in found] == [
        ("invalid-transformer", "processor 1"),
        ("unresolved-pattern", f"{sites[1].unresolved}; the transformer was not checked"),
    ]
    line = text.splitlines()[found[0].line - 1]
    assert line.strip() == "{"  # the second item of transformer_config
    item = text.splitlines()[found[0].line : found[0].line + 12]
    assert any('"rename_keys": [' in written for written in item)


def test_terraform_transformer_values_are_read_as_hcl() -> None:
    text = """\
resource "aws_cloudwatch_log_transformer" "t" {
  log_group_identifier = "/app"
  transformer_config {
    parse_json {}
  }
  transformer_config {
    delete_keys {
      with_keys = [
        "$${literal}", # a comment, then an escaped template
        "tab\\there",
      ]
    }
  }
}
"""
    site = scan_text(text, "main.tf").transformers[0]
    assert site.unresolved is None
    assert site.config == [
        {"parseJSON": {}},
        {"deleteKeys": {"withKeys": ["${literal}", "tab\there"]}},
    ]


def test_terraform_findings_name_the_resource_by_its_address(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TERRAFORM, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path / "main.tf")])
    names = {f["code"]: f["resource"] for f in json.loads(result.stdout)["findings"]}
    assert names == {
        "invalid-transformer": "aws_cloudwatch_log_transformer.bad",
        "unresolved-pattern": "aws_cloudwatch_log_transformer.computed",
        "no-transformer": "aws_cloudwatch_log_subscription_filter.orphan",
    }


def test_a_transformer_in_another_file_of_the_module_applies(tmp_path: Path) -> None:
    (tmp_path / "transformers.tf").write_text(
        'resource "aws_cloudwatch_log_transformer" "t" {\n'
        "  log_group_arn = aws_cloudwatch_log_group.app.arn\n"
        "  transformer_config {\n    parse_json {}\n  }\n}\n"
    )
    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_log_group" "app" {\n  name = "/app"\n}\n'
        'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
        "  log_group_name            = aws_cloudwatch_log_group.app.name\n"
        '  filter_pattern            = ""\n'
        "  apply_on_transformed_logs = true\n}\n"
    )
    for scanned in (tmp_path, tmp_path / "main.tf"):  # the folder, or only the filter's file
        result = CliRunner().invoke(main, ["check", "--format", "json", str(scanned)])
        assert [f["code"] for f in json.loads(result.stdout)["findings"]] == []
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "main.tf").rename(other / "main.tf")
    result = CliRunner().invoke(main, ["check", "--format", "json", str(tmp_path)])
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "no-transformer" and "in this module" in finding["message"]

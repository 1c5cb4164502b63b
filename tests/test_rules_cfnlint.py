"""The new pattern rules through cfn-lint: anomaly detectors' patterns are checked, and
regex-cost is reported as W9101."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("cfnlint")

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Detector:
    Type: AWS::Logs::LogAnomalyDetector
    Properties:
      FilterPattern: '{ $.level = }'
  Slow:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /app
      FilterPattern: '%Task timed out after|^REPORT\\s.+\\sStatus: timeout%'
      MetricTransformations: [{MetricName: T, MetricNamespace: App, MetricValue: "1"}]
"""


def test_anomaly_detector_and_regex_cost_through_cfn_lint(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    command = [
        str(Path(sys.executable).parent / "cfn-lint"),
        "--format",
        "json",
        "--append-rules",
        "cwquery.cfnlint",
        "--",
        "t.yaml",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    matches = json.loads(result.stdout)
    ours = sorted(
        (m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"], m["Message"].rsplit("[", 1)[-1])
        for m in matches
        if m["Rule"]["Id"][1:3] == "91"
    )
    assert ours == [("E9101", 6, "syntax]"), ("W9101", 11, "regex-cost]")]

"""cwquery.cfnlint run by the real cfn-lint over the example templates: every finding
``cwquery check`` reports in a CloudFormation, SAM or cdk.out template is reported by cfn-lint
with the rule's id, on the same line, and the good examples pass."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cfnlint")

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "examples" / "infra" / "broken"
GOOD = ROOT / "examples" / "infra" / "good"
TEMPLATES = [
    "cloudformation.yaml",
    "cloudformation.json",
    "sam-template.yaml",
    "regex-quota.yaml",
    "cdk.out/BrokenStack.template.json",
]
RULE_OF = {
    "syntax": "E9101",
    "invalid-regex": "E9101",
    "limit": "E9101",
    "dimensions-on-term-pattern": "E9102",
    "unresolvable-reference": "E9102",
    "invalid-metric-transformation": "E9102",
    "ignored-optional-terms": "W9101",
    "unquoted-punctuation": "W9101",
    "unanchored-regex-wildcard": "W9101",
    "metric-value-not-in-pattern": "W9102",
    "dimension-not-in-pattern": "W9102",
    "too-many-regex-filters": "W9103",
}


def _cfn_lint(folder: Path, files: list[str]) -> list[dict[str, Any]]:
    command = [
        str(Path(sys.executable).parent / "cfn-lint"),
        "--format",
        "json",
        "--append-rules",
        "cwquery.cfnlint",
        "--",
        *files,
    ]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr
    matches: list[dict[str, Any]] = json.loads(result.stdout)
    return matches


def _cwquery_check(folder: Path, files: list[str]) -> list[dict[str, Any]]:
    command = [sys.executable, "-m", "cwquery", "check", "--format", "json", *files]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
    findings: list[dict[str, Any]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.fixture(scope="module")
def broken() -> list[dict[str, Any]]:
    return _cfn_lint(BROKEN, TEMPLATES)


def _ours(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in matches if m["Rule"]["Id"][1:3] == "91"]


def test_cfn_lint_reports_what_cwquery_check_reports(broken: list[dict[str, Any]]) -> None:
    expected = sorted(
        (finding["file"], finding["line"], RULE_OF[finding["code"]], finding["code"])
        for finding in _cwquery_check(BROKEN, TEMPLATES)
        if finding["code"] in RULE_OF
    )
    reported = sorted(
        (
            m["Filename"],
            m["Location"]["Start"]["LineNumber"],
            m["Rule"]["Id"],
            m["Message"].rsplit("[", 1)[1].rstrip("]"),
        )
        for m in _ours(broken)
    )
    assert len(expected) >= 15
    assert reported == expected


def test_errors_carry_the_caret_view_and_warnings_are_warnings(
    broken: list[dict[str, Any]],
) -> None:
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for match in _ours(broken):
        by_rule.setdefault(match["Rule"]["Id"], []).append(match)
    assert set(by_rule) == {"E9101", "E9102", "W9101", "W9102", "W9103"}
    assert {m["Level"] for m in by_rule["E9101"] + by_rule["E9102"]} == {"Error"}
    assert {m["Level"] for m in by_rule["W9101"] + by_rule["W9103"]} == {"Warning"}
    regex = next(m for m in by_rule["E9101"] if "%ERR(OR)?%" in m["Message"])
    assert regex["Filename"] == "cloudformation.yaml"  # read inside !Sub
    assert regex["Message"].splitlines()[1:3] == ["  %ERR(OR)?%", "      ^"]


def test_the_good_templates_pass() -> None:
    files = [
        p.relative_to(GOOD).as_posix()
        for p in sorted(GOOD.rglob("*"))
        if p.suffix in (".yaml", ".json") and p.name != "serverless.yml"
    ]
    assert files
    assert _ours(_cfn_lint(GOOD, files)) == []


def _documented_command() -> str:
    """The one cfn-lint command of docs/ci.md's cfn-lint section, as written there."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    section = text.split("\n## cfn-lint\n", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(cfn-lint [^\n]*)\n```", section)
    assert len(commands) == 1, commands
    return str(commands[0])


def test_the_documented_command_runs_with_the_rules(tmp_path: Path) -> None:
    command = _documented_command()
    template = next(word for word in command.split() if word.endswith((".yaml", ".json")))
    (tmp_path / template).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(BROKEN / "cloudformation.yaml", tmp_path / template)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in done.stderr and done.returncode != 0, done.stderr
    rules = re.findall(r"^([EW])910\d ", done.stdout, flags=re.MULTILINE)
    assert (rules.count("E"), rules.count("W")) == (5, 4), done.stdout  # docs/ci.md's table
    (tmp_path / template).write_bytes((GOOD / "cloudformation.yaml").read_bytes())
    done = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout


def _continued(text: str) -> list[str]:
    return text.replace("\\\n", " ").splitlines()


def test_ci_runs_the_documented_form_and_no_doc_shows_the_crashing_one() -> None:
    """Templates first, rules last, as documented; CI's step loads the rules too."""
    rules = "--append-rules cwquery.cfnlint"
    assert _documented_command().endswith(f" {rules}")
    ci = [line for line in _continued((ROOT / ".ci" / "run").read_text()) if "cfn-lint " in line]
    step = next(line for line in ci if line.strip().startswith('step "cfn-lint'))
    assert step.rstrip().endswith(f".template.json {rules}"), step
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for document in documents:
        for after in re.findall(re.escape(rules) + r" +(\S+)", document.read_text()):
            assert after.startswith("--"), (document.name, after)


def test_the_regex_quota_message_is_the_one_cwquery_check_reports(
    broken: list[dict[str, Any]],
) -> None:
    checked = {
        f["line"]: f["message"]
        for f in _cwquery_check(BROKEN, ["regex-quota.yaml"])
        if f["code"] == "too-many-regex-filters"
    }
    reported = {
        m["Location"]["Start"]["LineNumber"]: m["Message"]
        for m in _ours(broken)
        if m["Rule"]["Id"] == "W9103"
    }
    assert checked and set(reported) == set(checked)
    for line, message in checked.items():
        assert reported[line].startswith(f"{message}; the filters with a regex: ")


TRANSFORMERS = """\
Resources:
  Good:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: /app/api
      TransformerConfig:
        - ParseJSON: {}
        - AddKeys:
            Entries:
              - {Key: team, Value: pay, OverwriteIfExists: true}
  Bad:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: /app/other
      TransformerConfig:
        - ParseJSON: {}
        - ParseVPC: {}
  Computed:
    Type: AWS::Logs::Transformer
    Properties:
      LogGroupIdentifier: /app/third
      TransformerConfig:
        - Grok:
            Match: !Ref Match
Parameters:
  Match:
    Type: String
"""


def test_invalid_transformers_are_reported_where_cwquery_check_reports_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "transformers.yaml").write_text(TRANSFORMERS)
    checked = [
        (f["line"], f["message"])
        for f in _cwquery_check(tmp_path, ["transformers.yaml"])
        if f["code"] == "invalid-transformer"
    ]
    reported = [
        (m["Location"]["Start"]["LineNumber"], m["Message"], m["Level"])
        for m in _ours(_cfn_lint(tmp_path, ["transformers.yaml"]))
    ]
    assert checked == [(17, "processor 1: parseVPC must be the first processor")]
    assert reported == [(17, f"{checked[0][1]} [invalid-transformer]", "Error")]

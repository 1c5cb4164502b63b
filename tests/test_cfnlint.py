"""cwquery.cfnlint run by the real cfn-lint over the example templates: every finding
``cwquery check`` reports in a CloudFormation, SAM or cdk.out template is reported by cfn-lint
with the rule's id, on the same line, and the good examples pass."""

from __future__ import annotations

import json
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

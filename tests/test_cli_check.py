"""``cwquery check`` and ``cwquery fmt --check`` over the infrastructure examples: every finding
at its exact file, line and column, in every output format, with the documented exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from cwquery.cli import main
from cwquery.cli.patterns import check, fmt
from cwquery.iac.lint import RULES
from cwquery.parser import parse

ROOT = Path(__file__).parent.parent
INFRA = ROOT / "examples" / "infra"


@pytest.fixture(autouse=True)
def _in_repository_root() -> Iterator[None]:
    """Paths in the output are relative to the repository root, as in CI."""
    previous = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(previous)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(check, list(args))
    return result.exit_code, result.stdout, result.stderr


def findings(*args: str) -> list[dict[str, object]]:
    code, out, _ = run("--format", "json", *args)
    assert code in (0, 1)
    found: list[dict[str, object]] = json.loads(out)["findings"]
    return found


#: Every finding in examples/infra/broken: file, line, column, code, and the text of the file
#: at that place (so the column is checked against the file itself).
BROKEN = [
    ("alerts.patterns", 3, 41, "syntax", ""),  # the '}' that is missing at the end
    ("alerts.patterns", 4, 27, "limit", "..."),
    ("alerts.patterns", 5, 10, "invalid-regex", "("),
    ("alerts.patterns", 6, 15, "syntax", '"1000"'),
    ("cdk.out/BrokenStack.template.json", 6, 23, "ignored-optional-terms", '?\\"foo'),
    ("cdk.out/BrokenStack.template.json", 22, 25, "syntax", "status"),
    ("cloudformation.json", 8, 88, "syntax", "'Root'"),
    ("cloudformation.json", 19, 29, "syntax", "eventSource"),
    ("cloudformation.json", 26, 59, "syntax", '"'),  # the end of the pattern
    ("cloudformation.yaml", 12, 34, "syntax", "="),  # the second '=' of '=='
    ("cloudformation.yaml", 23, 32, "invalid-regex", "("),
    ("cloudformation.yaml", 29, 22, "ignored-optional-terms", "?ERROR"),
    ("cloudformation.yaml", 39, 30, "unquoted-punctuation", "-id"),
    ("cloudformation.yaml", 56, 22, "dimensions-on-term-pattern", "$.level"),
    ("cloudformation.yaml", 66, 24, "metric-value-not-in-pattern", "$.latency"),
    ("cloudformation.yaml", 69, 22, "dimension-not-in-pattern", "$.service"),
    ("cloudformation.yaml", 79, 24, "unresolvable-reference", "$size"),
    ("cloudformation.yaml", 89, 24, "invalid-metric-transformation", "$.latency"),
    ("cloudformation.yaml", 100, 27, "unresolved-pattern", "PatternParameter"),
    ("main.tf", 4, 57, "syntax", "bytes"),
    ("main.tf", 16, 58, "syntax", "fast"),
    ("main.tf", 30, 7, "limit", "$.records[*].tags[*]"),
    ("main.tf", 44, 16, "dimension-not-in-pattern", '"$.regoin"'),
    ("regex-quota.yaml", 44, 22, "too-many-regex-filters", "'%Rate exceeded"),
    ("sam-template.yaml", 16, 49, "syntax", "AND"),
    ("sam-template.yaml", 21, 43, "syntax", "EXISTS"),
    ("serverless.yml", 13, 43, "syntax", "}"),
    ("serverless.yml", 16, 20, "syntax", '"Task timed out'),
    ("truncated.template.json", 10, 1, "unreadable-file", ""),
]

GOOD_NOTES = [
    ("cloudformation.yaml", 69, 27, "resolved-value", '"{ $.env'),
    ("main.tf", 40, 21, "unresolved-pattern", '"{ $.env'),
    ("serverless.yml", 24, 19, "unresolved-pattern", "${self:"),
]


def located(
    found: list[dict[str, object]], folder: Path, expected: list[tuple[str, int, int, str, str]]
) -> list[tuple[str, int, int, str, str]]:
    """The findings as rows like ``expected``, with the file's text at each place (as wide as
    the expected text)."""
    assert len(found) == len(expected)
    rows = []
    for finding, (*_, text) in zip(found, expected, strict=True):
        path = Path(str(finding["file"]))
        line, column = int(str(finding["line"])), int(str(finding["column"]))
        source = path.read_text().split("\n")[line - 1]
        rows.append(
            (
                path.relative_to(folder).as_posix(),
                line,
                column,
                str(finding["code"]),
                source[column - 1 : column - 1 + len(text)],
            )
        )
    return rows


def test_broken_examples_every_finding_at_its_place() -> None:
    found = findings("examples/infra/broken")
    assert located(found, Path("examples/infra/broken"), BROKEN) == BROKEN


def test_good_examples_pass_strict_with_notes_only() -> None:
    code, out, _ = run("--strict", "--format", "json", "examples/infra/good")
    report = json.loads(out)
    assert code == 0 and report["valid"] is True
    good = Path("examples/infra/good")
    assert located(report["findings"], good, GOOD_NOTES) == GOOD_NOTES
    assert {finding["severity"] for finding in report["findings"]} == {"note"}
    assert report["summary"] == {
        "patterns": 23,
        "skipped": 2,
        "files": 9,
        "errors": 0,
        "warnings": 0,
        "notes": 3,
    }


def test_broken_examples_exit_1_and_summary() -> None:
    code, out, err = run("examples/infra/broken")
    assert code == 1 and out == ""
    assert err.endswith(
        "21 errors, 7 warnings (32 patterns checked in 9 files); "
        "1 computed at deploy time, not checked\n"
    )


def test_text_report_shows_the_file_line_with_a_caret() -> None:
    _, _, err = run("examples/infra/broken/cloudformation.yaml")
    block = err.split("\n\n")[0].split("\n")[:4]
    assert block == [
        "examples/infra/broken/cloudformation.yaml:12:34: syntax: unexpected '='; expected a "
        "quoted string, a %regex% or a value",
        "   12 |       FilterPattern: '{ $.level == \"ERROR\" }'",
        "      |                                  ^",
        "hint: comparisons use a single '=': write $.field = value",
    ]
    assert "cloudformation.yaml:29:22: ignored-optional-terms (warning): " in err
    assert "cloudformation.yaml:100:27: unresolved-pattern (note): Ref is resolved" in err


def test_inexact_places_also_show_the_pattern(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "Resources:\n  F:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
        "      FilterPattern: >\n        { $.a ==\n        1 }\n"
    )
    monkeypatch.chdir(tmp_path)
    Path("t.yaml").write_text(text)
    result = CliRunner().invoke(check, ["t.yaml"])
    assert result.exit_code == 1
    assert result.stderr.split("\n")[:7] == [
        "t.yaml:5:22: syntax: unexpected '='; expected a quoted string, a %regex% or a value",
        "    5 |       FilterPattern: >",
        "      |                      ^",
        "  in the pattern:",
        "    { $.a == 1 }",
        "           ^",
        "hint: comparisons use a single '=': write $.field = value",
    ]


def test_strict_fails_on_warnings() -> None:
    code, _, err = run("?ERROR ?WARN Exception")
    assert code == 0 and err.endswith("\n1 pattern valid; 1 warning\n")
    code, _, err = run("--strict", "?ERROR ?WARN Exception")
    assert code == 1
    assert err.startswith("ignored-optional-terms (warning): CloudWatch ignores ?ERROR ?WARN")
    assert "(line 1, column 1)\n  ?ERROR ?WARN Exception\n  ^^^^^^\n" in err


# --------------------------------------------------------------------------- formats


def test_json_report_lists_every_pattern() -> None:
    code, out, _ = run("--format", "json", "-e", "ERROR", "examples/infra/good/alerts.patterns")
    report = json.loads(out)
    assert code == 0
    assert report["patterns"][0] == {"pattern": "ERROR", "valid": True, "canonical": "ERROR"}
    assert report["patterns"][4] == {
        "pattern": "[ip, user, ..., status_code = 5*, bytes > 1000]",
        "valid": True,
        "canonical": '[ip, user, ..., status_code = "5*", bytes > 1000]',
        "file": "examples/infra/good/alerts.patterns",
        "line": 6,
        "column": 1,
        "resource": "patterns file line 6",
    }
    _, out, _ = run("--format", "json", "examples/infra/broken/serverless.yml")
    entry = json.loads(out)["patterns"][1]
    assert entry["valid"] is False and entry["error"]["code"] == "syntax"
    assert entry["line"] == 16 and entry["column"] == 19


def test_github_annotations() -> None:
    code, out, _ = run("--format", "github", "examples/infra/broken/sam-template.yaml")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "::error file=examples/infra/broken/sam-template.yaml,line=16,col=49,endColumn=52,"
        "title=cwquery syntax::unexpected 'AND'; expected '&&', '||' or '}'"
        "%0Ahint: join conditions with && (and) or || (or), not AND"
    )
    assert len(lines) == 2
    _, out, _ = run("--format", "github", "a b ?c", "%x%")
    assert out.startswith("::warning title=cwquery ignored-optional-terms::CloudWatch ignores")
    _, out, _ = run("--format", "github", "examples/infra/good/main.tf")
    assert out.startswith("::notice file=examples/infra/good/main.tf,line=40,col=21,")


def test_github_escapes_data_and_properties() -> None:
    _, out, _ = run("--format", "github", "--", "{ $.a = 100% }")
    assert "%25" in out and "\n" not in out.strip()


def test_sarif_log() -> None:
    code, out, _ = run("--format", "sarif", "examples/infra/broken/main.tf")
    log = json.loads(out)
    assert code == 1 and log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = log["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    assert {rule["defaultConfiguration"]["level"] for rule in rules} == {
        "error",
        "warning",
        "note",
    }
    assert run_["columnKind"] == "unicodeCodePoints"
    first = run_["results"][0]
    assert first["ruleId"] == "syntax" and rules[first["ruleIndex"]]["id"] == "syntax"
    assert first["level"] == "error"
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "examples/infra/broken/main.tf"},
                "region": {"startLine": 4, "startColumn": 57, "endColumn": 62},
            }
        }
    ]
    assert first["properties"] == {"resource": "aws_cloudwatch_log_metric_filter.status_and_bytes"}
    assert [r["ruleId"] for r in run_["results"]] == [
        "syntax",
        "syntax",
        "limit",
        "dimension-not-in-pattern",
    ]


# --------------------------------------------------------------------------- arguments


def test_patterns_and_paths_mix() -> None:
    code, _, err = run("ERROR", "examples/infra/good/alerts.patterns", "-e", "examples")
    assert code == 0 and err == "7 patterns valid in 1 file\n"


def test_missing_path_is_a_usage_error_not_a_pattern() -> None:
    code, _, err = run("infra/missing.yaml")
    assert code == 2 and "no such file or folder: infra/missing.yaml" in err
    assert "-e 'infra/missing.yaml'" in err
    code, _, err = run("-e", "infra/missing.yaml")  # read as a term pattern when asked
    # D5: '/' has no service evidence either way, so the pattern is valid with a warning
    assert code == 0 and "unquoted-punctuation (warning): 'infra/missing.yaml' holds '/'" in err


def test_stdin_is_a_patterns_file() -> None:
    result = CliRunner().invoke(check, ["-"], input="ERROR\n{ $.a == 1 }\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("<stdin>:2:8: syntax: unexpected '='")


def test_no_arguments_is_a_usage_error() -> None:
    code, _, err = run()
    assert code == 2 and "give at least one PATTERN or PATH" in err


# --------------------------------------------------------------------------- fmt --check

NOT_CANONICAL = [
    ("alerts.patterns", 6, 1),
    ("cdk.out/MonitoringStack.template.json", 17, 23),
    ("cloudformation.json", 8, 27),
    ("cloudformation.json", 22, 26),
    ("cloudformation.json", 35, 27),
    ("cloudformation.yaml", 33, 23),
    ("main.tf", 26, 5),
    ("serverless.yml", 32, 25),
]


def test_fmt_check_reports_non_canonical_patterns_in_files() -> None:
    result = CliRunner().invoke(fmt, ["--check", "--format", "json", "examples/infra/good"])
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    rows = [
        (Path(f["file"]).relative_to("examples/infra/good").as_posix(), f["line"], f["column"])
        for f in report["findings"]
        if f["code"] == "not-canonical"
    ]
    assert rows == NOT_CANONICAL
    (first,) = [f for f in report["findings"] if f["line"] == 26]
    assert first["message"] == (
        "not in canonical form; write: [ip, identity, user, timestamp, request, "
        'status_code = "4*", bytes]'
    )


def test_fmt_check_passes_canonical_patterns_and_fails_invalid_ones() -> None:
    result = CliRunner().invoke(fmt, ["--check", "-e", " ERROR ", "-e", '{ $.a = "x" }'])
    assert result.exit_code == 0 and result.stderr == "2 patterns canonical\n"
    result = CliRunner().invoke(fmt, ["--check", "-e", "{ $.a == 1 }"])
    assert result.exit_code == 1 and result.stderr.startswith("syntax: unexpected '='")


def test_fmt_prints_several_patterns_and_refuses_paths_without_check() -> None:
    result = CliRunner().invoke(fmt, ["{$.a=1}", "ERROR  -x"])
    assert result.exit_code == 0 and result.stdout == "{ $.a = 1 }\nERROR -x\n"
    result = CliRunner().invoke(fmt, ["examples/infra/good"])
    assert result.exit_code == 2 and "--check" in result.stderr


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_hooks_run_cwquery() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in hooks] == ["cwquery-check", "cwquery-fmt"]
    for hook in hooks:
        assert hook["language"] == "python" and hook["entry"].startswith("cwquery ")
        assert hook["entry"].split()[1] in main.list_commands(click.Context(main))
    selected = re.compile(hooks[0]["files"])
    files = sorted(str(p.relative_to(ROOT)) for p in INFRA.rglob("*") if selected.search(p.name))
    assert "examples/infra/good/main.tf" in files and len(files) == 18
    good = [f for f in files if "/good/" in f]
    assert run(*good)[0] == 0  # as pre-commit calls it: every selected file named
    assert run(*files)[0] == 1


def test_check_runs_as_a_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwquery", "check", "--format", "github", str(INFRA / "good")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.count("::notice") == 3


def test_fmt_never_prints_a_canonical_form_over_the_length_limit() -> None:
    compact = "{" + "&&".join(f"$.a{i}=1" for i in range(100)) + "}"
    assert len(compact) <= 1024 < len(str(parse(compact)))
    result = CliRunner().invoke(fmt, [compact])
    assert result.exit_code == 2 and result.stdout == ""  # an error, as everywhere
    assert "over the service's limit of 1024" in result.stderr
    result = CliRunner().invoke(fmt, ["--check", "-e", compact])
    assert result.exit_code == 1 and "over the service's limit of 1024" in result.output
    short = "{" + "&&".join(f"$.a{i}=1" for i in range(10)) + "}"
    assert CliRunner().invoke(fmt, [short]).stdout.strip() == str(parse(short))


def test_detached_minus_and_unevidenced_punctuation_warn_and_fmt_attaches() -> None:
    """D4 and D5 revised: both patterns are valid, each with its warning; --strict fails them;
    fmt writes the attached, quoted form, which has nothing left to warn about."""
    code, _, err = run("-e", '"ERROR" - "Exiting"', "-e", "GET /api/v1")
    assert code == 0 and err.endswith("2 patterns valid; 2 warnings\n")
    assert "detached-prefix (warning)" in err and "unquoted-punctuation (warning)" in err
    assert run("--strict", "-e", '- "cwlogs.push.publisher"')[0] == 1
    result = CliRunner().invoke(fmt, ['"ERROR" - "Exiting"', "GET /api/v1 notification.id"])
    assert result.exit_code == 0
    assert result.stdout == 'ERROR -Exiting\nGET "/api/v1" notification.id\n'
    assert run("--strict", "-e", "ERROR -Exiting", "-e", 'GET "/api/v1"')[0] == 0

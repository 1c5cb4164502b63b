"""Finding patterns in files: the readers keep positions, every format yields its sites, and a
problem in a pattern maps to the right line and column of the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery.iac.alarms import scan_paths as alarm_scan_paths
from cwquery.iac.findings import check_sites
from cwquery.iac.hcl import hcl_string_at, read_hcl_blocks
from cwquery.iac.locate import (
    Doc,
    DocList,
    DocMap,
    DocScalar,
    DocumentError,
    SourceText,
    read_json,
    read_yaml,
)
from cwquery.iac.scan import format_of, scan_paths, scan_text
from cwquery.iac.sites import PatternSite
from cwquery.limits import regex_filter_quota

EXAMPLES = Path(__file__).parent.parent / "examples" / "infra"


def char_at(site: PatternSite, index: int) -> str:
    """The character of the file at the place of pattern character ``index``."""
    line, column, exact = site.position(index)
    assert exact
    return site.source.text.line(line)[column - 1]


def mapping(doc: Doc) -> dict[str, Doc]:
    assert isinstance(doc, DocMap), doc
    return doc.items


def sequence(doc: Doc) -> list[Doc]:
    assert isinstance(doc, DocList), doc
    return doc.items


def scalar(doc: Doc) -> DocScalar:
    assert isinstance(doc, DocScalar), doc
    return doc


def offsets(doc: Doc, text: str) -> tuple[int, ...]:
    found = scalar(doc).located.offsets(text)
    assert found is not None
    return found


# --------------------------------------------------------------------------- readers


def test_source_text_positions() -> None:
    source = SourceText("ab\ncd\r\nef")
    assert [source.position(i) for i in (0, 2, 3, 7, 9, 99)] == [
        (1, 1),
        (1, 3),
        (2, 1),
        (3, 1),
        (3, 3),
        (3, 3),
    ]
    assert source.line(2) == "cd" and source.offset(3, 2) == 8


def test_json_reader_maps_escaped_characters() -> None:
    text = '{"p": "a\\"b\\u00e9\\ud83d\\ude00c", "n": [1.5e3, true, null, {}]}'
    doc = read_json(text)
    p = mapping(doc)["p"]
    assert scalar(p).value == 'a"bé\U0001f600c'
    assert [text[o] for o in offsets(p, text)[:-1]] == ["a", "\\", "b", "\\", "\\", "c"]
    kinds = [scalar(item).kind for item in sequence(mapping(doc)["n"])[:3]]
    assert kinds == ["number", "bool", "null"]


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ('{"a": 1,}', "expected a quoted key", 8),
        ('{"a" 1}', "expected ':'", 5),
        ("[1 2]", "expected ',' or ']'", 3),
        ('{"a": 1', "the JSON ends too early", 7),
        ("[] x", "unexpected text after the JSON document", 3),
        ("{'a': 1}", "invalid JSON", 1),
    ],
)
def test_json_reader_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(DocumentError) as caught:
        read_json(text)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_yaml_reader_keeps_tags_styles_and_places() -> None:
    text = (
        "a: !Sub '{ $.x = ''q'' }'\n"
        'b: "tab\\there"\n'
        "c: &anchor plain text\n"
        "d: |\n  [a, b]\n"
        "e: !GetAtt X.Arn\n"
        "f: 404\n"
        "g: >\n  folded\n  lines\n"
    )
    (doc,) = read_yaml(text)
    items = {key: scalar(value) for key, value in mapping(doc).items()}
    assert items["a"].tag == "!Sub" and items["a"].value == "{ $.x = 'q' }"
    a = offsets(items["a"], text)
    assert [text[o] for o in a[8:11]] == ["'", "q", "'"] and text[a[8] + 1] == "'"
    assert [text[o] for o in offsets(items["b"], text)[3:5]] == ["\\", "h"]
    assert items["c"].located.start == text.index("plain")
    block = offsets(items["d"], text)
    assert text[block[0]] == "[" and items["d"].value == "[a, b]\n"
    assert items["e"].tag == "!GetAtt" and items["f"].kind == "number"
    assert items["g"].located.offsets(text) is None  # folded over two lines: no exact place


def test_yaml_reader_errors_have_places() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: b: c\n")
    assert caught.value.offset == 4


def test_hcl_reader_follows_comments_strings_and_heredocs() -> None:
    text = (
        "# a comment with { braces\n"
        'locals { x = "}" }\n'
        "/* block\n comment } */\n"
        'resource "t" "n" {\n'
        '  tags = { a = "${format("%s}", "x")}" } # trailing }\n'
        "  pattern = <<EOT\n"
        "{ $.a = 1 }\n"
        "EOT\n"
        '  nested "label" {\n'
        "    value = [\n      1, # comment ]\n      2,\n    ]\n"
        "  }\n"
        "}\n"
    )
    root = read_hcl_blocks(text)
    assert [(b.type, b.labels) for b in root.blocks] == [("locals", ()), ("resource", ("t", "n"))]
    resource = root.blocks[1]
    assert list(resource.attributes) == ["tags", "pattern"]
    assert [(b.type, b.labels, list(b.attributes)) for b in resource.blocks] == [
        ("nested", ("label",), ["value"])
    ]
    pattern = resource.attributes["pattern"]
    located = hcl_string_at(text, pattern.start, pattern.end)
    assert located is not None and located.value == "{ $.a = 1 }\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('resource "a" "b" {\n  x = 1\n', "a block is not closed with '}'"),
        ("x = [1, 2\n", "expected ']'"),
        ('x = "abc\n', "unclosed string"),
        ("x = <<EOT\nabc\n", "heredoc EOT is not closed"),
        ("/* open", "unclosed comment"),
        ("x = 1)\n", "unexpected ')'"),
        ("= 1\n", "unexpected '='"),
    ],
)
def test_hcl_reader_errors(text: str, message: str) -> None:
    with pytest.raises(DocumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_hcl_blocks(text)


def test_hcl_strings_map_escapes_and_dollar_escapes() -> None:
    text = 'p = "a\\"b $${x} \\u00e9"'
    located = hcl_string_at(text, 4, len(text))
    assert located is not None and located.value == 'a"b ${x} é'
    offsets = located.offsets(text)
    assert offsets is not None and [text[o] for o in offsets[:4]] == ["a", "\\", "b", " "]
    assert text[offsets[5]] == "{" and text[offsets[-2]] == "\\"
    assert hcl_string_at(text, 4, len(text) - 1) is None  # not the whole expression


# --------------------------------------------------------------------------- formats


def test_file_formats() -> None:
    assert [format_of(n) for n in ("a.YAML", "b.yml", "c.template", "d.patterns", "e.txt")] == [
        "yaml",
        "yaml",
        "template",
        "patterns",
        None,
    ]


def test_cloudformation_yaml_sites() -> None:
    result = scan_text((EXAMPLES / "good" / "cloudformation.yaml").read_text(), "cfn.yaml")
    sites = {site.name: site for site in result.sites}
    assert list(sites) == [
        "SlowRequests",
        "ServerErrors",
        "Timeouts",
        "RootLogins",
        "ErrorsToFirehose",
        "EverythingToArchive",
    ]
    slow = sites["SlowRequests"]
    assert slow.kind == "AWS::Logs::MetricFilter"
    assert slow.text == '{ $.latency > 1000 && $.level = "ERROR" }'
    assert slow.position() == (20, 22, True) and char_at(slow, 2) == "$"
    assert slow.log_group == ("expr", "cfn.yaml", "!Ref AppLogs")
    assert slow.metric is not None and slow.metric.value is not None
    assert slow.metric.value.text == "$.latency"
    assert [(name, ref.text) for name, ref in slow.metric.dimensions] == [("Level", "$.level")]
    timeouts = sites["Timeouts"].metric
    assert timeouts is not None and timeouts.default_value == 0
    assert sites["Timeouts"].text == '?"Task timed out" ?"Invoke Error"'  # !Sub, no ${}
    assert char_at(sites["RootLogins"], 0) == "{"  # a folded block scalar on one line
    firehose = sites["ErrorsToFirehose"]  # !Sub with a parameter that has a default
    assert firehose.text == '{ $.env = "prod" && $.level = ERROR }'
    assert firehose.notes == ("checked with the default value of parameter Environment",)
    assert sites["EverythingToArchive"].text == ""
    assert sites["EverythingToArchive"].metric is None


def test_cloudformation_json_sites_and_join() -> None:
    result = scan_text((EXAMPLES / "good" / "cloudformation.json").read_text(), "cfn.json")
    sites = {site.name: site for site in result.sites}
    unauthorized = sites["UnauthorizedCalls"]
    assert unauthorized.text is not None
    assert char_at(unauthorized, unauthorized.text.index("*Unauth") - 1) == "\\"
    joined = sites["KmsKeyDeletion"]
    assert joined.text is not None and joined.text.startswith("{ ($.eventSource = kms")
    assert joined.position(5) == (22, 26, False)  # only the Fn::Join is placed
    assert sites["LambdaReports"].log_group == ("expr", "cfn.json", "{Ref: FunctionLogs}")


def test_long_form_intrinsics() -> None:
    text = (
        '{"Resources": {"F": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {'
        '"LogGroupName": {"Fn::Sub": "/app/${Env}"},'
        '"FilterPattern": {"Fn::Sub": ["{ $.a = 1 }", {"Env": "prod"}]}}},'
        '"G": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {'
        '"FilterPattern": {"Fn::If": ["Prod", "a", "b"]}}},'
        '"H": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {'
        '"FilterPattern": ["not", "a", "string"]}},'
        '"I": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {"FilterPattern": null}},'
        '"J": {"Type": "AWS::Logs::SubscriptionFilter", "Properties": {"LogGroupName": "x"}}}}'
    )
    sites = scan_text(text, "t.json").sites
    assert [(s.name, s.text, s.unresolved) for s in sites] == [
        ("F", "{ $.a = 1 }", None),
        ("G", "a", None),  # both branches of Fn::If are literals: both are checked
        ("G", "b", None),
        ("H", None, "FilterPattern is not a string"),
        ("I", None, "FilterPattern has no value"),
    ]
    assert sites[0].log_group == ("expr", "t.json", "{Fn::Sub: /app/${Env}}")


def test_sam_and_serverless_sites() -> None:
    sam = scan_text((EXAMPLES / "good" / "sam-template.yaml").read_text(), "sam.yaml").sites
    assert [(s.kind, s.name) for s in sam] == [
        ("AWS::Serverless::Function CloudWatchLogs event", "ErrorHandler.Events.AppErrors"),
        ("AWS::Serverless::Function CloudWatchLogs event", "ErrorHandler.Events.Timeouts"),
    ]
    serverless = scan_text((EXAMPLES / "good" / "serverless.yml").read_text(), "sls.yml").sites
    assert [(s.name, s.text is not None, s.log_group) for s in serverless] == [
        ("functions.alerts.events[0].cloudwatchLog", True, ("name", "/aws/lambda/checkout")),
        ("functions.audit.events[0].cloudwatchLog", False, ("name", "/aws/lambda/checkout")),
        ("OrdersMetric", True, ("name", "/aws/lambda/checkout")),
    ]
    assert serverless[1].unresolved == "serverless variables ${…} are resolved at deploy time"


def test_terraform_sites() -> None:
    path = str(EXAMPLES / "good" / "main.tf")
    sites = scan_text(Path(path).read_text(), path).sites
    assert [s.name for s in sites] == [
        "aws_cloudwatch_log_metric_filter.slow_errors",
        "aws_cloudwatch_log_metric_filter.client_errors",
        "aws_cloudwatch_log_subscription_filter.per_environment",
        "aws_cloudwatch_log_subscription_filter.all",
    ]
    slow, heredoc, interpolated, empty = sites
    assert slow.position() == (9, 20, True)
    assert slow.text is not None and char_at(slow, slow.text.index('"ERROR"')) == "\\"
    assert slow.log_group == (
        "expr",
        str(EXAMPLES / "good"),
        "${aws_cloudwatch_log_group.app.name}",
    )
    assert slow.metric is not None and slow.metric.value is not None
    assert slow.metric.value.text == "$.latency"
    ((name, level),) = slow.metric.dimensions
    assert (name, level.text) == ("Level", "$.level") and level.located is not None
    assert heredoc.text == "[ip, identity, user, timestamp, request, status_code = 4*, bytes]\n"
    assert heredoc.position(0) == (26, 5, True)
    assert interpolated.text is None and "interpolation" in (interpolated.unresolved or "")
    assert empty.text == ""


def test_terraform_expressions_and_invalid_files() -> None:
    text = (
        'resource "aws_cloudwatch_log_subscription_filter" "x" {\n'
        "  filter_pattern = var.pattern\n"
        '  log_group_name  = "g"\n'
        "}\n"
    )
    (site,) = scan_text(text, "x.tf").sites
    assert (
        site.text is None
        and site.unresolved
        == "filter_pattern is computed at deploy time: var.pattern is not declared"
    )
    assert site.position() == (2, 20, True)
    broken = scan_text('resource "aws_cloudwatch_log_metric_filter" "x" {\n  pattern = \n', "b.tf")
    (problem,) = broken.problems
    assert problem.message.startswith("not valid Terraform")
    assert scan_text('variable "x" {', "other.tf").problems == []  # no filters: not read


def test_pattern_files() -> None:
    result = scan_text("# comment\n\n?ERROR ?WARN\r\n  { $.a = 1 }\n", "p.patterns")
    assert [(s.name, s.text, s.position()) for s in result.sites] == [
        ("line 3", "?ERROR ?WARN", (3, 1, True)),
        ("line 4", "  { $.a = 1 }", (4, 1, True)),
    ]


def test_unreadable_files_are_reported_only_when_they_look_like_templates() -> None:
    assert scan_text('{"compilerOptions": {/* c */}}', "tsconfig.json").problems == []
    assert scan_text("key: [unclosed", "values.yaml").problems == []
    (problem,) = scan_text('{"Type": "AWS::Logs::MetricFilter",', "t.json").problems
    assert problem.message == "the JSON ends too early"


def test_folders_are_walked_in_order_skipping_dependencies(tmp_path: Path) -> None:
    (tmp_path / "b.patterns").write_text("B\n")
    (tmp_path / "a.patterns").write_text("A\n")
    for skipped in ("node_modules", ".hidden", "cdk.out/asset.123"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "x.patterns").write_text("SKIPPED\n")
    (tmp_path / "notes.txt").write_text("not read in a folder\n")
    result = scan_paths([str(tmp_path)])
    assert [s.text for s in result.sites] == ["A", "B"]
    explicit = scan_paths([str(tmp_path / "notes.txt")])
    assert [s.text for s in explicit.sites] == ["not read in a folder"]


def test_regex_quota_counts_filters_per_log_group() -> None:
    text = "Resources:\n" + "".join(
        f"  F{i}:\n    Type: AWS::Logs::SubscriptionFilter\n    Properties:\n"
        f"      LogGroupName: {group}\n      FilterPattern: '%x{i}%'\n"
        for i, group in enumerate(["/a"] * 6 + ["/b"] * 5)
    )
    findings = check_sites(scan_text(text, "q.yaml").sites)
    assert [(f.code, f.line) for f in findings] == [("too-many-regex-filters", 31)]
    assert findings[0].message == regex_filter_quota(list("abcdef"), "/a")[1]
    assert findings[0].message.startswith("6 filters with a regex on log group /a;")


def test_terraform_falls_back_to_resource_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(text: str) -> None:
        raise DocumentError("cannot follow", 0)

    monkeypatch.setattr("cwquery.iac.terraform.read_hcl_blocks", unreadable)
    text = (EXAMPLES / "good" / "main.tf").read_text()
    sites = scan_text(text, "main.tf").sites
    assert [(s.position(0), s.text is not None) for s in sites] == [
        ((6, 1, False), True),
        ((22, 1, False), True),
        ((36, 1, False), False),
        ((43, 1, False), True),
    ]
    assert sites[0].metric is not None and sites[0].metric.value is not None
    assert sites[0].metric.value.text == "$.latency"


_PREFIXES = {
    "yaml": "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n",
    "json": '{"Resources": {"F": {"Type": "AWS::Logs::MetricFilter", "Properties": ',
    "terraform": 'resource "aws_cloudwatch_log_metric_filter" "x" {\n',
    "patterns": "",
}


@settings(max_examples=150)
@given(st.sampled_from(sorted(_PREFIXES)), st.text(max_size=80), st.booleans())
def test_any_text_scans_without_raising(kind: str, text: str, prefixed: bool) -> None:
    result = scan_text((_PREFIXES[kind] if prefixed else "") + text, "f", kind)
    check_sites(result.sites, result.problems)


def test_check_and_backtest_iac_read_the_same_files(tmp_path: Path) -> None:
    template = (
        "Resources:\n  F:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
        "      LogGroupName: /a\n      FilterPattern: ERROR\n      MetricTransformations:\n"
        "        - {MetricName: M, MetricNamespace: N, MetricValue: '1'}\n"
    )
    for folder in ("app", "venv", "node_modules", ".hidden", "cdk.out/asset.1", "cdk.out"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "t.yaml").write_text(template)
    checked = {site.source.path for site in scan_paths([str(tmp_path)]).sites}
    backtested = {f.path for f in alarm_scan_paths([str(tmp_path)]).filters}
    expected = {str(tmp_path / "app" / "t.yaml"), str(tmp_path / "cdk.out" / "t.yaml")}
    assert checked == backtested == expected

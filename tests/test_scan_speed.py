"""The scanner's shortcuts give the same answers as the long way: libyaml's loader reads the
same trees as PyYAML's, files without a pattern marker hold no pattern, a parsed pattern
is shared, not re-read, and a big generated file places every finding where a small file
does."""

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery.errors import PatternError
from cwquery.iac import terraform
from cwquery.iac.findings import check_all
from cwquery.iac.hcl import _hcl_characters, _hcl_template
from cwquery.iac.locate import FAST_YAML_LOADER, DocumentError, read_yaml
from cwquery.iac.report import Summary, json_report
from cwquery.iac.scan import scan_text
from cwquery.parser import parse

EXAMPLES = Path(__file__).parent.parent / "examples" / "infra"
YAML_FILES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yaml", ".yml"))

needs_libyaml = pytest.mark.skipif(
    FAST_YAML_LOADER is yaml.SafeLoader, reason="PyYAML built without libyaml"
)


@needs_libyaml
@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_libyaml_reads_the_example_templates_as_pyyaml_does(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert read_yaml(text) == read_yaml(text, loader=yaml.SafeLoader)


SCALARS = st.sampled_from(
    [
        "plain",
        "'single ''q'''",
        '"double \\" \\u00e9 \\t"',
        "!Sub '{ $.a = 1 }'",
        "404",
        "!Ref Group",
        "é ü 😀",
        "|\n    block\n    lines",
        ">\n    folded\n    text",
        "~",
        "true",
        "'{ $.x = \"y\" }'",
        "[a, b]",
        "{k: v}",
        "&anchor x",
    ]
)


@needs_libyaml
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}", fullmatch=True), SCALARS),
        min_size=1,
        max_size=6,
        unique_by=lambda item: item[0],
    ),
    st.sampled_from(["\n", "\r\n"]),
)
def test_libyaml_and_pyyaml_agree_on_trees_and_places(
    items: list[tuple[str, str]], newline: str
) -> None:
    text = newline.join(f"  {key}: {value}".replace("\n", newline + "  ") for key, value in items)
    text = "Top:" + newline + text + newline
    assert outcome(text, FAST_YAML_LOADER) == outcome(text, yaml.SafeLoader)


def outcome(text: str, loader: object) -> object:
    try:
        return read_yaml(text, loader=loader)
    except DocumentError as err:
        return err.message, err.offset


def test_invalid_yaml_is_reported_in_pyyaml_words() -> None:
    with pytest.raises(DocumentError) as fast:
        read_yaml("a: b: c\n")
    with pytest.raises(DocumentError) as slow:
        read_yaml("a: b: c\n", loader=yaml.SafeLoader)
    assert (fast.value.message, fast.value.offset) == (slow.value.message, slow.value.offset)


def test_files_without_a_marker_are_not_parsed() -> None:
    # invalid as JSON: a problem would be reported if the file were parsed and looked like one
    assert scan_text('{"name": "app", "packages": {', "package-lock.json").problems == []
    assert scan_text('{"name": "app", "packages": {}}', "package-lock.json").sites == []
    template = (
        '{"Resources": {"F": {"Type": "AWS::Logs::MetricFilter", "Properties": {'
        '"FilterPattern": "ERROR", "LogGroupName": "g"}}}}'
    )
    assert [site.text for site in scan_text(template, "t.json").sites] == ["ERROR"]
    # an escape can spell a marker: such files are parsed
    escaped = template.replace("FilterPattern", "Filter\\u0050attern").replace(
        "Logs::", "L\\u006fgs::"
    )
    assert [site.text for site in scan_text(escaped, "t.json").sites] == ["ERROR"]


def test_a_pattern_read_twice_is_parsed_once() -> None:
    text = "{ $.shared_tree_probe = 1 }"
    assert parse(text) is parse(text)
    with pytest.raises(TypeError):
        parse(b"ERROR")  # type: ignore[arg-type]


TF_FILES = sorted(EXAMPLES.rglob("*.tf"))
PATTERNS = st.sampled_from(
    [
        '"ERROR"',
        '"{ $.level = \\"ERROR\\" }"',
        '"[ip, status = 5*, ${var.x}]"',
        "var.pattern",
        '"$${literal}"',
        "<<EOT\n[a, b]\nEOT",
        '""',
    ]
)
GROUPS = st.sampled_from(
    ['"/app/a"', "aws_cloudwatch_log_group.app.name", '"/app/${var.env}"', '"a\\\\b"', "1"]
)
TRANSFORMS = st.sampled_from(
    [
        "",
        '  metric_transformation {\n    name = "n"\n    namespace = "ns"\n    value = "1"\n  }\n',
        '  metric_transformation {\n    value = "$.latency"\n    default_value = 0\n  }\n',
        '  metric_transformation {\n    value = "1"\n    default_value = "2.5"\n  }\n',
        '  metric_transformation {\n    value = "1"\n    dimensions = { Level = "$.level" }\n  }\n',
    ]
)


def sites_of(text: str, path: str) -> list[tuple[object, ...]]:
    result = scan_text(text, path)
    return [
        (s.kind, s.name, s.text, s.located, s.unresolved, s.metric, s.log_group, s.log_group_label)
        for s in result.sites
    ] + [("problem", p.message, p.offset) for p in result.problems]


def slow_and_fast(text: str, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = sites_of(text, path)
    with monkeypatch.context() as patched:
        patched.setattr(terraform, "_literal_values", lambda text, blocks: None)
        slow = sites_of(text, path)
    assert fast == slow


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: p.name)
def test_terraform_literals_read_alone_as_python_hcl2_reads_them(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_and_fast(path.read_text(encoding="utf-8"), str(path), monkeypatch)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.booleans(), PATTERNS, GROUPS, TRANSFORMS), min_size=1, max_size=4))
def test_generated_terraform_reads_the_same_either_way(
    resources: list[tuple[bool, str, str, str]],
) -> None:
    blocks = []
    for number, (metric, pattern, group, transform) in enumerate(resources):
        kind = "metric_filter" if metric else "subscription_filter"
        attribute = "pattern" if metric else "filter_pattern"
        blocks.append(
            f'resource "aws_cloudwatch_log_{kind}" "r{number}" {{\n'
            f"  {attribute} = {pattern}\n  log_group_name = {group}\n"
            f"{transform if metric else ''}}}\n"
        )
    with pytest.MonkeyPatch.context() as monkeypatch:
        slow_and_fast("\n".join(blocks), "gen/main.tf", monkeypatch)


# --------------------------------------------------------------------------- big files

#: Patterns of every outcome: valid, warned about, rejected, and a regex (counted per group).
BIG_PATTERNS = (
    '{{ $.status = {i} && $.path = "/api/{i}" }}',
    "ERROR request-id{i}",
    "{{ $.latency > {i} && }}",
    "%timeout{i}%",
    "[ip, user, status = 5*, bytes > {i}]",
)


def cloudformation_resource(number: int) -> str:
    """Seven lines: a metric filter whose pattern and metric value vary with ``number``."""
    pattern = BIG_PATTERNS[number % len(BIG_PATTERNS)].format(i=number)
    return (
        f"  Filter{number}:\n    Type: AWS::Logs::MetricFilter\n    Properties:\n"
        f"      LogGroupName: /app/group{number % 3}\n      FilterPattern: '{pattern}'\n"
        f"      MetricTransformations:\n        - {{MetricName: M, MetricNamespace: N, "
        f"MetricValue: '$.value{number}'}}\n"
    )


def terraform_resource(number: int) -> str:
    """Nine lines: a metric filter with an escaped pattern, or a subscription filter."""
    pattern = BIG_PATTERNS[number % len(BIG_PATTERNS)].format(i=number).replace('"', '\\"')
    if number % 2:
        return (
            f'resource "aws_cloudwatch_log_subscription_filter" "s{number}" {{\n'
            f'  log_group_name = "/app/group{number % 3}"\n'
            f'  filter_pattern = "{pattern}"\n  destination_arn = "arn"\n'
            "\n\n\n\n}\n"
        )
    return (
        f'resource "aws_cloudwatch_log_metric_filter" "m{number}" {{\n'
        f'  log_group_name = "/app/group{number % 3}"\n  pattern        = "{pattern}"\n'
        f'  metric_transformation {{\n    name      = "M"\n    namespace = "N"\n'
        f'    value     = "$.value{number}"\n  }}\n}}\n'
    )


def placed(text: str, path: str, shift: int = 0) -> list[tuple[object, ...]]:
    """Every finding of a file with its place (lines moved up by ``shift``), regex quotas
    left out (they count filters across the whole file)."""
    checked = check_all(scan_text(text, path).sites)
    return [
        (f.code, f.line - shift, f.column, f.length, f.exact, f.message, f.source_line)
        for f in checked.findings
        if f.code != "too-many-regex-filters"
    ]


@pytest.mark.parametrize(
    ("path", "header", "resource", "height"),
    [
        ("t.yaml", "Resources:\n", cloudformation_resource, 7),
        ("main.tf", "", terraform_resource, 9),
    ],
    ids=["cloudformation", "terraform"],
)
def test_a_big_file_places_every_finding_as_a_file_of_one_resource_does(
    path: str, header: str, resource: Callable[[int], str], height: int
) -> None:
    count = 600
    big = header + "".join(resource(number) for number in range(count))
    expected = []
    for number in range(count):
        expected += placed(header + resource(number), path, -number * height)
    found = placed(big, path)
    assert len(found) == len(expected) > count // 2
    assert found == expected


def test_the_json_report_reads_the_checked_trees_as_a_fresh_parse_does() -> None:
    # more patterns than the parser keeps, so the report cannot lean on the parse cache
    text = "Resources:\n" + "".join(cloudformation_resource(number) for number in range(4500))
    sites = scan_text(text, "t.yaml").sites
    checked = check_all(sites)
    summary = Summary(patterns=len(sites), skipped=0, files=1)
    reused = json_report(sites, checked.findings, summary, valid=False, parsed=checked.parsed)
    assert reused == json_report(sites, checked.findings, summary, valid=False)
    assert sum(isinstance(outcome, PatternError) for outcome in checked.parsed) == 900


HCL_PIECES = st.sampled_from(["a", "$", "%", "{", "}", "\\", '\\"', "\\n", "\\u00e9", "$${", "é"])


@given(st.lists(HCL_PIECES, max_size=12).map("".join), st.booleans())
def test_hcl_strings_without_escapes_read_as_character_by_character(
    body: str, escapes: bool
) -> None:
    source = f"x = {body}\n"
    for start, end in ((4, len(source) - 1), (4, max(4, len(source) - 3))):
        assert _hcl_template(source, start, end, escapes=escapes) == _hcl_characters(
            source, start, end, escapes=escapes
        )

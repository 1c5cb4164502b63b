"""The scanner's shortcuts give the same answers as the long way: libyaml's loader reads the
same trees as PyYAML's, files without a pattern marker hold no pattern, and a parsed pattern
is shared, not re-read."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cwquery.iac import terraform
from cwquery.iac.locate import FAST_YAML_LOADER, SourceError, read_yaml
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
    except SourceError as err:
        return err.message, err.offset


def test_invalid_yaml_is_reported_in_pyyaml_words() -> None:
    with pytest.raises(SourceError) as fast:
        read_yaml("a: b: c\n")
    with pytest.raises(SourceError) as slow:
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

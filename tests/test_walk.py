"""The tree's one traversal (``ast.walk``, ``Node.children``), its one ``combine`` and its one
"contains a regex", and the one regex-filter quota of :mod:`cwquery.limits`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import cwquery
from cwquery import ast
from cwquery.ast import And, JsonNotExists, Key, Or, Selector, Span, combine, flatten, walk
from cwquery.limits import MAX_REGEX_FILTERS_PER_LOG_GROUP, regex_filter_quota

SUITE = Path(__file__).parent / "compliance"


def _suite_trees() -> Iterator[ast.Pattern]:
    for path in sorted(SUITE.glob("*.json")):
        if path.name == "schema.json":
            continue
        for group in json.loads(path.read_text(encoding="utf-8"))["groups"]:
            for case in group["cases"]:
                if "error" not in case:
                    yield cwquery.parse(case["pattern"])


def _by_slots(node: ast.Node) -> list[ast.Node]:
    """Every node reachable through the fields, read from ``__slots__`` (independent of
    ``children``), depth first in field order."""
    found = [node]
    fields: tuple[str, ...] = node.__slots__
    for name in fields:
        value = getattr(node, name)
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, ast.Node):
                found += _by_slots(child)
    return found


def test_walk_visits_every_field_of_every_suite_tree_in_source_order() -> None:
    trees = list(_suite_trees())
    assert len(trees) > 300
    for tree in trees:
        assert list(walk(tree)) == _by_slots(tree), str(tree)


def test_walk_yields_the_nodes_themselves_with_their_spans() -> None:
    tree = cwquery.parse('{ $.a = "x" || $.b IS NULL }')
    spans = [node.span for node in walk(tree) if isinstance(node, ast.Selector)]
    assert spans == [Span(2, 5), Span(15, 18)]


def test_leaves_have_no_children() -> None:
    leaves = [
        ast.MatchAll(),
        ast.Term("a"),
        ast.Regex("x"),
        Key("a"),
        ast.Index(0),
        ast.AnyKey(),
        ast.AnyIndex(),
        ast.String("s"),
        ast.Number("1"),
        ast.EllipsisField(),
        ast.Field("name"),
    ]
    assert [leaf.children() for leaf in leaves] == [()] * len(leaves)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%ERR.R%", True),
        ("{ $.a = %x% }", True),
        ("{ $.a = 1 || $.b != %y% }", True),
        ("[a, b = %z% || b = 1, ...]", True),
        ("ERROR", False),
        ('"%not a regex%"', False),
        ('{ $.a = "%x%" }', False),
        ("[a, b = x]", False),
        ("", False),
    ],
)
def test_contains_regex(text: str, expected: bool) -> None:
    assert ast.contains_regex(cwquery.parse(text)) is expected


def _exists(name: str) -> JsonNotExists:
    return JsonNotExists(Selector((Key(name),)))


def test_combine_flattens_and_keeps_one_operand_as_itself() -> None:
    a, b, c, d = (_exists(name) for name in "abcd")
    assert combine(And, [a, And((b, c)), d]) == And((a, b, c, d))
    assert combine(Or, [And((a, b)), c]) == Or((And((a, b)), c))
    assert combine(And, [a]) is a
    assert flatten(Or, [Or((a, b)), And((c, d))]) == [a, b, And((c, d))]
    assert combine(Or, [a, b], span=Span(0, 9)).span == Span(0, 9)


def test_combine_agrees_with_the_parser() -> None:
    texts = ["$.a NOT EXISTS", "$.b NOT EXISTS || $.c NOT EXISTS", "$.d NOT EXISTS"]
    parts = [cwquery.parse(f"{{ {text} }}").expr for text in texts]  # type: ignore[attr-defined]
    joined = cwquery.parse("{ " + " || ".join(texts) + " }")
    assert ast.JsonPattern(combine(Or, parts)) == joined


def test_the_quota_refuses_the_sixth_regex_filter_and_later() -> None:
    five = [f"f{n}" for n in range(MAX_REGEX_FILTERS_PER_LOG_GROUP)]
    assert regex_filter_quota(five, "/g") == ([], "")
    refused, message = regex_filter_quota([*five, "f5", "f6"], "/g")
    assert refused == ["f5", "f6"]
    assert message == (
        "7 filters with a regex on log group /g; CloudWatch allows 5 per log group (metric "
        "and subscription filters together) and refuses the rest"
    )


def test_every_public_name_of_the_tree_imports_from_cwquery_ast() -> None:
    names = [
        "And",
        "AnyIndex",
        "AnyKey",
        "DelimitedPattern",
        "EllipsisField",
        "Field",
        "FieldCompare",
        "FieldCondition",
        "Index",
        "JsonCompare",
        "JsonCondition",
        "JsonExpr",
        "JsonIs",
        "JsonNotExists",
        "JsonPattern",
        "Key",
        "MatchAll",
        "Node",
        "Number",
        "Operator",
        "Or",
        "Pattern",
        "Regex",
        "RegexPattern",
        "Selector",
        "Span",
        "Step",
        "String",
        "Term",
        "TermKind",
        "TermPattern",
        "TextPattern",
        "TruthTest",
        "Value",
        "combine",
        "contains_regex",
        "flatten",
        "walk",
    ]
    assert sorted(ast.__all__) == sorted(names)
    assert all(getattr(ast, name) is not None for name in names)

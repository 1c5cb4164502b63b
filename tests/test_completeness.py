"""Every node kind is handled everywhere: no silent gaps between grammar, tree, renderer and
evaluator (a gap would otherwise surface as a wrong answer, not an error)."""

import inspect
import json
from pathlib import Path

import pytest
from lark import Lark

import cwquery
from cwquery import ast
from cwquery.compiler import _JSON_COMPILERS, _PATTERN_COMPILERS
from cwquery.explanation import _EXPLAINERS
from cwquery.lalr import grammar_text
from cwquery.parser import _ToAst
from cwquery.renderer import _RENDERERS

NODE_CLASSES = {
    cls
    for _, cls in inspect.getmembers(ast, inspect.isclass)
    if issubclass(cls, ast.Node) and cls not in (ast.Node, ast.Pattern)
}
ROOTS = {cls for cls in NODE_CLASSES if issubclass(cls, ast.Pattern)}


def test_every_node_class_has_a_renderer() -> None:
    assert NODE_CLASSES - set(_RENDERERS) == set()


def test_every_root_and_json_condition_has_an_evaluator() -> None:
    assert ROOTS - set(_PATTERN_COMPILERS) == set()
    json_nodes = {ast.JsonCompare, ast.JsonIs, ast.JsonNotExists, ast.And, ast.Or}
    assert json_nodes - set(_JSON_COMPILERS) == set()


def test_every_root_can_be_explained() -> None:
    assert ROOTS - set(_EXPLAINERS) == set()


def test_every_grammar_rule_and_alias_has_a_tree_builder() -> None:
    grammar = Lark(grammar_text(), parser="lalr", start=["term_pattern"])
    names = set()
    for rule in grammar.rules:
        name = rule.alias or rule.origin.name
        if not str(name).startswith("_") and name not in ("value", "field"):
            names.add(str(name))
    missing = {name for name in names if not callable(getattr(_ToAst, name, None))}
    assert missing == set()


def test_an_unknown_root_raises_instead_of_matching() -> None:
    class Strange(ast.Pattern):
        __slots__ = ()

        def __hash__(self) -> int:
            return 0

    with pytest.raises(cwquery.UnsupportedPatternError):
        cwquery.compile(Strange())


def test_every_node_class_is_produced_by_the_compliance_suite() -> None:
    seen: set[type] = set()
    suite = Path(__file__).parent / "compliance"
    for path in suite.glob("*.json"):
        if path.name == "schema.json":
            continue
        for group in json.loads(path.read_text(encoding="utf-8"))["groups"]:
            for case in group["cases"]:
                if "error" not in case:
                    seen |= _classes(cwquery.parse(case["pattern"]))
    assert NODE_CLASSES - seen == set()


def _classes(node: object) -> set[type]:
    found = {type(node)}
    for name in getattr(node, "__slots__", ()):
        value = getattr(node, name, None)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, ast.Node):
                found |= _classes(child)
    return found

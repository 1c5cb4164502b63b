"""Trees nested far deeper than Python's recursion limit (built directly, as a program may):
``ast.walk`` and ``contains_regex`` use a stack, not recursion."""

from __future__ import annotations

import sys

from cwquery.ast import (
    And,
    JsonCompare,
    JsonExpr,
    JsonNotExists,
    JsonPattern,
    Key,
    Operator,
    Or,
    Regex,
    Selector,
    contains_regex,
    walk,
)


def _deep(levels: int) -> JsonPattern:
    """``&&`` and ``||`` alternating ``levels`` deep, a regex in the innermost condition."""
    expr: JsonExpr = JsonCompare(Selector((Key("z"),)), Operator.EQ, Regex("x+"))
    for level in range(levels):
        kind = And if level % 2 else Or
        expr = kind((JsonNotExists(Selector((Key(f"k{level}"),))), expr))
    return JsonPattern(expr)


def test_walk_and_contains_regex_survive_a_tree_deeper_than_the_recursion_limit() -> None:
    levels = sys.getrecursionlimit() * 3
    tree = _deep(levels)
    nodes = list(walk(tree))
    assert len(nodes) == 1 + levels * 4 + 4  # root; per level: node, condition, selector, key
    assert type(nodes[-1]) is Regex
    assert contains_regex(tree)

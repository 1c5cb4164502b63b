"""Hostile Logs Insights queries: deep nesting, long chains and huge texts are refused with a
QueryError (never a RecursionError), and the deepest accepted queries parse, compare and render."""

from __future__ import annotations

import pytest

from cwquery.insights import QueryError, parse, render
from cwquery.insights.parser import MAX_DEPTH, MAX_QUERY_LENGTH


@pytest.mark.parametrize(
    "query",
    [
        "fields " + "-" * 3000 + "1",
        "fields " + "not " * 2000 + "a",
        "filter " + " or ".join(["a = 1"] * 1000),
        "fields " + "abs(" * 1500 + "1" + ")" * 1500,
        "fields " + "[" * 3000 + "]" * 3000,
        "fields " + "2 ^ " * 2000 + "2",
        "fields a" + "[0]" * 2000,
    ],
    ids=["negations", "nots", "or-chain", "calls", "lists", "powers", "indexes"],
)
def test_deep_queries_are_refused_with_a_limit_error(query: str) -> None:
    assert len(query) <= MAX_QUERY_LENGTH
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.code == "limit"
    assert caught.value.message == f"the query nests more than {MAX_DEPTH} levels deep"


def test_the_deepest_accepted_chain_parses_compares_and_renders() -> None:
    query = "filter " + " or ".join(["a = 1"] * (MAX_DEPTH - 5))
    tree = parse(query)
    assert parse(render(tree)) == tree
    assert hash(tree) == hash(parse(query))


def test_parentheses_alone_do_not_nest_the_tree() -> None:
    tree = parse("fields " + "(" * 2000 + "a" + ")" * 2000)
    assert render(tree) == "fields a"


def test_a_query_over_the_length_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(QueryError) as caught:
        parse("fields " + "(" * MAX_QUERY_LENGTH)
    assert caught.value.code == "limit"

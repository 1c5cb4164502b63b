"""Candidate searches on hostile keys, literals and blocks: no exception, no missed match."""

from __future__ import annotations

import sys

import pytest

from cwquery import compile
from cwquery.ast import (
    And,
    JsonCompare,
    JsonExpr,
    JsonIs,
    JsonPattern,
    Key,
    Number,
    Operator,
    Or,
    Selector,
    String,
    TruthTest,
)
from cwquery.candidates import CandidateSearch, json_candidate_regexes


def _compare(key: str, op: Operator, value: String | Number) -> JsonPattern:
    return JsonPattern(JsonCompare(Selector((Key(key),)), op, value))


@pytest.mark.parametrize("key", ['a"b', "a\\b", "a\nb", "a\x00b", "\ufffd", "a\ud800"])
def test_keys_no_json_line_can_hold_plainly_give_no_search(key: str) -> None:
    assert json_candidate_regexes(_compare(key, Operator.GT, Number("1"))) == ()
    assert json_candidate_regexes(JsonPattern(JsonIs(Selector((Key(key),)), TruthTest.NULL))) == ()


@pytest.mark.parametrize("text", ['a"b', "a\\b", "\t", "\ufffd", "x\ud800"])
def test_string_values_no_json_line_can_hold_plainly_fall_back_to_the_key(text: str) -> None:
    (source,) = json_candidate_regexes(_compare("k", Operator.EQ, String(text)))
    assert list(CandidateSearch([source]).lines(b'{"k":1}\n{"j":1}')) == [b'{"k":1}']


@pytest.mark.parametrize("literal", ["1e999", "-1e999", "9" * 400, "1e-999", "-0", "0.0"])
@pytest.mark.parametrize("op", [Operator.LT, Operator.LE, Operator.GT, Operator.GE, Operator.EQ])
def test_extreme_literals_build_bounded_searches(literal: str, op: Operator) -> None:
    pattern = _compare("n", op, Number(literal))
    sources = json_candidate_regexes(pattern)
    assert sources
    lines = ['{"n":1e308}', '{"n":-1e308}', '{"n":0}', '{"n":-0.0}', '{"n":5e-324}', '{"n":"-0"}']
    lines += ['{"n":' + "9" * 300 + "}", '{"n":-' + "9" * 300 + "}", '{"n":"' + literal + '"}']
    found = list(CandidateSearch(sources).lines("\n".join(lines).encode()))
    for line in lines:
        if compile(pattern).matches(line):
            assert line.encode() in found, line


def test_long_lines_with_many_keys_and_no_line_end() -> None:
    pattern = _compare("k", Operator.GT, Number("5"))
    line = "{" + ",".join(['"k":1'] * 50_000 + ['"k":6']) + "}"
    block = ("x\n" * 3 + line).encode()
    assert compile(pattern).matches(line)
    assert list(CandidateSearch(json_candidate_regexes(pattern)).lines(block)) == [line.encode()]


def test_a_line_with_several_matches_is_yielded_once() -> None:
    pattern = _compare("k", Operator.EQ, String("*"))
    block = b'{"k":1,"k":2,"k":3}\n\n{"k":"x"}\r\n{"k":null}'
    found = list(CandidateSearch(json_candidate_regexes(pattern)).lines(block))
    assert found == [b'{"k":1,"k":2,"k":3}', b'{"k":"x"}']


def test_a_tree_nested_deeper_than_the_stack_gives_no_search() -> None:
    node: JsonExpr = JsonCompare(Selector((Key("a"),)), Operator.EQ, Number("1"))
    for level in range(sys.getrecursionlimit() * 2):
        other = JsonCompare(Selector((Key(f"k{level}"),)), Operator.GT, Number("1"))
        node = And((node, other)) if level % 2 else Or((node, other))
    assert json_candidate_regexes(JsonPattern(node)) == ()

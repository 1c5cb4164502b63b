"""Normal forms: what they equate, what they keep apart, and that they never change which events
match."""

from __future__ import annotations

import random
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_exprs, patterns, term_patterns

from cwquery import ast, compile, parse, render
from cwquery.cli.patterns import equal
from cwquery.normalizer import equivalent, normalize

EQUAL = [
    ('{ $.a = 1 && $.b = "x" }', "{($.b=x)&&($.a=1)}"),
    ("{ $.a = 1 || ($.b = 2 && $.c = 3) }", "{ ($.c = 3 && $.b = 2) || $.a = 1 }"),
    ("{ $.a = 1 && ($.b = 2 || $.c = 3) }", "{ ($.c = 3 || $.b = 2) && $.a = 1 }"),
    ('{ $.a = "x" || $.a = "x" }', "{ $.a = x }"),
    ("{ ($.a = 1 || $.a = 1) && $.b = 2 }", "{ $.b = 2 && $.a = 1 }"),
    ("{ $.['key'] = 1 }", "{ $.key = 1 }"),
    ("ERROR -DEBUG timeout", "timeout -DEBUG ERROR"),
    ("ERROR ERROR", '"ERROR"'),
    ("?b ?a", "?a ?b ?a"),
    ("?ERROR", "ERROR"),
    ("?ERROR ?WARN REQUEST", "REQUEST"),  # D3: the ?-terms are ignored
    ("?ERROR -DEBUG", "-DEBUG"),
    ("[a, b = 1 || b = 2, ...]", "[a, b = 2 || b = 1, ...]"),
    ("[a = x* && a != xy]", '[a != "xy" && a = "x*"]'),
    ("", '" "'),
    ("%a|b%", "%a|b% "),
    ('" " ?x', '" " " "'),  # a blank phrase next to other items is searched for (D2)
    ('?"x"', '?"x" ?"x"'),
]

DIFFERENT = [
    ("a b", "a -b"),
    ("?a ?b", "a b"),
    ("{ $.a = 1000 }", "{ $.a = 1e3 }"),  # D12: the texts differ next to JSON strings
    ("{ $.a = 1 }", '{ $.a = "1" }'),
    ("{ $.a = 1 && $.b = 2 || $.c = 3 }", "{ $.a = 1 && ($.b = 2 || $.c = 3) }"),
    ("[a, b]", "[b, a]"),
    ("[a, b]", "[x, y]"),  # names are what $a and $x extract
    ("[a, ..., b]", "[a, b, ...]"),
    ("%ab%", "%ba%"),
    ("", "ERROR"),
    ('?" "', '" "'),  # a lone ?" " looks for a blank; a lone " " matches every event (D2)
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equivalent(a: str, b: str) -> None:
    assert equivalent(a, b) and equivalent(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_not_equivalent(a: str, b: str) -> None:
    assert not equivalent(a, b)


def test_normal_form_text() -> None:
    assert render(normalize('{ ($.b = "x") || ($.a = 1 && $.c IS NULL) }')) == (
        '{ $.a = 1 && $.c IS NULL || $.b = "x" }'
    )
    assert render(normalize("timeout -DEBUG ?x ERROR")) == "ERROR timeout -DEBUG"
    assert normalize(parse("%x%")) == parse("%x%")


def test_normalize_rejects_other_objects() -> None:
    with pytest.raises(TypeError):
        normalize(42)  # type: ignore[arg-type]


@settings(max_examples=100)
@given(patterns)
def test_normal_form_is_stable_and_round_trips(pattern: ast.Pattern) -> None:
    normal = normalize(pattern)
    assert normalize(normal) == normal
    assert parse(render(normal)) == normal


def _shuffled(expr: Any, rng: random.Random) -> Any:
    if isinstance(expr, ast.And | ast.Or):
        operands = [_shuffled(operand, rng) for operand in expr.operands]
        rng.shuffle(operands)
        return type(expr)(tuple(operands))
    return expr


@settings(max_examples=100)
@given(json_exprs, st.randoms(use_true_random=False))
def test_operand_order_does_not_matter(expr: Any, rng: random.Random) -> None:
    assert equivalent(ast.JsonPattern(expr), ast.JsonPattern(_shuffled(expr, rng)))


_EVENTS = [
    "{}",
    '{"a": 1, "b": "x", "c": null}',
    '{"a": "1", "b": ["x", "y"], "c": true}',
    '{"level": "ERROR", "latency": 1500}',
    "not json",
]


@settings(max_examples=100)
@given(json_exprs, st.lists(st.sampled_from(_EVENTS), min_size=1, max_size=3))
def test_normal_json_forms_match_the_same_events(expr: Any, events: list[str]) -> None:
    pattern = ast.JsonPattern(expr)
    original, normal = compile(pattern), compile(normalize(pattern))
    assert [original.matches(e) for e in events] == [normal.matches(e) for e in events]


@given(term_patterns, st.data())
def test_normal_term_forms_match_the_same_events(pattern: ast.TermPattern, data: Any) -> None:
    """Messages built from the pattern's own terms exercise every required, excluded and
    optional item; the normal form (sorted, deduplicated, D3 applied) must agree on each."""
    texts = [term.text for term in pattern.terms]
    original, normal = compile(pattern), compile(normalize(pattern))
    for _ in range(5):
        chosen = data.draw(st.lists(st.sampled_from(texts), max_size=len(texts)))
        message = " ".join(chosen)
        assert original.matches(message) == normal.matches(message), message


# --------------------------------------------------------------------------- cwquery equal


def _equal(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(equal, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_equal_command_exit_0_when_equal() -> None:
    code, out, _ = _equal("{($.a=1)&&($.b=x)}", '{ $.b = "x" && $.a = 1 }')
    assert code == 0 and out == 'equal: { $.a = 1 && $.b = "x" }\n'


def test_equal_command_exit_1_with_both_normal_forms() -> None:
    code, out, _ = _equal("ERROR -DEBUG", "")
    assert code == 1
    assert out == "different:\n  A: ERROR -DEBUG\n  B: (the empty pattern: every event)\n"


def test_equal_command_exit_2_on_invalid_pattern() -> None:
    code, out, err = _equal("{ $.a = 1 }", "{ $.a == 1 }")
    assert code == 2 and out == "" and err.startswith("pattern B: syntax: unexpected '='")


def test_equal_command_quiet() -> None:
    assert _equal("-q", "a b", "b a") == (0, "", "")
    assert _equal("--quiet", "a", "b") == (1, "", "")

"""covers(a, b): proofs, counter-examples and soundness against generated events."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from fastpath_strategies import (
    delimited_patterns,
    json_patterns,
    messages_for,
    regex_patterns,
    term_patterns,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cwquery
from cwquery import ast, limits
from cwquery.coverage import Coverage, covers
from cwquery.errors import PatternError
from cwquery.normalizer import equivalent


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ERROR", "ERROR timeout"),
        ("ERR", "ERROR"),
        ("?ERROR ?WARN", "WARN -DEBUG"),
        ("ERR -DEBUG", "ERROR -DEB"),
        ("x", "-x x"),  # B matches nothing
        ('{ $.a = 1 || $.b = "x" }', "{ $.a = 1 && $.c NOT EXISTS }"),
        ("{ $.a > 3 }", "{ $.a >= 4 }"),
        ("{ $.a != 5 }", '{ $.a = "x" }'),  # D12: != also matches a string
        ('{ $.a = "x*" }', '{ $.a = "xy*" }'),
        ("{ $.a = * }", '{ $.a = 1 || $.a = "y" || $.a IS TRUE }'),
        ("{ $.a.b = 1 }", "{ $.a.b = 1 && $.a.c = 2 }"),
        ("{ $.a = 1 }", "{ $.a = 1 && $.a = 2 }"),
        (
            '{ $.e = "*Unauthorized*" || $.e = "AccessDenied*" }',
            '{ $.e = "AccessDenied*" && $.s != "x" }',
        ),
        ("[a, b > 3]", "[x, y >= 4]"),
        ("[a, b = x*, ...]", "[a, b = xyz, ...]"),
        ("", "%anything%"),
        ("{ $.z = 1 }", "{ $.a[1] = 1 && $.a[0] NOT EXISTS }"),  # arrays have no holes
        ("{ $.a[0][0] NOT EXISTS }", "{ $.a[0].b = 1 }"),
    ],
)
def test_covers_holds(a: str, b: str) -> None:
    result = covers(a, b)
    assert result.holds is True, result


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ERROR timeout", "ERROR"),
        ("-DEBUG", ""),
        ("ERROR -x", "ERROR"),
        ("{ $.a > 4 }", "{ $.a > 3 }"),
        ("{ $.a != 5 }", "{ $.a IS NULL }"),  # D9
        ('{ $.a = "xy*" }', '{ $.a = "x*" }'),
        ("{ $.a >= 4 || $.a < 4 }", "{ $.a = * }"),  # D25: * also matches true
        ("{ $.a = 404 }", '{ $.a = "404" || $.a = 404.0 }'),
        ("[a, b = 4*]", "[x, y = 404]"),  # D27: +404 is 404 and does not start with 4
        ("[a, b = 404]", "[x, y = 4*]"),
        ("ERROR", '{ $.level = "ERROR" }'),  # D26: an escaped value is not the raw term
        ('{ $.level = "ERROR" }', "ERROR"),  # D10: text is not a JSON event
        ("ERROR", "%ERR%"),
        ("ERR", "%ERR|WARN%"),  # a sample of the regex's second branch
        ("{ $.a = %xy% }", "{ $.a = %x% }"),
        ("[a = %^4%]", "[a = 404]"),  # D27: +404
        ("{ $.a IS NULL }", "{ $.a > 1e308 }"),  # doubles go past 1e308 + 1
        ("[a < 1e999]", "[a > 1e308]"),  # D30: a token past the doubles is infinite
        # D15: no single token holds x"y z], the rest of the message after the first does
        ("[a, b = q]", '[a, b = "x\\"y z]" || b = q]'),
        ("{ $.a[*] = 1 }", "{ $.a[0] = 2 }"),
        ("{ $.a[0] = * || $.a[0] IS NULL }", "{ $.a[1] = 1 }"),  # $.a[0] may be an object
        ("{ $.a[0] IS NULL || $.a[0] = 1 }", "{ $.a[1] = 2 && $.a[0] NOT EXISTS || $.a[1] = 3 }"),
        ("[a, b, c]", "[a, b, ...]"),
    ],
)
def test_covers_fails_with_a_verified_counterexample(a: str, b: str) -> None:
    result = covers(a, b)
    assert result.holds is False, result
    assert result.counterexample is not None
    assert cwquery.compile(b).matches(result.counterexample)
    assert not cwquery.compile(a).matches(result.counterexample)


def test_escaped_json_value_is_found_against_a_term() -> None:
    result = covers("ERROR", '{ $.level = "ERROR" }')
    assert result.counterexample is not None
    assert json.loads(result.counterexample) == {"level": "ERROR"}
    assert "ERROR" not in result.counterexample


def test_undecided_answers_none_with_a_reason() -> None:
    result = covers("%ERR%", "ERROR")
    assert result == Coverage(None, None, result.reason) and result.reason


def test_exported_from_the_package() -> None:
    assert cwquery.covers is covers and cwquery.Coverage is Coverage


def test_pattern_errors_raise() -> None:
    with pytest.raises(PatternError):
        covers("{ $.a = }", "x")


# --------------------------------------------------------------------------- properties


def _limited(pattern: ast.Pattern) -> bool:
    try:
        limits.check_pattern(str(pattern), pattern)
    except PatternError:
        return False
    return True


_same_kind_pairs = st.one_of(
    st.tuples(term_patterns, term_patterns),
    st.tuples(json_patterns, json_patterns),
    st.tuples(delimited_patterns(), delimited_patterns()),
).filter(lambda pair: all(map(_limited, pair)))

_any_pairs = st.tuples(
    st.one_of(term_patterns, json_patterns, delimited_patterns(), regex_patterns),
    st.one_of(term_patterns, json_patterns, delimited_patterns(), regex_patterns),
).filter(lambda pair: all(map(_limited, pair)))

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _check(a: ast.Pattern, b: ast.Pattern, events: list[str]) -> None:
    result = covers(a, b)
    match_a, match_b = cwquery.compile(a).matches, cwquery.compile(b).matches
    if result.holds is True:
        for event in events:
            assert not match_b(event) or match_a(event), (str(a), str(b), event)
    elif result.holds is False:
        assert result.counterexample is not None
        assert match_b(result.counterexample) and not match_a(result.counterexample)
    else:
        assert result.counterexample is None


@_SETTINGS
@given(_same_kind_pairs, st.data())
def test_true_is_never_contradicted_same_kind(
    pair: tuple[ast.Pattern, ast.Pattern], data: st.DataObject
) -> None:
    a, b = pair
    events = data.draw(messages_for(b)) + data.draw(messages_for(a))
    _check(a, b, events)


@_SETTINGS
@given(_any_pairs, st.data())
def test_true_is_never_contradicted_any_kind(
    pair: tuple[ast.Pattern, ast.Pattern], data: st.DataObject
) -> None:
    a, b = pair
    _check(a, b, data.draw(messages_for(b)))


@_SETTINGS
@given(st.one_of(term_patterns, json_patterns, delimited_patterns()).filter(_limited))
def test_a_pattern_covers_itself(pattern: ast.Pattern) -> None:
    assert covers(pattern, pattern).holds is True


@_SETTINGS
@given(json_patterns.filter(_limited))
def test_equivalent_patterns_cover_each_other(pattern: ast.Pattern) -> None:
    normal = cwquery.normalize(pattern)
    assert equivalent(pattern, normal)
    assert covers(normal, pattern).holds is True and covers(pattern, normal).holds is True


# --------------------------------------------------------------------------- command line


def _run(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from cwquery.cli import main

    result = CliRunner().invoke(main, ["covers", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_covers_exits_0() -> None:
    code, out, _ = _run("ERROR", "ERROR timeout")
    assert code == 0 and out.startswith("covers:")


def test_cli_prints_the_counterexample_and_the_broken_conditions() -> None:
    code, out, _ = _run("ERROR timeout", "ERROR")
    assert code == 1
    assert "\n  ERROR\n" in out and "timeout: not found → false" in out


def test_cli_cannot_decide_exits_3() -> None:
    code, out, _ = _run("%ERR%", "ERROR")
    assert code == 3 and out.startswith("cannot decide:")


def test_cli_pattern_error_exits_2_with_a_caret() -> None:
    code, _, err = _run("{ $.a = ", "x")
    assert code == 2 and "pattern A" in err and "^" in err


def test_cli_json_format() -> None:
    code, out, _ = _run("--format", "json", "ERROR", '{ $.level = "ERROR" }')
    data = json.loads(out)
    assert code == 1 and data["holds"] is False and data["reason"]
    assert json.loads(data["counterexample"]) == {"level": "ERROR"}


# A small vocabulary, so that random pairs are often related and "covers" is often True.
_SMALL_SELECTORS = st.sampled_from(
    [
        ast.Selector((ast.Key("a"),)),
        ast.Selector((ast.Key("b"),)),
        ast.Selector((ast.Key("a"), ast.Key("b"))),
        ast.Selector((ast.Key("c"), ast.Index(0))),  # arrays have no holes
        ast.Selector((ast.Key("c"), ast.Index(1))),
        ast.Selector((ast.Key("c"), ast.Index(0), ast.Key("b"))),
        ast.Selector((ast.Key("w"), ast.AnyIndex())),  # D8: wildcards
        ast.Selector((ast.Key("v"), ast.AnyKey(), ast.Key("b"))),
    ]
)
_SMALL_VALUES = st.one_of(
    st.sampled_from(["1", "5", "5.0", "-0", "1e2", "100"]).map(ast.Number),
    st.sampled_from(["x", "x*", "*x", "xy", "*", "5", "100.0", "**", "", "*y*"]).map(ast.String),
)


@st.composite
def _small_atoms(draw: st.DrawFn) -> ast.JsonExpr:
    selector = draw(_SMALL_SELECTORS)
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return ast.JsonIs(selector, draw(st.sampled_from(ast.TruthTest)))
    if kind == 1:
        return ast.JsonNotExists(selector)
    value = draw(_SMALL_VALUES)
    ops = (
        list(ast.Operator) if isinstance(value, ast.Number) else [ast.Operator.EQ, ast.Operator.NE]
    )
    return ast.JsonCompare(selector, draw(st.sampled_from(ops)), value)


_small_exprs = st.recursive(
    _small_atoms(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: ast.combine(ast.And, ops)),
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: ast.combine(ast.Or, ops)),
    ),
    max_leaves=5,
)


@st.composite
def _related_pairs(draw: st.DrawFn) -> tuple[ast.Pattern, ast.Pattern]:
    first, second = draw(_small_exprs), draw(_small_exprs)
    a, b = draw(
        st.sampled_from(
            [
                (first, second),
                (ast.combine(ast.Or, [first, second]), first),
                (first, ast.combine(ast.And, [first, second])),
            ]
        )
    )
    return ast.JsonPattern(a), ast.JsonPattern(b)


@_SETTINGS
@given(_related_pairs(), st.data())
def test_true_is_never_contradicted_related_json(
    pair: tuple[ast.Pattern, ast.Pattern], data: st.DataObject
) -> None:
    a, b = pair
    _check(a, b, data.draw(messages_for(b)) + data.draw(messages_for(a)))


@_SETTINGS
@given(_small_exprs, _small_exprs)
def test_weakening_and_strengthening_are_never_refuted(
    first: ast.JsonExpr, second: ast.JsonExpr
) -> None:
    either = ast.JsonPattern(ast.combine(ast.Or, [first, second]))
    both = ast.JsonPattern(ast.combine(ast.And, [first, second]))
    # never refuted; proved unless a value the procedure leaves untried takes part (a string
    # such as "100.0" that a number's text can equal, or the walk's bounds), and then it says so
    for found in (covers(either, ast.JsonPattern(first)), covers(ast.JsonPattern(first), both)):
        assert found.holds is not False, found
        assert found.holds is True or "untried" in found.reason, found


# Term patterns over a two-letter alphabet: every message up to six characters is tried, so a
# wrong "covers" or a missed counter-example cannot hide.
_TINY_WORDS = st.sampled_from(["a", "b", "ab", "ba", "aa", "a b", "bab"])
_tiny_terms = st.builds(
    lambda text, kind: ast.Term(text, kind, quoted=True), _TINY_WORDS, st.sampled_from(ast.TermKind)
)
_tiny_term_patterns = st.lists(_tiny_terms, min_size=1, max_size=3).map(
    lambda terms: ast.TermPattern(tuple(terms))
)
_EVERY_SHORT_MESSAGE = [
    "".join(chars) for size in range(7) for chars in itertools.product("ab ", repeat=size)
]


@_SETTINGS
@given(_tiny_term_patterns, _tiny_term_patterns)
def test_term_patterns_are_decided_exactly(a: ast.Pattern, b: ast.Pattern) -> None:
    result = covers(a, b)
    match_a, match_b = cwquery.compile(a).matches, cwquery.compile(b).matches
    missed = [m for m in _EVERY_SHORT_MESSAGE if match_b(m) and not match_a(m)]
    assert result.holds is (not missed), (str(a), str(b), missed[:3])


_TOKEN_VALUES = st.one_of(
    st.sampled_from(["1", "5", "5.0", "-0", "1e2", "100", "4"]).map(ast.Number),
    st.sampled_from(["x", "x*", "*x", "xy", "*", "5", "**", "", "*y*", "4*", "x y"]).map(
        ast.String
    ),
)


@st.composite
def _token_compares(draw: st.DrawFn) -> ast.FieldCompare:
    value = draw(_TOKEN_VALUES)
    ops = (
        list(ast.Operator) if isinstance(value, ast.Number) else [ast.Operator.EQ, ast.Operator.NE]
    )
    return ast.FieldCompare(draw(st.sampled_from(ops)), value)


_slot_conditions = st.lists(
    st.lists(_token_compares(), min_size=1, max_size=2).map(lambda c: ast.combine(ast.And, c)),
    min_size=1,
    max_size=2,
).map(lambda c: ast.combine(ast.Or, c))
_slots = st.one_of(st.just(ast.Field("f")), _slot_conditions.map(lambda c: ast.Field("f", c)))


@st.composite
def _delimited_pairs(draw: st.DrawFn) -> tuple[ast.Pattern, ast.Pattern]:
    size = draw(st.integers(1, 3))
    ellipsis = draw(st.sampled_from([None, 0, size]))

    def one() -> ast.DelimitedPattern:
        fields: list[ast.Field | ast.EllipsisField] = [draw(_slots) for _ in range(size)]
        if ellipsis is not None:
            fields.insert(ellipsis, ast.EllipsisField())
        return ast.DelimitedPattern(tuple(fields))

    return one(), one()


_TOKENS = ["1", "5", "5.0", "-0", "1e2", "100", "4", "+5", "05", "4x", "x", "xy", "x~", '""']
_TOKENS += ["y", "zxyz", "*", "yx", '"x y"', "0", "6", "3", "101", "5e0", "40", "x*y", "-1"]


@_SETTINGS
@given(_delimited_pairs(), st.randoms(use_true_random=False))
def test_delimited_true_is_never_contradicted(
    pair: tuple[ast.Pattern, ast.Pattern], rng: random.Random
) -> None:
    a, b = pair
    messages = [" ".join(rng.choices(_TOKENS, k=rng.randrange(1, 6))) for _ in range(300)]
    _check(a, b, messages)


# The CIS CloudWatch.1/.2/.4 style filters: the same filter written differently covers it; a
# filter missing a condition of the reference is covered by it but does not cover it (D9: a
# missing field fails !=).
_UNAUTHORIZED = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && '
    '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }'
)
_ROOT = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }'
)


@pytest.mark.parametrize(
    ("a", "b", "holds"),
    [
        (_UNAUTHORIZED, _UNAUTHORIZED.replace(" ", "").replace('"', ""), True),
        (_UNAUTHORIZED.replace(" ", ""), _UNAUTHORIZED, True),
        (
            _UNAUTHORIZED,
            '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }',
            False,
        ),
        (
            '{ $.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*" }',
            _UNAUTHORIZED,
            True,
        ),
        (_ROOT, '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', False),
        ('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', _ROOT, True),
        (
            "{ $.eventName = PutRolePolicy || $.eventName = CreatePolicy }",
            "{ $.eventSource = iam.amazonaws.com && "
            "($.eventName = CreatePolicy || $.eventName = PutRolePolicy) }",
            True,
        ),
    ],
)
def test_cis_style_filters(a: str, b: str, holds: bool) -> None:
    result = covers(a, b)
    assert result.holds is holds, result
    if not holds:
        assert result.counterexample is not None and cwquery.compile(b).matches(
            result.counterexample
        )

"""The builder: CDK's vocabulary and renderings, field() and column() comparisons, validation at
build time, and the round trip (every built pattern renders to text that parses back to it)."""

from __future__ import annotations

import operator
import subprocess
import sys
import warnings
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from strategies import delimited_patterns, json_exprs, plain_words

from cwquery import PatternError, ast, compile, equivalent, parse, render
from cwquery.builder import (
    Condition,
    all_,
    all_events,
    all_terms,
    any_,
    any_term,
    any_term_group,
    boolean_value,
    column,
    exists,
    field,
    is_null,
    literal,
    not_exists,
    number_value,
    regex,
    regex_value,
    space_delimited,
    string_value,
)
from cwquery.errors import PatternLimitError, RegexError

EXAMPLES = Path(__file__).parent.parent / "examples"


# --------------------------------------------------------------------------- CDK renderings

#: CDK's renderings (ecosystem reference §1.2) next to cwquery's canonical text of the same
#: pattern: strings are always quoted in both; terms are bare in cwquery when they are words.
CDK_CASES = [
    (lambda: all_terms("foo", "bar", "baz"), '"foo" "bar" "baz"', "foo bar baz"),
    (lambda: any_term("foo", "bar"), '?"foo" ?"bar"', "?foo ?bar"),
    (lambda: any_term("foo"), '"foo"', "foo"),
    (lambda: string_value("$.field", "=", "value"), '{ $.field = "value" }', None),
    (lambda: string_value("$.field", "==", "value"), '{ $.field = "value" }', None),
    (lambda: number_value("$.field", "<=", 300), "{ $.field <= 300 }", None),
    (lambda: regex_value("$.field", "=", "value"), "{ $.field = %value% }", None),
    (lambda: is_null("$.field"), "{ $.field IS NULL }", None),
    (lambda: not_exists("$.field"), "{ $.field NOT EXISTS }", None),
    (lambda: exists("$.field"), '{ $.field = "*" }', None),
    (lambda: boolean_value("$.field", True), "{ $.field IS TRUE }", None),
    (lambda: boolean_value("$.field", False), "{ $.field IS FALSE }", None),
    (
        lambda: all_(number_value("$.a", "<=", 300), string_value("$.b", "=", "v")),
        '{ ($.a <= 300) && ($.b = "v") }',
        '{ $.a <= 300 && $.b = "v" }',
    ),
    (
        lambda: any_(number_value("$.a", "<=", 300), string_value("$.b", "=", "v")),
        '{ ($.a <= 300) || ($.b = "v") }',
        '{ $.a <= 300 || $.b = "v" }',
    ),
    (
        lambda: all_(
            string_value("$.component", "=", "HttpServer"),
            any_(boolean_value("$.error", True), number_value("$.latency", ">", 1000)),
        ),
        '{ ($.component = "HttpServer") && (($.error IS TRUE) || ($.latency > 1000)) }',
        '{ $.component = "HttpServer" && ($.error IS TRUE || $.latency > 1000) }',
    ),
    (
        lambda: space_delimited("...", "status_code", "bytes").pattern,
        "[..., status_code, bytes]",
        None,
    ),
    (
        lambda: (
            space_delimited("...", "status_code", "bytes")
            .where_string("status_code", "=", "4*")
            .pattern
        ),
        '[..., status_code = "4*", bytes]',
        None,
    ),
    (
        lambda: (
            space_delimited("...", "status_code", "bytes")
            .where_number("status_code", "!=", 403)
            .pattern
        ),
        "[..., status_code != 403, bytes]",
        None,
    ),
    (
        lambda: (
            space_delimited("...", "status_code", "bytes")
            .where_string("status_code", "=", "4*")
            .where_number("status_code", "!=", 403)
            .pattern
        ),
        '[..., status_code = "4*" && status_code != 403, bytes]',
        None,
    ),
    (lambda: all_events(), "", None),
]


@pytest.mark.parametrize(("build", "cdk", "canonical"), CDK_CASES)
def test_cdk_renderings_mean_the_same(
    build: Callable[[], ast.Pattern], cdk: str, canonical: str | None
) -> None:
    pattern = build()
    assert isinstance(pattern, ast.Pattern)
    assert render(pattern) == (cdk if canonical is None else canonical)
    assert parse(cdk) == pattern  # CDK's text and the built tree are the same pattern
    assert parse(render(pattern)) == pattern


def test_any_term_group_renders_like_cdk_and_warns() -> None:
    with pytest.warns(UserWarning, match=r"ignores \?-terms next to plain terms \(D3\)"):
        pattern = any_term_group(["foo", "bar"], ["baz"])
    assert pattern == parse('?"foo" "bar" ?"baz"')
    # What the service does with it (D3): only "bar" counts.
    matcher = compile(pattern)
    assert matcher.matches("bar") and not matcher.matches("foo baz")


def test_any_term_group_without_mixing_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert render(any_term_group(["foo", "bar"])) == "foo bar"
        assert render(any_term_group(["foo"], ["baz"])) == "?foo ?baz"


def test_any_term_group_docstring_explains_d3() -> None:
    doc = any_term_group.__doc__ or ""
    assert "CloudWatch ignores" in doc and "D3" in doc and "UserWarning" in doc


def test_terms_beyond_cdk() -> None:
    assert render(all_terms("ERROR", "Task timed out", exclude=["DEBUG"])) == (
        'ERROR "Task timed out" -DEBUG'
    )
    assert all_terms() == ast.MatchAll()
    assert render(regex("ERROR|FATAL")) == "%ERROR|FATAL%"
    assert render(all_terms('say "hi"', "back\\slash")) == '"say \\"hi\\"" "back\\\\slash"'


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: string_value("status", "=", "401"), PatternError),  # CDK #15047
        (lambda: string_value("$.a", "<", "x"), ValueError),
        (lambda: string_value("$.a", "=~", "x"), ValueError),
        (lambda: string_value("$.a", "=", 1), TypeError),  # type: ignore[arg-type]
        (lambda: number_value("$.a", ">", float("inf")), ValueError),
        (lambda: number_value("$.a", ">", True), TypeError),
        (lambda: number_value("$.a", ">", "ten"), ValueError),
        (lambda: regex_value("$.a", "=", "ERR(OR)?"), RegexError),
        (lambda: regex_value("$.a", "=", "%x%"), ValueError),
        (lambda: regex_value("$.a", ">", "x"), ValueError),
        (lambda: boolean_value("$.a", "true"), TypeError),  # type: ignore[arg-type]
        (lambda: is_null("$.a[*].b[*]"), PatternError),
        (lambda: all_(), ValueError),
        (lambda: any_term(), ValueError),
        (lambda: any_term_group(), ValueError),
        (lambda: any_term_group([]), ValueError),
        (lambda: any_term_group("ab"), TypeError),
        (lambda: all_terms(""), ValueError),
        (lambda: all_terms(" "), ValueError),
        (lambda: all_terms("a", exclude="b"), TypeError),
        (lambda: regex("ERR(OR)?"), RegexError),
        (lambda: literal("{ $.a == 1 }"), PatternError),
        (lambda: space_delimited("ip", "...", "..."), ValueError),
        (lambda: space_delimited("ip address"), ValueError),
        (lambda: space_delimited("ip", "ip"), ValueError),
        (lambda: space_delimited("ip").where_string("user", "=", "x"), ValueError),
        (lambda: space_delimited("ip", "...").where_string("...", "=", "x"), ValueError),
        (lambda: space_delimited("ip").where_string("ip", ">", "x"), ValueError),
        (lambda: space_delimited("ip").where_number("ip", "=", "x"), ValueError),
        (lambda: space_delimited("ip").where_regex("ip", "=", "a(b)"), RegexError),
        (lambda: column("a") > "x", ValueError),
        (lambda: column("a b"), ValueError),
        (lambda: (column("a") == 1) & (column("b") == 2), ValueError),
    ],
)
def test_invalid_builds_raise_when_built(build: Callable[[], object], error: type) -> None:
    with pytest.raises(error):
        build()


def test_quotas_are_checked_on_the_combined_pattern() -> None:
    wildcards = [exists(f"$.{name}[*]") for name in "abcd"]
    with pytest.raises(PatternLimitError, match="more than 3 selectors with wildcards"):
        all_(all_(*wildcards[:2]), *wildcards[2:])
    with pytest.raises(PatternLimitError, match="more than 2 regexes"):
        _ = (
            field("$.a").matches_regex("x")
            | field("$.b").matches_regex("y")
            | field("$.c").matches_regex("z")
        )
    with pytest.raises(PatternLimitError):
        space_delimited("a", "b", "c").where_regex("a", "=", "x").where_regex(
            "b", "=", "y"
        ).where_regex("c", "=", "z")


def test_text_and_json_patterns_do_not_mix() -> None:
    json_pattern = exists("$.a")
    for text_pattern in (all_terms("ERROR"), regex("x"), all_events()):
        with pytest.raises(TypeError, match="text and JSON patterns cannot be mixed"):
            all_(json_pattern, text_pattern)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="text and JSON patterns cannot be mixed"):
            any_(text_pattern)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            _ = (field("$.a") == 1) & text_pattern
    with pytest.raises(TypeError):
        all_(space_delimited("a").pattern)  # type: ignore[arg-type]


def test_all_and_any_flatten_and_keep_a_single_operand() -> None:
    a, b, c = exists("$.a"), exists("$.b"), exists("$.c")
    assert all_(a) == a
    nested = all_(all_(a, b), c)
    assert isinstance(nested.expr, ast.And) and len(nested.expr.operands) == 3
    assert nested == parse('{ $.a = "*" && $.b = "*" && $.c = "*" }')
    mixed = any_(all_(a, b), any_(c, a))
    assert mixed == parse('{ $.a = "*" && $.b = "*" || $.c = "*" || $.a = "*" }')


def test_numbers_are_written_so_that_they_read_back() -> None:
    assert render(number_value("$.a", "=", 1.5e-7)) == "{ $.a = 1.5e-7 }"
    # floats as JavaScript, and so the CDK, writes them: 5.0 is 5, and the two are one pattern
    assert render(number_value("$.a", "=", 5.0)) == "{ $.a = 5 }"
    assert equivalent(number_value("$.a", "=", 5.0), parse("{ $.a = 5 }"))
    assert render(number_value("$.a", "<", 1e21)) == "{ $.a < 1e+21 }"
    assert render(number_value("$.a", "=", 10**20)) == "{ $.a = 100000000000000000000 }"
    assert render(number_value("$.a", "=", "+1e3")) == "{ $.a = +1e3 }"
    assert render(number_value("$.a", "=", -0.25)) == "{ $.a = -0.25 }"


def test_selectors_are_parsed_or_taken_as_trees() -> None:
    selector = ast.Selector((ast.Key("cluster.name"), ast.AnyIndex()))
    assert render(exists(selector)) == "{ $.['cluster.name'][*] = \"*\" }"
    assert str(field("$.['a.b'][0]") == "x") == "{ $.['a.b'][0] = \"x\" }"


# --------------------------------------------------------------------------- field() and column()


def test_field_comparisons() -> None:
    cases: list[tuple[Condition, str]] = [
        (field("$.a") == "x", '$.a = "x"'),
        (field("$.a") != "x", '$.a != "x"'),
        (field("$.a") == 3, "$.a = 3"),
        (field("$.a") < 1, "$.a < 1"),
        (field("$.a") <= 1, "$.a <= 1"),
        (field("$.a") > 1, "$.a > 1"),
        (field("$.a") >= 1.5, "$.a >= 1.5"),
        (field("$.a") == True, "$.a IS TRUE"),  # noqa: E712 - the overloaded operator
        (field("$.a") == False, "$.a IS FALSE"),  # noqa: E712
        (field("$.a") == None, "$.a IS NULL"),  # noqa: E711
        (field("$.a").is_true(), "$.a IS TRUE"),
        (field("$.a").is_false(), "$.a IS FALSE"),
        (field("$.a").is_null(), "$.a IS NULL"),
        (field("$.a").exists(), '$.a = "*"'),
        (field("$.a").not_exists(), "$.a NOT EXISTS"),
        (field("$.a").matches_regex("x+"), "$.a = %x+%"),
        (field("$.a").not_matches_regex("x+"), "$.a != %x+%"),
        (field("$.a") == ast.Regex("x+"), "$.a = %x+%"),
    ]
    for condition, text in cases:
        assert str(condition) == "{ " + text + " }"
        assert parse(str(condition)) == condition.pattern


def test_field_conditions_combine_with_and_or() -> None:
    condition = (field("$.latency") > 1000) & (field("$.level") == "ERROR") | exists("$.fatal")
    assert condition.pattern == parse('{ $.latency > 1000 && $.level = "ERROR" || $.fatal = "*" }')
    assert (exists("$.a") & (field("$.b") == 1)).pattern == all_(exists("$.a"), field("$.b") == 1)
    assert (
        all_(field("$.a") == 1, field("$.b") == 2)
        == ((field("$.a") == 1) & (field("$.b") == 2)).pattern
    )
    matcher = compile(condition.pattern)
    assert matcher.matches('{"latency": 1500, "level": "ERROR"}')
    assert not matcher.matches('{"latency": 1500, "level": "INFO"}')


def test_field_misuse_raises_type_error_with_advice() -> None:
    with pytest.raises(TypeError, match="parentheses"):
        _ = field("$.a") > 1 & field("$.b") == "x"
    with pytest.raises(TypeError, match="no truth value"):
        _ = (field("$.a") > 1) and (field("$.b") == 2)
    with pytest.raises(TypeError, match="no truth value"):
        _ = 1 < field("$.a") < 5
    with pytest.raises(TypeError, match="no truth value"):
        bool(field("$.a"))
    with pytest.raises(TypeError):
        hash(field("$.a"))
    with pytest.raises(TypeError):
        _ = field("$.a") == field("$.b")
    with pytest.raises(TypeError):
        _ = field("$.a") == [1]
    with pytest.raises(ValueError, match="no IS NOT"):
        _ = field("$.a") != None  # noqa: E711
    with pytest.raises(ValueError, match="compares numbers"):
        _ = field("$.a") > "x"


def test_ast_equality_stays_structural() -> None:
    built = string_value("$.a", "=", "x")
    assert (built == parse('{ $.a = "x" }')) is True
    assert (built != parse('{ $.a = "y" }')) is True
    assert hash(built) == hash(parse('{ $.a = "x" }'))


def test_column_conditions_allow_or_in_a_slot() -> None:
    built = space_delimited("ip", "...", "status", "bytes").where(
        (column("status") == 404) | ((column("status") >= 500) & (column("status") != 503))
    )
    assert built.pattern == parse(
        "[ip, ..., status = 404 || status >= 500 && status != 503, bytes]"
    )
    # && over || is spread into the disjunctive form a slot requires (D13)
    spread = space_delimited("s").where(
        ((column("s") == 1) | (column("s") == 2)) & (column("s") != 3)
    )
    assert str(spread) == "[s = 1 && s != 3 || s = 2 && s != 3]"
    again = spread.where(column("s") == 4)
    assert str(again) == "[s = 1 && s != 3 && s = 4 || s = 2 && s != 3 && s = 4]"
    assert str(space_delimited("s").where_regex("s", "!=", "^x")) == "[s != %^x%]"
    assert str(column("s") == "4*") == 's = "4*"'


def test_space_delimited_is_immutable() -> None:
    base = space_delimited("a", "b")
    narrowed = base.where_number("a", ">", 1)
    assert str(base) == "[a, b]" and str(narrowed) == "[a > 1, b]"


# --------------------------------------------------------------------------- round trips


_OPS: dict[ast.Operator, Callable[[Any, Any], Any]] = {
    ast.Operator.EQ: operator.eq,
    ast.Operator.NE: operator.ne,
    ast.Operator.LT: operator.lt,
    ast.Operator.GT: operator.gt,
    ast.Operator.LE: operator.le,
    ast.Operator.GE: operator.ge,
}


def _cdk_rebuild(expr: Any) -> ast.JsonPattern:
    """A JSON tree rebuilt with the CDK-style functions."""
    if isinstance(expr, ast.And):
        return all_(*(_cdk_rebuild(operand) for operand in expr.operands))
    if isinstance(expr, ast.Or):
        return any_(*(_cdk_rebuild(operand) for operand in expr.operands))
    selector = render(expr.selector)
    if isinstance(expr, ast.JsonNotExists):
        return not_exists(selector)
    if isinstance(expr, ast.JsonIs):
        if expr.test is ast.TruthTest.NULL:
            return is_null(selector)
        return boolean_value(selector, expr.test is ast.TruthTest.TRUE)
    value, op = expr.value, expr.op.value
    if isinstance(value, ast.Number):
        return number_value(selector, op, value.text)
    if isinstance(value, ast.Regex):
        return regex_value(selector, op, value.source)
    return string_value(selector, op, value.text)


def _pythonic_rebuild(expr: Any) -> Condition:
    """The same tree rebuilt with field() comparisons, & and |."""
    if isinstance(expr, ast.And):
        return reduce(operator.and_, (_pythonic_rebuild(o) for o in expr.operands))
    if isinstance(expr, ast.Or):
        return reduce(operator.or_, (_pythonic_rebuild(o) for o in expr.operands))
    target = field(render(expr.selector))
    if isinstance(expr, ast.JsonNotExists):
        return target.not_exists()
    if isinstance(expr, ast.JsonIs):
        return {"TRUE": target.is_true, "FALSE": target.is_false, "NULL": target.is_null}[
            expr.test.value
        ]()
    result: Condition = _OPS[expr.op](target, expr.value)
    return result


@settings(max_examples=120)
@given(json_exprs)
def test_every_json_tree_can_be_built_and_round_trips(expr: Any) -> None:
    try:
        expected = parse(render(ast.JsonPattern(expr)))
    except PatternError:  # beyond a quota (regexes or wildcards): the builder refuses it too
        with pytest.raises(PatternError):
            _cdk_rebuild(expr)
        with pytest.raises(PatternError):
            _pythonic_rebuild(expr)
        event("over a quota: refused")
        return
    event("built")
    built = _cdk_rebuild(expr)
    assert built == expected
    assert parse(render(built)) == built
    assert _pythonic_rebuild(expr).pattern == expected


def _column_rebuild(name: str, condition: Any) -> Any:
    if isinstance(condition, ast.And):
        return reduce(operator.and_, (_column_rebuild(name, o) for o in condition.operands))
    if isinstance(condition, ast.Or):
        return reduce(operator.or_, (_column_rebuild(name, o) for o in condition.operands))
    return _OPS[condition.op](column(name), condition.value)


def _every_column_named(pattern: ast.DelimitedPattern) -> ast.DelimitedPattern:
    """The pattern with unnamed and repeated columns renamed: only distinct named columns are
    buildable (as in CDK), and renaming keeps every example instead of rejecting most."""
    used: set[str] = set()
    fields: list[ast.Field | ast.EllipsisField] = []
    for index, f in enumerate(pattern.fields):
        if isinstance(f, ast.Field):
            name = f.name if f.name is not None and f.name not in used else f"col{index}"
            while name in used:
                name += "_"
            used.add(name)
            f = ast.Field(name, f.condition)
        fields.append(f)
    return ast.DelimitedPattern(tuple(fields))


@settings(max_examples=120)
@given(delimited_patterns().map(_every_column_named))
def test_every_named_delimited_pattern_can_be_built(pattern: ast.DelimitedPattern) -> None:
    try:
        expected = parse(render(pattern))
    except PatternError:
        expected = None
    if expected is None:
        with pytest.raises(PatternError):
            _delimited_rebuild(pattern)
        event("over a limit: refused")
        return
    event("built")
    built = _delimited_rebuild(pattern)
    assert built.pattern == expected
    assert parse(str(built)) == built.pattern


def _delimited_rebuild(pattern: ast.DelimitedPattern) -> Any:
    built = space_delimited(
        *("..." if isinstance(f, ast.EllipsisField) else f.name or "" for f in pattern.fields)
    )
    for f in pattern.fields:
        if isinstance(f, ast.Field) and f.condition is not None and f.name:
            built = built.where(_column_rebuild(f.name, f.condition))
    return built


@given(st.lists(st.one_of(plain_words, st.text(min_size=1, max_size=10)), min_size=1, max_size=5))
def test_term_builders_round_trip(texts: list[str]) -> None:
    assume(not (len(texts) == 1 and not texts[0].strip()))  # a lone blank term is no pattern
    for built in (all_terms(*texts), any_term(*texts), all_terms(exclude=texts)):
        assert parse(render(built)) == built
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grouped = any_term_group(texts, texts[:1])
    assert parse(render(grouped)) == grouped


def test_builder_example_script_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "builder.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "slow errors or retried" in done.stdout
    assert "any_term_group renders '?foo bar ?baz'" in done.stdout

"""Hypothesis strategies that build valid syntax trees (every tree ``parse(render(t)) == t``)."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from cwquery import ast, limits
from cwquery.errors import PatternError

_PLAIN = string.ascii_letters + string.digits + "_"
plain_words = st.text(_PLAIN, min_size=1, max_size=8)
any_text = st.text(max_size=12)
numbers = st.from_regex(r"\A[+-]?[0-9]{1,4}(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?\Z")
_REGEX_PIECES = [
    "abc",
    r"\d+",
    "[0-9]{1,2}",
    "^x",
    "y$",
    "a|b",
    r"\x3A",
    ".*",
    r"\.",
    "[^a-z]",
    r"\s",
    r"\w{,3}",
    "colou?r",
    "ab+c",
    "@:/;,#=-",
]
regexes = st.lists(st.sampled_from(_REGEX_PIECES), min_size=1, max_size=3).map(
    lambda pieces: ast.Regex("".join(pieces))
)

terms = st.builds(
    ast.Term,
    st.one_of(plain_words, st.text(min_size=1, max_size=12)),  # D2: "" is not a term
    st.sampled_from(ast.TermKind),
)


def _not_match_all(pattern: ast.TermPattern) -> bool:
    lone = pattern.terms[0]
    return not (
        len(pattern.terms) == 1 and lone.kind is ast.TermKind.REQUIRED and not lone.text.strip()
    )


term_patterns = (
    st.lists(terms, min_size=1, max_size=5)
    .map(lambda items: ast.TermPattern(tuple(items)))
    .filter(_not_match_all)
)

keys = st.one_of(plain_words, st.text(_PLAIN + ".-@ ", min_size=1, max_size=8)).map(ast.Key)
first_steps = st.one_of(keys, st.just(ast.AnyKey()))
later_steps = st.one_of(
    keys, st.just(ast.AnyKey()), st.just(ast.AnyIndex()), st.integers(0, 20).map(ast.Index)
)
selectors = st.builds(
    lambda first, rest: ast.Selector((first, *rest)),
    first_steps,
    st.lists(later_steps, max_size=3),
)
strings = st.builds(ast.String, any_text)
values = st.one_of(strings, numbers.map(ast.Number), regexes)


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[ast.Operator, ast.Value]:
    operator = draw(st.sampled_from(ast.Operator))
    value = draw(numbers.map(ast.Number)) if operator.is_relational else draw(values)
    return operator, value


json_conditions = st.one_of(
    st.builds(lambda s, c: ast.JsonCompare(s, *c), selectors, comparisons()),
    st.builds(ast.JsonIs, selectors, st.sampled_from(ast.TruthTest)),
    st.builds(ast.JsonNotExists, selectors),
)


def _all_of(operands: list[ast.JsonExpr]) -> ast.JsonExpr:
    flat: list[ast.JsonExpr] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, ast.And) else (operand,))
    return flat[0] if len(flat) == 1 else ast.And(tuple(flat))


def _any_of(operands: list[ast.JsonExpr]) -> ast.JsonExpr:
    flat: list[ast.JsonExpr] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, ast.Or) else (operand,))
    return flat[0] if len(flat) == 1 else ast.Or(tuple(flat))


json_exprs = st.recursive(
    json_conditions,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(_all_of),
        st.lists(inner, min_size=2, max_size=3).map(_any_of),
    ),
    max_leaves=8,
)

field_compares = comparisons().map(lambda c: ast.FieldCompare(*c))
field_ands = st.one_of(
    field_compares,
    st.lists(field_compares, min_size=2, max_size=3).map(lambda ops: ast.And(tuple(ops))),
)
field_conditions = st.one_of(
    field_ands,
    st.lists(field_ands, min_size=2, max_size=3).map(lambda ops: ast.Or(tuple(ops))),
)
field_names = st.text(_PLAIN + "-", min_size=1, max_size=8)
fields = st.one_of(
    st.just(ast.Field()),
    st.builds(ast.Field, field_names),
    st.builds(ast.Field, field_names, field_conditions),
)


@st.composite
def delimited_patterns(draw: st.DrawFn) -> ast.DelimitedPattern:
    chosen: list[ast.Field | ast.EllipsisField] = list(draw(st.lists(fields, max_size=5)))
    if draw(st.booleans()):
        chosen.insert(draw(st.integers(0, len(chosen))), ast.EllipsisField())
    if chosen == [ast.Field()]:
        chosen = []
    return ast.DelimitedPattern(tuple(chosen))


def _within_limits(pattern: ast.Pattern) -> bool:
    try:
        limits.check_length(str(pattern))
        limits.check_pattern(str(pattern), pattern)
    except PatternError:
        return False
    return True


patterns = st.one_of(
    st.just(ast.MatchAll()),
    term_patterns,
    regexes.map(ast.RegexPattern),
    json_exprs.map(ast.JsonPattern),
    delimited_patterns(),
).filter(_within_limits)

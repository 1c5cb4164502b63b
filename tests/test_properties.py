"""Properties that hold for every tree and every text (Hypothesis)."""

from hypothesis import event, example, given
from hypothesis import strategies as st
from strategies import patterns

from cwquery import PatternError, parse, render
from cwquery.ast import Pattern

_PATTERN_PIECES = [*"{}[]()$.*\"'%?-=!<>&|, \t\n\\"]
_PATTERN_PIECES += ["$.a", "IS", "NOT", "EXISTS", "NULL", "...", "[0]", "[*]", "&&", "||"]
_PATTERN_PIECES += ["ERROR", "1", "x", "é", "\x00"]
_PATTERN_ALPHABET = st.sampled_from(_PATTERN_PIECES)
pattern_like_text = st.lists(_PATTERN_ALPHABET, max_size=40).map("".join)


@given(patterns)
def test_render_then_parse_gives_the_same_tree(tree: Pattern) -> None:
    assert parse(render(tree)) == tree


@given(patterns)
def test_canonical_text_is_a_fixed_point(tree: Pattern) -> None:
    text = render(tree)
    assert render(parse(text)) == text


@given(st.one_of(st.text(max_size=200), pattern_like_text))
@example("{ " + "(" * 500 + "$.a = 1" + ")" * 500 + " }")
@example("{ " + "(" * 600 + " }")
@example("[" + "a=1 && " * 140 + "a=1]")
@example("{" * 1024)
def test_any_text_parses_or_raises_a_pattern_error(text: str) -> None:
    try:
        tree = parse(text)
    except PatternError as err:
        assert 0 <= err.offset <= len(text)
        assert err.code in ("syntax", "invalid-regex", "limit", "unsupported")
        assert str(err).splitlines()[0].endswith(f"(line {err.line}, column {err.column})")
        event(f"refused: {err.code}")
        return
    event("parsed")
    assert isinstance(tree, Pattern)
    if len(render(tree)) <= 1024:  # canonical spacing can push a long pattern past the limit
        assert parse(render(tree)) == tree


def test_deeply_nested_parentheses_do_not_overflow() -> None:
    text = "{ " + "(" * 505 + "$.a = 1" + ")" * 505 + " }"
    assert len(text) <= 1024
    assert str(parse(text)) == "{ $.a = 1 }"
    nested = "{ " + "($.a = 1 && " * 60 + "$.b = 2" + ")" * 60 + " }"
    assert parse(str(parse(nested))) == parse(nested)

"""``to_insights``: a filter pattern's Logs Insights translation selects exactly the events the
pattern matches, and a pattern without one is refused with its reason."""

from __future__ import annotations

import json

import fastpath_strategies
import pytest
import strategies
from click.testing import CliRunner
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from test_reference_dialect import _TEXT_ALPHABET, dialect_regexes

from cwquery import PatternError, ast, compile, parse, render
from cwquery.cli import main
from cwquery.insights import parse as parse_query
from cwquery.insights import run, to_insights
from cwquery.insights.translate import MATCH_ALL_QUERY, Translation, regex_literal


def selects(query: str, message: str) -> bool:
    """Whether ``query`` keeps the one event holding ``message``."""
    return bool(run(query, [{"timestamp": 0, "message": message}])["results"])


def agree(pattern: ast.Pattern, messages: list[str]) -> None:
    try:
        tree = parse(render(pattern))
    except PatternError:
        reject()
    translation = to_insights(tree)
    if not translation.exact:
        assert translation.reason
        return
    assert translation.query is not None
    matcher = compile(tree)
    for message in messages:
        assert selects(translation.query, message) == matcher.matches(message), (
            render(tree),
            translation.query,
            message,
        )


_text_patterns = st.one_of(
    strategies.term_patterns,
    fastpath_strategies.term_patterns,
    strategies.regexes.map(ast.RegexPattern),
    fastpath_strategies.regex_patterns,
)
_messages = st.lists(st.text(max_size=20), max_size=3)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_translation_selects_the_same_events(data: st.DataObject) -> None:
    pattern = data.draw(st.one_of(_text_patterns, fastpath_strategies.patterns))
    messages = data.draw(fastpath_strategies.messages_for(pattern)) + data.draw(_messages)
    agree(pattern, messages)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_text_patterns, st.data())
def test_messages_holding_the_literals(pattern: ast.Pattern, data: st.DataObject) -> None:
    """Messages glued from the pattern's own words, so that matches are common."""
    words = [*fastpath_strategies.literal_words(pattern), " ", "\n", "\r", "\t", "x", "é"]
    pieces = st.lists(st.sampled_from(words), max_size=6).map("".join)
    agree(pattern, data.draw(st.lists(pieces, min_size=1, max_size=4)))


#: The dialect tests' texts without the lone surrogate: no CloudWatch message holds one (they
#: are UTF-8), and ``run`` cannot encode it.
_TEXTS = _TEXT_ALPHABET.replace("\ud800", "")


@settings(max_examples=300, deadline=None)
@given(dialect_regexes(), st.lists(st.text(_TEXTS, max_size=8), min_size=1, max_size=4))
def test_regex_patterns_of_the_whole_dialect(body: str, messages: list[str]) -> None:
    """Every operator, class and escape of the dialect (D19, D23), against texts of blanks,
    CR, form feed, and non-ASCII letters and digits."""
    try:
        pattern = ast.RegexPattern(ast.Regex(body))
        parse(render(pattern))
    except PatternError:
        reject()
    agree(pattern, [*messages, *_TEXTS])


_slots = st.sampled_from([ast.Field("a"), ast.Field(), ast.Field("b_2")])


@st.composite
def counting_patterns(draw: st.DrawFn) -> ast.DelimitedPattern:
    """Space-delimited patterns without conditions: fields, empty fields, maybe one ``...``."""
    fields: list[ast.Field | ast.EllipsisField] = draw(st.lists(_slots, max_size=4))
    if draw(st.booleans()):
        fields.insert(draw(st.integers(0, len(fields))), ast.EllipsisField())
    if fields == [ast.Field()]:
        fields.append(ast.Field())
    return ast.DelimitedPattern(tuple(fields))


#: Pieces of messages that exercise D14: blanks, groups (closed, open, glued to a word).
_PIECES = [
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\x0c",
    "a",
    "b c",
    '"',
    '"x y"',
    "[",
    "]",
    "[p q]",
    "é",
    "z",
]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(counting_patterns(), st.lists(st.lists(st.sampled_from(_PIECES), max_size=7).map("".join)))
def test_delimited_patterns_without_conditions(
    pattern: ast.DelimitedPattern, messages: list[str]
) -> None:
    agree(pattern, [*messages, *_PIECES, ""])


@pytest.mark.parametrize(
    ("pattern", "query"),
    [
        ("ERROR", 'filter @message like "ERROR"'),
        ('"INTERNAL SERVER ERROR"', 'filter @message like "INTERNAL SERVER ERROR"'),
        ("ERROR ARGUMENTS", 'filter @message like "ERROR" and @message like "ARGUMENTS"'),
        ("ERROR -ARGUMENTS", 'filter @message like "ERROR" and @message not like "ARGUMENTS"'),
        ("-DEBUG", 'filter @message not like "DEBUG"'),
        ("?ERROR ?WARN", 'filter @message like "ERROR" or @message like "WARN"'),
        # D3: the ? terms next to a plain term are ignored
        ("?ERROR ?ARGUMENTS REQUEST", 'filter @message like "REQUEST"'),
        (
            '"say \\"hi\\"" "C:\\\\dir"',
            'filter @message like "say \\"hi\\"" and @message like "C:\\\\dir"',
        ),
        ("", MATCH_ALL_QUERY),
        ('" "', MATCH_ALL_QUERY),
        ("%AUTHORIZED%", "filter @message like /AUTHORIZED/"),
        ("%a\\sb%", "filter @message like /a[\\t\\n ]b/"),
        ("%x{,2}/y%", "filter @message like /x{0,2}\\/y/"),
        ("%x\\/y%", "filter @message like /x\\/y/"),
        ("[]", MATCH_ALL_QUERY),
        ("[...]", MATCH_ALL_QUERY),
    ],
)
def test_text_patterns(pattern: str, query: str) -> None:
    translation = to_insights(pattern)
    assert translation.query == query
    assert translation.exact and translation.reason is None
    parse_query(query)  # a valid query


@pytest.mark.parametrize(
    ("pattern", "selected", "left_out"),
    [
        ("ERROR", "Exiting with ERRORCODE: -1", "error"),
        ("?ERROR ?ARGUMENTS REQUEST", "[INFO] REQUEST FAILED", "[ERROR] ARGUMENTS"),
        ("ERROR -ARGUMENTS", "[ERROR 400] BAD REQUEST", "[ERROR 420] INVALID ARGUMENTS"),
        ("%^a\\sb%", "a\nb", "a\rb"),  # D23: \s is tab, space and newline, not CR
        ("%10.10.0.1%", "10010,051", "10.10.0.2"),
        ('"a\rb"', "xa\rb", "a\nb"),
    ],
)
def test_selected_events(pattern: str, selected: str, left_out: str) -> None:
    query = to_insights(pattern).query
    assert query is not None
    assert compile(pattern).matches(selected) and selects(query, selected)
    assert not compile(pattern).matches(left_out) and not selects(query, left_out)


@pytest.mark.parametrize(
    "message",
    [
        '{"@message":"\\u0041"}',
        'text {"@message":"\\u0041"}',
        '{"@message":{"a":"\\u0041"}}',
        '{"message":"\\u0041"}',
    ],
)
def test_a_discovered_field_never_stands_for_the_raw_message(message: str) -> None:
    """D26 reads the raw text: a JSON member named like @message (shown as @@message) must not
    replace it, or an escaped letter would match."""
    assert not compile("A").matches(message)
    assert not selects('filter @message like "A"', message)


def test_terms_are_case_sensitive() -> None:
    query = to_insights("Error").query
    assert query is not None
    assert not selects(query, "ERROR") and not compile("Error").matches("ERROR")
    assert selects(query, "xErrorx")


def test_a_control_character_is_written_as_a_regex() -> None:
    assert to_insights('"a\rb"').query == "filter @message like /a\\x{d}b/"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ('{ $.level = "ERROR" }', ["D10", "§9.2"]),
        ("{ $.a IS NULL }", ["D10", "null"]),
        ("{ $.a[*] = 1 }", ["[*]"]),
        ("{ $.* = x }", [".*"]),
        ("{ $.a = 90 }", ["D12"]),
        ("[ip, user, status = 404, size]", ["D14", "D15"]),
        ("[a, b = 1]", ["D14"]),
        ("[" + ", ".join(f"f{i}" for i in range(101)) + "]", ["101 tokens"]),
    ],
)
def test_refusals(pattern: str, words: list[str]) -> None:
    translation = to_insights(pattern)
    assert translation.query is None and not translation.exact
    assert translation.reason is not None
    for word in words:
        assert word in translation.reason
    assert translation.as_dict()["reason"] == translation.reason


def test_pattern_errors_raise() -> None:
    with pytest.raises(PatternError):
        to_insights("{ $.a = }")


def test_a_tree_is_accepted() -> None:
    translation = to_insights(ast.TermPattern((ast.Term("a"),)))
    assert translation.pattern == "a" and translation.query == 'filter @message like "a"'


def test_translation_has_one_outcome() -> None:
    with pytest.raises(ValueError, match="either"):
        Translation("a", None, None)
    with pytest.raises(ValueError, match="either"):
        Translation("a", "filter x", "why")


def test_regex_slashes() -> None:
    assert regex_literal("a/b[/]") == "/a\\/b[\\/]/"


# ----------------------------------------------------------------------------- command line


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["to-insights", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_prints_the_query() -> None:
    code, out, err = cli("ERROR -DEBUG")
    assert (code, out, err) == (
        0,
        'filter @message like "ERROR" and @message not like "DEBUG"\n',
        "",
    )


def test_cli_without_a_translation_exits_1_with_the_reason() -> None:
    code, out, err = cli("[ip, status = 404]")
    assert code == 1 and out == ""
    assert err.startswith("no exact translation: a space-delimited pattern")


def test_cli_pattern_error_exits_2_with_a_caret() -> None:
    code, out, err = cli("{ $.a = }")
    assert code == 2 and out == ""
    assert "syntax:" in err and "\n          ^\n" in err


def test_cli_json() -> None:
    code, out, _ = cli("--format", "json", "%a/b%")
    assert code == 0
    assert json.loads(out) == {
        "pattern": "%a/b%",
        "exact": True,
        "query": "filter @message like /a\\/b/",
        "reason": None,
    }
    code, out, _ = cli("--format", "json", "{ $.a = 1 }")
    shown = json.loads(out)
    assert code == 1 and shown["exact"] is False and shown["query"] is None
    assert "D10" in shown["reason"]


def test_a_query_over_the_length_limit_is_refused() -> None:
    """A tree (not held to the pattern length limit) whose query would be too long."""
    words = tuple(ast.Term(f"w{n}", ast.TermKind.EXCLUDED) for n in range(500))
    regex = ast.RegexPattern(ast.Regex("\\s" * 2000))
    for tree in (ast.TermPattern(words), regex):
        translation = to_insights(tree)
        assert translation.query is None
        assert translation.reason is not None and "at most 10000" in translation.reason

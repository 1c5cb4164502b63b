"""Candidate searches for JSON patterns (cwquery.candidates): every matching line that holds no
backslash is found, whatever the spelling of its values; the integer ranges are exact."""

from __future__ import annotations

import math
import operator
from random import Random

import pytest
from fastpath_strategies import (
    json_patterns,
    literal_words,
    messages_for,
    spellings,
    targeted_json_message,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cwquery import ast, compile, parse
from cwquery.ast import JsonPattern, Operator
from cwquery.candidates import (
    CandidateSearch,
    candidate_program,
    integer_range_regex,
    json_candidate_regex,
    json_candidate_regexes,
    json_candidate_searches,
    number_regex,
)
from cwquery.numbers import number_value
from cwquery.regex import MAX_PROGRAM_SIZE

_RELATIONS = {
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
    Operator.EQ: operator.eq,
}


def _as_line(message: str) -> str:
    """A message as one line: raw CR and LF only ever stand as JSON blanks here (strings escape
    them), so a tab or space in their place keeps the document."""
    return message.replace("\r", " ").replace("\n", "\t")


def _check_found(pattern: JsonPattern, lines: list[str], rng: Random) -> int:
    """Every line that matches and holds no backslash holds a match of each search and its
    literal, and the block reader yields it (by the first regex, or by its literal); returns
    how many such lines were checked."""
    searches = json_candidate_searches(pattern)
    if not searches:
        return 0
    sources = [search.source for search in searches]
    matcher = compile(pattern)
    wanted = [line for line in lines if "\\" not in line and matcher.matches(line)]
    for line in wanted:
        for search in searches:
            found = candidate_program(search.source).search(line.encode())
            assert found is not None, (str(pattern), search.source, line)
            assert search.literal is None or search.literal in line.encode(), (search, line)
    block_lines = [*lines, "x", ""]
    rng.shuffle(block_lines)
    block = "\n".join(block_lines).encode()
    readers = [CandidateSearch(sources)]
    if searches[0].literal is not None:
        readers.append(CandidateSearch(sources, literal=searches[0].literal))
    for reader in readers:
        found_lines = list(reader.lines(block))
        for line in wanted:
            assert line.encode() in found_lines, (str(pattern), sources, line)
    return len(wanted)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_patterns, st.data(), st.randoms(use_true_random=False))
def test_every_matching_line_without_backslash_is_a_candidate(
    pattern: JsonPattern, data: st.DataObject, rng: Random
) -> None:
    messages = data.draw(messages_for(pattern))
    words, conditions = literal_words(pattern), _conditions(pattern)
    messages += [targeted_json_message(rng, words, conditions) for _ in range(20)]
    _check_found(pattern, [_as_line(message) for message in messages], rng)


def _conditions(pattern: JsonPattern) -> list[ast.Node]:
    kinds = ast.JsonCompare | ast.JsonIs | ast.JsonNotExists
    return [node for node in ast.walk(pattern) if isinstance(node, kinds)]


# numbers near a comparison's bound, in every JSON spelling

_BOUNDS = ["0", "-0", "1", "-1", "90", "99", "100", "-90", "2.5", "-2.5", "1e2", "0.5", "1e15"]
_BOUNDS += ["999999999999999", "1e300", "1e999", "-1e999", "9007199254740993", "1" * 25]


def _near(text: str) -> list[float | int]:
    value = number_value(text)
    if isinstance(value, float) and not math.isfinite(value):
        return [0, 1, -1, 10**20]
    whole = math.floor(value)
    return [
        whole - 1,
        whole,
        whole + 1,
        value,
        -value,
        value + 0.5,
        value - 0.5,
        0,
        2**64,
        -(2**63),
    ]


def _spelled(rng: Random, value: float | int) -> str:
    if isinstance(value, int):
        forms = [str(value), f"{value}.0", f"{value:e}", f"{value:E}"]
        if value == 0:
            forms += ["-0", "-0.0", "0e5", "-0E-3"]
        return rng.choice(forms)
    return rng.choice([*spellings(repr(value)), repr(value)])


_LINE_BLANKS = ["", " ", "\t", " \t  "]


@st.composite
def _numeric_cases(draw: st.DrawFn) -> tuple[JsonPattern, list[str]]:
    rng = draw(st.randoms(use_true_random=False))
    bound = draw(st.sampled_from(_BOUNDS))
    op = draw(st.sampled_from([*_RELATIONS]))
    selector = draw(st.sampled_from(["$.n", "$.a.n", "$.a[*].n", "$.a[1]", "$.a.*", "$.*"]))
    pattern = parse(f"{{ {selector} {op.value} {bound} }}")
    assert isinstance(pattern, JsonPattern)
    lines = []
    for value in _near(bound):
        blank = rng.choice(_LINE_BLANKS)
        number = _spelled(rng, value)
        member = f'"n"{blank}:{rng.choice(_LINE_BLANKS)}{number}'
        nested = {
            "$.n": f"{{{member}{blank}}}",
            "$.a.n": f'{{"n":"x","a":{{"m":1,{member}}}}}',
            "$.a[*].n": f'{{"a":[{{"n":[]}},{{{member}}}]}}',
            "$.a[1]": f'{{"a":[0,{blank}{number}{blank}]}}',
            "$.a.*": f'{{"a":{{"b":{blank}{number}}}}}',
            "$.*": f'{{"n":{number},"n":{number}{blank}}}',
        }[selector]
        lines.append(rng.choice(["", " ", "\t"]) + nested)
    return pattern, lines


@settings(max_examples=800, deadline=None)
@given(_numeric_cases(), st.randoms(use_true_random=False))
def test_numbers_near_the_bound_in_every_spelling_are_found(
    case: tuple[JsonPattern, list[str]], rng: Random
) -> None:
    pattern, lines = case
    _check_found(pattern, lines, rng)


_CORES = ["ERR", "x y", "\u00e9t\u00e9", "1", "100.0", "1e2", "a*b", "-0", "true", ""]


@st.composite
def _string_cases(draw: st.DrawFn) -> tuple[JsonPattern, list[str]]:
    rng = draw(st.randoms(use_true_random=False))
    core = draw(st.sampled_from(_CORES))
    written = draw(st.sampled_from([core, "*" + core, core + "*", "*" + core + "*", "*"]))
    selector = draw(st.sampled_from(["$.s", "$.a.s", "$.a[*].s", "$.a[0]", "$.*"]))
    pattern = parse(f'{{ {selector} = "{written}" }}')
    assert isinstance(pattern, JsonPattern)
    lines = []
    for _ in range(8):
        pre, post = rng.choice(["", "p", "ERR"]), rng.choice(["", "q", " "])
        value = rng.choice(
            [
                f'"{pre}{core}{post}"',
                f'"{core}"',
                *spellings(core),
                rng.choice(["true", "false", "null", "[]", "{}", '"other"', "7"]),
            ]
        )
        blank = rng.choice(_LINE_BLANKS)
        member = f'"s"{blank}:{blank}{value}'
        document = {
            "$.s": f'{{"t":1,{member}}}',
            "$.a.s": f'{{"a":{{{member},"u":2}}}}',
            "$.a[*].s": f'{{"a":[1,{{{member}}}]}}',
            "$.a[0]": f'{{"a":[{blank}{value}]}}',
            "$.*": f'{{"z":{blank}{value}}}',
        }[selector]
        lines.append(document)
    return pattern, lines


@settings(max_examples=500, deadline=None)
@given(_string_cases(), st.randoms(use_true_random=False))
def test_strings_with_and_without_wildcards_are_found(
    case: tuple[JsonPattern, list[str]], rng: Random
) -> None:
    pattern, lines = case
    _check_found(pattern, lines, rng)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("{ $.n > 90 }", '{"n": 1e2}'),
        ("{ $.n > 90 }", '{"n":91}'),
        ("{ $.n > 90 }", '{"n":100000000000000000000000}'),
        ("{ $.n >= 0 }", '{"n":-0}'),
        ("{ $.n <= 0 }", '{"n":-0.0}'),
        ("{ $.n < -5 }", '{"n":-6 }'),
        ("{ $.n = 5 }", '{"n":"5"}'),
        ("{ $.n = 1e2 }", '{"n":100}'),
        ("{ $.n = 1e2 }", '{"n":"1e2"}'),
        ("{ $.n = 18446744073709551616 }", '{"n":18446744073709551617}'),
        ('{ $.n = "5" }', '{"n":5}'),
        ('{ $.n = "100.0" }', '{"n":1e2}'),
        ('{ $.n = "*rr" }', '{"n":"\u00e9rr"}'),
        ("{ $.n IS TRUE }", '{"n"\t:\ttrue}'),
        ("{ $.n = * }", '{"n":false}'),
        ('{ $.n != "x" }', '{"n":"y"}'),
        ("{ $.n = %x% }", '{"n":"axb"}'),
        ('{ $.k = "a" && ($.n > 1 || $.m IS NULL) }', '{"m":null,"k":"a"}'),
        ('{ $.n = "\u00e9*" }', '{"n":"\u00e9t\u00e9"}'),
    ],
)
def test_known_spellings_are_candidates(text: str, line: str) -> None:
    pattern = parse(text)
    assert isinstance(pattern, JsonPattern)
    assert compile(pattern).matches(line)
    assert _check_found(pattern, [line], Random(0)) == 1


def test_bytes_that_are_not_utf8_are_crossed() -> None:
    """An undecodable byte reads as U+FFFD and may sit inside a value a wildcard matches."""
    pattern = parse('{ $.n = "*x" }')
    assert isinstance(pattern, JsonPattern)
    line = b'{"n":"\xff\xe2\x82x"}'
    assert compile(pattern).matches(line.decode("utf-8", "replace"))
    assert list(CandidateSearch(json_candidate_regexes(pattern)).lines(line + b"\n")) == [line]


@pytest.mark.parametrize("by_literal", [False, True])
def test_lines_with_a_backslash_are_always_candidates(by_literal: bool) -> None:
    pattern = parse('{ $.level = "ERROR" }')
    assert isinstance(pattern, JsonPattern)
    (search,) = json_candidate_searches(pattern)
    assert search.literal == b'"ERROR"'
    reader = CandidateSearch([search.source], literal=search.literal if by_literal else None)
    block = b'{"level":"INFO"}\r\n{"level":"\\u0045RROR"}\r{"level":"ERROR"}\n{"level":"ERR"}'
    block += b'\n{"a":"\\\\","b":"\\\\"}\n{"a":1}\n{"level":"ERROR","x":"\\\\"}'
    assert list(reader.lines(block)) == [
        b'{"level":"\\u0045RROR"}',
        b'{"level":"ERROR"}',
        b'{"a":"\\\\","b":"\\\\"}',
        b'{"level":"ERROR","x":"\\\\"}',
    ]


def test_selective_searches_come_first_and_the_rest_filter_lines() -> None:
    pattern = parse('{ $.latency > 500 && $.level = "ERROR" }')
    assert isinstance(pattern, JsonPattern)
    sources = json_candidate_regexes(pattern)
    assert len(sources) == 2 and "ERROR" in sources[0] and "latency" in sources[1]
    block = b'{"level":"ERROR","latency":12}\n{"level":"INFO","latency":900}\n'
    block += b'{"level":"ERROR","latency":501}\n'
    assert list(CandidateSearch(sources).lines(block)) == [b'{"level":"ERROR","latency":501}']


@pytest.mark.parametrize(
    "text",
    [
        "{ $.n NOT EXISTS }",
        "{ $.n > 1 || $.m NOT EXISTS }",
        "{ $.* != 1 }",
        "{ $.a[0] = %x% }",
        "{ $.a[*] != 1 || $.b = 2 }",
    ],
)
def test_no_search_where_none_is_sound(text: str) -> None:
    pattern = parse(text)
    assert isinstance(pattern, JsonPattern)
    assert json_candidate_regex(pattern) is None


def test_every_search_fits_the_program_bound() -> None:
    pattern = parse("{ $.n > 123456789012345 || $.n < -98765432109876 || $.m = 0.5 }")
    assert isinstance(pattern, JsonPattern)
    for source in json_candidate_regexes(pattern):
        assert candidate_program(source).programsize <= MAX_PROGRAM_SIZE


# integer ranges, exhaustively against Python's comparison

_LIMITS = [0, 1, 5, 9, 10, 11, 19, 90, 99, 100, 101, 199, 200, 999, 1000, 1001, 1234, 1999, 2000]


@pytest.mark.parametrize("low", _LIMITS)
def test_integer_ranges_are_exact(low: int) -> None:
    for high in [None, *_LIMITS]:
        source = integer_range_regex(low, high)
        if source is None:
            assert high is not None and high < low
            continue
        program = candidate_program(source)
        for value in range(2001):
            expected = low <= value and (high is None or value <= high)
            assert (program.fullmatch(str(value).encode()) is not None) is expected, (low, high)
        assert program.fullmatch(b"0" + str(max(low, 1)).encode()) is None  # no leading zero


@pytest.mark.parametrize("op", [*_RELATIONS])
@pytest.mark.parametrize("bound", [-1001, -90, -1, -0.5, 0, 0.5, 1, 2.5, 90, 99.9, 100, 1999])
def test_number_regexes_take_exactly_the_integers_that_pass(op: Operator, bound: float) -> None:
    program = candidate_program(f"^(?:{number_regex(op, bound)})")
    compare = _RELATIONS[op]
    for value in range(-2000, 2001):
        found = program.search(f"{value},".encode()) is not None
        assert found is compare(value, bound), (op, bound, value)
    assert program.search(b"-0,") is not None if compare(0, bound) else True
    assert program.search(b"1.5e1,") is not None  # exponents: always candidates
    for whole in range(-2100, 2101, 7):
        for fraction in ("0", "25", "5", "999999999999999999"):
            token = f"{'-' if whole < 0 else ''}{abs(whole)}.{fraction}"
            if compare(float(token), bound):
                assert program.search(f"{token},".encode()) is not None, (op, bound, token)
    assert program.search(b"-0.5,") is not None if compare(-0.5, bound) else True


@pytest.mark.parametrize(
    ("op", "bound", "token"),
    [(Operator.GT, 90, b"3.5"), (Operator.LT, -2, b"-1.5"), (Operator.EQ, 7, b"8.5")],
)
def test_fractions_far_from_the_bound_are_not_candidates(
    op: Operator, bound: int, token: bytes
) -> None:
    assert candidate_program(f"^(?:{number_regex(op, bound)})").search(token + b",") is None


def test_trees_built_by_hand_are_read_too() -> None:
    selector = ast.Selector((ast.Key("level"),))
    pattern = ast.JsonPattern(ast.JsonCompare(selector, Operator.EQ, ast.String("ERROR")))
    assert json_candidate_regex(pattern) == '"level"[ \\t\\r]*:[ \\t\\r]*"ERROR"'

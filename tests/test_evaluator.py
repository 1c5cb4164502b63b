"""Evaluation rules beyond the compliance suite: the matcher API, decisions the suite leaves to
the code, raw-text rejection soundness, and robustness on hostile messages."""

from __future__ import annotations

import json
import tracemalloc
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import patterns

import cwquery
from cwquery import compile, matches, test_metric_filter
from cwquery.ast import JsonPattern
from cwquery.prefilter import required_literals
from cwquery.semantics import EVENT_NUMBER_BASE


def test_compile_is_cached_by_text_and_by_tree() -> None:
    assert compile("ERROR") is compile("ERROR")
    assert compile(cwquery.parse("{ $.a = 1 }")) is compile(cwquery.parse("{$.a=1}"))


def test_compile_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        compile(42)  # type: ignore[arg-type]


def test_invalid_pattern_raises_instead_of_matching() -> None:
    with pytest.raises(cwquery.PatternError):
        matches("{ $.a = ", "anything")


def test_filter_is_lazy_and_returns_the_same_objects() -> None:
    consumed = []

    def events() -> Iterator[object]:
        for n in range(1_000_000):
            consumed.append(n)
            yield {"message": f"ERROR {n}"} if n % 2 else f"INFO {n}"

    found = compile("ERROR").filter(events())  # type: ignore[type-var]
    first = next(found)
    assert first == {"message": "ERROR 1"} and len(consumed) == 2


def test_filtering_a_generator_keeps_memory_flat() -> None:
    matcher = compile('{ $.level = "ERROR" }')
    messages = (json.dumps({"level": "ERROR" if n % 3 else "INFO", "n": n}) for n in range(200_000))
    tracemalloc.start()
    count = sum(1 for _ in matcher.filter(messages))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 133_333
    assert peak < 2_000_000, peak  # bounded by one message, not by the stream


def test_test_metric_filter_shape_and_numbering() -> None:  # D16, D28
    response = test_metric_filter("[a, b]", ["x", "x y", "p q r"])
    assert EVENT_NUMBER_BASE == 1
    assert response == {
        "matches": [
            {"eventNumber": 2, "eventMessage": "x y", "extractedValues": {"$a": "x", "$b": "y"}},
            {
                "eventNumber": 3,
                "eventMessage": "p q r",
                "extractedValues": {"$a": "p", "$b": "q r"},
            },
        ]
    }
    assert test_metric_filter("{ $.a = 1 }", ['{"a": 1}'])["matches"][0]["extractedValues"] == {}


@pytest.mark.parametrize(
    ("pattern", "message", "expected"),
    [
        # decisions taken in the code where the suite leaves the choice open
        ("{ $.flag = * }", '{"flag": true}', True),  # D25: booleans are scalars
        ("{ $.flag != * }", '{"flag": true}', False),
        ('{ $.flag != "x" }', '{"flag": true}', False),  # booleans are not value nodes for !=
        ('{ $.flag = "true" }', '{"flag": true}', False),  # D12
        ("{ $.a[*] = 1 }", '{"a": {"k": 1}}', False),  # [*] selects array elements only
        ("{ $.a.* = 1 }", '{"a": [1]}', False),  # .* selects object values only
        ("{ $.a.* = 1 }", '{"a": {"k": 1}}', True),
        ("{ $.n = 123456789012345678901234567890 }", '{"n": 123456789012345678901234567890}', True),
        ("{ $.n = 9007199254740993 }", '{"n": 9007199254740993}', True),  # exact 64-bit ints
        ("{ $.n = 9007199254740993 }", '{"n": 9007199254740992}', False),
        ("{ $.n = %^1\\.5$% }", '{"n": 1.5}', True),  # regex on a number's text
        ('{ $.s = "a\\"b" }', '{"s": "a\\"b"}', True),
        ("{ $.a = 1 }", '{"a": 1} trailing', False),  # D10
        ("{ $.a = 1 }", '{"a": NaN}', False),
        ("[a, b]", '"x y" z', True),
        ("[a, b = y]", '"x"y', True),  # the token ends at the closing quote (D14)
        ("[a = 404, b]", "0404 x", True),  # D27: numeric tokens compare as numbers
        ("[a = 404, b]", "404.0 x", True),
        ("[a = 404, b]", "4040 x", False),
        ("[a = 404, b]", "٤٠٤ x", False),  # other scripts' digits are text, not numbers
        ("[a != 404, b]", "405 x", True),
        ("[a = 0, b]", "00 x", True),
    ],
)
def test_decided_edges(pattern: str, message: str, expected: bool) -> None:
    assert matches(pattern, message) is expected


def test_absurdly_deep_json_counts_as_not_json_and_does_not_raise() -> None:
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    assert matches("{ $.b NOT EXISTS }", deep) is False
    moderately = '{"a": ' * 600 + "1" + "}" * 600
    assert matches("{ $.b NOT EXISTS }", moderately) is True
    assert matches("{ $.a.a = * }", moderately) is False  # an object is not a scalar


def test_messages_orjson_refuses_are_still_read() -> None:
    lone_surrogate = '{"a": "x\ud800", "b": 1}'
    assert matches("{ $.b = 1 }", lone_surrogate)
    assert matches("%x%", lone_surrogate) and matches("{ $.a = %x% }", lone_surrogate)


def test_literal_rejection_is_sound_with_escapes() -> None:
    matcher = compile('{ $.level = "ERROR" && $.code = 500 }')
    assert isinstance(matcher.pattern, JsonPattern)
    assert required_literals(matcher.pattern) == frozenset({'"level"', '"code"', "ERROR"})
    assert matcher.matches('{"l\\u0065vel": "\\u0045RROR", "code": 5e2}')
    assert not matcher.matches('{"level": "WARN", "code": 500}')


def test_number_like_strings_are_not_used_for_rejection() -> None:
    matcher = compile('{ $.v = "100.0" }')
    assert isinstance(matcher.pattern, JsonPattern)
    assert "100.0" not in required_literals(matcher.pattern)
    assert matcher.matches('{"v": 1e2}')  # D12: 100.0 compared through its text


def test_or_branches_only_share_common_literals() -> None:
    tree = cwquery.parse('{ $.a = "x" || $.a = "y" }')
    assert isinstance(tree, JsonPattern)
    assert required_literals(tree) == frozenset({'"a"'})


messages = st.one_of(
    st.text(max_size=300),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
        max_leaves=20,
    ).map(json.dumps),
)


@given(patterns, messages)
def test_any_pattern_on_any_message_never_raises(tree: cwquery.Pattern, message: str) -> None:
    matcher = compile(tree)
    result = matcher.matches(message)
    assert isinstance(result, bool)
    assert (matcher.extract(message) is not None) is result
    cwquery.explain(tree, message)


def test_huge_messages() -> None:
    big = "x" * 1_000_000
    assert matches("[a, b]", big + " y")
    assert not matches("{ $.a = 1 }", big)
    assert matches("ERROR", big + "ERROR")


def test_pathological_regexes_finish_on_a_megabyte() -> None:
    # a backtracking engine would not finish these; benchmarks/eval.py reports the time taken
    message = "a" * 1_000_000 + "!"
    assert not matches("%a*a*a*a*a*a*a*a*b%", message)
    assert not matches("%^.*.*.*.*=.*$%", message)
    assert matches("%a{2,}\\x21$%", message)


def test_regex_problems_are_pattern_errors_and_never_warnings() -> None:  # D31
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert matches("%[[:alpha:]]%", "x")
        for bad in ("%a*+%", "%a{1001}%", "%[[:foo:]]%", "%.{1000}.{1000}.{1000}z%"):
            with pytest.raises(cwquery.PatternError) as info:
                cwquery.parse(bad)
            assert info.value.code == "invalid-regex"
    assert matches("%a{9999999999}%", "a{9999999999}")  # no OverflowError from parse

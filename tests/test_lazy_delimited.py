"""D14, D15: the lazy field reader of space-delimited patterns agrees with a full tokenisation.

:meth:`FieldLayout.reader` stops reading a message once the answer cannot change; these
properties check it against ``reference.tokenize`` (character by character, every token) and
the matcher against the reference interpretation (D32), on messages built to break shortcuts:
quoted and bracketed groups, unterminated ones, groups glued to words, runs of blanks, tabs,
CR and LF.
"""

from __future__ import annotations

import reference
from fastpath_strategies import delimited_patterns, messages_for
from hypothesis import HealthCheck, event, example, given, reject, settings
from hypothesis import strategies as st

from cwquery import PatternError, compile, parse, render
from cwquery.ast import DelimitedPattern, EllipsisField, Field
from cwquery.delimited import FieldLayout, split_tokens

_PIECES = [
    *["a", "b", "fr", "frank", "404", "4.04e2", "-", "x*y", 'a"b', "a[b", "]", "é"],
    *['"a b"', '"', '""', "[a b]", "[", "[]", '"a', "[a b", '"[a] b"', '[a "b]', '"a"b', "[a]b"],
    *[" ", " ", " ", "  ", "\t", "\n", "\r\n", "\t\n", " \r", "   \t "],
]
messages = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)
#: Messages long enough, most of the time, to fill a six-slot layout.
longer_messages = st.one_of(
    messages, st.lists(st.sampled_from(_PIECES), min_size=10, max_size=30).map("".join)
)


@st.composite
def layouts(draw: st.DrawFn) -> tuple[FieldLayout, DelimitedPattern]:
    """A layout of up to six slots, with or without ``...`` anywhere, and the pattern of named
    fields it comes from."""
    fields: list[Field | EllipsisField] = [Field(f"f{n}") for n in range(draw(st.integers(0, 6)))]
    if draw(st.booleans()):
        fields.insert(draw(st.integers(0, len(fields))), EllipsisField())
    pattern = DelimitedPattern(tuple(fields))
    return FieldLayout.of(pattern), pattern


def _full_values(pattern: DelimitedPattern, message: str, chosen: list[int]) -> list[str] | None:
    """The chosen slots' values from a full, character-by-character tokenisation."""
    values = reference.field_values(pattern, message)
    return None if values is None else [values[slot][1] for slot in chosen]


@settings(max_examples=1500, deadline=None)
@given(layouts(), st.data(), longer_messages)
@example((FieldLayout(("a", "b"), None), DelimitedPattern((Field("a"), Field("b")))), None, 'x "y')
def test_lazy_reader_agrees_with_a_full_tokenisation(
    layout_and_pattern: tuple[FieldLayout, DelimitedPattern],
    data: st.DataObject | None,
    message: str,
) -> None:
    layout, pattern = layout_and_pattern
    slots = range(len(layout.slots))
    if data is None:
        chosen = list(slots)
    else:
        chosen = data.draw(
            st.lists(st.sampled_from(slots), min_size=1, unique=True) if slots else st.just([])
        )
    expected = _full_values(pattern, message, chosen)
    sizes = {0: "no slot (a layout without fields)", 1: "one value", 2: "several values"}
    event("too few tokens" if expected is None else sizes[min(len(expected), 2)])
    assert layout.reader(chosen)(message) == expected, message


@settings(max_examples=500, deadline=None)
@given(messages)
def test_the_one_tokenizer_agrees_with_the_reference(message: str) -> None:
    assert split_tokens(message) == [value for _, value in reference.tokenize(message)]


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(delimited_patterns(), st.data())
def test_lazy_matcher_agrees_with_the_reference(
    pattern: DelimitedPattern, data: st.DataObject
) -> None:
    try:
        parse(render(pattern))
    except PatternError:  # over a limit (length, two regexes): counted by Hypothesis
        reject()
    batch = [*data.draw(messages_for(pattern)), *data.draw(st.lists(messages, max_size=3))]
    matcher = compile(render(pattern))
    for message in batch:
        expected = reference.matches(pattern, message)
        event(f"a message that {'matches' if expected else 'does not match'}")
        assert matcher.matches(message) is expected, (render(pattern), message)
        assert matcher.extract(message) == reference.extract(pattern, message)


def test_a_failed_condition_before_the_ellipsis_ends_reading() -> None:
    """Slots after ``...`` need the whole message; a failed test before it decides first."""
    seen: list[str] = []

    def tail(value: str) -> bool:
        seen.append(value)
        return True

    test = FieldLayout(("a", "b"), 1).tester({0: lambda value: value == "GET", 1: tail})
    assert test('GET x y "z 200') is True
    assert seen == ["z 200"]
    assert test("POST x y 200") is False
    assert seen == ["z 200"]  # the slot after ... was never read


def test_without_ellipsis_the_last_slot_looks_one_token_further() -> None:
    """D15: whether the last slot holds its token or the rest of the message depends on one
    more token, and on nothing after it."""
    read = FieldLayout(("a", "b"), None).reader([1])
    assert read("x [y z]") == ["y z"]
    assert read("x [y z] w\t\n") == ["[y z] w"]
    assert read("x [y z]   \t") == ["y z"]
    assert read("x") is None
    assert FieldLayout(("a", "b"), None).reader([0])("x y z w") == ["x"]

"""``to_insights`` on patterns at the length limit and on text that looks like query syntax: the
query still parses, and still selects exactly what the pattern matches."""

from __future__ import annotations

import string

import pytest

from cwquery import compile
from cwquery.insights import parse, run, to_insights
from cwquery.limits import MAX_PATTERN_LENGTH

#: Distinct two-letter words, as many as one pattern at the length limit holds (``?aa ?ab …``).
_WORDS = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase][
    : MAX_PATTERN_LENGTH // 4
]


def _selects(query: str, message: str) -> bool:
    return bool(run(query, [{"timestamp": 0, "message": message}])["results"])


@pytest.mark.parametrize(
    ("pattern", "messages"),
    [
        # query syntax inside a phrase: a pipe, a comment sign, a slash, quotes of both kinds
        ('"a | filter 1 = 1 # x" "/b/" "\'c\'"', ["a | filter 1 = 1 # x /b/ 'c'", "a | filter"]),
        # backslashes an Insights string would read as escapes
        ('"\\\\n" "\\\\t" "\\\\\\""', ['\\n \\t \\"', '\n \t "']),
        # a phrase holding a real newline and tab
        ('"a\nb\tc"', ["xa\nb\tcx", "a b c"]),
        # every phrase a control character
        ('"\x01" -"\x7f"', ["\x01", "\x01\x7f", "x"]),
        # the longest patterns: hundreds of distinct terms (a flat chain nests too deep)
        (" ".join("?" + word for word in _WORDS), ["xjv", "zz"]),
        (" ".join(_WORDS), ["".join(_WORDS), "".join(_WORDS[1:])]),
        (" ".join("-" + word for word in _WORDS), ["zz", "jv"]),
        # a regex of every escape and a slash in a class
        ("%[/]\\x2F\\s\\S\\w\\W\\d\\D{,3}%", ["//\tx_ 1a", "/"]),
        # a delimited pattern of many fields
        (
            "[" + ", ".join(f"f{i}" for i in range(100)) + "]",
            [" ".join("x" * 100), " ".join("x" * 99)],
        ),
    ],
)
def test_hostile_patterns_translate_exactly(pattern: str, messages: list[str]) -> None:
    translation = to_insights(pattern)
    assert translation.query is not None, translation.reason
    parse(translation.query)
    matcher = compile(pattern)
    seen = {matcher.matches(message) for message in messages}
    assert seen == {True, False}, "each case needs a match and a non-match"
    for message in messages:
        assert _selects(translation.query, message) == matcher.matches(message), message

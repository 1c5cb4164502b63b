"""Space-delimited patterns over whole blocks (:mod:`cwquery.delimited_bytes`): the block tester
lists exactly the messages the per-message matcher matches, and steps aside (``None``) exactly
for the blocks where ``bytes.split()`` would not give D14's tokens.
"""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import pytest
import reference
from fastpath_strategies import NUMBER_TEXTS, STRINGS, delimited_message, delimited_patterns
from fastpath_strategies import literal_words as words_of
from hypothesis import HealthCheck, event, example, given, reject, settings
from hypothesis import strategies as st

from cwquery import PatternError, compile, parse, render
from cwquery.ast import DelimitedPattern, EllipsisField
from cwquery.delimited import is_plain
from cwquery.delimited_bytes import block_tester

#: Tokens that are plain (no ``"`` or ``[`` at their start), some of them odd: quotes and
#: brackets inside, wildcard-like text, long digit runs, Unicode spaces and separators that
#: neither D14 nor ``bytes.split()`` treats as blanks.
_PLAIN_TOKENS = [
    *["x", "ERROR", "ERR", "5", "503", "5xx", "500.5", "1500", "-5", "+3", "0x10", "1_000"],
    *["1e999", "-1e999", "9" * 400, "9" * 4400, "9007199254740993", "inf", "nan", "a*b", "*"],
    *['ab"cd', "n[0]", "a]", "é", "x\u00a0y", "\u00a0", "\x1c", "a\u2028b", "\u3000", "\x85"],
]
_BLANKS = [" ", " ", " ", "  ", "\t", " \r", "\r", "   \t "]
_NOT_MESSAGES = ["", "", " ", "\t", "\u00a0", "\x1c", " \u2028 ", "\r"]
_NOT_PLAIN = ['"x y"', "[a b]", '"', "[", "a\x0bb", "\x0c", '"5 1500"', "\x0b"]


def _plain_line(rng: Random, words: list[str]) -> str:
    pool = [*_PLAIN_TOKENS, *(w for w in STRINGS if w), *NUMBER_TEXTS[:12], *words]
    parts = [rng.choice(["", "", " ", "\t", "  "])]
    for _ in range(rng.randrange(1, 10)):
        parts += [rng.choice(pool), rng.choice(_BLANKS)]
    parts[-1] = rng.choice(["", "", " ", "\t", " \r"])
    return "".join(parts)


def _block(rng: Random, words: list[str], plain: bool) -> bytes:
    """A block of UTF-8 lines joined by ``\\n``; when not ``plain``, lines that may not be."""
    lines: list[bytes] = []
    for _ in range(rng.randrange(1, 12)):
        kind = rng.random()
        if kind < 0.1:
            lines.append(rng.choice(_NOT_MESSAGES).encode())
        elif plain or kind < 0.7:
            lines.append(_plain_line(rng, words).encode())
        elif kind < 0.85:
            lines.append(delimited_message(rng, tuple(words)).encode())
        elif kind < 0.95:
            line = _plain_line(rng, words)
            cut = rng.randrange(len(line) + 1)
            lines.append((line[:cut] + rng.choice(_NOT_PLAIN) + line[cut:]).encode())
        else:
            lines.append(b"x \xff 5")  # not UTF-8
    return b"\n".join(lines) + rng.choice([b"", b"\n"])


def _plain_by_tokens(block: bytes) -> bool:
    """A block is plain when it is UTF-8 and ``bytes.split()`` gives each line the tokens of
    the reference tokeniser (D14), values included."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(
        [token.decode() for token in line.split()]
        == [value for _, value in reference.tokenize(line.decode())]
        for line in block.split(b"\n")
    )


@st.composite
def wide_patterns(draw: st.DrawFn) -> DelimitedPattern:
    """Delimited patterns of up to eight fields: two generated patterns end to end (one
    ``...`` at most), so that long tails after ``...`` and many conditions occur."""
    first, second = draw(delimited_patterns()), draw(delimited_patterns())
    fields = list(first.fields)
    if any(isinstance(field, EllipsisField) for field in fields):
        fields += [field for field in second.fields if not isinstance(field, EllipsisField)]
    else:
        fields += second.fields
    return DelimitedPattern(tuple(fields))


def _expected(text: str, block: bytes) -> list[int]:
    """What the per-message matcher says, line by line (blank lines are no messages)."""
    matches = compile(text).matches
    return [
        index
        for index, line in enumerate(block.split(b"\n"))
        if line.decode().strip() and matches(line.decode())
    ]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(delimited_patterns(), wide_patterns()), st.integers(0, 2**32), st.booleans())
@example(parse("[a, b = 5*, c > 1000, ...]"), 0, True)
@example(parse("[a, b = x*]"), 1, True)
def test_the_block_tester_lists_the_messages_the_matcher_matches(
    pattern: DelimitedPattern, seed: int, plain: bool
) -> None:
    try:
        text = render(pattern)
        tree = parse(text)
    except PatternError:  # over a limit (length, two regexes)
        reject()
    assert isinstance(tree, DelimitedPattern)
    rng = Random(seed)
    block = _block(rng, list(words_of(tree)), plain)
    found = block_tester(tree)(block)
    assert (found is None) is not is_plain(block), block
    if found is None:
        event("not plain")
        return
    expected = _expected(text, block)
    event("some match" if expected else "no match")
    assert found == expected, (text, block)


@settings(max_examples=2000, deadline=None)
@given(st.integers(0, 2**32), st.booleans())
def test_a_block_is_plain_exactly_when_bytes_split_gives_its_tokens(seed: int, plain: bool) -> None:
    block = _block(Random(seed), ["5*", "ERROR"], plain)
    assert is_plain(block) is _plain_by_tokens(block), block
    if plain:
        assert is_plain(block)


def _peers_line(rng: Random, number: int) -> bytes:
    """A line shaped as the peers' text log: time, address, level, method, path, status,
    bytes, free text."""
    level = rng.choice(["INFO", "INFO", "WARN", "ERROR", "DEBUG"])
    status = rng.choice(["200", "201", "404", "500", "503"])
    return (
        f"2024-05-01T00:00:{number % 60:02d}.000Z 10.0.{rng.randrange(256)}.{rng.randrange(256)} "
        f"{level} GET /api/users {status} {rng.randrange(5000)} request handled in "
        f"{rng.randrange(1000)} ms"
    ).encode()


def test_the_benchmark_lines_take_the_fast_path() -> None:
    rng = Random(20)
    block = b"\n".join(_peers_line(rng, n) for n in range(2000)) + b"\n"
    text = "[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]"
    found = block_tester(text)(block)
    assert found is not None
    assert found == _expected(text, block)
    assert 100 < len(found) < 1000


def test_a_status_glued_to_a_quote_does_not_stop_the_fast_path() -> None:
    """``"`` and ``[`` open a group only at a token's start (D14)."""
    block = b'a=1 b="5 x" 503\nn[0] 1 200\n'
    assert block_tester("[a, b, c, status = 5*]")(block) == [0]
    assert block_tester("[a, b = b*, ...]")(block) == [0]
    assert block_tester("[a = n*, ...]")(block) == [1]


def test_unicode_spaces_make_no_message_and_split_no_token() -> None:
    """A line of U+00A0 or U+001C is no message (the readers' rule); inside a line they are
    token characters, as in D14."""
    block = "\u00a0\n\x1c\nx\u00a0y 5\n".encode()
    assert block_tester("[a, b = 5]")(block) == [2]
    assert block_tester("[a]")(block) == [2]
    assert block_tester("[a = x*]")(block) == [2]
    assert block_tester('[a = "\u00a0*"]')(block) == []
    assert block_tester('[a = "\x1c"]')(block) == []


def test_the_last_field_takes_the_rest_of_the_line() -> None:
    """D15: without ``...`` the last field's value is the rest, without trailing blanks."""
    block = b"a  b \t c \t\r\na b\t\na\n"
    assert block_tester('[x, y = "b *"]')(block) == [0]
    assert block_tester("[x, y = b]")(block) == [1]
    assert block_tester("[x, y = *c]")(block) == [0]


def test_numbers_as_d30_reads_them() -> None:
    block = f"a 1e999\na {'9' * 4400}\na 1_000\na 0x10\na -0\na 1000.0\na +1000\n".encode()
    assert block_tester("[a, n > 999]")(block) == [0, 1, 5, 6]
    assert block_tester("[a, n = 1000]")(block) == [5, 6]
    assert block_tester("[a, n = 0]")(block) == [4]


def _compliance_cases() -> list[tuple[str, list[str], list[int]]]:
    """Every space-delimited case of the compliance suite: pattern, messages, matches."""
    found = []
    for path in sorted((Path(__file__).parent / "compliance").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for group in document.get("groups", []):
            for case in group["cases"]:
                if "error" in case or not case["pattern"].lstrip().startswith("["):
                    continue
                if isinstance(parse(case["pattern"]), DelimitedPattern):
                    found.append((case["pattern"], group["messages"], case["matches"]))
    return found


@pytest.mark.parametrize(("pattern", "messages", "matches"), _compliance_cases())
def test_the_compliance_suite_through_the_block_tester(
    pattern: str, messages: list[str], matches: list[int]
) -> None:
    """Each one-line message alone in a block (a block steps aside as a whole), then all the
    plain ones in one block."""
    test = block_tester(pattern)
    lines = [i for i, m in enumerate(messages) if "\n" not in m and m.strip()]
    plain = []
    for index in lines:
        found = test(messages[index].encode())
        if found is not None:
            plain.append(index)
            assert found == ([0] if index in matches else []), messages[index]
    together = test("\n".join(messages[i] for i in plain).encode())
    assert together == [n for n, i in enumerate(plain) if i in matches]


@pytest.mark.parametrize("pattern", ["ERROR", '{ $.a = "x" }', "%5..%"])
def test_other_kinds_of_pattern_are_refused(pattern: str) -> None:
    with pytest.raises(TypeError, match="not a space-delimited pattern"):
        block_tester(pattern)


_FOCUSED_TOKENS = ["5", "5x", "-5", "+3", "50", "x5", "x", "1e3", "-1e3", "5e", "é5", "\u00a05"]


@st.composite
def focused_patterns(draw: st.DrawFn) -> str:
    """Patterns where hinted and numeric slots sit next to each other, around ``...``."""
    fields = draw(
        st.lists(
            st.sampled_from(["f", "f = 5*", "f = 5", "f = *5", "f > 0", "f < 0", "f = x*"]),
            min_size=1,
            max_size=5,
        )
    )
    if draw(st.booleans()):
        fields.insert(draw(st.integers(0, len(fields))), "...")
    return "[" + ", ".join(fields) + "]"


@settings(max_examples=1500, deadline=None)
@given(focused_patterns(), st.lists(st.lists(st.sampled_from(_FOCUSED_TOKENS), max_size=7)))
@example("[f = 5*, ..., f > 0]", [["5", "x", "3"]])
@example("[f = x*, f > 0]", [["x", "+3"]])
def test_hinted_slots_next_to_numeric_ones(pattern: str, rows: list[list[str]]) -> None:
    blank = " \t" if len(rows) % 3 == 0 else " "
    block = "\n".join(blank.join(row) for row in rows).encode()
    assert block_tester(pattern)(block) == _expected(pattern, block), (pattern, block)

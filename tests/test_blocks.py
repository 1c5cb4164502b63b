"""The block scanner gives the answers of the plain per-message evaluation (D32): the same
messages read, matched, not JSON and selected, whichever fast path it takes, however the file
is cut into blocks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import patterns as generated_patterns

from cwquery import compile, render
from cwquery.ast import JsonPattern
from cwquery.logs.blocks import BlockResult, BlockScanner, Select
from cwquery.logs.lines import split_lines
from cwquery.logs.sources import read_events
from cwquery.semantics import NOT_JSON, load_json_event

#: Patterns whose literals the generated lines hold, so that matches and the fast paths happen.
PATTERNS = [
    "",
    "ERROR",
    "?ERROR ?WARN",
    "ERROR -WARN",
    "-ERROR",
    '" "',
    '"a b"',
    '"c\na"',
    "%ERR?OR%",
    "%^W%",
    "%\\s%",
    "{ $.a = 1 }",
    "{ $.a > 1 }",
    '{ $.level = "ERROR" }',
    '{ $.level = "ERR*" }',
    "{ $.a NOT EXISTS }",
    '{ $.level = "ERROR" || $.a = 1e2 }',
    "[w1, w2 = ERROR]",
    '[w1 = "a b", ...]',
    "[w1, ..., w3 = WARN]",
]

LINES = st.sampled_from(
    [
        b'{"a": 1, "level": "ERROR"}',
        b'{"a": 100.0, "level": "INFO"}',
        b'{"a": 2, "level": "\\u0045RROR"}',
        b'{"l\\u0065vel": "ERROR"}',
        b'  {"a": 1}  ',
        b'{"a": 1',
        b"[1, 2]",
        b'"ERROR"',
        b"ERROR disk full",
        b"WARN low ERROR",
        b"INFO all good",
        b"a b ERROR c",
        b'"a b" ERROR WARN',
        b"",
        b" ",
        b"\t \x0c",
        b"\xc2\xa0",
        b"\x1c",
        b"\xff\xfe ERROR",
        b'{"a": "\xe9"}',
        b"\xef\xbb\xbf{}",
        b'{"a": 1e999}',
        b'{"a": 123456789012345678901234567890}',
    ]
)
ENDINGS = st.sampled_from([b"\n", b"\n", b"\n", b"\r\n", b"\r"])


@st.composite
def files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(LINES, ENDINGS), max_size=25))
    data = b"start\n" + b"".join(line + ending for line, ending in lines)
    if draw(st.booleans()):
        data = data.rstrip(b"\r\n")  # no line end after the last line
    return data


def reference(pattern: str, data: bytes, select: Select) -> BlockResult:
    """The plain evaluation: the file read message by message, each matched on its own."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.txt"
        path.write_bytes(data)
        messages = [event.message for event in read_events(path)]
    matcher = compile(pattern)
    result = BlockResult(read=len(messages))
    for index, message in enumerate(messages):
        hit = matcher.matches(message)
        result.matched += hit
        if isinstance(matcher.pattern, JsonPattern) and load_json_event(message) is NOT_JSON:
            result.not_json += 1
        if select is not Select.NONE and (select is Select.MATCHES) is hit:
            result.selected.append((index, message))
    return result


def cut(data: bytes, at: int) -> list[bytes]:
    """Two blocks cut after a line end (``\\n``), as the file reader cuts them."""
    end = data.find(b"\n", at)
    return [data] if end < 0 else [data[: end + 1], data[end + 1 :]]


def scanned(pattern: str, blocks: list[bytes], select: Select, count_not_json: bool) -> BlockResult:
    scanner = BlockScanner(pattern, select=select, count_not_json=count_not_json)
    total = BlockResult()
    for block in blocks:
        part = scanner.scan(block)
        total.selected += [(i if i < 0 else i + total.read, text) for i, text in part.selected]
        total.read += part.read
        total.matched += part.matched
        total.not_json += part.not_json
    return total


def check(pattern: str, data: bytes, select: Select, count_not_json: bool, at: int) -> None:
    expected = reference(pattern, data, select)
    got = scanned(pattern, cut(data, at), select, count_not_json)
    assert (got.read, got.matched) == (expected.read, expected.matched)
    if count_not_json:
        assert got.not_json == expected.not_json
    assert [text for _, text in got.selected] == [text for _, text in expected.selected]
    if all(index >= 0 for index, _ in got.selected):
        assert got.selected == expected.selected


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(PATTERNS),
    files(),
    st.sampled_from(Select),
    st.booleans(),
    st.integers(0, 400),
)
def test_block_scanner_agrees_with_per_message_evaluation(
    pattern: str, data: bytes, select: Select, count_not_json: bool, at: int
) -> None:
    check(pattern, data, select, count_not_json, at)


@settings(max_examples=300, deadline=None)
@given(generated_patterns, files(), st.sampled_from(Select), st.booleans(), st.integers(0, 400))
def test_generated_patterns_agree_too(
    tree: object, data: bytes, select: Select, count_not_json: bool, at: int
) -> None:
    check(render(tree), data, select, count_not_json, at)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("block", "lines"),
    [
        (b"a\r\nb\rc\n", [b"a", b"b", b"c"]),
        (b"a\n\nb", [b"a", b"", b"b"]),
        (b"", []),
    ],
)
def test_lines_end_as_in_text_mode(block: bytes, lines: list[bytes]) -> None:
    assert split_lines(block) == lines


EDGE_FILES = [
    b'start\n{"a": 2, "level": "\\u0045RROR"}\n{"l\\u0065vel": "ERROR"}\n',
    b"start\n \n\xc2\xa0\n\x1c\n\t\x0c\nERROR\n",
    b"start\rERROR a\r\nWARN b\rINFO\n",
    b'start\n\xff\xfe ERROR\n{"a": "\xe9"}\n\xef\xbb\xbf{}\n',
    b'start\n{"a": 1e999}\n{"a": 123456789012345678901234567890}\n  {"a": 1}  \n',
    b'start\n   \na b ERROR c\n"a b" ERROR WARN',
]


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("data", EDGE_FILES)
@pytest.mark.parametrize("select", list(Select))
def test_edge_cases(pattern: str, data: bytes, select: Select) -> None:
    for count_not_json in (False, True):
        for at in (0, 8, len(data) // 2):
            check(pattern, data, select, count_not_json, at)

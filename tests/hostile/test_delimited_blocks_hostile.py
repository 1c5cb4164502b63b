"""Hostile blocks for the space-delimited block tester: every answer is the per-message
matcher's, whatever the block holds."""

from __future__ import annotations

import pytest

from cwquery import compile
from cwquery.delimited_bytes import block_tester


def _expected(pattern: str, block: bytes) -> list[int]:
    matches = compile(pattern).matches
    return [
        index
        for index, line in enumerate(block.split(b"\n"))
        if line.decode().strip() and matches(line.decode())
    ]


HOSTILE_BLOCKS = [
    pytest.param(b"a 5 " * 20_000 + b"\na 5 1001", id="one line holding the needle 20,000 times"),
    pytest.param(b" 5 2000\n" * 5_000, id="the needle at every line's start"),
    pytest.param(b"a 5 " + b"9" * 100_000 + b" x", id="a 100,000-digit number"),
    pytest.param(b"a 5 1e400\na 5 -1e400\na 5 1_000\na 5 0x10", id="out of range, odd numbers"),
    pytest.param(b"\n" * 10_000 + b"a 5 1001", id="ten thousand empty lines"),
    pytest.param(b"a 5 1001\r\na\t5\t1001\r", id="CR and tabs left in the block"),
    pytest.param(b"a 5 1001 ", id="no final line end, a trailing blank"),
    pytest.param(b"", id="an empty block"),
    pytest.param("a 5 1001\u00a0\n\u00a0 5 1001\n\u3000\n".encode(), id="Unicode spaces"),
    pytest.param(b"\x1c \x1d\n\x1c 5 1001\n", id="separator controls"),
]


@pytest.mark.parametrize("block", HOSTILE_BLOCKS)
@pytest.mark.parametrize(
    "pattern",
    [
        "[a, s = 5*, n > 1000, ...]",
        "[a, s = 5*, n > 1000]",
        "[..., s = 5*, n]",
        "[a, s = 5, n = 1001, ...]",
        "[a, s = %5$%, ...]",
    ],
)
def test_the_block_tester_gives_the_matchers_answer(pattern: str, block: bytes) -> None:
    found = block_tester(pattern)(block)
    assert found is not None
    assert found == _expected(pattern, block)


@pytest.mark.parametrize(
    "block",
    [b'a "5 1001"', b"a [5 1001]", b"a 5\x0b1001", b"a 5 \xff", b'"', b"[", b'x\n"5'],
)
def test_blocks_the_split_would_misread_step_aside(block: bytes) -> None:
    assert block_tester("[a, s = 5*, ...]")(block) is None

"""Lines made only of Unicode spaces are blank, so no messages, wherever they are in a block.

The block scanner's quick test for "no line may be blank" once read the byte class
``[\\x80-\\xff]`` as the code points U+0080-U+00FF, so a line of U+3000 or U+2028 (lead bytes
0xE3, 0xE2) that was not a block's first line counted as a message ("1 of 3 messages matched"
for two messages).
"""

from __future__ import annotations

import pytest

from cwquery.logs.blocks import BlockScanner, Select


@pytest.mark.parametrize("space", ["\u3000", "\u2028", "\u2003"])
def test_a_later_line_of_unicode_spaces_is_no_message(space: str) -> None:
    block = f"2024-05-01T12:00:05Z x\n{space}\nERROR\n".encode()
    assert BlockScanner("ERROR", select=Select.MATCHES).scan(block).read == 2


@pytest.mark.parametrize("space", ["\u3000", "\u00a0"])
def test_a_first_line_of_unicode_spaces_is_no_message(space: str) -> None:
    block = f"{space}\nERROR\n".encode()
    assert BlockScanner("ERROR", select=Select.MATCHES).scan(block).read == 1

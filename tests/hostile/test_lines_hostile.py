"""Lines that only look like messages: Unicode spaces whose UTF-8 bytes start above 0xC3."""

from __future__ import annotations

import pytest

from cwquery.logs.blocks import BlockScanner
from cwquery.logs.lines import count_messages_bytes


@pytest.mark.parametrize("space", ["\u2028", "\u3000", "\u2003", "\u205f", "\u1680"])
def test_a_line_of_unicode_spaces_is_not_counted_as_a_message(space: str) -> None:
    block = f"a\n{space}\nb\n{space * 2}".encode()
    assert count_messages_bytes(block) == (2, 3)
    assert BlockScanner("ERROR").scan(block).read == 2
    assert BlockScanner("b").scan(block).read == 2

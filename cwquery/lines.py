"""What a message is in a lines file, the one rule every reader follows: ``\\n``, ``\\r\\n``
and a lone ``\\r`` end a line, a final line end starts no new line, and a line that is only
whitespace once decoded (Unicode spaces included) is blank, which is no message.

>>> split_lines(b"a\\r\\nb\\rc\\n\\n")
[b'a', b'b', b'c', b'']
>>> is_blank(b" \\t"), is_blank("\\u3000".encode()), is_blank(b"x")
(True, True, False)
"""

from __future__ import annotations

import functools
import re
from typing import Any

#: A line that may be blank (only whitespace) follows this newline; bytes >= 0x80 may spell
#: Unicode spaces, so such lines are decoded to be sure.
_MAYBE_BLANK_BYTES = re.compile(rb"\n(?=[ \t\x0b\x0c\x1c-\x1f\x80-\xff]*\n)")
_MAYBE_BLANK_TEXT = re.compile(r"\n(?=[^\S\n]*\n)")
#: A quick test for "no line may be blank": no newline followed by a byte that can begin one.
_BLANK_START_BYTES = rb"\n[\n \t\x0b\x0c\x1c-\x1f\x80-\xff]"


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a block as a text-mode file reads them (``\\r\\n`` and ``\\r`` end lines
    too), without their line ends; a final line end starts no new line."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = block.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def is_blank(line: bytes) -> bool:
    """Whether a line is only whitespace once decoded (then it is not a message)."""
    stripped = line.strip()
    if not stripped:
        return True
    first = stripped[0]
    if 0x20 < first < 0x80 and first != 0x7F:
        return False
    return not line.decode("utf-8", "replace").strip()


def line_ends(lines: list[bytes], block: bytes) -> int:
    """The line ends of a block, from its :func:`split_lines`."""
    return len(lines) - (1 if block and not block.endswith(b"\n") else 0)


def count_messages_text(text: str) -> tuple[int, int]:
    """The lines that are not blank, and the line ends, of text whose lines end in ``\\n``."""
    if not text:
        return 0, 0
    ends = text.count("\n")
    lines = ends + (0 if text.endswith("\n") else 1)
    padded = "\n" + text if text.endswith("\n") else "\n" + text + "\n"
    return lines - len(_MAYBE_BLANK_TEXT.findall(padded)), ends


def count_messages_bytes(block: bytes) -> tuple[int, int]:
    """The lines that are not blank once decoded, and the line ends, of a block whose lines
    end in ``\\n``."""
    if not block:
        return 0, 0
    ends = block.count(b"\n")
    lines = ends + (0 if block.endswith(b"\n") else 1)
    first_end = block.find(b"\n")
    first = block if first_end < 0 else block[:first_end]
    if _search_blank_start(block) is None and not is_blank(first):
        return lines, ends
    padded = b"\n" + block if block.endswith(b"\n") else b"\n" + block + b"\n"
    blank = 0
    for match in _MAYBE_BLANK_BYTES.finditer(padded):
        end = padded.find(b"\n", match.end())
        if is_blank(padded[match.end() : end]):
            blank += 1
    return lines - blank, ends


@functools.cache
def _blank_start_search() -> Any:
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1  # ranges of bytes, not of code points
    return re2.compile(_BLANK_START_BYTES, options).search


def _search_blank_start(block: bytes) -> Any:
    """The first newline followed by a byte that may begin a blank line, or ``None``."""
    return _blank_start_search()(block)

"""What a message is in a lines file, the one rule every reader follows: ``\\n``, ``\\r\\n``
and a lone ``\\r`` end a line, a final line end starts no new line, and a line that is only
whitespace once decoded (Unicode spaces included) is blank, which is no message. Blocks of
bytes (:mod:`cwquery.logs.blocks`), text streams (:mod:`cwquery.logs.sources`, the backtest's
inputs, the playground's uploads) and whole texts are split here, and nowhere else.

>>> split_lines(b"a\\r\\nb\\rc\\n\\n")
[b'a', b'b', b'c', b'']
>>> is_blank(b" \\t"), is_blank("\\u3000".encode()), is_blank(b"x")
(True, True, False)
>>> list(text_lines(["one\\r", "\\ntwo\\rthr", "ee"]))
['one', 'two', 'three']
>>> import io
>>> list(messages(io.StringIO("a\\r\\n \\u3000\\rb\\n")))
['a', 'b']
"""

from __future__ import annotations

import functools
import itertools
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

#: A line that may be blank (only whitespace) follows this newline; bytes >= 0x80 may spell
#: Unicode spaces, so such lines are decoded to be sure.
_MAYBE_BLANK_BYTES = re.compile(rb"\n(?=[ \t\x0b\x0c\x1c-\x1f\x80-\xff]*\n)")
_MAYBE_BLANK_TEXT = re.compile(r"\n(?=[^\S\n]*\n)")
#: A quick test for "no line may be blank": no newline followed by a byte that can begin one.
_BLANK_START_BYTES = rb"\n[\n \t\x0b\x0c\x1c-\x1f\x80-\xff]"
#: How many characters :func:`stream_messages` reads at a time.
_CHUNK = 1 << 20


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a block as a text-mode file reads them (``\\r\\n`` and ``\\r`` end lines
    too), without their line ends; a final line end starts no new line."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = block.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def split_text(text: str) -> list[str]:
    """:func:`split_lines` for text."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def count_line_ends(data: bytes) -> int:
    """How many lines ``data`` ends (``\\r\\n`` is one line end).

    >>> count_line_ends(b"a\\r\\nb\\rc\\n\\rd")
    4
    """
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def text_lines(pieces: Iterable[str], limit: int | None = None) -> Iterator[str | int]:
    """The lines of a text read as a text stream's ``readline`` (or iteration) returns it: each
    piece holds at most one ``\\n``, at its end, and a line may span pieces. Lines come blank
    ones included, without their line ends.

    With a ``limit``, a line over that many UTF-8 bytes is not kept: its size in bytes (an
    ``int``) stands in its place, and at most ``limit`` characters of it are held at a time.
    """
    short = sys.maxsize if limit is None else limit // 4  # a line this long cannot be over
    room = sys.maxsize if limit is None else limit
    carried = ""  # the start of a line that goes on in a later piece
    over = 0  # the UTF-8 size so far of a line known to be over the limit
    after_cr = False  # the last piece ended in "\r": a "\n" starting the next is its line end
    pending = False  # any of the three above
    for piece in pieces:
        if not pending and piece[-1:] == "\n" and "\r" not in piece and len(piece) <= short:
            yield piece[:-1]  # the common case: one whole line
            continue
        if after_cr and piece[:1] == "\n":
            piece = piece[1:]
        after_cr = piece[-1:] == "\r"
        *ended, rest = piece.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for part in ended:
            if over:
                yield over + _size(part)
                over = 0
                continue
            line, carried = carried + part, ""
            yield _size(line) if len(line) > short and _size(line) > room else line
        if over:
            over += _size(rest)
        elif rest:
            carried += rest
            if len(carried) > room:  # more characters than the limit has bytes
                over, carried = _size(carried), ""
        pending = bool(carried or over or after_cr)
    if over:
        yield over
    elif carried:
        yield _size(carried) if len(carried) > short and _size(carried) > room else carried


def messages(pieces: Iterable[str]) -> Iterator[str]:
    """The messages (lines that are not blank) of a text given in pieces cut anywhere: a
    stream's chunks, its lines, or one whole text."""
    carried = ""  # the start of a line that goes on in a later piece
    after_cr = False  # the last piece ended in "\r": a "\n" starting the next is its line end
    for piece in pieces:
        if after_cr and piece[:1] == "\n":
            piece = piece[1:]
        after_cr = piece[-1:] == "\r"
        if "\r" in piece:
            piece = piece.replace("\r\n", "\n").replace("\r", "\n")
        lines = piece.split("\n")
        if carried:
            lines[0] = carried + lines[0]
        carried = lines.pop()
        yield from filter(str.strip, lines)
    if carried.strip():
        yield carried


def stream_messages(stream: _Readable, head: str = "") -> Iterator[str]:
    """The messages of ``head`` followed by the rest of a text stream, read in large chunks
    (so a pipe is read through before the last messages come)."""
    chunks = iter(functools.partial(stream.read, _CHUNK), "")
    return messages(itertools.chain((head,), chunks))


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> str: ...


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


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

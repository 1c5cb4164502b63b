"""One rule for what a message is in a lines file (cwquery.logs.lines): ``\\n``, ``\\r\\n``
and a lone ``\\r`` end a line, and a line of whitespace (Unicode spaces included) is no
message. Every reader of lines follows it: blocks of bytes, files and text streams, the
backtest's inputs and the playground's uploads."""

from __future__ import annotations

import functools
import gzip
import io
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cwquery.backtest.inputs import open_bytes, open_source
from cwquery.logs.blocks import BlockScanner, Select
from cwquery.logs.lines import (
    count_line_ends,
    is_blank,
    messages,
    split_lines,
    split_text,
    stream_messages,
    text_lines,
)
from cwquery.logs.sources import MAX_LINE_BYTES, read_events
from cwquery.playground.api import MAX_SAMPLE_LINES, ApiError, read_sample


def expected_messages(text: str) -> list[str]:
    """The rule, written out on its own: split at every line end, drop the blank lines."""
    return [line for line in re.split(r"\r\n|\r|\n", text) if line.strip()]


# Pieces of log text: line ends of every kind, ASCII and Unicode spaces (some of which Python's
# str.splitlines takes for line ends, which they are not), bytes that are not UTF-8. No "{" or
# "[", so that no reader takes the text for an export or JSON lines.
_PIECES = [
    b"a",
    b"ERROR x",
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b"\x0b",
    b"\x0c",
    b"\x1c",
    b"\x00",
    "\u3000".encode(),
    "\xa0".encode(),
    "\x85".encode(),
    "\u2028".encode(),
    "é".encode(),
    b"\xff",
    b"\xe3\x80",
]
log_bytes = st.lists(st.sampled_from(_PIECES), max_size=40).map(b"".join)


def _texts(result_selected: list[tuple[int, str]]) -> list[str]:
    return [text for _, text in result_selected]


def readers(data: bytes) -> dict[str, list[str]]:
    """The messages each reader finds in the same bytes."""
    text = data.decode("utf-8", "replace")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "app.log"
        path.write_bytes(data)
        from_file = [e.message for e in read_events(path, input_format="lines")]
        backtest_file = [message for message, _, _ in open_source(path).events]
    return {
        "blocks": _texts(BlockScanner("", select=Select.MATCHES).scan(data).selected),
        "sources, a text stream": [e.message for e in read_events(io.StringIO(text))],
        "sources, a file": from_file,
        "backtest, a file": backtest_file,
        "backtest, a text stream": [m for m, _, _ in open_source(io.StringIO(text)).events],
        "backtest, bytes": [m for m, _, _ in open_bytes("app.log", data).events],
        "playground": read_sample("pasted text", data),
        "lines.messages": list(messages([text])),
    }


@given(log_bytes)
def test_every_reader_reads_the_same_messages(data: bytes) -> None:
    wanted = expected_messages(data.decode("utf-8", "replace"))
    for reader, found in readers(data).items():
        assert found == wanted, reader


@given(log_bytes)
def test_every_block_count_agrees_with_the_rule(data: bytes) -> None:
    """The block scanner's counting paths (a needle, a JSON pattern) count the same messages."""
    wanted = len(expected_messages(data.decode("utf-8", "replace")))
    assert BlockScanner("ERROR").scan(data).read == wanted
    assert BlockScanner("zzz").scan(data).read == wanted
    assert BlockScanner("{ $.a = 1 }").scan(data).read == wanted
    assert BlockScanner("{ $.a = 1 }", count_not_json=True).scan(data).read == wanted
    assert sum(not is_blank(line) for line in split_lines(data)) == wanted


@given(log_bytes, st.data())
def test_text_cut_anywhere_reads_the_same(data: bytes, cuts: st.DataObject) -> None:
    """However a stream's text arrives (lines cut short by a size limit, chunks of any size),
    the lines are the same: a "\\r\\n" cut in two is still one line end."""
    text = data.decode("utf-8", "replace")
    wanted = expected_messages(text)
    size = cuts.draw(st.integers(1, 8))
    stream = io.StringIO(text)
    pieces = iter(functools.partial(stream.readline, size), "")
    assert [line for line in text_lines(pieces) if isinstance(line, str) and line.strip()] == (
        wanted
    )
    every = [line for line in split_text(text) if line.strip()]
    assert every == wanted
    chunk = cuts.draw(st.integers(1, 8))
    chunks = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    assert list(messages(chunks)) == wanted
    head = cuts.draw(st.integers(0, len(text)))
    assert list(stream_messages(io.StringIO(text[head:]), text[:head])) == wanted


@given(log_bytes, st.integers(1, 12))
def test_lines_over_the_limit_are_left_out_by_their_size(data: bytes, limit: int) -> None:
    """A line over ``limit`` UTF-8 bytes comes as its size, however the stream cuts it (as
    :mod:`cwquery.logs.sources` reads: at most ``limit + 1`` characters at a time)."""
    text = data.decode("utf-8", "replace")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    sizes = [len(line.encode()) for line in lines]
    wanted = [size if size > limit else line for line, size in zip(lines, sizes, strict=True)]
    stream = io.StringIO(text)
    pieces = iter(functools.partial(stream.readline, limit + 1), "")
    assert list(text_lines(pieces, limit)) == wanted


@given(log_bytes)
def test_line_ends_are_counted_by_the_rule(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    assert count_line_ends(data) == len(re.findall(r"\r\n|\r|\n", text))


# ------------------------------------------------------------------ a lone CR in a text stream


def test_a_lone_cr_ends_a_message_in_a_text_stream() -> None:
    stream = io.StringIO("first\rsecond\r\nthird\n")
    assert [e.message for e in read_events(stream)] == ["first", "second", "third"]


def test_a_lone_cr_ends_a_message_in_the_backtest() -> None:
    source = open_source(io.StringIO("2024-05-01T12:00:05Z a\r2024-05-01T12:00:06Z b\n"))
    assert [message for message, _, _ in source.events] == [
        "2024-05-01T12:00:05Z a",
        "2024-05-01T12:00:06Z b",
    ]


def test_a_lone_cr_ends_a_message_in_a_gzip_s3_export_for_the_backtest() -> None:
    data = gzip.compress(b"2024-05-01T12:00:05.000Z a\r2024-05-01T12:00:06.000Z b")
    events = list(open_bytes("x.gz", data).events)
    assert events == [("a", 1714564805000, None), ("b", 1714564806000, None)]


def test_a_lone_cr_ends_a_message_in_a_pasted_sample() -> None:
    assert read_sample("pasted text", b"one\rtwo\r\n\r \rthree") == ["one", "two", "three"]


def test_a_sample_of_lone_crs_counts_them_as_line_ends() -> None:
    with pytest.raises(ApiError) as raised:
        read_sample("pasted text", b"\r" * (MAX_SAMPLE_LINES + 1))
    assert raised.value.status == 413
    with pytest.raises(ApiError) as raised:
        read_sample("x.gz", gzip.compress(b"\r" * (MAX_SAMPLE_LINES + 1)))
    assert raised.value.status == 413


def test_a_gzip_sample_counts_a_crlf_cut_between_pieces_once() -> None:
    # 256 KiB pieces: a "\r\n" whose "\r" ends the first piece is one line end, not two
    body = b"x" * (256 * 1024 - 1) + b"\r\n" + b"\r\n" * (MAX_SAMPLE_LINES - 1)
    assert len(read_sample("x.gz", gzip.compress(body))) == 1


def test_a_long_line_between_crs_is_the_only_one_left_out() -> None:
    long_lines: list[tuple[str, int, int]] = []
    text = "short\r" + "x" * (MAX_LINE_BYTES + 1) + "\rafter\n"
    events = read_events(
        io.StringIO(text), on_long_line=lambda *seen: long_lines.append(seen), name="s"
    )
    assert [e.message for e in events] == ["short", "after"]
    assert long_lines == [("s", 2, MAX_LINE_BYTES + 1)]


def test_a_long_line_is_measured_in_utf8_bytes_across_pieces() -> None:
    line = "é" * (MAX_LINE_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    found = list(text_lines(io.StringIO(f"a\r{line}\r\nb"), MAX_LINE_BYTES))
    assert found == ["a", MAX_LINE_BYTES + 2, "b"]
    assert list(text_lines(io.StringIO(line[:10] + "\r"), MAX_LINE_BYTES)) == [line[:10]]

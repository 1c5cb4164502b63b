"""Files scanned block by block, on one process and on several (``--jobs``), give the answers
of the plain per-message evaluation: the compliance suite's matches and the reference
interpretation (D32), whatever the block and range sizes, in input order."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest
import reference
from fastpath_strategies import messages_for, patterns
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from test_compliance import suite_files

from cwquery import PatternError, parse, render
from cwquery.ast import JsonPattern, Pattern
from cwquery.logs.blocks import Select
from cwquery.logs.parallel import FileScan, line_ranges, read_blocks

# --------------------------------------------------------------------------- cutting files

#: Bytes rich in line ends of every kind.
DATA = st.lists(
    st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n", b"\xff", b" "]), max_size=80
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(DATA | st.binary(max_size=300), st.integers(1, 40))
def test_blocks_cover_the_stream_and_end_at_line_ends(data: bytes, size: int) -> None:
    import io

    blocks = [block.data for block in read_blocks(io.BytesIO(data), block_bytes=size)]
    assert b"".join(blocks) == data
    assert all(block for block in blocks)
    assert all(block[-1:] in (b"\n", b"\r") for block in blocks[:-1])
    pairs = itertools.pairwise(blocks)
    assert not any(a.endswith(b"\r") and b.startswith(b"\n") for a, b in pairs)  # \r\n whole


@settings(max_examples=300, deadline=None)
@given(DATA | st.binary(max_size=300), st.integers(1, 10), st.integers(1, 12))
def test_over_long_lines_are_left_out_and_said(data: bytes, size: int, limit: int) -> None:
    """Cutting the over-long lines out of the stream leaves the short ones, line for line,
    and each long one is said at its line; the sizes add up to the input."""
    import io

    from cwquery.logs.lines import split_lines

    blocks = list(read_blocks(io.BytesIO(data), block_bytes=size, line_bytes=limit))
    limit = max(limit, size)
    lines = split_lines(data) if data else []
    kept: list[bytes] = []
    long = []
    for block in blocks:
        if block.long_line:
            long.append((len(kept), block.long_line))
        kept += split_lines(block.data) or [b""]
    assert sum(block.size for block in blocks) == len(data)
    assert kept == [b"" if len(line) > limit else line for line in lines]
    assert long == [(i, len(line)) for i, line in enumerate(lines) if len(line) > limit]


@settings(max_examples=200, deadline=None)
@given(DATA | st.binary(max_size=300), st.integers(1, 40))
def test_ranges_cover_the_file_and_end_at_line_ends(data: bytes, size: int) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile() as file:
        file.write(data)
        file.flush()
        ranges = list(line_ranges(file.name, size))
    assert [start for start, _ in ranges] == ([0] if data else []) + [e for _, e in ranges[:-1]]
    assert (ranges[-1][1] if ranges else 0) == len(data)
    for _, end in ranges[:-1]:
        assert data[end - 1 : end] in (b"\n", b"\r")
        assert data[end - 1 : end] != b"\r" or data[end : end + 1] != b"\n"  # \r\n kept whole


# --------------------------------------------------------------------------- one file, four ways


def line_safe(message: str) -> bool:
    """Whether a message can be one line of a file and read back unchanged."""
    if "\n" in message or "\r" in message or not message.strip():
        return False
    try:
        message.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def as_line(message: str) -> str:
    """A generated message made fit for one line of a file: its line breaks become spaces
    (dropping such messages left a third of the examples with no line at all)."""
    return message.replace("\r", " ").replace("\n", " ")


def scan(
    path: Path, pattern: str, *, jobs: int, select: Select, numbered: bool = False
) -> tuple[int, int, int, list[tuple[int, str]]]:
    """Read, matched, not-JSON counts and the selected messages (indices made file-wide)."""
    read = matched = not_json = 0
    selected: list[tuple[int, str]] = []
    with FileScan(
        pattern,
        select=select,
        count_not_json=True,
        numbered=numbered,
        jobs=jobs,
        block_bytes=7,
        range_bytes=50,
    ) as files:
        for result, _ in files.path(path):
            selected += [(i if i < 0 else read + i, text) for i, text in result.selected]
            read += result.read
            matched += result.matched
            not_json += result.not_json
    return read, matched, not_json, selected


def check_file(path: Path, pattern: Pattern, messages: list[str], expected: list[int]) -> None:
    """Every way of scanning the file finds the expected matches among its lines."""
    path.write_text("".join(f"{m}\n" for m in messages), encoding="utf-8")
    text = render(pattern)
    wanted = [(i, messages[i]) for i in expected]
    others = [(i, m) for i, m in enumerate(messages) if i not in set(expected)]
    not_json = (
        sum(reference.read_json(m) is reference._NOT_JSON for m in messages)
        if isinstance(pattern, JsonPattern)
        else 0
    )
    whole = (len(messages), len(expected), not_json)
    for jobs in (1, 2):
        read, matched, bad, found = scan(
            path, text, jobs=jobs, select=Select.MATCHES, numbered=True
        )
        assert ((read, matched, bad), found) == (whole, wanted), (text, jobs)
        read, matched, _, found = scan(path, text, jobs=jobs, select=Select.OTHERS)
        assert ((read, matched), found) == ((len(messages), len(expected)), others), (text, jobs)
    # the fast paths: lines without the pattern's literal are skipped, not counted one by one
    with FileScan(text, select=Select.MATCHES) as files:
        texts = [t for result, _ in files.path(path) for _, t in result.selected]
    assert texts == [m for _, m in wanted], text
    with FileScan(text, jobs=2, range_bytes=50) as files:
        counts = [(r.read, r.matched) for r, _ in files.path(path)]
    assert (sum(r for r, _ in counts), sum(m for _, m in counts)) == whole[:2], text


def _compliance_groups() -> list[Any]:
    found = []
    for path in suite_files():
        for number, group in enumerate(json.loads(path.read_text(encoding="utf-8"))["groups"]):
            cases = [case for case in group["cases"] if "matches" in case]
            if cases:
                found.append(pytest.param(group["messages"], cases, id=f"{path.stem}[{number}]"))
    return found


@pytest.mark.parametrize(("messages", "cases"), _compliance_groups())
def test_the_compliance_suite_over_files(
    tmp_path: Path, messages: list[str], cases: list[dict[str, Any]]
) -> None:
    kept = [index for index, message in enumerate(messages) if line_safe(message)]
    lines = [messages[index] for index in kept]
    for case in cases:
        expected = [line for line, index in enumerate(kept) if index in case["matches"]]
        check_file(tmp_path / "log.txt", parse(case["pattern"]), lines, expected)


# --------------------------------------------------------------------------- the reference


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(patterns, st.data())
def test_files_agree_with_the_reference(
    tmp_path_factory: pytest.TempPathFactory, tree: Pattern, data: st.DataObject
) -> None:
    try:
        pattern = parse(render(tree))
    except PatternError:  # over a limit: counted by Hypothesis
        reject()
    lines = [as_line(m) for m in data.draw(messages_for(pattern))]
    lines = [m for m in lines if line_safe(m)]
    expected = [i for i, m in enumerate(lines) if reference.matches(pattern, m)]
    event("no line" if not lines else f"{'some' if expected else 'no'} line matches")
    check_file(tmp_path_factory.mktemp("ref") / "log.txt", pattern, lines, expected)


@settings(max_examples=200, deadline=None)
@given(DATA | st.binary(max_size=300), st.integers(1, 12), st.integers(1, 40))
def test_ranges_find_the_over_long_lines_a_stream_finds(
    data: bytes, limit: int, range_bytes: int
) -> None:
    """However a file is cut into ranges, the over-long lines found range by range (with
    their line numbers) and the messages read are those of one pass over the stream."""
    import io
    import tempfile

    from cwquery.logs.parallel import scan_range

    def numbered(results: list[Any]) -> tuple[int, list[tuple[int, int]]]:
        read, lines, found = 0, 0, []
        for result in results:
            found += [(lines + line, size) for line, size in result.long_lines]
            read, lines = read + result.read, lines + result.lines
        return read, found

    with FileScan("x", line_bytes=limit, block_bytes=limit) as files:
        whole = numbered([r for r, _ in files.stream(io.BytesIO(data))])
        with tempfile.NamedTemporaryFile() as file:
            file.write(data)
            file.flush()
            pieces = [
                scan_range(
                    files.scanner, file.name, start, end, block_bytes=limit, line_bytes=limit
                )
                for start, end in line_ranges(file.name, range_bytes)
            ]
    assert numbered(pieces) == whole


@settings(max_examples=300, deadline=None)
@given(
    DATA | st.binary(max_size=300),
    st.sampled_from(["a", "bc", "a -bc", "?a ?bc", "%b.%", "[x, y]", "{ $.a = 1 }"]),
    st.sampled_from(list(Select)),
    st.booleans(),
)
def test_every_scan_counts_the_line_ends_of_its_block(
    data: bytes, pattern: str, select: Select, count_not_json: bool
) -> None:
    """Over-long lines are numbered from these counts, whichever way a block is scanned."""
    from cwquery.logs.blocks import BlockScanner

    scanner = BlockScanner(pattern, select=select, count_not_json=count_not_json)
    result = scanner.scan(data)
    assert result.lines == data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="no /proc here")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_whose_size_reads_zero_is_read_all_the_same(jobs: int) -> None:
    """A ``/proc`` file's size is 0 but it has lines: read as a stream, not by (no) ranges."""
    with FileScan("Name", select=Select.MATCHES, jobs=jobs) as files:
        found = [
            text for result, _ in files.path("/proc/self/status") for _, text in result.selected
        ]
    assert len(found) == 1 and found[0].startswith("Name:")

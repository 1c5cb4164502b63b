"""The block reader of a backtest's common case (``cwquery.backtest.scan``) against the
line-by-line reader (``open_source`` then ``collect``): the same series and the same counts
on generated files, whatever the block size."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cwquery.backtest.engine import Collected, PublishOptions, collect, counts_only, datapoints
from cwquery.backtest.inputs import (
    file_line_kind,
    json_minutes,
    line_source,
    open_source,
    prefix_minutes,
    prefix_time,
)
from cwquery.backtest.scan import collect_file, collect_lines
from cwquery.backtest.series import EARLIEST_MS, LATEST_MS
from cwquery.cli import main
from cwquery.metrics import MetricFilter, MetricTransformation

TIMES = [
    "2024-05-01T12:00:05.250Z",
    "2024-05-01 12:00:59,999",
    "[2024-05-01T14:01:05+02:00]",
    "2024-05-01T12:01:00.5-0130",
    "2024-05-01T12:00:60Z",  # no such second: no time
    "2024-13-01T12:00:00Z",  # no such month
    "1969-12-31T23:59:59.999Z",  # before 1970: out of range
    "1970-01-01T00:00:00.000Z",
    "9998-12-31T23:59:59.999Z",
    "9999-01-01T00:00:00Z",  # after 9998: out of range
    "2024-05-01T12:00:05.1234567890Z",
    "\uff12\uff10\uff12\uff14-05-01T12:00:05Z",  # full-width digits are digits too
    "2024-05-01T12:00:0\uff15.5Z",
]
WORDS = ["ERROR", "WARN", "x", "ERROR x", '"ERROR x"', "é", "\ufffd", "\u3000", "\u2028", "-x"]
TEXT_LINES = st.one_of(
    st.builds(lambda t, w: f"{t} {w}".encode(), st.sampled_from(TIMES), st.sampled_from(WORDS)),
    st.sampled_from(WORDS).map(str.encode),
    st.sampled_from(
        [b"", b"  ", b"\t", "\u3000".encode(), b"\xff ERROR", b"ERROR \xe2\x82", b"\x00"]
    ),
)
JSON_TIMES = st.one_of(
    st.sampled_from(TIMES),
    st.sampled_from([" 2024-05-01T12:00:05Z\nx", "x\n2024-05-01T12:00:05Z", " 1714564805 "]),
    st.sampled_from(["\uff11", "\n2024-05-01T12:00:05Z"]),
    st.sampled_from(["2024-05-01T12:00:05Z", {"at": 1}, [1], 1e308, float("nan")]),
    st.sampled_from([1714564805, 1714564805123, -5, 10**18, 1e20, 1.5e9, "1714564805", None, True]),
)
LEVELS = st.sampled_from(["ERROR", "INFO", "ERROR x", 5])


@st.composite
def json_lines(draw: st.DrawFn) -> bytes:
    shape = draw(st.integers(0, 6))
    if shape == 0:  # an application line
        return orjson.dumps({"ts": draw(JSON_TIMES), "level": draw(LEVELS)})
    if shape == 1:  # an exported event, with its own times
        event: dict[str, Any] = {
            "message": draw(st.sampled_from(WORDS)),
            "timestamp": draw(JSON_TIMES),
        }
        if draw(st.booleans()):
            event["ingestionTime"] = draw(st.sampled_from([1714564805000, 1714564805000 + 10**9]))
        return orjson.dumps(event)
    if shape == 2:  # "message" in a line that is no event
        return draw(
            st.sampled_from(
                [
                    b'{"message": "ERROR", "level": "ERROR", "ts": 1714564805}',
                    b'{"message": 5, "timestamp": 1714564805000}',
                    b'{"message": "ERROR" "timestamp": 1}',
                    b'2024-05-01T12:00:05Z ERROR "message"',
                    b'{"message": "ERROR \xff", "timestamp": 1714564805000}',
                ]
            )
        )
    if shape == 3:  # an application line whose time is nested or missing
        return orjson.dumps({"level": draw(LEVELS), "ts": {"at": 1}})
    if shape == 4:  # the time as text in an exported event's message
        return orjson.dumps({"message": f"{draw(st.sampled_from(TIMES))} ERROR"})
    return draw(TEXT_LINES)


ENDS = st.sampled_from([b"\n", b"\r\n", b"\r"])
PATTERNS = [
    "ERROR",
    "ERROR -x",
    '"ERROR x"',
    "?ERROR ?WARN",
    "",
    "%ERR.R%",
    '"é"',
    '{ $.level = "ERROR" }',
    "{ $.level = * }",
    "[t, level = ERROR, ...]",
]


def build(lines: list[bytes], ends: list[bytes], final: bool) -> bytes:
    data = b"".join(line + ends[k % len(ends)] for k, line in enumerate(lines))
    return data if final or not data else data[: -len(ends[(len(lines) - 1) % len(ends)])]


def counts(pattern: str) -> MetricFilter:
    return MetricFilter(pattern, MetricTransformation("Errors", "App", "1"))


def line_by_line(path: Path, metric_filter: MetricFilter) -> Collected:
    source = open_source(path)
    return collect(source.events, [metric_filter], None, source.time_of)


def view(collected: Collected) -> tuple[object, ...]:
    rows = [(row.key, row.start, row.stats) for row in datapoints(collected, 60)]
    names = ("events", "matched", "no_value", "no_dimension", "untimed", "out_of_range")
    more = ("rejected", "before_creation", "first", "last", "warnings")
    return (*(getattr(collected, name) for name in (*names, *more)), rows)


def same(path: Path, pattern: str, block_bytes: int) -> None:
    metric_filter = counts(pattern)
    expected = view(line_by_line(path, metric_filter))
    found = collect_file(path, [metric_filter], block_bytes=block_bytes)
    assert found is not None
    assert view(found) == expected


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.builds(
        lambda t: f"{t} first".encode(), st.sampled_from(TIMES[:2])
    ),  # "[" starts an export
    lines=st.lists(TEXT_LINES, max_size=30),
    ends=st.lists(ENDS, min_size=1, max_size=3),
    final=st.booleans(),
    pattern=st.sampled_from(PATTERNS),
    block_bytes=st.sampled_from([1, 2, 7, 64, 1 << 20]),
)
def test_text_files_read_in_blocks_give_the_line_by_line_result(
    tmp_path: Path,
    first: bytes,
    lines: list[bytes],
    ends: list[bytes],
    final: bool,
    pattern: str,
    block_bytes: int,
) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(build([first, *lines], ends, final))
    same(path, pattern, block_bytes)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(json_lines(), max_size=30),
    ends=st.lists(ENDS, min_size=1, max_size=3),
    final=st.booleans(),
    pattern=st.sampled_from(PATTERNS),
    block_bytes=st.sampled_from([1, 2, 7, 64, 1 << 20]),
)
@example(
    lines=[b'{"message": "ERROR", "timestamp": 1714564805000}', b"ERROR x"],
    ends=[b"\r"],
    final=False,
    pattern="ERROR",
    block_bytes=3,
)
def test_json_files_read_in_blocks_give_the_line_by_line_result(
    tmp_path: Path,
    lines: list[bytes],
    ends: list[bytes],
    final: bool,
    pattern: str,
    block_bytes: int,
) -> None:
    path = tmp_path / "app.jsonl"
    path.write_bytes(build([b'{"ts": 1714564800, "level": "INFO"}', *lines], ends, final))
    same(path, pattern, block_bytes)


def test_exported_events_in_json_lines_are_matched_on_their_message(tmp_path: Path) -> None:
    """The line holds ``ERROR`` only in its key's value's neighbour; its message is what
    counts, with its own time (the block reader takes such lines out of the block)."""
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"ts": 1714564800, "level": "ERROR"}\n'
        '{"message": "INFO ok", "timestamp": 1714564805000, "logStreamName": "ERROR"}\n'
        '{"message": "ERROR", "timestamp": 1714564865000}\n'
    )
    found = collect_file(path, [counts("ERROR")])
    assert found is not None
    assert (found.events, found.matched, found.first, found.last) == (
        3,
        2,
        1_714_564_800_000,
        1_714_564_860_000,
    )
    assert view(found) == view(line_by_line(path, counts("ERROR")))


def test_a_line_longer_than_an_event_is_still_read(tmp_path: Path) -> None:
    """The line-by-line reader reads every line, however long; so does the block reader."""
    path = tmp_path / "app.log"
    path.write_text("2024-05-01T12:00:05Z ERROR " + "x" * (1 << 21) + "\n2024-05-01T12:00:05Z ok\n")
    found = collect_file(path, [counts("ERROR")], block_bytes=4096)
    assert found is not None
    assert (found.events, found.matched) == (2, 1)


@pytest.mark.parametrize(
    ("name", "content", "strip_time"),
    [
        ("x.log.gz", b"", False),
        ("export.json", b'{"events": [{"message": "ERROR", "timestamp": 1}]}', False),
        ("array.json", b'[{"message": "ERROR", "timestamp": 1}]', False),
        ("s3.log", b"2024-05-01T12:00:05.000Z ERROR\n", True),
    ],
)
def test_files_that_are_not_plain_lines_are_left_to_the_line_reader(
    tmp_path: Path, name: str, content: bytes, strip_time: bool
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert file_line_kind(path, strip_time=strip_time) is None
    assert collect_file(path, [counts("ERROR")], strip_time=strip_time) is None


def test_only_the_common_case_is_read_in_blocks(tmp_path: Path) -> None:
    """A value read from the event, a default, a creation time or two filters: the other
    counts (untimed, first and last event) are over every event, so every line is timed."""
    path = tmp_path / "app.log"
    path.write_text("2024-05-01T12:00:05Z ERROR 5\n")
    valued = MetricFilter("[t, level, n]", MetricTransformation("N", "App", "$n"))
    defaulted = MetricFilter("ERROR", MetricTransformation("E", "App", "1", default_value=0))
    assert collect_file(path, [valued]) is None
    assert collect_file(path, [defaulted]) is None
    assert collect_file(path, [counts("ERROR")] * 2) is None
    assert collect_file(path, [counts("ERROR")], PublishOptions(created=0)) is None
    assert not counts_only([valued]) and counts_only([counts("ERROR")])


LOOSE_TIMES = st.builds(
    "{}{}-{}-{}{}{}:{}:{}{}{}{}".format,
    st.sampled_from(["", "["]),
    st.sampled_from(["2024", "1969", "9999", "\uff12024"]),
    st.sampled_from(["05", "13", "0\uff15"]),
    st.sampled_from(["01", "31", "0\u0661"]),
    st.sampled_from(["T", " ", "x"]),
    st.sampled_from(["12", "23", "24", "1\u0663"]),
    st.sampled_from(["00", "59", "60", "\u0665\u0669"]),
    st.sampled_from(["00", "05", "59", "60", "99", "0\uff15", "5"]),
    st.sampled_from(["", ".5", ",123", ".1234567890", "."]),
    st.sampled_from(["", "Z", "+02:00", "-0530", "+9", "+99:99"]),
    st.sampled_from(["", " x", "0"]),
)


@given(lines=st.lists(st.one_of(LOOSE_TIMES, st.sampled_from(TIMES)), max_size=20))
@example(lines=[f"{time} x" for time in TIMES] + ["no time", "[2024-05-01T12:00:05Z]"])
def test_prefix_minutes_are_the_minutes_of_prefix_time(lines: list[str]) -> None:
    expected: dict[int, int] = {}
    untimed = 0
    for line in lines:
        millis = prefix_time(line)
        if millis is None:
            untimed += 1
        else:
            minute = millis - millis % 60_000
            expected[minute] = expected.get(minute, 0) + 1
    assert prefix_minutes(lines) == (expected, untimed)
    # again, twice over: the minutes read before are taken from what the first call kept
    doubled = {minute: 2 * count for minute, count in expected.items()}
    assert prefix_minutes(lines + lines) == (doubled, 2 * untimed)


ASCII_TIMES = st.builds(
    "{}2024-05-{}{}{}:{}:{}{}{}{}".format,
    st.sampled_from(["", "["]),
    st.sampled_from(["01", "31", "32"]),
    st.sampled_from(["T", " "]),
    st.sampled_from(["00", "23", "24"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "05", "59", "60", "99", "5"]),
    st.sampled_from(["", ".5", ",123", ".123456789", ".1234567890", "."]),
    st.sampled_from(["", "Z", "+02:00", "-0530", "+9", "-02:3"]),
    st.sampled_from(["", " x", "0"]),
)


@given(lines=st.lists(ASCII_TIMES, min_size=1, max_size=8))
@example(lines=["2024-05-01T12:00:05.123+02:00 x"])  # a fraction, then an offset
@example(lines=["2024-05-01T12:00:05.1234567890+02:00"])  # ten digits: no offset
@example(lines=["2024-05-01T12:00:05Z a", "2024-05-01T12:00:06 b", "2024-05-01 12:00:07,9 c"])
def test_plain_ascii_times_are_the_minutes_of_prefix_time(lines: list[str]) -> None:
    """ASCII lines whose times are all plain (seconds 00-59, UTC) take the quicker search;
    their minutes are still those of :func:`prefix_time`, and so are those of the others."""
    expected: dict[int, int] = {}
    untimed = 0
    for line in lines:
        millis = prefix_time(line)
        if millis is None:
            untimed += 1
        else:
            expected[millis - millis % 60_000] = expected.get(millis - millis % 60_000, 0) + 1
    assert prefix_minutes(lines) == (expected, untimed)


def test_the_time_range_ends_at_whole_minutes() -> None:
    """``CountTally.add_minutes`` judges a whole minute's range at once: right only while the
    range starts a minute and ends on a minute's last millisecond."""
    assert EARLIEST_MS % 60_000 == 0 and (LATEST_MS + 1) % 60_000 == 0


def test_a_stream_is_read_too() -> None:
    data = b"2024-05-01T12:00:05Z ERROR\r\n\r\n2024-05-01T12:01:05Z ERROR"
    found = collect_lines(io.BytesIO(data), counts("ERROR"), "text", block_bytes=5)
    assert (found.events, found.matched, found.first, found.last) == (
        2,
        2,
        1_714_564_800_000,
        1_714_564_860_000,
    )


def test_the_command_counts_lines_of_unicode_spaces_as_no_events(tmp_path: Path) -> None:
    """A line of U+3000 is blank, not an event, in the summary of a file the command reads
    block by block; exported events in JSON lines are matched on their message."""
    log = tmp_path / "app.log"
    log.write_bytes(
        b"2024-05-01T12:00:05Z ERROR a\n\xe3\x80\x80\n\xe2\x80\xa8\r\n"
        b"ERROR untimed\n1969-12-31T23:59:59Z ERROR old\n2024-05-01T12:00:06Z INFO\n"
    )
    events = tmp_path / "app.jsonl"
    events.write_bytes(
        b'{"ts": "2024-05-01T12:00:05Z", "level": "ERROR"}\n\xe3\x80\x80\n'
        b'{"message": "ERROR", "timestamp": 1714564805000, "ingestionTime": 1}\n'
        b'{"message": "INFO", "timestamp": 1714564805000}\n'
    )
    found = []
    for path in (log, events):
        arguments = ["backtest", "-p", "ERROR", "--format", "json", str(path)]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, result.output
        found.append(json.loads(result.stdout)["summary"])
    keys = ("events", "matched", "untimed", "outOfRange", "rejected")
    assert [tuple(summary[key] for key in keys) for summary in found] == [
        (4, 1, 1, 1, 0),
        (3, 1, 0, 0, 1),
    ]


_REFERENCE_PREFIX = re.compile(
    r"\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"
)


def reference_prefix_time(text: str) -> int | None:
    """``prefix_time`` without a cache: one datetime per line."""
    match = _REFERENCE_PREFIX.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    millis = int(moment.timestamp()) * 1000 + int((match.group(7) or "0").ljust(3, "0")[:3])
    zone = match.group(8)
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 3_600_000 + int(digits[2:]) * 60_000
        millis += -offset if zone[0] == "+" else offset
    return millis


@given(lines=st.lists(st.one_of(LOOSE_TIMES, st.sampled_from(TIMES)), max_size=20))
def test_prefix_time_is_the_datetime_of_each_line(lines: list[str]) -> None:
    """The per-minute cache gives each line its own time, seconds 60-99 none."""
    assert [prefix_time(line) for line in lines] == [reference_prefix_time(x) for x in lines]


def test_a_superscript_time_is_no_time(tmp_path: Path) -> None:
    """ "²" is a digit that int() does not read: the event has no time (it was an internal
    error)."""
    path = tmp_path / "app.jsonl"
    path.write_text(
        '{"ts": "2024-05-01T12:00:05Z", "m": "ERROR"}\n{"ts": "\\u00b2", "m": "ERROR"}\n'
    )
    for found in (collect_file(path, [counts("ERROR")]), line_by_line(path, counts("ERROR"))):
        assert found is not None
        assert (found.events, found.matched, found.untimed) == (2, 1, 1)


def test_standard_input_is_read(tmp_path: Path) -> None:
    """With no file (or ``-``) the events come from standard input (it was a missing file
    named "-")."""
    data = b"2024-05-01T12:00:05Z ERROR a\r\n2024-05-01T12:01:05Z ERROR \xff\n"
    for arguments in ([], ["-"]):
        result = CliRunner().invoke(
            main, ["backtest", "-p", "ERROR", "--format", "json", *arguments], input=data
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["summary"]["matched"] == 2


TEXT_FILE = (
    b"2024-05-01T12:00:05Z ERROR a\r\n\r\n  \n2024-05-01T12:00:59.999Z ERROR b\rERROR untimed\n"
    b"1969-12-31T23:59:59Z ERROR old\n2024-05-01T12:01:00+01:00 ERROR x\nx \xff ERROR\n"
    + b"2024-05-01T12:02:05Z ERROR "
    + b"y" * 300
    + b"\n2024-05-01T12:03:05Z INFO"
)
JSON_FILE = (
    b'{"ts": "2024-05-01T12:00:05Z", "level": "ERROR"}\n\n{"ts": 1714564865, "level": "ERROR"}\r\n'
    b'{"ts": "x", "level": "ERROR"}\n{"level": "ERROR"}\nERROR not json\n'
    b'{"ts": -1, "level": "ERROR"}\n{"ts": 1714564925000, "level": "INFO"}'
)


@pytest.mark.parametrize(
    ("name", "data", "pattern"),
    [
        ("app.log", TEXT_FILE, "ERROR"),
        ("app.log", TEXT_FILE, "ERROR -x"),
        ("app.jsonl", JSON_FILE, '{ $.level = "ERROR" }'),
        ("app.jsonl", JSON_FILE, "ERROR"),
        # lines the worker ranges would count wrong: read on one process
        ("app.log", TEXT_FILE + "\n\u3000\nERROR".encode(), "ERROR"),
        ("app.jsonl", JSON_FILE + b'\n{"message": "ERROR", "timestamp": 1714564805000}', "ERROR"),
    ],
)
def test_worker_processes_give_the_line_by_line_result(
    tmp_path: Path, name: str, data: bytes, pattern: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    expected = view(line_by_line(path, counts(pattern)))
    for range_bytes in (1, 40):
        found = collect_file(path, [counts(pattern)], jobs=2, range_bytes=range_bytes)
        assert found is not None
        assert view(found) == expected


def test_the_command_takes_jobs(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(TEXT_FILE)
    outputs = []
    for jobs in ("1", "2"):
        arguments = ["backtest", "-p", "ERROR", "--format", "json", "--jobs", jobs, str(path)]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1] and outputs[0]["summary"]["events"] == 8


JSON_SHAPES = st.sampled_from(
    [
        lambda v: {"ts": v},
        lambda v: {"a": {"ts": v}},
        lambda v: {"a": v, "ts": 1},
        lambda v: {"a": [v]},
        lambda v: [v],
        lambda v: v,
    ]
)


@given(
    lines=st.lists(
        st.one_of(
            st.builds(lambda shape, v: orjson.dumps(shape(v)).decode(), JSON_SHAPES, JSON_TIMES),
            st.sampled_from(TIMES).map(lambda t: f"{t} not JSON"),
            st.just('{"ts": "2024-05-01T12:00:05Z", broken'),
        ),
        max_size=20,
    ),
    field=st.sampled_from(["ts", "$.ts", "a.ts", "$.a.ts", "a"]),
)
def test_json_minutes_are_the_minutes_of_time_of(lines: list[str], field: str) -> None:
    """Each line's time as the line-by-line source reads it (``time_of``), nested fields,
    values of every type and lines that are not JSON included."""
    time_of = line_source((), "json-lines", field).time_of
    expected: dict[int, int] = {}
    untimed = 0
    for line in lines:
        millis = time_of(line)
        if millis is None:
            untimed += 1
        else:
            expected[millis - millis % 60_000] = expected.get(millis - millis % 60_000, 0) + 1
    assert json_minutes(lines, field) == (expected, untimed)


HEAD_TIMES = st.sampled_from(
    [t for t in TIMES if t.isascii()]
    + ["[2024-05-01T12:00:05.123456789+02:00]", "2024-05-01T12:00:05.5+0200", "2024-05-01T12:00"]
)
HEAD_LINES = st.one_of(
    st.builds(
        "{}{}".format,
        HEAD_TIMES,
        st.sampled_from(["", " ERROR", "ERROR", " ERRORERROR x", " x", " 00Z E"]),
    ),
    st.sampled_from(["ERROR", "", "x", "ERRORERROR", " ERROR", "E\x00ERROR", "é ERROR"]),
)


@given(
    lines=st.lists(HEAD_LINES, max_size=30),
    pattern=st.sampled_from(["ERROR", "00Z", "2024", "E", "RR"]),
)
@example(lines=["ERROR", "2024-05-01T12:00:05Z x", "ERRORERROR"], pattern="ERROR")
@example(lines=["2024-05-01T12:00:05Z ERROR", "2024-05-01T12:00:05Z"], pattern="00Z")
def test_line_heads_give_the_minutes_of_the_matched_lines(lines: list[str], pattern: str) -> None:
    """A scan handing back the matched lines' heads (ASCII blocks without NUL) matches the
    lines a scan handing back their texts does, and their heads give the minutes the texts
    do: short lines whose heads run on into the next line included."""
    from cwquery.backtest.inputs import head_minutes
    from cwquery.logs.blocks import BlockScanner, Select

    block = "\n".join(lines).encode()
    with_heads = BlockScanner(pattern, select=Select.MATCHES, heads=True).scan(block)
    with_texts = BlockScanner(pattern, select=Select.MATCHES).scan(block)
    texts = [text for _, text in with_texts.selected]
    assert with_heads.matched == with_texts.matched
    if block.isascii() and b"\0" not in block:
        assert with_heads.selected == [] and with_heads.heads.count(b"\0") == len(texts)
    found = prefix_minutes([text for _, text in with_heads.selected])
    if with_heads.heads:
        more, none = head_minutes(with_heads.heads)
        found = (found[0] + more, found[1] + none)
    assert found == prefix_minutes(texts)


EVENTS_FILE = [
    b'{"message": "INFO only", "timestamp": 1714564805000}',  # no needle: cannot match
    b'{"message": "{\\"level\\": \\"ERROR\\"}", "timestamp": 1714564865000}',  # escaped JSON
    b'{"message": "{\\"level\\": \\"\\\\u0045RROR\\"}", "timestamp": 1714564925000}',
    b'{"ts": "2024-05-01T12:00:05Z", "level": "ERROR"}',
    b'{"ts": "2024-05-01T12:01:05Z", "level": "ERROR", "message": "x"}',
    b'{"message": "\\u0045RROR x", "timestamp": 1714564985000}',  # ERROR once read
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(0, len(EVENTS_FILE) - 1), min_size=1, max_size=12),
    pattern=st.sampled_from(['{ $.level = "ERROR" }', "{ $.level = * }", "ERROR"]),
    count_events=st.booleans(),
)
@example(picks=[3, 0, 3], pattern='{ $.level = "ERROR" }', count_events=True)
@example(picks=[3, 2], pattern='{ $.level = "ERROR" }', count_events=False)
@example(picks=[3, 5], pattern="ERROR", count_events=False)
def test_worker_processes_read_exported_events_as_the_line_by_line_reader(
    tmp_path: Path, picks: list[int], pattern: str, count_events: bool
) -> None:
    """Exported events among application lines: the workers look for ``"message"`` only in
    the lines a JSON pattern's needles find (a backslash among them), and their counts are
    still those of the line-by-line reader, events included when counted."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(EVENTS_FILE[k] for k in picks) + b"\n")
    expected = view(line_by_line(path, counts(pattern)))
    found = collect_file(path, [counts(pattern)], jobs=2, range_bytes=64, count_events=count_events)
    assert found is not None
    assert view(found)[1:] == expected[1:]
    if count_events:
        assert found.events == expected[0]


def test_an_exported_event_in_a_late_range_is_read_as_an_event(tmp_path: Path) -> None:
    """Worker processes would count an exported event as a line: the workers say when a range
    holds ``"message"`` (wherever it falls), and the file is then read again by one process,
    so the counts are the line-by-line reader's."""
    path = tmp_path / "app.jsonl"
    lines = [b'{"ts": "2024-05-01T12:%02d:05Z", "level": "ERROR"}' % (k % 60) for k in range(400)]
    event = b'{"timestamp": 1714568405000, "message": "ERROR from an export"}'
    for at in (0, 150, 399):
        path.write_bytes(b"\n".join([*lines[:at], event, *lines[at:]]) + b"\n")
        expected = view(line_by_line(path, counts("ERROR")))
        for count_events in (True, False):
            found = collect_file(
                path, [counts("ERROR")], jobs=2, range_bytes=512, count_events=count_events
            )
            assert found is not None
            assert view(found) == expected  # read again by one process: events counted
    path.write_bytes(b"\n".join(lines) + b"\n")
    found = collect_file(path, [counts("ERROR")], jobs=2, range_bytes=512, count_events=False)
    expected = view(line_by_line(path, counts("ERROR")))
    assert found is not None and (found.events, expected[0]) == (0, 400)
    rows = expected[-1]
    assert view(found)[1:] == expected[1:] and isinstance(rows, list) and len(rows) == 60

"""Reading sample logs: text, JSON lines, CloudWatch exports, gzip S3 exports."""

import gzip
import io
import json
from pathlib import Path

import pytest

from cwquery.logs.sources import LogEvent, SourceError, read_events, read_messages


def test_text_and_json_lines_are_messages_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text('{"a": 1}\n\n2024-05-01T10:00:00.000Z INFO up\r\nplain\n', encoding="utf-8")
    assert list(read_messages([path])) == ['{"a": 1}', "2024-05-01T10:00:00.000Z INFO up", "plain"]


def test_filter_log_events_export(tmp_path: Path) -> None:
    export = {
        "events": [{"message": "one", "timestamp": 5}, {"message": "two"}],
        "searchedLogStreams": [],
    }
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, indent=4), encoding="utf-8")
    assert list(read_events(path)) == [LogEvent("one", 5), LogEvent("two", None)]


def test_s3_export_gzip_strips_the_time(tmp_path: Path) -> None:
    path = tmp_path / "000000.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write('2024-05-01T10:00:00.000Z ERROR disk full\n2024-05-01T10:00:01.500Z {"a": 1}\n')
    assert list(read_events(path)) == [
        LogEvent("ERROR disk full", 1714557600000),
        LogEvent('{"a": 1}', 1714557601500),
    ]


def test_a_json_lines_file_mentioning_events_is_still_lines() -> None:
    stream = io.StringIO('{"events": "not a list"}\n{"b": 2}\n')
    assert [e.message for e in read_events(stream)] == ['{"events": "not a list"}', '{"b": 2}']


def test_long_first_line_is_not_split() -> None:
    line = "x" * 10_000
    assert [e.message for e in read_events(io.StringIO(line + "\ny\n"))] == [line, "y"]


def test_json_array_exports_and_streams() -> None:
    stream = io.StringIO('["a", {"message": "b", "timestamp": 3, "logStreamName": "s"}]')
    assert list(read_events(stream)) == [LogEvent("a"), LogEvent("b", 3, "s")]


def test_event_shaped_lines_only_when_asked() -> None:
    text = '{"timestamp": 5, "message": "m", "eventId": "1"}\n{"message": "x", "level": "INFO"}\n'
    assert [e.message for e in read_events(io.StringIO(text))] == text.splitlines()
    assert list(read_events(io.StringIO(text), event_lines=True)) == [
        LogEvent("m", 5),
        LogEvent('{"message": "x", "level": "INFO"}'),
    ]


def test_an_export_entry_without_a_message_is_an_error_when_export_is_asked_for() -> None:
    text = '{"events": [{"nomessage": 1}]}'
    with pytest.raises(SourceError, match="string 'message'"):
        list(read_events(io.StringIO(text), input_format="export"))
    # auto does not guess: the document is not event-shaped, so it is one message
    assert [e.message for e in read_events(io.StringIO(text))] == [text]


def test_bracketed_log_lines_are_not_exports() -> None:
    text = "[ERROR] disk full\n[INFO] ok\n"
    assert [e.message for e in read_events(io.StringIO(text))] == ["[ERROR] disk full", "[INFO] ok"]


class _CountingStream(io.StringIO):
    """Counts how much is read at once, to show big line files are streamed."""

    largest = 0

    def read(self, size: int | None = -1) -> str:
        chunk = super().read(size)
        _CountingStream.largest = max(_CountingStream.largest, len(chunk))
        return chunk


def test_json_lines_files_are_streamed_not_read_whole() -> None:
    lines = "".join(f'{{"n": {n}}}\n' for n in range(20_000))
    events = read_events(_CountingStream(lines))
    assert next(events).message == '{"n": 0}'
    assert _CountingStream.largest <= 4096

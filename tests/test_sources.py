"""Reading sample logs: text, JSON lines, CloudWatch exports, gzip S3 exports."""

import gzip
import io
import json
from pathlib import Path

from cwquery.sources import LogEvent, read_events, read_messages


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

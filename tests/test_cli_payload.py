"""``cwquery payload``: ready consumer events from log files, the exit statuses and errors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main
from cwquery.subscriptions import decode


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["payload", *args])
    return result.exit_code, result.stdout, result.stderr


def _log(tmp_path: Path, text: str) -> str:
    path = tmp_path / "app.log"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_lambda_events_decode_to_the_matching_events(tmp_path: Path) -> None:
    log = _log(tmp_path, "GET / 200\nGET /x 5xx\n")
    status, out, _ = _run("5xx", log, "--timestamp", "1001", "--log-group", "/app/api")
    assert status == 0
    (line,) = out.splitlines()
    envelope = decode(json.loads(line))
    assert envelope["logGroup"] == "/app/api"
    assert [(e["timestamp"], e["message"]) for e in envelope["logEvents"]] == [(1001, "GET /x 5xx")]


def test_exported_events_keep_their_times(tmp_path: Path) -> None:
    export = {"events": [{"timestamp": 5, "message": "ERROR a"}, {"timestamp": 6, "message": "b"}]}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    status, out, _ = _run("ERROR", str(path), "--decoded")
    assert status == 0
    assert [e["timestamp"] for e in json.loads(out)["logEvents"]] == [5]


def test_kinesis_is_one_event_source_event(tmp_path: Path) -> None:
    log = _log(tmp_path, '{"status": 503}\n{"status": 200}\n')
    status, out, _ = _run("{ $.status >= 500 }", log, "-d", "kinesis", "--log-stream", "web-1")
    assert status == 0
    (record,) = json.loads(out)["Records"]
    assert record["eventSource"] == "aws:kinesis"
    assert record["kinesis"]["partitionKey"] == "web-1"
    assert decode(record["kinesis"]["data"])["logEvents"][0]["message"] == '{"status": 503}'


def test_firehose_is_one_transformation_event(tmp_path: Path) -> None:
    log = _log(tmp_path, "x\n")
    status, out, _ = _run("", log, "-d", "firehose", "--timestamp", "9")
    assert status == 0
    event = json.loads(out)
    assert event["deliveryStreamArn"].startswith("arn:aws:firehose:us-east-1:")
    assert [decode(r["data"])["logEvents"][0]["timestamp"] for r in event["records"]] == [9]


def test_nothing_matched_is_exit_1_and_no_output(tmp_path: Path) -> None:
    status, out, _ = _run("nothing", _log(tmp_path, "a\n"), "-d", "kinesis")
    assert (status, out) == (1, "")


def test_errors_are_exit_2(tmp_path: Path) -> None:
    log = _log(tmp_path, "a\n")
    status, _, err = _run("{ $.a = ", log)
    assert status == 2 and err.startswith("syntax:")
    status, _, err = _run("a", log, "--field-selection-criteria", "@aws.region =")
    assert status == 2 and "expected a double-quoted string" in err
    status, _, err = _run("a", str(tmp_path / "missing.log"))
    assert status == 2 and "missing.log" in err


def test_a_bad_pattern_is_exit_2_even_when_the_file_is_empty(tmp_path: Path) -> None:
    status, _, err = _run("{ $.a = ", _log(tmp_path, ""))
    assert status == 2 and err.startswith("syntax:")


def test_a_time_before_1970_is_an_error_not_a_crash(tmp_path: Path) -> None:
    status, _, err = _run("m", _log(tmp_path, '{"timestamp": -5, "message": "m"}\n'))
    assert status == 2 and "negative" in err and "internal" not in err

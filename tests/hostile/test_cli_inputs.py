"""Hostile input to the command line: every case gets an answer, never a traceback."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_a_json_line_with_an_events_key_is_a_message_not_an_export() -> None:
    line = '{"level":"ERROR","events":["login"]}'
    code, out, err = run("test", '{ $.level = "ERROR" }', stdin=line + "\n")
    assert (code, out) == (0, line + "\n")
    assert err.strip() == "1 of 1 message matched"


def test_input_format_export_is_taken_at_its_word() -> None:
    export = json.dumps({"events": [{"message": "ERROR a", "timestamp": 1}]})
    assert run("test", "-q", "--input-format", "export", "ERROR", stdin=export)[1] == "ERROR a\n"
    code, out, _ = run("test", "-q", "--input-format", "lines", "ERROR", stdin=export)
    assert (code, out) == (0, export + "\n")


def test_an_export_entry_without_message_is_an_error_naming_the_entry() -> None:
    code, _, err = run("test", "--input-format", "export", "x", stdin='{"events": [{"m": 1}]}')
    assert code == 2
    assert "exported event 0 needs a string 'message'" in err


def test_a_truncated_gz_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "export.gz"
    path.write_bytes(gzip.compress(b"2024-05-01T00:00:00.000Z ERROR a\n" * 50)[:30])
    code, _, err = run("test", "ERROR", str(path))
    assert code == 2
    assert f"{path}: truncated or corrupt compressed file" in err
    assert "Traceback" not in err


def test_a_bad_time_in_an_s3_export_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "export.gz"
    path.write_bytes(gzip.compress(b"2024-05-01T00:00:00.000Z ok\n2024-13-45T00:00:00.000Z x\n"))
    code, _, err = run("test", "x", str(path))
    assert code == 2
    assert "line 2: not a valid time: '2024-13-45T00:00:00.000Z'" in err


def test_invalid_utf8_on_stdin_is_decoded_like_a_file() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "cwquery", "test", "-q", "ERROR"],
        input=b"ERROR \xff\xfe\n",
        capture_output=True,
        env={"PYTHONIOENCODING": "ascii:strict", "LC_ALL": "C", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.decode("utf-8") == "ERROR \ufffd\ufffd\n"


def test_count_invert_counts_the_messages_that_do_not_match() -> None:
    stdin = "ERROR a\nINFO b\nINFO c\n"
    assert run("test", "-q", "--count", "--invert", "ERROR", stdin=stdin)[:2] == (0, "2\n")


def test_json_invert_lists_the_messages_that_do_not_match() -> None:
    code, out, _ = run("test", "-q", "--json", "--invert", "ERROR", stdin="ERROR a\nINFO b\n")
    assert code == 0
    assert [m["eventMessage"] for m in json.loads(out)["matches"]] == ["INFO b"]


def test_invert_exit_status_follows_what_was_selected() -> None:
    assert run("test", "-q", "--invert", "ERROR", stdin="ERROR a\n")[0] == 1
    assert run("test", "-q", "--invert", "ERROR", stdin="INFO a\n")[0] == 0


def test_a_file_given_where_the_pattern_goes_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("ERROR x\n")
    code, _, err = run("test", str(path), "ERROR")  # the usual slip: file, then pattern
    assert code == 2  # the path is not a valid term pattern (D5: '/' must be quoted)
    assert "is a file; the pattern comes first" in err


def test_emulator_load_takes_the_input_format(tmp_path: Path) -> None:
    from cwquery.emulator.loader import read_sample as read_events

    path = tmp_path / "sample.json"
    path.write_text(json.dumps({"events": [{"message": "ERROR a", "timestamp": 5}]}))
    assert [e.message for e in read_events(path)] == ["ERROR a"]
    assert [e.message for e in read_events(path, input_format="lines")] == [path.read_text()]

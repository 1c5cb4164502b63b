"""Hostile input to ``cwquery backtest``: times out of range, far-apart events, dimensions no
event has, absurd options. Every case gets an answer in bounded time, never a traceback."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.backtest.engine import collect
from cwquery.backtest.inputs import parse_time
from cwquery.backtest.series import LATEST_MS
from cwquery.cli import main
from cwquery.metrics import MetricFilter, MetricTransformation

T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z
GOOD = {"timestamp": "2024-05-01T12:00:05Z", "level": "ERROR"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["backtest", *args])
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def jsonl(path: Path, *documents: object) -> str:
    path.write_text("".join(json.dumps(d) + "\n" for d in documents))
    return str(path)


def test_events_fifty_years_apart_finish(tmp_path: Path) -> None:
    """The replay skips empty stretches: a step-by-step replay of these two events takes
    26 million evaluations (over a minute); the timeout only detects a hang."""
    log = tmp_path / "app.log"
    log.write_text("2000-01-01T00:00:00Z ERROR a\n2050-01-01T00:00:00Z ERROR b\n")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "cwquery", "backtest", "-p", "ERROR", "--threshold", "1"),
            *("--chart", "--html", str(tmp_path / "r.html"), str(log)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    changes = [line.split()[:4] for line in done.stdout.splitlines() if "->" in line]
    assert changes == [
        ["2000-01-01T00:01:00Z", "INSUFFICIENT_DATA", "->", "ALARM"],
        ["2000-01-01T00:04:00Z", "ALARM", "->", "INSUFFICIENT_DATA"],
        ["2050-01-01T00:01:00Z", "INSUFFICIENT_DATA", "->", "ALARM"],
        ["2050-01-01T00:04:00Z", "ALARM", "->", "INSUFFICIENT_DATA"],
    ]


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:00Z",  # a valid date, but the replay after it would leave datetime
        1e22,  # milliseconds, 3e11 years from now
        2**62,  # milliseconds, as a 64-bit integer
        "99999999999999999999",  # digits in a string
        -5,  # before 1970: PutLogEvents' timestamp has a minimum of 0
        "0001-01-01T00:00:00Z",
    ],
)
def test_an_event_out_of_range_is_counted_not_fatal(tmp_path: Path, when: object) -> None:
    path = jsonl(tmp_path / "app.jsonl", GOOD, {"timestamp": when, "level": "ERROR"})
    code, out, err = run("-p", '{ $.level = "ERROR" }', "--threshold", "1", path)
    assert code == 0, err
    assert "1 had a time outside 1970 to 9998" in err
    assert "INSUFFICIENT_DATA -> ALARM" in out


def test_only_out_of_range_events_is_an_error_that_says_so(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "app.jsonl", {"timestamp": 1e22, "level": "ERROR"})
    code, _, err = run("-p", '{ $.level = "ERROR" }', "--threshold", "1", path)
    assert code == 2
    assert err.startswith("error: nothing was published: 1 event had a time outside 1970-01-01")


def test_nan_and_infinite_times_are_no_time(tmp_path: Path) -> None:
    """Python's JSON reader (Firehose records) accepts NaN and Infinity; they are no time."""
    assert [parse_time(v) for v in (float("nan"), float("inf"), "NaN", "-Infinity")] == [None] * 4
    records = {
        "messageType": "DATA_MESSAGE",
        "logEvents": [
            {"timestamp": float("nan"), "message": "ERROR a"},
            {"timestamp": float("inf"), "message": "ERROR b"},
            {"timestamp": T0, "message": "ERROR c"},
        ],
    }
    delivery = tmp_path / "delivery.gz"
    delivery.write_bytes(gzip.compress(json.dumps(records).encode()))
    code, out, err = run("-p", "ERROR", "--format", "csv", str(delivery))
    assert code == 0, err
    assert "2 had no readable time" in err
    assert out.splitlines()[1].startswith("Backtest,Backtest,,None,2024-05-01T12:00:00Z,1.0,")


def test_an_ingestion_time_out_of_range_is_counted() -> None:
    errors = MetricFilter("ERROR", MetricTransformation("Errors", "App", "1"))
    found = collect(
        [("ERROR a", T0, 10**30), ("ERROR b", T0, T0), ("ERROR c", LATEST_MS + 1, None)], [errors]
    )
    assert (found.matched, found.out_of_range) == (1, 2)


def test_a_dimension_no_event_has_is_named(tmp_path: Path) -> None:
    """The newcomer's command: a non-JSON line has no time, and no event has ``$.route``;
    the answer said only ``no event had a time``."""
    events = [{"timestamp": f"2024-05-01T12:00:0{i}Z", "latency": i} for i in range(3)]
    path = tmp_path / "app.jsonl"
    jsonl(path, *events)
    path.write_text(path.read_text() + "Traceback: a plain text line among JSON\n")
    args = ["-p", "{ $.latency = * }", "--metric-value", "$.latency", "--statistics", "p99"]
    code, out, err = run(*args, "--dimension", "Route=$.route", "--format", "csv", str(path))
    assert (code, out) == (2, "")
    assert err == (
        "error: nothing was published: 3 matched events had no value for the dimension "
        "Route=$.route (E3); 1 event had no readable time\n"
    )
    jsonl(path, *events, {"timestamp": "2024-05-01T12:00:09Z", "latency": 7, "route": "/a"})
    code, out, err = run(*args, "--dimension", "Route=$.route", "--format", "csv", str(path))
    assert code == 0, err
    assert "3 matched without their dimensions (E3)" in err
    assert out.splitlines()[1].startswith("Backtest,Backtest,Route=/a,")


def test_an_untimed_file_still_points_at_time_field(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("ERROR without a time\n")
    assert run("-p", "ERROR", str(path))[2] == (
        "error: no event had a time: see --time-field and docs/backtest.md\n"
    )


@pytest.mark.parametrize(
    "option",
    [
        ["--period", "0"],
        ["--period", "-60"],
        ["--end", "99999999999999999999"],
        ["--start", "0001-01-01T00:00:00Z"],
        ["--range-extra", "1000000000"],
        ["--evaluation-offset", "100000000000000"],
    ],
)
def test_absurd_options_are_refused(tmp_path: Path, option: list[str]) -> None:
    log = tmp_path / "app.log"
    log.write_text("2024-05-01T12:00:05Z ERROR a\n")
    code, _, err = run("-p", "ERROR", "--threshold", "1", *option, str(log))
    assert code == 2
    assert "Invalid value for" in err
    assert option[0] in err


def test_no_numeric_value_anywhere_is_named(tmp_path: Path) -> None:
    path = jsonl(tmp_path / "app.jsonl", {"timestamp": 1714564805, "latency": "slow"})
    code, _, err = run("-p", "{ $.latency = * }", "--metric-value", "$.latency", path)
    assert (code, err) == (
        2,
        "error: nothing was published: 1 matched event had no numeric value for the metric "
        "value $.latency (E2)\n",
    )


@pytest.mark.parametrize(
    "name",
    [
        "p\u0669\u0669",  # Arabic-Indic digits are digits to Python, not to CloudWatch
        "tm\u0669\u0660",
        "TM(\u0661:\u0669)",
        "TM(nan:)",
        "TM(inf:)",
        "TM(:1e400)",
        "PR(" + "9" * 5000 + ":)",
        "p" + "9" * 5000,
        "TM(" * 2000,
        "TM(1%%:2%)",
        "TM(1 %:2%)",
        "",
        "sum",
    ],
)
def test_hostile_statistic_names_are_refused(tmp_path: Path, name: str) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text(json.dumps(GOOD) + "\n")
    code, _, err = run("-p", "ERROR", "--statistic", name, "--threshold", "1", str(log))
    assert code == 2 and "statistic" in err
    code, _, err = run("-p", "ERROR", "--statistics", name, str(log))
    assert code == 2 and "statistic" in err

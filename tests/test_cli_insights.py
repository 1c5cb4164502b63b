"""``cwquery insights QUERY [FILE...]``: inputs, formats, time bounds, exit codes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main

LINES = (
    "2024-03-01T10:00:00Z [INFO] user=alice latency=120\n"
    "2024-03-01T10:01:30Z [ERROR] user=bob latency=950\n"
    "2024-03-01T10:07:10.500Z [WARN] user=alice latency=430\n"
)


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_table_of_a_stats_query_over_standard_input() -> None:
    query = 'parse @message "user=* latency=*" as u, l | stats count(*) as n, max(l) by u'
    code, out, _ = run("insights", query, stdin=LINES)
    assert code == 0
    assert out.splitlines() == [
        "u      n  max(l)",
        "-----  -  ------",
        "alice  2  430",
        "bob    1  950",
    ]


def test_lines_take_their_time_from_the_line_and_sort_newest_first() -> None:
    code, out, _ = run("insights", "--format", "csv", "fields @timestamp", stdin=LINES)
    assert code == 0
    assert out.splitlines() == [
        "@timestamp",
        "2024-03-01 10:07:10.500",
        "2024-03-01 10:01:30.000",
        "2024-03-01 10:00:00.000",
    ]


def test_json_is_the_get_query_results_response() -> None:
    code, out, _ = run(
        "insights", "--format", "json", "--log-group", "/app", "fields @log | limit 1", stdin=LINES
    )
    result = json.loads(out)
    assert code == 0
    assert result["status"] == "Complete"
    assert result["results"][0][0] == {"field": "@log", "value": "123456789012:/app"}
    assert result["results"][0][-1]["field"] == "@ptr"
    assert result["statistics"]["recordsScanned"] == 3.0


def test_since_and_until_accept_iso_and_epoch_millis() -> None:
    query = "fields @message | display @message"
    code, out, _ = run(
        "insights", "--since", "2024-03-01T10:01:00Z", "--format", "csv", query, stdin=LINES
    )
    assert code == 0 and len(out.splitlines()) == 3
    code, out, _ = run(
        "insights", "--until", "1709287290000", "--format", "csv", query, stdin=LINES
    )
    assert code == 0 and out.splitlines()[1:] == [LINES.splitlines()[1], LINES.splitlines()[0]]
    assert run("insights", "--since", "soon", query, stdin=LINES)[0] == 2


def test_exported_events_and_json_lines_with_event_keys(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            {
                "events": [
                    {"timestamp": 1709287200000, "message": '{"a": 1}', "logStreamName": "s1"},
                    {"timestamp": 1709287201000, "message": '{"a": 2}', "logStreamName": "s2"},
                ]
            }
        ),
        encoding="utf-8",
    )
    code, out, _ = run("insights", "--format", "csv", "fields a, @logStream", str(export))
    assert code == 0 and out.splitlines() == ["a,@logStream", "2,s2", "1,s1"]
    line = json.dumps({"timestamp": 1709287200000, "message": "hello"})
    code, out, _ = run("insights", "--format", "csv", "fields @timestamp, @message", stdin=line)
    assert out.splitlines()[1] == "2024-03-01 10:00:00.000,hello"


def test_gzip_s3_export(tmp_path: Path) -> None:
    archive = tmp_path / "part.gz"
    archive.write_bytes(
        gzip.compress(b"2024-03-01T10:00:00.000Z ERROR x\n2024-03-01T10:00:01.000Z ok\n")
    )
    code, out, _ = run(
        "insights",
        "--format",
        "csv",
        "filter @message like 'ERROR' | fields @timestamp",
        str(archive),
    )
    assert code == 0 and out.splitlines() == ["@timestamp", "2024-03-01 10:00:00.000"]


def test_lines_without_a_time_keep_the_file_order() -> None:
    code, out, _ = run("insights", "--format", "csv", "fields @message, @timestamp", stdin="a\nb\n")
    assert code == 0 and out.splitlines() == ["@message,@timestamp", "b,", "a,"]


def test_no_rows_exits_1() -> None:
    assert run("insights", "filter @message like 'nothing'", stdin=LINES)[:2] == (1, "")
    found = run("insights", "--format", "csv", "filter @message like 'no' | fields a", stdin=LINES)
    assert found[:2] == (1, "a\n")


def test_columns_follow_the_query_whatever_the_first_row_holds() -> None:
    stdin = (
        '{"timestamp": 2, "message": "{\\"b\\": 1}"}\n{"timestamp": 1, "message": "{\\"a\\": 1}"}\n'
    )
    code, out, _ = run("insights", "--format", "csv", "fields a, b", stdin=stdin)
    assert code == 0 and out.splitlines() == ["a,b", ",1", "1,"]


def test_query_error_prints_the_caret_and_exits_2() -> None:
    code, out, err = run("insights", "fields a | | fields b", stdin=LINES)
    assert code == 2 and out == ""
    assert err.startswith("syntax:")
    assert "\n  fields a | | fields b\n" in err and "^" in err


def test_unsupported_command_is_refused_with_exit_2() -> None:
    code, _, err = run("insights", "fields a | anomaly", stdin=LINES)
    assert code == 2
    assert err.startswith("unsupported:")


def test_missing_file_exits_2() -> None:
    code, _, err = run("insights", "fields a", "/no/such/file")
    assert code == 2 and "/no/such/file" in err


def test_table_cells_stay_on_one_line() -> None:
    line = json.dumps({"timestamp": 1709287200000, "message": "a\tb"})
    code, out, _ = run("insights", "fields @message", stdin=line)
    assert code == 0 and out.splitlines()[2] == "a\\tb"


def test_exports_keep_ingestion_time_and_log_group(tmp_path: Path) -> None:
    """§8: @ingestionTime and @log come from an export's ingestionTime and logGroupName
    (@log as account:group, I47); an event without them leaves the fields out (I22)."""
    export = tmp_path / "export.json"
    first = {
        "timestamp": 1709287200000,
        "ingestionTime": 1709287200750,
        "message": "a",
        "logStreamName": "s1",
        "logGroupName": "/app/web",
    }
    export.write_text(
        json.dumps({"events": [first, {"timestamp": 1709287201000, "message": "b"}]}),
        encoding="utf-8",
    )
    query = "fields @message, @ingestionTime, @log | sort @timestamp asc"
    code, out, _ = run("insights", "--format", "csv", query, str(export))
    assert code == 0
    assert out.splitlines() == [
        "@message,@ingestionTime,@log",
        "a,2024-03-01 10:00:00.750,123456789012:/app/web",
        "b,,",
    ]
    line = json.dumps({k: first[k] for k in ("timestamp", "ingestionTime", "message")})
    code, out, _ = run("insights", "--format", "csv", "fields @ingestionTime", stdin=line)
    assert out.splitlines() == ["@ingestionTime", "2024-03-01 10:00:00.750"]
    code, out, _ = run(
        "insights", "--format", "csv", "--log-group", "g", "fields @log", str(export)
    )
    assert out.splitlines() == ["@log", "123456789012:g", "123456789012:/app/web"]

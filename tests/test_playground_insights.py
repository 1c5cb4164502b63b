"""The playground's Insights tab on the server side: ``/api/insights`` answers what
``cwquery insights`` prints for the same lines, with carets for invalid queries and clear
refusals for what is not run locally."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cwquery.insights import QueryError, parse
from cwquery.playground import api
from cwquery.playground.insights import query_lines
from cwquery.playground.server import create_app

LOGS = Path(__file__).parent.parent / "examples" / "logs"


@pytest.fixture
def client() -> FlaskClient:
    return create_app().test_client()


def lines_of(name: str) -> list[str]:
    lines: list[str] = api.read_files([str(LOGS / name)])[0]["lines"]
    return lines


def answer_of(client: FlaskClient, body: dict[str, Any]) -> Any:
    """The JSON answer of ``/api/insights`` (status 200)."""
    response = client.post("/api/insights", json=body)
    assert response.status_code == 200
    return response.json


def cli_rows(query: str, lines: list[str]) -> list[dict[str, str]]:
    """The rows ``cwquery insights --format json`` prints for these lines (the real command,
    the lines on standard input, whose stream the tab calls ``sample``), ``@ptr`` left out."""
    result = subprocess.run(
        [sys.executable, "-m", "cwquery", "insights", "--format", "json", query],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return [
        {item["field"]: item["value"] for item in row if item["field"] != "@ptr"}
        for row in json.loads(result.stdout)["results"]
    ]


@pytest.mark.parametrize(
    ("query", "log"),
    [
        (
            'filter action = "REJECT" | stats count(*) as rejected by srcAddr | sort rejected desc',
            "vpc-flow.log",
        ),
        (
            'filter @type = "REPORT" | stats count(*) as n, max(@maxMemoryUsed / 1000) as kb',
            "lambda.log",
        ),
        ('fields @timestamp, level | filter level = "ERROR" | limit 3', "app.jsonl"),
        ("parse @message '* - - [*]' as ip, when | stats count(*) by ip | sort ip", "access.log"),
    ],
)
def test_rows_agree_with_cwquery_insights(client: FlaskClient, query: str, log: str) -> None:
    lines = lines_of(log)
    answer = answer_of(client, {"query": query, "lines": lines})
    assert answer["query"] == {"valid": True, "canonical": str(parse(query))}
    expected = cli_rows(query, lines)
    assert expected, "the case should return rows"
    assert [row["cells"] for row in answer["rows"]] == expected
    assert answer["total"] == len(lines) and answer["status"] == "Complete"
    assert answer["statistics"]["recordsScanned"] == len(lines)


def test_event_rows_name_their_sample_line() -> None:
    lines = [
        "2024-03-01T10:00:00Z ERROR a",
        "2024-03-01T10:00:05Z ok",
        "2024-03-01T10:00:09Z ERROR b",
    ]
    answer = query_lines("filter @message like 'ERROR' | fields @message", lines)
    assert answer["columns"] == ["@message"]
    assert [(row["line"], row["cells"]["@message"]) for row in answer["rows"]] == [
        (2, lines[2]),  # newest first (§7.3)
        (0, lines[0]),
    ]
    grouped = query_lines("stats count(*) as n", lines)
    assert grouped["rows"] == [{"cells": {"n": "3"}, "line": None}]


def test_a_line_without_a_time_has_no_timestamp() -> None:
    answer = query_lines(
        "fields @timestamp, @message, @logStream", ["no time", "2024-03-01T10:00:00Z x"]
    )
    assert [row["cells"] for row in answer["rows"]] == [
        {
            "@message": "2024-03-01T10:00:00Z x",
            "@timestamp": "2024-03-01 10:00:00.000",
            "@logStream": "sample",
        },
        {"@message": "no time", "@logStream": "sample"},
    ]


def test_an_invalid_query_comes_back_with_its_caret(client: FlaskClient) -> None:
    query = "fields @timestamp, custom_field | count()"
    with pytest.raises(QueryError) as raised:
        parse(query)
    answer = answer_of(client, {"query": query, "lines": ["a"]})
    error = answer["query"]["error"]
    assert answer["query"]["valid"] is False and "rows" not in answer
    assert (error["code"], error["line"], error["column"]) == ("syntax", 1, raised.value.column)
    assert error["caret"][0] == query
    assert error["caret"][1].index("^") == raised.value.column - 1
    assert error["serviceMessage"].startswith("mismatched input 'count'")


def test_what_is_not_run_locally_is_refused_with_the_caret_under_it() -> None:
    query = "fields @message | filter x in (fields x) | fields md5(@message) as h"
    answer = query_lines(query, ["a"])
    check = answer["query"]
    assert check["valid"] is False and check["canonical"] == query
    assert check["error"]["code"] == "unsupported"
    assert check["error"]["column"] == query.index("fields x)") + 1
    assert "subquery" in check["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"lines": []}, 400, "the request needs 'query'"),
        ({"query": 1, "lines": []}, 400, "'query' must be a string"),
        ({"query": "fields a", "lines": [1]}, 400, "'lines' must be a list of strings"),
        ({"query": "fields a", "logGroup": 3}, 400, "'logGroup' must be a string"),
    ],
)
def test_bad_requests_are_refused(
    client: FlaskClient, body: dict[str, Any], status: int, message: str
) -> None:
    response = client.post("/api/insights", json=body)
    assert (response.status_code, response.json) == (status, {"error": message})


def test_only_json_bodies_are_taken(client: FlaskClient) -> None:
    response = client.post("/api/insights", data='{"query": "fields a"}', content_type="text/plain")
    assert response.status_code == 415


def test_the_log_group_names_at_log(client: FlaskClient) -> None:
    body = {"query": "fields @log", "lines": ["a"], "logGroup": "/app"}
    answer = answer_of(client, body)
    assert answer["rows"][0]["cells"] == {"@log": "123456789012:/app"}


def test_json_event_lines_are_their_events_as_cwquery_insights_reads_them() -> None:
    """A line as ``jq -c '.events[]'`` prints an exported event is that event (its time,
    stream and ingestion time), in the tab as on the command line."""
    lines = [
        json.dumps({"timestamp": 1709287200000, "message": "ERROR a", "logStreamName": "s1"}),
        json.dumps({"timestamp": 1709287201000, "message": "ok", "ingestionTime": 1709287201500}),
        '{"level": "INFO", "ts": 1709287202000}',
    ]
    query = "fields @timestamp, @message, @logStream, @ingestionTime | sort @timestamp asc"
    found = [row["cells"] for row in query_lines(query, lines)["rows"]]
    expected = cli_rows(query, lines)
    for row in expected:  # the command line names a stream-less stdin line's stream "stdin"
        if row.get("@logStream") == "stdin":
            row["@logStream"] = "sample"
    assert found == expected
    assert [row.get("@message") for row in found] == ["ERROR a", "ok", lines[2]]
    assert found[1]["@ingestionTime"] == "2024-03-01 10:00:01.500"


EXPORT = {
    "events": [
        {"timestamp": 1709287200000, "message": "ERROR a", "logStreamName": "web-1",
         "ingestionTime": 1709287200900},
        {"timestamp": 1709287205000, "message": "ok", "logStreamName": "web-2"},
        {"timestamp": 1709287209000, "message": "2020-01-01T00:00:00Z ERROR b",
         "logStreamName": "web-1"},
    ]
}  # fmt: skip


def read_upload(client: FlaskClient, name: str, data: bytes) -> Any:
    """``/api/read``'s answer for a file, as the page gets it (with the server's token)."""
    from cwquery.playground.server import TOKEN_HEADER

    token = client.get("/api/samples").get_json()["token"]
    response = client.post(f"/api/read?name={name}", data=data, headers={TOKEN_HEADER: token})
    assert response.status_code == 200
    return response.json


def test_an_export_loaded_in_the_tab_keeps_its_times_as_cwquery_insights_does(
    client: FlaskClient, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(EXPORT))
    read = read_upload(client, "export.json", path.read_bytes())
    assert read["lines"] == ["ERROR a", "ok", "2020-01-01T00:00:00Z ERROR b"]
    assert read["events"][1] == {"timestamp": 1709287205000, "logStreamName": "web-2"}
    query = "fields @timestamp, @message, @logStream, @ingestionTime | sort @timestamp asc"
    answer = answer_of(client, {"query": query, "lines": read["lines"], "events": read["events"]})
    found = [row["cells"] for row in answer["rows"]]
    assert found == cli_file_rows(query, path)
    assert [row["@timestamp"] for row in found] == [
        "2024-03-01 10:00:00.000",
        "2024-03-01 10:00:05.000",
        "2024-03-01 10:00:09.000",  # the entry's time, not the one written in the message
    ]
    assert [row["line"] for row in answer["rows"]] == [0, 1, 2]  # rows find their lines
    binned = "stats count(*) as n by bin(5s) | sort n desc"
    body = {"query": binned, "lines": read["lines"], "events": read["events"]}
    assert [row["cells"] for row in answer_of(client, body)["rows"]] == cli_file_rows(binned, path)


def test_a_line_whose_event_is_not_known_is_read_from_its_text(client: FlaskClient) -> None:
    lines = ["2024-03-01T10:00:00Z a", "b"]
    events = [None, {"timestamp": 1709287205000}]
    body = {"query": "fields @timestamp, @message", "lines": lines, "events": events}
    assert [row["cells"]["@timestamp"] for row in answer_of(client, body)["rows"]] == [
        "2024-03-01 10:00:05.000",
        "2024-03-01 10:00:00.000",
    ]


def test_the_files_on_the_command_line_come_with_their_times(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(EXPORT))
    samples = create_app(api.read_files([str(path)])).test_client().get("/api/samples").get_json()
    assert samples["events"][0] == {
        "timestamp": 1709287200000,
        "logStreamName": "web-1",
        "ingestionTime": 1709287200900,
    }
    assert len(samples["events"]) == len(samples["lines"]) == 3


def cli_file_rows(query: str, path: Path) -> list[dict[str, str]]:
    """The rows ``cwquery insights --format json`` prints for a file (``@ptr`` left out)."""
    result = subprocess.run(
        [sys.executable, "-m", "cwquery", "insights", "--format", "json", query, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return [
        {item["field"]: item["value"] for item in row if item["field"] != "@ptr"}
        for row in json.loads(result.stdout)["results"]
    ]


@pytest.mark.parametrize(
    "events",
    [
        [{"timestamp": "5"}],
        [{"timestamp": True}],
        [{"message": "x"}],
        "x",
        [None, None],
    ],
)
def test_events_that_do_not_fit_are_refused(client: FlaskClient, events: object) -> None:
    body = {"query": "fields a", "lines": ["a"], "events": events}
    response = client.post("/api/insights", json=body)
    assert response.status_code == 400 and "'events'" in response.get_json()["error"]

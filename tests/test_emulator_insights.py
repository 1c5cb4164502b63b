"""Logs Insights through the emulator: StartQuery, GetQueryResults, StopQuery, DescribeQueries and
query definitions, with boto3 in process and over HTTP, and the AWS CLI (spec §11)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.logs.models import logs_backends

from cwquery.emulator import EmulatorServer, mock_logs
from cwquery.emulator.insights import simulate_phases
from cwquery.emulator.loader import LoadedEvent, load_events

REGION = "us-east-1"
ACCOUNT = "123456789012"
SUITE = Path(__file__).parent / "compliance" / "insights"
EXAMPLES = json.loads((SUITE / "examples.json").read_text(encoding="utf-8"))
GROUP = "/insights/test"
EARLY, LATE = 0, 4_102_444_800  # 1970 .. 2100, epoch seconds


def _millis(text: str) -> int:
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_logs():
        yield boto3.client("logs", region_name=REGION)


def store(group: str, events: list[tuple[int, str, str]], region: str = REGION) -> None:
    """Put ``(timestamp ms, stream, message)`` events into ``group``, old ones included."""
    loaded = [LoadedEvent(moment, message, stream) for moment, stream, message in events]
    load_events(logs_backends[ACCOUNT][region], group, loaded)


def store_set(group: str, name: str) -> None:
    store(
        group,
        [
            (_millis(e["timestamp"]), e["logStreamName"], e["message"])
            for e in EXAMPLES["eventSets"][name]
        ],
    )


def results(logs: Any, **request: Any) -> dict[str, Any]:
    request.setdefault("startTime", EARLY)
    request.setdefault("endTime", LATE)
    query_id = logs.start_query(**request)["queryId"]
    return logs.get_query_results(queryId=query_id)  # type: ignore[no-any-return]


def pairs(answer: dict[str, Any]) -> list[list[list[str]]]:
    return [
        [[item["field"], item["value"]] for item in row if item["field"] != "@ptr"]
        for row in answer["results"]
    ]


def error_of(call: Any, **request: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**request)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


# ------------------------------------------------------------------ the worked examples


def _run_cases() -> list[Any]:
    return [pytest.param(case, id=case["id"]) for case in EXAMPLES["cases"] if "rows" in case]


@pytest.mark.parametrize("case", _run_cases())
def test_worked_example_through_start_query(logs: Any, case: dict[str, Any]) -> None:
    store_set(GROUP, case["events"])
    answer = results(logs, logGroupName=GROUP, queryString=case["query"])
    assert answer["status"] == "Complete"
    assert pairs(answer) == case["rows"]
    for row in answer["results"]:
        names = [item["field"] for item in row]
        assert "@ptr" not in names[:-1]


def test_statistics_and_pointer(logs: Any) -> None:
    store(GROUP, [(1_000, "s", "a ERROR"), (2_000, "s", "b"), (3_000, "t", "c ERROR")])
    answer = results(logs, logGroupName=GROUP, queryString="filter @message like /ERROR/")
    assert answer["statistics"] == {
        "recordsMatched": 2.0,
        "recordsScanned": 3.0,
        "bytesScanned": 3 * 31.0 + 7 + 1 + 7,  # message bytes + 31 per event (I55)
    }
    assert [row[-1]["field"] for row in answer["results"]] == ["@ptr", "@ptr"]
    assert [row[1]["value"] for row in answer["results"]] == ["c ERROR", "a ERROR"]


def test_moto_ignored_filter_and_stats(logs: Any) -> None:
    """moto answered ``filter`` with every event and ``stats`` with raw rows."""
    store(GROUP, [(1_000, "s", '{"level":"ERROR"}'), (2_000, "s", '{"level":"INFO"}')])
    answer = results(logs, logGroupName=GROUP, queryString="stats count(*) as n by level")
    assert pairs(answer) == [[["level", "ERROR"], ["n", "1"]], [["level", "INFO"], ["n", "1"]]]
    answer = results(logs, logGroupName=GROUP, queryString="filter level = 'INFO' | fields level")
    assert pairs(answer) == [[["level", "INFO"]]]


def test_time_range_is_inclusive_in_seconds(logs: Any) -> None:
    store(
        GROUP,
        [
            (9_999, "s", "before"),
            (10_000, "s", "first"),
            (20_999, "s", "last"),
            (21_000, "s", "after"),
        ],
    )
    answer = results(
        logs, logGroupName=GROUP, queryString="fields @message", startTime=10, endTime=20
    )
    assert [row[0]["value"] for row in answer["results"]] == ["last", "first"]
    assert answer["statistics"]["recordsScanned"] == 2.0


def test_several_groups_and_log_field(logs: Any) -> None:
    store("/a", [(1_000, "s", "from a")])
    store("/b", [(2_000, "s", "from b")])
    answer = results(logs, logGroupNames=["/a", "/b"], queryString="fields @log, @message")
    assert pairs(answer) == [
        [["@log", f"{ACCOUNT}:/b"], ["@message", "from b"]],
        [["@log", f"{ACCOUNT}:/a"], ["@message", "from a"]],
    ]
    twice = results(logs, logGroupNames=["/a", "/a"], queryString="stats count(*) as n")
    assert pairs(twice) == [[["n", "1"]]]
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/a:*"
    answer = results(logs, logGroupIdentifiers=[arn], queryString="fields @message")
    assert pairs(answer) == [[["@message", "from a"]]]


def test_limit_and_paging(logs: Any) -> None:
    store(GROUP, [(1_000 * n, "s", f"m{n}") for n in range(1, 8)])
    query_id = logs.start_query(
        logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="fields @message", limit=5
    )["queryId"]
    first = logs.get_query_results(queryId=query_id, maxItems=3)
    assert [row[0]["value"] for row in first["results"]] == ["m7", "m6", "m5"]
    second = logs.get_query_results(queryId=query_id, maxItems=3, nextToken=first["nextToken"])
    assert [row[0]["value"] for row in second["results"]] == ["m4", "m3"]
    assert "nextToken" not in second
    assert second["statistics"]["recordsMatched"] == 7.0
    assert error_of(logs.get_query_results, queryId=query_id, nextToken="bogus") == (
        "InvalidParameterException",
        "The specified nextToken is invalid.",
    )
    other = logs.start_query(
        logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="fields @message"
    )["queryId"]
    assert error_of(logs.get_query_results, queryId=other, nextToken=first["nextToken"]) == (
        "InvalidParameterException",
        "The specified nextToken is invalid.",
    )
    capped = results(logs, logGroupName=GROUP, queryString="fields @message | limit 2", limit=4)
    assert len(capped["results"]) == 2


# ------------------------------------------------------------------ statuses


def test_stop_describe_and_complete_at_once(logs: Any) -> None:
    store(GROUP, [(1_000, "s", "x")])
    store("/other", [(1_000, "s", "y")])
    query_id = logs.start_query(
        logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="fields @message"
    )["queryId"]
    logs.start_query(logGroupName="/other", startTime=EARLY, endTime=LATE, queryString="fields x")
    described = logs.describe_queries(logGroupName=GROUP)["queries"]
    assert [(q["queryId"], q["status"], q["logGroupName"]) for q in described] == [
        (query_id, "Complete", GROUP)
    ]
    assert described[0]["queryString"] == "fields @message"
    assert logs.get_query_results(queryId=query_id)["status"] == "Complete"
    assert logs.stop_query(queryId=query_id)["success"] is False
    assert len(logs.describe_queries()["queries"]) == 2
    assert logs.describe_queries(status="Running")["queries"] == []


def test_simulated_phases_then_stop(logs: Any) -> None:
    store(GROUP, [(1_000, "s", "x")])
    with simulate_phases("Scheduled", "Running"):
        query_id = logs.start_query(
            logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="fields @message"
        )["queryId"]
        stopped = logs.start_query(
            logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="fields @message"
        )["queryId"]
    statuses = [logs.get_query_results(queryId=query_id) for _ in range(3)]
    assert [(s["status"], len(s["results"])) for s in statuses] == [
        ("Scheduled", 0),
        ("Running", 0),
        ("Complete", 1),
    ]
    assert logs.stop_query(queryId=stopped)["success"] is True
    assert logs.get_query_results(queryId=stopped)["status"] == "Cancelled"
    assert logs.describe_queries(status="Cancelled")["queries"][0]["queryId"] == stopped
    with pytest.raises(ValueError, match="Complete"), simulate_phases("Complete"):
        pass


# ------------------------------------------------------------------ errors


def test_malformed_query(logs: Any) -> None:
    store(GROUP, [(1_000, "s", "x")])
    with pytest.raises(ClientError) as caught:
        logs.start_query(
            logGroupName=GROUP,
            startTime=EARLY,
            endTime=LATE,
            queryString="fields @timestamp, custom_field | count()",
        )
    response = caught.value.response
    assert response["Error"]["Code"] == "MalformedQueryException"
    assert response["Error"]["Message"] == (
        "mismatched input 'count' expecting {K_PARSE, K_SEARCH, K_FIELDS, K_DISPLAY, K_FILTER, "
        "K_SORT, K_ORDER, K_HEAD, K_LIMIT, K_TAIL}"
    )
    location = response["queryCompileError"]["location"]
    assert location["startCharOffset"] == 34
    assert location["endCharOffset"] > 34


@pytest.mark.parametrize(
    "case", [c for c in EXAMPLES["cases"] if "serviceMessage" in c], ids=lambda c: c["id"]
)
def test_example_refusals_keep_the_service_text(logs: Any, case: dict[str, Any]) -> None:
    store(GROUP, [(1_000, "s", "x")])
    code, message = error_of(
        logs.start_query,
        logGroupName=GROUP,
        startTime=EARLY,
        endTime=LATE,
        queryString=case["query"],
    )
    assert code == "MalformedQueryException"
    assert message.startswith(case["serviceMessage"])


def test_request_errors(logs: Any) -> None:
    store(GROUP, [(1_000, "s", "x")])
    start = logs.start_query
    common = {"startTime": EARLY, "endTime": LATE, "queryString": "fields @message"}
    assert error_of(start, logGroupName="/missing", **common) == (
        "ResourceNotFoundException",
        "The specified log group does not exist.",
    )
    assert error_of(start, logGroupNames=[GROUP, "/missing"], **common)[0] == (
        "ResourceNotFoundException"
    )
    assert error_of(start, logGroupName=GROUP, logGroupNames=[GROUP], **common) == (
        "InvalidParameterException",
        "Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be provided, "
        "unless the query string starts with SOURCE.",
    )
    assert error_of(start, **common)[0] == "InvalidParameterException"
    code, message = error_of(start, logGroupNames=[GROUP] * 51, **common)
    assert code == "InvalidParameterException"
    assert message.endswith("Member must have length less than or equal to 50")
    assert error_of(
        start, logGroupName=GROUP, queryString="fields x", startTime=20, endTime=10
    ) == ("InvalidParameterException", "endTime must be greater than or equal to startTime.")
    code, message = error_of(
        start,
        logGroupName=GROUP,
        startTime=EARLY,
        endTime=LATE,
        queryString="fields @message | anomaly",
    )
    assert code == "InvalidParameterException"
    assert message.startswith("cwquery cannot run this query locally: the anomaly command")
    for query, what in [
        ("filter x in (fields x) | fields x", "a subquery"),
        ("fields sha256(@message) as h", "the function sha256()"),
    ]:
        code, message = error_of(
            start, logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString=query
        )
        assert (code, message.startswith(f"cwquery cannot run this query locally: {what}")) == (
            "InvalidParameterException",
            True,
        )
    code, message = error_of(start, logGroupName=GROUP, queryLanguage="SQL", **common)
    assert (code, message) == (
        "InvalidParameterException",
        "cwquery's emulator runs only the Logs Insights query language (CWLI), not SQL",
    )
    code, message = error_of(
        start, logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="x" * 10_001
    )
    assert code == "InvalidParameterException"
    assert "Member must have length less than or equal to 10000" in message
    for call in (logs.get_query_results, logs.stop_query):
        assert error_of(call, queryId="nope") == (
            "ResourceNotFoundException",
            "The specified query does not exist.",
        )
    assert error_of(logs.describe_queries, logGroupName="/missing")[0] == (
        "ResourceNotFoundException"
    )


def test_limit_range_is_the_models(logs: Any) -> None:
    unchecked = boto3.client("logs", region_name=REGION, config=Config(parameter_validation=False))
    store(GROUP, [(1_000, "s", "x")])
    code, message = error_of(
        unchecked.start_query,
        logGroupName=GROUP,
        startTime=EARLY,
        endTime=LATE,
        queryString="fields x",
        limit=100_001,
    )
    assert code == "InvalidParameterException"
    assert message.endswith("Member must have value less than or equal to 100000")


# ------------------------------------------------------------------ query definitions


def test_query_definitions(logs: Any) -> None:
    first = logs.put_query_definition(
        name="errors/by-level", queryString="filter level='ERROR'", logGroupNames=[GROUP]
    )["queryDefinitionId"]
    second = logs.put_query_definition(name="all", queryString="fields @message")
    listed = logs.describe_query_definitions()["queryDefinitions"]
    assert [d["name"] for d in listed] == ["all", "errors/by-level"]
    assert listed[1]["logGroupNames"] == [GROUP]
    assert listed[1]["queryString"] == "filter level='ERROR'"
    logs.put_query_definition(
        name="errors/renamed", queryDefinitionId=first, queryString="stats count(*)"
    )
    prefixed = logs.describe_query_definitions(queryDefinitionNamePrefix="errors")
    assert [
        (d["queryDefinitionId"], d["name"], d["queryString"]) for d in prefixed["queryDefinitions"]
    ] == [(first, "errors/renamed", "stats count(*)")]
    page = logs.describe_query_definitions(maxResults=1)
    assert len(page["queryDefinitions"]) == 1
    rest = logs.describe_query_definitions(maxResults=1, nextToken=page["nextToken"])
    assert [d["name"] for d in rest["queryDefinitions"]] == ["errors/renamed"]
    assert logs.delete_query_definition(queryDefinitionId=second["queryDefinitionId"])["success"]
    assert error_of(
        logs.delete_query_definition, queryDefinitionId=second["queryDefinitionId"]
    ) == ("ResourceNotFoundException", "The specified query definition does not exist.")
    assert (
        error_of(
            logs.put_query_definition, name="x", queryString="fields a", queryDefinitionId="unknown"
        )[0]
        == "ResourceNotFoundException"
    )
    assert error_of(logs.put_query_definition, name="bad", queryString="fields a | count()") == (
        "InvalidParameterException",
        "mismatched input 'count' expecting {K_PARSE, K_SEARCH, K_FIELDS, K_DISPLAY, K_FILTER, "
        "K_SORT, K_ORDER, K_HEAD, K_LIMIT, K_TAIL}",
    )
    other = boto3.client("logs", region_name="eu-west-1")
    assert other.describe_query_definitions()["queryDefinitions"] == []


# ------------------------------------------------------------------ over HTTP


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as running:
        yield running


def test_query_over_http(server: EmulatorServer) -> None:
    logs = boto3.client(
        "logs",
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    store_set("/http/a", "A")
    case = next(c for c in EXAMPLES["cases"] if c["id"] == "W2")
    assert pairs(results(logs, logGroupName="/http/a", queryString=case["query"])) == case["rows"]
    assert (
        error_of(
            logs.start_query,
            logGroupName="/http/a",
            startTime=EARLY,
            endTime=LATE,
            queryString="fields a | count()",
        )[0]
        == "MalformedQueryException"
    )


def test_query_with_the_aws_cli(server: EmulatorServer) -> None:
    beside = Path(sys.executable).with_name("aws")  # the test extra installs awscli here
    aws = str(beside) if beside.exists() else shutil.which("aws")
    if aws is None:
        pytest.skip("the AWS CLI is not installed")
    store_set("/http/cli", "J")
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    environment.pop("AWS_PROFILE", None)
    base = [aws, "--endpoint-url", server.endpoint_url, "--output", "json", "logs"]
    started = subprocess.run(
        [
            *base,
            "start-query",
            "--log-group-name",
            "/http/cli",
            "--start-time",
            str(EARLY),
            "--end-time",
            str(LATE),
            "--query-string",
            "stats count(*) as n by level",
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    query_id = json.loads(started.stdout)["queryId"]
    answered = subprocess.run(
        [*base, "get-query-results", "--query-id", query_id],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    answer = json.loads(answered.stdout)
    assert answer["status"] == "Complete"
    assert pairs(answer) == [[["level", "ERROR"], ["n", "1"]], [["level", "INFO"], ["n", "2"]]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_cli_query_phases() -> None:
    """``cwquery emulator --query-phase Running``: a query answers Running once, then Complete."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from cwquery.cli.emulator import emulator; emulator(prog_name='cwquery emulator')",
        "--port",
        str(port),
        "--query-phase",
        "Scheduled",
        "--query-phase",
        "Running",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = "start"
        while line and "listening on" not in line:
            line = process.stdout.readline() if process.stdout else ""
        assert line, "the emulator did not start"
        logs = boto3.client(
            "logs",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        logs.create_log_group(logGroupName=GROUP)
        query_id = logs.start_query(
            logGroupName=GROUP, startTime=EARLY, endTime=LATE, queryString="fields @message"
        )["queryId"]
        statuses = [logs.get_query_results(queryId=query_id)["status"] for _ in range(3)]
        assert statuses == ["Scheduled", "Running", "Complete"]
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err

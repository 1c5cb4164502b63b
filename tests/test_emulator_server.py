"""Server mode: a real boto3 client over HTTP, the CLI with --load, SIGTERM, sample files."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from emulator_support import (
    GROUP,
    REFERENCE_COUNTS,
    REGION,
    now_ms,
    populate,
    read_all,
    walkthrough_messages,
    walkthrough_patterns,
)

import cwquery
from cwquery.cli.emulator import emulator
from cwquery.emulator import EmulatorError, EmulatorServer, is_installed, read_sample
from cwquery.emulator.loader import read_sample_text

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ACCOUNT = "123456789012"


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(port=0) as running:
        yield running
    assert not is_installed()


def test_walkthrough_over_http(server: EmulatorServer) -> None:
    logs = client("logs", server.endpoint_url)
    messages = walkthrough_messages()
    group = GROUP + "http"
    populate(logs, messages, group=group, streams=9)
    for pattern in walkthrough_patterns():
        expected = [m for m in messages if cwquery.matches(pattern, m)]
        events: list[str] = []
        paginator = logs.get_paginator("filter_log_events")
        for page in paginator.paginate(
            logGroupName=group, filterPattern=pattern, PaginationConfig={"PageSize": 3}
        ):
            events.extend(event["message"] for event in page["events"])
        assert events == expected, pattern
        answer = logs.test_metric_filter(filterPattern=pattern, logEventMessages=messages)
        assert answer == {**answer, **cwquery.test_metric_filter(pattern, messages)}
    with pytest.raises(ClientError) as caught:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.i > }")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_metrics_and_subscriptions_over_http(server: EmulatorServer) -> None:
    logs = client("logs", server.endpoint_url)
    cloudwatch = client("cloudwatch", server.endpoint_url)
    group, destination = "/http/metrics", "/http/forwarded"
    for name in (group, destination):
        logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=destination, logStreamName="stream-00")
    logs.put_metric_filter(
        logGroupName=group,
        filterName="big",
        filterPattern="{ $.i > 90 }",
        metricTransformations=[
            {"metricName": "BigI", "metricNamespace": "Http", "metricValue": "$.i"}
        ],
    )
    logs.put_subscription_filter(
        logGroupName=group,
        filterName="words",
        filterPattern="?ERROR ?WARN",
        destinationArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{destination}:*",
    )
    populate(logs, walkthrough_messages(), group=group, streams=1, create=False)
    now = datetime.now(timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="Http",
        MetricName="BigI",
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=86400,
        Statistics=["Sum", "SampleCount"],
    )["Datapoints"]
    assert [(p["Sum"], p["SampleCount"]) for p in points] == [(195.0, 2.0)]
    delivered, _ = read_all(logs, logGroupName=destination)
    assert len(delivered) == dict(REFERENCE_COUNTS)["?ERROR ?WARN"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_cli_loads_samples_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    sample = tmp_path / "walkthrough.jsonl"
    sample.write_text("\n".join(walkthrough_messages()) + "\n", encoding="utf-8")
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps(
            {"events": [{"message": "ERROR exported", "timestamp": 1000, "logStreamName": "x"}]}
        ),
        encoding="utf-8",
    )
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from cwquery.cli.emulator import emulator; emulator(prog_name='cwquery emulator')",
        "--port", str(port), "--load", str(sample), "--load", str(export), "--group", GROUP,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline() if process.stdout else ""
            if not line:
                break
            lines.append(line)
            if "listening on" in line:
                break
        assert any(f"http://127.0.0.1:{port}" in line for line in lines), lines
        assert any("loaded 29 events" in line for line in lines), lines
        logs = client("logs", f"http://127.0.0.1:{port}")
        for pattern, count in REFERENCE_COUNTS:
            events, _ = read_all(logs, logGroupName=GROUP, filterPattern=pattern)
            extra = int(cwquery.matches(pattern, "ERROR exported"))  # the exported event
            assert len(events) == count + extra, pattern
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopped" in out


def _serve_one_request(*options: str) -> str:
    """Run ``cwquery emulator`` with ``options``, send one request, stop it; its stderr."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from cwquery.cli.emulator import emulator; emulator(prog_name='cwquery emulator')",
        "--port",
        str(port),
        *options,
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
        client("logs", f"http://127.0.0.1:{port}").describe_log_groups()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    return err


def test_quiet_prints_no_access_line() -> None:
    assert '"POST / HTTP/1.1" 200' in _serve_one_request()
    quiet = _serve_one_request("--quiet")
    assert "HTTP/1.1" not in quiet
    assert "stop with Ctrl-C" in quiet  # only the access lines go


def test_help_shows_the_credentials_and_region_the_aws_cli_needs() -> None:
    result = CliRunner().invoke(emulator, ["--help"], prog_name="cwquery emulator")
    assert result.exit_code == 0
    assert (
        "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url "
        "http://127.0.0.1:4566 --region us-east-1 logs " in result.output
    )
    assert "--quiet" in result.output


def test_cli_usage_errors(tmp_path: Path) -> None:
    sample = tmp_path / "s.txt"
    sample.write_text("ERROR x\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(emulator, ["--load", str(sample)])
    assert result.exit_code == 2 and "--group" in result.output
    result = runner.invoke(emulator, ["--group", "g"])
    assert result.exit_code == 2


def test_a_port_in_use_is_an_error() -> None:
    installed_before = is_installed()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EmulatorError, match="cannot listen"):
            EmulatorServer(port=port).start()
    assert is_installed() == installed_before


def test_sample_file_layouts(tmp_path: Path) -> None:
    lines = read_sample_text('{"level": "INFO", "message": "app log"}\nplain\n\n', now=50)
    assert [(e.timestamp, e.message) for e in lines] == [
        (49, '{"level": "INFO", "message": "app log"}'),  # a JSON message, not an event wrapper
        (50, "plain"),
    ]
    wrapped = read_sample_text('{"timestamp": 7, "message": "m", "logStreamName": "s"}\n')
    assert [(e.timestamp, e.message, e.stream) for e in wrapped] == [(7, "m", "s")]
    assert [e.message for e in read_sample_text('["a", {"message": "b"}]')] == ["a", "b"]
    # not event-shaped, so auto reads it as one message; asked for as an export, an error
    assert [e.message for e in read_sample_text('{"events": [{"nomessage": 1}]}')] == [
        '{"events": [{"nomessage": 1}]}'
    ]
    bad_export = tmp_path / "bad.json"
    bad_export.write_text('{"events": [{"nomessage": 1}]}')
    with pytest.raises(EmulatorError, match="needs a string 'message'"):
        read_sample(bad_export, input_format="export")
    with pytest.raises(EmulatorError, match="cannot read"):
        read_sample(tmp_path / "missing.txt")
    stamped = read_sample(_write(tmp_path / "x.log", "one\ntwo\n"))
    assert [e.message for e in stamped] == ["one", "two"]
    assert stamped[0].timestamp + 1 == stamped[1].timestamp <= now_ms()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path

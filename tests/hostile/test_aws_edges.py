"""AWS-facing edges: fixtures that stay local, endpoints that are wrong, signals mid-output."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cwquery.aws import AwsQueryError
from cwquery.aws.client import call_aws, make_client

pytest_plugins = ["pytester"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_fails_at_once_naming_the_endpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    endpoint = f"http://127.0.0.1:{closed_port()}"
    client = make_client(region="us-east-1", endpoint_url=endpoint)
    with pytest.raises(AwsQueryError) as caught:
        call_aws(client, "describe_log_groups", {})
    assert caught.value.attempts == 1
    assert f"cannot connect to {endpoint}" in str(caught.value)
    assert "connection refused" in str(caught.value)


def test_the_cwlogs_fixture_ignores_aws_endpoint_url(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_create(cwlogs):
            cwlogs.create_log_group(logGroupName="/same")
            assert cwlogs.meta.endpoint_url.endswith("amazonaws.com")
        """
    )
    endpoint = f"http://127.0.0.1:{closed_port()}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", endpoint)
        patch.setenv("AWS_PROFILE", "no-such-profile")
        result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=1)


def test_sigterm_during_filter_follow_json_leaves_valid_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cwquery.emulator.server import EmulatorServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with EmulatorServer(port=0) as server:
        client: Any = make_client(region="us-east-1", endpoint_url=server.endpoint_url)
        client.create_log_group(logGroupName="/sig")
        client.create_log_stream(logGroupName="/sig", logStreamName="s")
        now = int(time.time() * 1000)
        client.put_log_events(
            logGroupName="/sig", logStreamName="s",
            logEvents=[{"timestamp": now - 1000, "message": "ERROR one"}],
        )  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        env["PYTHONUNBUFFERED"] = "1"  # the first event reaches the pipe as it is printed
        command = [
            sys.executable, "-m", "cwquery", "filter", "ERROR", "-g", "/sig", "--follow",
            "--interval", "0.2", "-o", "json", "--region", "us-east-1",
            "--endpoint-url", server.endpoint_url,
        ]  # fmt: skip
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        first = process.stdout.readline()  # "[": the first event is being printed
        assert first.startswith("[")
        process.send_signal(signal.SIGTERM)
        rest = process.stdout.read()  # the same reader: what it buffered is kept
        process.wait(timeout=30)
    events = json.loads(first + rest)
    assert [e["message"] for e in events] == ["ERROR one"]
    assert process.returncode == 0

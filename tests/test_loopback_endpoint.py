"""The commands that talk to CloudWatch Logs, pointed at an emulator on this machine with no AWS
configuration at all (no credentials, no Region, no config files), run from a folder that is
not a clone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cwquery.aws import AwsQueryError, filter_events
from cwquery.aws.client import LOOPBACK_REGION, is_loopback, make_client
from cwquery.emulator import EmulatorServer

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A running emulator holding ``/app`` (three events of the last minute)."""
    with EmulatorServer(port=0) as server:
        logs = boto3.client(
            "logs", endpoint_url=server.endpoint_url, region_name="us-east-1", **CREDENTIALS
        )
        logs.create_log_group(logGroupName="/app")
        logs.create_log_stream(logGroupName="/app", logStreamName="web")
        now = int(time.time() * 1000) - 60_000
        messages = ['{"level": "ERROR", "n": 1}', '{"level": "INFO", "n": 2}', "ERROR plain"]
        logs.put_log_events(
            logGroupName="/app",
            logStreamName="web",
            logEvents=[{"timestamp": now + n, "message": m} for n, m in enumerate(messages)],
        )
        yield server.endpoint_url


@pytest.fixture
def bare_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment with no AWS configuration whatsoever, also applied to this process."""
    home = tmp_path / "home"
    home.mkdir()
    for key in [k for k in os.environ if k.startswith(("AWS_", "BOTO"))]:
        monkeypatch.delenv(key)
    settings = {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    return dict(os.environ)


def cwquery(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cwquery", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_filter_needs_no_credentials_or_region(
    endpoint: str, bare_env: dict[str, str], tmp_path: Path
) -> None:
    done = cwquery(bare_env, tmp_path, "filter", "ERROR", "-g", "/app", "--endpoint-url", endpoint)
    assert done.returncode == 0, done.stderr
    assert [line.split(" ", 2)[2] for line in done.stdout.splitlines()] == [
        '{"level": "ERROR", "n": 1}',
        "ERROR plain",
    ]


def test_backtest_from_a_log_group_needs_no_credentials_or_region(
    endpoint: str, bare_env: dict[str, str], tmp_path: Path
) -> None:
    done = cwquery(
        bare_env,
        tmp_path,
        "backtest",
        "-p",
        '{ $.level = "ERROR" }',
        "--log-group",
        "/app",
        "--start",
        "1h",
        "--end",
        "now",
        "--format",
        "json",
        "--endpoint-url",
        endpoint,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert (summary["events"], summary["matched"]) == (3, 1)


def test_conformance_outside_a_clone_replays_the_shipped_suite(
    endpoint: str, bare_env: dict[str, str], tmp_path: Path
) -> None:
    """No --cases, no credentials, no Region, and a working folder with no tests/ in it."""
    assert not (tmp_path / "tests").exists()
    done = cwquery(bare_env, tmp_path, "conformance", "--endpoint-url", endpoint)
    assert done.returncode == 0, done.stderr
    replayed = int(done.stdout.split()[-5])
    assert replayed >= 400 and done.stdout.strip().endswith(", 0 disagreements"), done.stdout


def test_conformance_cases_still_choose_the_cases(
    endpoint: str, bare_env: dict[str, str], tmp_path: Path
) -> None:
    case = {"pattern": "ERROR", "matches": [0], "evidence": "decision", "source": "D26"}
    document = {"description": "x", "groups": [{"messages": ["ERROR a", "b"], "cases": [case]}]}
    (tmp_path / "one.json").write_text(json.dumps(document), encoding="utf-8")
    done = cwquery(
        bare_env, tmp_path, "conformance", "--endpoint-url", endpoint, "--cases", "one.json"
    )
    assert (done.returncode, done.stdout.strip()) == (0, "1 cases replayed, 0 disagreements")


def test_each_command_says_so_in_its_help() -> None:
    from click.testing import CliRunner

    from cwquery.cli import main

    for command in ("filter", "backtest", "conformance"):
        text = " ".join(CliRunner().invoke(main, [command, "--help"]).stdout.split())
        assert "loopback URL (127.0.0.1, localhost, ::1) needs no AWS setup" in text, command
        assert "dummy credentials and us-east-1" in text, command


def test_a_missing_group_among_several_is_named(
    endpoint: str, bare_env: dict[str, str], tmp_path: Path
) -> None:
    done = cwquery(
        bare_env, tmp_path, "filter", "-g", "/app", "-g", "/worker", "--endpoint-url", endpoint
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: log group /worker: filter_log_events failed: ")
    assert "ResourceNotFoundException" in done.stderr and "/app" not in done.stderr


def test_the_library_error_names_the_missing_group(endpoint: str, bare_env: dict[str, str]) -> None:
    client = make_client(endpoint_url=endpoint)
    with pytest.raises(AwsQueryError) as caught:
        list(filter_events(None, ["/app", "/worker"], client=client))
    assert caught.value.code == "ResourceNotFoundException"
    assert "/worker" in str(caught.value) and "/app" not in str(caught.value)
    assert caught.value.operation == "filter_log_events"


def _region_and_key(client: Any) -> tuple[str, str]:
    credentials = client._request_signer._credentials
    return client.meta.region_name, credentials.access_key


def test_configured_credentials_and_region_are_kept_for_a_loopback_endpoint(
    bare_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _region_and_key(make_client(endpoint_url="http://localhost:4566")) == (
        LOOPBACK_REGION,
        "testing",
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAMINE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    client = make_client(endpoint_url="http://[::1]:4566")
    assert _region_and_key(client) == ("eu-west-1", "AKIAMINE")
    assert make_client(region="ap-south-1", endpoint_url="http://127.0.0.2").meta.region_name == (
        "ap-south-1"
    )


def test_the_environment_endpoint_counts_too(
    bare_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert _region_and_key(make_client()) == (LOOPBACK_REGION, "testing")


def test_other_endpoints_still_need_a_region(bare_env: dict[str, str]) -> None:
    from botocore.exceptions import NoRegionError

    for url in ("http://192.0.2.1:4566", "https://logs.example.com", None):
        with pytest.raises(NoRegionError):
            make_client(endpoint_url=url)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:4566", True),
        ("http://127.1.2.3", True),
        ("http://localhost:4566/", True),
        ("http://LOCALHOST:4566", True),
        ("http://[::1]:4566", True),
        ("http://api.localhost", True),
        ("http://localhost.example.com", False),
        ("http://127.0.0.1.example.com", False),
        ("http://[::2]:4566", False),
        ("http://0.0.0.0:4566", False),
        ("not a url", False),
        ("http://[::1", False),
        ("", False),
    ],
)
def test_what_counts_as_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback

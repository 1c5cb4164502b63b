"""Retries follow botocore's configuration: a real boto3 client over HTTP against a local server
that throttles every request, counting the attempts that reach it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from cwquery.aws.client import AwsQueryError, RetryPolicy, call_aws, make_client

NO_WAIT = RetryPolicy(max_attempts=4, sleep=lambda _: None)


class _Throttling(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self) -> None:
        type(self).count += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    _Throttling.count = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    # botocore's own back-off sleeps are skipped; the attempts still happen over HTTP
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _: None)


def _describe(endpoint: str) -> int:
    client = make_client(region="us-east-1", endpoint_url=endpoint)
    with pytest.raises(AwsQueryError) as caught:
        call_aws(client, "describe_log_groups", {}, retry=NO_WAIT)
    assert caught.value.code == "ThrottlingException"
    return _Throttling.count


def test_without_retry_settings_cwquery_retries_with_its_policy(endpoint: str) -> None:
    assert _describe(endpoint) == NO_WAIT.max_attempts


def test_aws_max_attempts_is_obeyed_and_not_multiplied(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    assert _describe(endpoint) == 2


def test_the_retry_mode_alone_gives_botocores_attempts_for_it(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_RETRY_MODE", "legacy")
    assert _describe(endpoint) == 5


def test_the_profile_settings_are_read(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    config = Path(str(tmp_path)) / "config"
    config.write_text(
        "[profile slow]\nretry_mode = standard\nmax_attempts = 6\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    client = make_client(region="us-east-1", endpoint_url=endpoint, profile="slow")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 6}
    with pytest.raises(AwsQueryError):
        call_aws(client, "describe_log_groups", {}, retry=NO_WAIT)
    assert _Throttling.count == 6


def test_a_users_own_client_keeps_its_settings(endpoint: str) -> None:
    once = boto3.client(
        "logs",
        region_name="us-east-1",
        endpoint_url=endpoint,
        config=boto3.session.Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(AwsQueryError):
        call_aws(once, "describe_log_groups", {}, retry=NO_WAIT)
    assert _Throttling.count == NO_WAIT.max_attempts

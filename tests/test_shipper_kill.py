"""kill -9 in the middle of shipping, then a restart: every line arrives, at most one batch twice.

The shipper runs as a real subprocess against a moto server in this process. It is killed with
SIGKILL as soon as its checkpoint shows progress (while most of the file is still unsent), then
run again to the end. Reading the group back, each line must be there once, except at most the
one batch that was in flight at the kill (accepted by the service, not yet checkpointed), which
may be there twice.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from cwquery.aws import filter_events
from cwquery.aws.timeparse import format_millis

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

REGION = "us-east-1"
GROUP = "/myapp/kill-test"
LINES = 4_000
BATCH = 40
SHIP = "from cwquery.cli.cloudwatch import ship; ship()"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION)
    return env


def offset(checkpoint: Path) -> int:
    try:
        files = json.loads(checkpoint.read_text())["files"]
    except (FileNotFoundError, ValueError, KeyError):
        return 0
    return sum(entry["offset"] for entry in files.values())


def test_kill_9_and_restart_loses_nothing(tmp_path: Path, endpoint: str) -> None:
    start = int(time.time() * 1000) - 600_000
    log_file = tmp_path / "app.log"
    with open(log_file, "w", encoding="utf-8") as out:
        for n in range(LINES):
            record = {"@timestamp": format_millis(start + n // 10), "n": n, "pad": "x" * 40}
            out.write(json.dumps(record) + "\n")
    size = log_file.stat().st_size
    checkpoint = tmp_path / "checkpoint.json"
    command = [
        sys.executable, "-c", SHIP, str(log_file), "--group", GROUP, "--stream-prefix", "app",
        "--checkpoint", str(checkpoint), "--endpoint-url", endpoint, "--region", REGION,
        "--max-batch-events", str(BATCH),
    ]  # fmt: skip

    first = subprocess.Popen(command, env=environment(), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while offset(checkpoint) == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    reached = offset(checkpoint)
    assert first.returncode == -signal.SIGKILL, first.stderr.read() if first.stderr else ""
    assert 0 < reached < size, "the kill must land in the middle of the run"

    second = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert offset(checkpoint) == size

    client: Any = boto3.client(
        "logs", region_name=REGION, endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    counts = Counter(json.loads(e["message"])["n"] for e in filter_events("", GROUP, client=client))
    assert sorted(counts) == list(range(LINES)), "every line arrives"
    twice = sorted(n for n, count in counts.items() if count > 1)
    assert all(counts[n] == 2 for n in twice)
    assert len(twice) <= BATCH, "at most the batch in flight is sent again"
    if twice:
        assert twice == list(range(twice[0], twice[0] + len(twice))), "as one run of lines"

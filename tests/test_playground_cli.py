"""``cwquery playground`` as a user runs it: a real server process, stopped by SIGTERM."""

from __future__ import annotations

import gzip
import json
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main

LOGS = Path(__file__).parent.parent / "examples" / "logs"


def test_serves_the_page_and_the_files_then_stops_on_sigterm() -> None:
    command = [
        sys.executable,
        "-m",
        "cwquery",
        "playground",
        "--port",
        "0",
        str(LOGS / "vpc-flow.log"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first == f"read 200 lines from {LOGS / 'vpc-flow.log'}\n"
        banner = process.stdout.readline()
        assert banner.startswith("cwquery playground at http://127.0.0.1:")
        url = banner.split(" at ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b'<script src="/static/app.js"' in response.read()
        with urllib.request.urlopen(url + "api/samples", timeout=10) as response:
            samples = json.load(response)
        assert len(samples["lines"]) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out.endswith("cwquery playground stopped\n")


def test_a_missing_file_or_a_taken_port_is_an_error() -> None:
    result = CliRunner().invoke(main, ["playground", "/no/such/file.log"])
    assert result.exit_code == 2 and "does not exist" in result.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["playground", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_a_sample_file_the_reader_refuses_is_an_error(tmp_path: Path) -> None:
    compressed = gzip.compress(b"2024-01-01T00:00:00.000Z ERROR x\n" * 1000)
    export = tmp_path / "export.gz"
    export.write_bytes(compressed[: len(compressed) // 2])  # a truncated S3 export
    result = CliRunner().invoke(main, ["playground", str(export)])
    assert result.exit_code == 2 and "truncated or corrupt" in result.stderr

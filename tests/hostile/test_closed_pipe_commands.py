"""Every command, not only ``test``, ends with 141 and says nothing when its reader goes away,
and what the reader read is the start of the output: with a buffered stdout and with an
unbuffered one (``PYTHONUNBUFFERED``, as many containers set it), whose text layer would drop
a write the reader's going cut short and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from cwquery.cli.common import EXIT_PIPE

BUFFERING = {"buffered": None, "unbuffered": "1"}


def environment(unbuffered: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    return env


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    (folder / "infra").mkdir()
    resources = "".join(
        f'resource "aws_cloudwatch_log_metric_filter" "f{n}" {{\n'
        f'  name = "f{n}"\n  pattern = "{{($.a={n})&&($.b=x)}}"\n  log_group_name = "g"\n'
        '  metric_transformation {\n    name = "m"\n    namespace = "n"\n    value = "1"\n  }\n}\n'
        for n in range(1200)
    )
    (folder / "infra" / "main.tf").write_text(resources, encoding="utf-8")
    events = "".join(f"2024-01-01T00:00:00Z ERROR request {n} failed\n" for n in range(20_000))
    (folder / "app.log").write_text(events, encoding="utf-8")
    (folder / "one.jsonl").write_text('{"a": 1}\n', encoding="utf-8")
    (folder / "transformer.json").write_text('[{"parseJSON": {}}]', encoding="utf-8")
    return folder


def commands(folder: Path) -> dict[str, list[str]]:
    """Commands whose output is many times what a pipe holds."""
    return {
        "check --format json": ["check", "--format", "json", str(folder / "infra")],
        "fmt": ["fmt", *(f"{{($.a={n})&&($.b=x)}}" for n in range(12_000))],
        "insights": ["insights", "fields @message | limit 20000", str(folder / "app.log")],
    }


def run(
    args: list[str], unbuffered: str | None, stdout: int | IO[bytes] = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "cwquery", *args],
        env=environment(unbuffered),
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
    )


@pytest.mark.parametrize("unbuffered", BUFFERING.values(), ids=BUFFERING.keys())
@pytest.mark.parametrize("name", ["check --format json", "fmt", "insights"])
def test_a_reader_going_away_mid_write_ends_the_command_with_141(
    inputs: Path, name: str, unbuffered: str | None
) -> None:
    args = commands(inputs)[name]
    whole = run(args, unbuffered).stdout
    assert len(whole) > 256 * 1024  # several pipes' worth: the reader goes mid-write
    reader = subprocess.Popen(["head", "-c", "100"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None
    writer = run(args, unbuffered, stdout=reader.stdin)
    reader.stdin.close()
    assert reader.stdout is not None
    read = reader.stdout.read()
    reader.wait(timeout=60)
    assert (writer.returncode, writer.stderr) == (EXIT_PIPE, b"")
    assert read == whole[:100]


def closed_pipe_run(args: list[str], unbuffered: str | None) -> subprocess.CompletedProcess[bytes]:
    """``args`` run with a stdout whose reader has gone before the first write."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return run(args, unbuffered, stdout=writer)
    finally:
        os.close(writer)


@pytest.mark.parametrize("unbuffered", BUFFERING.values(), ids=BUFFERING.keys())
@pytest.mark.parametrize(
    "args",
    [
        ["covers", "{ $.a = 1 }", "{ $.a = 1 && $.b = 2 }"],
        ["covers", "{ $.a = 1 }", "{ $.a = 2 }"],  # a counterexample and its explanation
        ["covers", "--format", "json", "{ $.a = 1 }", "{ $.b = 1 }"],
        ["fmt", "{($.a=1)}"],
        ["equal", "a", "a"],
        ["quote", "--for", "sh", "ERROR"],
        ["to-insights", "ERROR"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_short_outputs_to_a_closed_pipe_end_with_141(
    args: list[str], unbuffered: str | None
) -> None:
    completed = closed_pipe_run(args, unbuffered)
    assert (completed.returncode, completed.stderr) == (EXIT_PIPE, b"")


@pytest.mark.parametrize("unbuffered", BUFFERING.values(), ids=BUFFERING.keys())
def test_output_before_an_error_to_a_closed_pipe_is_no_traceback(
    inputs: Path, unbuffered: str | None
) -> None:
    """The line is printed, then a missing file is an error: the closed pipe is seen before the
    exit, not in the interpreter's last flush (``Exception ignored … BrokenPipeError``)."""
    args = ["transform", "--config", str(inputs / "transformer.json"), str(inputs / "one.jsonl")]
    completed = closed_pipe_run([*args, str(inputs / "missing.jsonl")], unbuffered)
    assert completed.returncode == EXIT_PIPE
    # unbuffered, the line's write itself meets the closed pipe: the error is never reached
    said = b"" if unbuffered else f"error: {inputs / 'missing.jsonl'}: ".encode()
    assert completed.stderr.startswith(said) and completed.stderr.count(b"\n") == bool(said)

"""``cwquery tail`` and its spans on hostile input: a closed pipe, deep JSON, lone surrogates."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import cwquery
from cwquery.cli.common import EXIT_PIPE
from cwquery.spans import match_spans

_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from cwquery.aws import put_events
    from cwquery.cli import main
    from cwquery.emulator import mock_logs

    with mock_logs():
        import boto3
        logs = boto3.client("logs", region_name="us-east-1")
        now = int(time.time() * 1000) - 60_000
        put_events("/big", "s", [(now + n, f"ERROR {n} " + "x" * 600) for n in range(400)],
                   client=logs, create=True)
        main(["tail", "-g", "/big", "ERROR", "--region", "us-east-1"])
    """
)


def test_a_closed_pipe_ends_the_tail_quietly_with_141() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    script = f'{sys.executable} -c "$SCRIPT" | head -1 >/dev/null; echo "${{PIPESTATUS[0]}}"'
    completed = subprocess.run(
        ["bash", "-c", script],
        env={**env, "SCRIPT": _SCRIPT},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.stdout.strip() == str(EXIT_PIPE), completed.stderr
    assert completed.stderr == ""


def test_deep_json_matches_without_spans_instead_of_failing() -> None:
    message = '{"a": 1, "deep": ' + "[" * 900 + "]" * 900 + "}"
    assert cwquery.matches("{ $.a = 1 }", message)
    assert match_spans("{ $.a = 1 }", message) == []


def test_lone_surrogates_in_a_message() -> None:
    message = "ERROR \ud800 code 42"
    assert match_spans("ERROR", message) == [(0, 5)]
    assert match_spans("%[0-9]+%", message) == [(13, 15)]


def test_overlapping_occurrences_are_one_span() -> None:
    assert match_spans("aa", "aaaaa b aa") == [(0, 5), (8, 10)]
    assert match_spans('"a a" a', "a a a") == [(0, 5)]

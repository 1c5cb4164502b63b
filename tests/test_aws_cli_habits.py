"""``cwquery filter`` with the habits of ``aws logs tail``, against moto: optional pattern,
--format, --color, the 10-minute default, epoch seconds, and log group wildcards."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from click.testing import CliRunner

from cwquery.aws import put_events
from cwquery.aws.timeparse import format_millis
from cwquery.cli.cloudwatch import filter_command

REGION = "us-east-1"
GROUP = "/myapp/test"


@pytest.fixture
def base(client: Any) -> int:
    """Three recent events in GROUP/web (the first one minute ago), one 20 minutes old, and
    events in /myapp/other and /other."""
    start = int(time.time() * 1000) - 60_000
    events = [
        (start, "ERROR one"),
        (start + 1000, '{"level": "INFO", "n": 2}'),
        (start + 2000, "ERROR three"),
    ]
    put_events(
        GROUP, "web", [(start - 20 * 60_000, "ERROR old"), *events], client=client, create=True
    )
    put_events("/myapp/other", "api", [(start + 500, "ERROR other")], client=client, create=True)
    put_events("/other", "api", [(start + 700, "ERROR elsewhere")], client=client, create=True)
    return start


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(filter_command, ["--region", REGION, *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_pattern_is_optional_and_has_aws_logs_option_name(base: int) -> None:
    code, out, _ = run("-g", GROUP, "--format", "message")
    assert code == 0
    assert out.splitlines() == ["ERROR one", '{"level": "INFO", "n": 2}', "ERROR three"]
    code, out, _ = run("-g", GROUP, "--filter-pattern", "ERROR", "--format", "message")
    assert out.splitlines() == ["ERROR one", "ERROR three"]
    code, _, err = run("ERROR", "-g", GROUP, "--filter-pattern", "ERROR")
    assert code == 2 and "give the pattern once" in err


def test_formats(base: int) -> None:
    code, out, _ = run("ERROR", "-g", GROUP, "--format", "short")
    assert out.splitlines() == [
        f"{format_millis(base)} ERROR one",
        f"{format_millis(base + 2000)} ERROR three",
    ]
    code, out, _ = run("-g", GROUP, "--format", "detailed")
    assert out.splitlines()[0] == f"{format_millis(base)} web ERROR one"
    code, out, _ = run("-g", GROUP, "--format", "json")
    assert f'{format_millis(base + 1000)} web {{\n    "level": "INFO",\n    "n": 2\n}}' in out
    assert f"{format_millis(base)} web ERROR one\n" in out
    code, out, _ = run("ERROR", "-g", GROUP, "--format", "jsonl")
    assert [json.loads(line)["message"] for line in out.splitlines()] == [
        "ERROR one",
        "ERROR three",
    ]
    code, _, err = run("-g", GROUP, "--format", "short", "-o", "json")
    assert code == 2 and "not both" in err


def test_color(base: int) -> None:
    _, coloured, _ = run("ERROR", "-g", GROUP, "--color", "on")
    assert f"\x1b[32m{format_millis(base)}\x1b[0m \x1b[36mweb\x1b[0m ERROR one" in coloured
    for choice in ("off", "auto"):  # the test runner is no terminal
        _, plain, _ = run("ERROR", "-g", GROUP, "--color", choice)
        assert "\x1b[" not in plain and f"{format_millis(base)} web ERROR one" in plain


def test_the_last_ten_minutes_by_default(base: int) -> None:
    _, recent, _ = run("ERROR", "-g", GROUP, "--format", "message")
    assert recent.splitlines() == ["ERROR one", "ERROR three"]
    _, hour, _ = run("ERROR", "-g", GROUP, "--format", "message", "--since", "1h")
    assert hour.splitlines() == ["ERROR old", "ERROR one", "ERROR three"]


def test_epoch_seconds_and_milliseconds_are_told_apart(base: int) -> None:
    seconds = str((base + 1000) // 1000)
    millis = str(base + 1000)
    _, by_seconds, _ = run("-g", GROUP, "--format", "message", "--since", seconds)
    _, by_millis, _ = run("-g", GROUP, "--format", "message", "--since", millis)
    assert by_millis.splitlines() == ['{"level": "INFO", "n": 2}', "ERROR three"]
    # whole seconds round down to at most a second earlier
    assert by_seconds.splitlines()[-2:] == by_millis.splitlines()


def test_group_wildcards_are_resolved(base: int) -> None:
    code, out, _ = run("ERROR", "-g", "/myapp/*", "--format", "detailed")
    assert code == 0
    assert [line.split(" ", 1)[1] for line in out.splitlines()] == [
        f"{GROUP} web ERROR one",
        "/myapp/other api ERROR other",
        f"{GROUP} web ERROR three",
    ]
    code, out, _ = run("ERROR", "-g", "*other", "--format", "message")
    assert out.splitlines() == ["ERROR other", "ERROR elsewhere"]
    code, _, err = run("ERROR", "-g", "/nothing/*")
    assert code == 2 and "no log group matches '/nothing/*'" in err

"""``cwquery filter`` through click's runner, against moto."""

import json
import time
from typing import Any

import pytest
from click.testing import CliRunner

from cwquery.aws import put_events
from cwquery.aws.timeparse import format_millis
from cwquery.cli import cloudwatch as cli_aws
from cwquery.cli.cloudwatch import filter_command

REGION = "us-east-1"
GROUP = "/myapp/test"


@pytest.fixture
def base(client: Any) -> int:
    """Five events in GROUP/web, one second apart, the last one minute ago."""
    start = int(time.time() * 1000) - 65_000
    lines = ["ERROR one", "INFO two", "ERROR three", "WARN four", "ERROR five"]
    events = [(start + n * 1000, line) for n, line in enumerate(lines)]
    put_events(GROUP, "web", events, client=client, create=True)
    return start


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(filter_command, ["--region", REGION, *args])
    return result.exit_code, result.stdout, result.stderr


def test_text_output(base: int) -> None:
    code, out, _ = run("ERROR", "--group", GROUP)
    assert code == 0
    assert out.splitlines() == [
        f"{format_millis(base)} web ERROR one",
        f"{format_millis(base + 2000)} web ERROR three",
        f"{format_millis(base + 4000)} web ERROR five",
    ]


def test_several_groups_show_the_group(client: Any, base: int) -> None:
    put_events("/other", "api", [(base + 500, "ERROR elsewhere")], client=client, create=True)
    code, out, _ = run("ERROR", "-g", GROUP, "-g", "/other", "--since", "1d")
    assert code == 0
    assert [line.split(" ", 1)[1] for line in out.splitlines()] == [
        f"{GROUP} web ERROR one",
        "/other api ERROR elsewhere",
        f"{GROUP} web ERROR three",
        f"{GROUP} web ERROR five",
    ]


def test_json_and_jsonl_output(base: int) -> None:
    code, out, _ = run("ERROR", "-g", GROUP, "--output", "json")
    records = json.loads(out)
    assert code == 0 and [r["message"] for r in records] == [
        "ERROR one",
        "ERROR three",
        "ERROR five",
    ]
    assert records[0]["time"] == format_millis(base) and records[0]["logGroupName"] == GROUP
    code, out, _ = run("ERROR", "-g", GROUP, "-o", "jsonl", "--limit", "2")
    assert [json.loads(line)["message"] for line in out.splitlines()] == [
        "ERROR one",
        "ERROR three",
    ]


def test_time_window(base: int) -> None:
    since, until = format_millis(base + 1000), format_millis(base + 3000)
    code, out, _ = run("", "-g", GROUP, "--since", since, "--until", until, "-o", "jsonl")
    assert code == 0
    assert [json.loads(line)["message"] for line in out.splitlines()] == [
        "INFO two",
        "ERROR three",
        "WARN four",
    ]


def test_no_match_exits_1(base: int) -> None:
    assert run("CRITICAL", "-g", GROUP)[:2] == (1, "")
    assert run("CRITICAL", "-g", GROUP, "-o", "json")[:2] == (1, "[]\n")


def test_a_bad_pattern_exits_2_with_a_caret(base: int) -> None:
    code, out, err = run("{ $.level == ERROR }", "-g", GROUP)
    assert (code, out) == (2, "")
    assert err.startswith("syntax: ") and "^" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "last week"], "cannot read 'last week' as a time"),
        (["--stream", "a", "--stream-prefix", "a"], "not both"),
        (["--follow", "--until", "1h"], "--until cannot be used with --follow"),
    ],
)
def test_usage_errors_exit_2(base: int, args: list[str], message: str) -> None:
    code, _, err = run("ERROR", "-g", GROUP, *args)
    assert code == 2 and message in err


def test_service_errors_exit_2(client: Any) -> None:
    code, _, err = run("ERROR", "-g", "/does/not/exist")
    assert code == 2 and "ResourceNotFoundException" in err


def test_missing_group_option_is_a_usage_error() -> None:
    assert run("ERROR")[0] == 2


def test_follow_prints_new_events_once_and_stops_on_ctrl_c(
    client: Any, base: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    polls = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            put_events(
                GROUP,
                "web",
                [(base + 4000, "ERROR six"), (base + 5000, "ERROR seven")],
                client=client,
            )
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_aws, "_sleep", sleep)
    code, out, err = run("ERROR", "-g", GROUP, "--since", "1h", "--follow", "--interval", "0.5")
    assert code == 0 and err == ""
    assert [line.split(" ", 2)[2] for line in out.splitlines()] == [
        "ERROR one",
        "ERROR three",
        "ERROR five",
        "ERROR six",
        "ERROR seven",
    ]
    assert polls == [0.5, 0.5]


def test_follow_json_output_stays_a_valid_document(
    client: Any, base: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_aws, "_sleep", sleep)
    code, out, _ = run("ERROR", "-g", GROUP, "--since", "1h", "-f", "-o", "json")
    assert code == 0 and len(json.loads(out)) == 3

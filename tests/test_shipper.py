"""The shipper: line parsing, per-day streams, checkpoints, rotation, follow mode, the CLI."""

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from cwquery.aws import AwsQueryError, RetryPolicy, filter_events
from cwquery.aws.shipper import (
    Checkpoint,
    LineFormat,
    MalformedLine,
    Shipper,
    ShipperError,
    default_checkpoint_path,
    expand_paths,
    parse_line,
    stream_name,
)
from cwquery.aws.timeparse import format_millis, utc_day
from cwquery.cli.cloudwatch import ship

REGION = "us-east-1"
GROUP = "/myapp/ship"
NO_WAIT = RetryPolicy(max_attempts=2, sleep=lambda _: None)


NOW = int(time.time() * 1000) - 3_600_000


def line(n: int, at: int | None = None, **extra: Any) -> str:
    record = {"@timestamp": format_millis(NOW + n if at is None else at), "logger": "app", "n": n}
    record.update(extra)
    return json.dumps(record) + "\n"


def write(path: Path, *lines: str, mode: str = "a") -> None:
    with open(path, mode, encoding="utf-8") as out:
        out.write("".join(lines))


def shipped(client: Any, group: str = GROUP) -> list[dict[str, Any]]:
    return list(filter_events("", group, client=client))


def numbers(client: Any) -> list[int]:
    return sorted(json.loads(e["message"])["n"] for e in shipped(client))


def shipper(tmp_path: Path, client: Any, *paths: Path, **kwargs: Any) -> Shipper:
    return Shipper(
        list(paths or [tmp_path / "logs"]),
        GROUP,
        "web",
        client=client,
        checkpoint=tmp_path / "state" / "checkpoint.json",
        retry=NO_WAIT,
        **kwargs,
    )


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


# --- lines ---------------------------------------------------------------------------------------


def test_a_line_becomes_time_and_message() -> None:
    raw = b'{"@timestamp":"2024-05-01T12:00:00.250+02:00","logger":"a",' + (
        b'"level":"INFO","msg":"\xc3\xa9"}'
    )
    assert parse_line(raw, LineFormat()) == (1_714_557_600_250, '{"level":"INFO","msg":"é"}')


def test_time_field_and_dropped_fields_are_configurable() -> None:
    fmt = LineFormat(time_field="time", drop_fields=("secret",))
    raw = b'{"time": "2024-05-01", "secret": 1, "logger": "kept"}'
    assert parse_line(raw, fmt) == (1_714_521_600_000, '{"time":"2024-05-01","logger":"kept"}')


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"plain text", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"msg": "no time"}', "no @timestamp string"),
        (b'{"@timestamp": 1714557600}', "no @timestamp string"),
        (b'{"@timestamp": "yesterday"}', "is not ISO 8601"),
        (b'{"@timestamp": "2024-05-01", "x": "\xff"}', "not UTF-8"),
        (b'{"@timestamp": "2024-05-01", "x": "' + b"y" * 1_048_576 + b'"}', "1 MiB"),
    ],
)
def test_malformed_lines(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedLine, match=reason):
        parse_line(raw, LineFormat())


def test_blank_lines_are_skipped() -> None:
    assert parse_line(b"  \r\n", LineFormat()) is None


def test_streams_are_named_by_utc_day() -> None:
    assert stream_name("web", 1_714_607_999_999) == "web_20240501"
    assert stream_name("web", 1_714_608_000_000) == "web_20240502"


def test_directories_expand_to_matching_files(tmp_path: Path) -> None:
    for name in ("b.log", "a.json", "c.jsonl", "d.txt", ".hidden.log", "e.log.1"):
        (tmp_path / name).write_text("")
    (tmp_path / "sub.log").mkdir()
    other = tmp_path / "d.txt"
    assert [p.name for p in expand_paths([tmp_path, other, other])] == [
        "a.json",
        "b.log",
        "c.jsonl",
        "d.txt",
    ]


def test_default_checkpoint_is_per_group_and_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/state")
    one = default_checkpoint_path("/g", "web")
    assert one.parent == Path("/state/cwquery") and one.name.startswith("ship-")
    assert one != default_checkpoint_path("/g", "api")


def test_a_damaged_checkpoint_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"files": {"1:2": {"path": "x"}}}')
    with pytest.raises(ShipperError, match="unreadable"):
        Checkpoint.load(path)
    assert Checkpoint.load(tmp_path / "missing.json").files == {}


# --- shipping ------------------------------------------------------------------------------------


def test_ships_every_line_to_per_day_streams(client: Any, tmp_path: Path, logs: Path) -> None:
    yesterday = NOW - 86_400_000
    write(logs / "app.log", line(0, yesterday), line(1), "not json\n", "\n", line(2))
    write(logs / "other.json", line(3), line(4, extra="x"))
    stats = shipper(tmp_path, client, max_batch_events=1).run()
    assert (stats.lines, stats.accepted, stats.malformed, stats.batches) == (5, 5, 1, 5)
    assert "app.log: byte" in stats.samples[0] and "not JSON" in stats.samples[0]
    events = {json.loads(e["message"])["n"]: e for e in shipped(client)}
    assert sorted(events) == [0, 1, 2, 3, 4]
    assert events[0]["logStreamName"] == f"web_{utc_day(yesterday)}"
    assert events[1]["logStreamName"] == f"web_{utc_day(NOW + 1)}"
    assert events[1]["timestamp"] == NOW + 1
    assert json.loads(events[4]["message"]) == {"n": 4, "extra": "x"}
    saved = json.loads((tmp_path / "state" / "checkpoint.json").read_text())
    assert sorted(entry["offset"] for entry in saved["files"].values()) == sorted(
        os.path.getsize(p) for p in (logs / "app.log", logs / "other.json")
    )


def test_a_restart_sends_only_new_lines(client: Any, tmp_path: Path, logs: Path) -> None:
    write(logs / "app.log", *(line(n) for n in range(5)))
    assert shipper(tmp_path, client).run().accepted == 5
    assert shipper(tmp_path, client).run().accepted == 0
    write(logs / "app.log", line(5), line(6))
    assert shipper(tmp_path, client).run().accepted == 2
    assert numbers(client) == list(range(7))


def test_a_trailing_malformed_line_is_not_reported_twice(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    write(logs / "app.log", line(0), "garbage\n")
    assert shipper(tmp_path, client).run().malformed == 1
    assert shipper(tmp_path, client).run().malformed == 0


def test_batches_follow_the_size_setting(client: Any, tmp_path: Path, logs: Path) -> None:
    write(logs / "app.log", *(line(n) for n in range(25)))
    stats = shipper(tmp_path, client, max_batch_events=10).run()
    assert (stats.batches, stats.accepted) == (3, 25)


def test_a_rotated_file_keeps_its_offset(client: Any, tmp_path: Path, logs: Path) -> None:
    write(logs / "app.log", line(0), line(1))
    shipper(tmp_path, client).run()
    write(logs / "app.log", line(2))  # written just before rotation, not shipped yet
    os.rename(logs / "app.log", logs / "app-1.log")
    write(logs / "app.log", line(3))
    assert shipper(tmp_path, client).run().accepted == 2
    assert numbers(client) == [0, 1, 2, 3]


def test_a_truncated_file_is_read_from_the_start(client: Any, tmp_path: Path, logs: Path) -> None:
    write(logs / "app.log", line(0), line(1), line(2))
    shipper(tmp_path, client).run()
    write(logs / "app.log", line(3), mode="w")  # copytruncate, then a new line
    assert shipper(tmp_path, client).run().accepted == 1
    assert numbers(client) == [0, 1, 2, 3]


def test_a_file_rewritten_in_place_is_read_from_the_start(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    write(logs / "app.log", line(0), line(1))
    shipper(tmp_path, client).run()
    with open(logs / "app.log", "r+", encoding="utf-8") as out:  # same inode, new content
        out.write(line(7) + line(8) + line(9))
    assert shipper(tmp_path, client).run().accepted == 3
    assert numbers(client) == [0, 1, 7, 8, 9]


class FailingPuts:
    """A client that accepts ``allowed`` batches, then refuses every put_log_events."""

    def __init__(self, client: Any, allowed: int) -> None:
        self.client = client
        self.allowed = allowed

    def put_log_events(self, **params: Any) -> Any:
        if self.allowed <= 0:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "denied"}}
            raise ClientError(error, "PutLogEvents")
        response = self.client.put_log_events(**params)
        self.allowed -= 1
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_a_failed_batch_is_not_checkpointed(client: Any, tmp_path: Path, logs: Path) -> None:
    write(logs / "app.log", *(line(n) for n in range(30)))
    failing = FailingPuts(client, allowed=2)
    with pytest.raises(AwsQueryError, match="AccessDeniedException"):
        shipper(tmp_path, failing, max_batch_events=10).run()
    assert numbers(client) == list(range(20))
    assert shipper(tmp_path, client, max_batch_events=10).run().accepted == 10
    assert numbers(client) == list(range(30))


def test_following_waits_for_whole_lines_and_survives_errors(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    path = logs / "app.log"
    write(path, line(0), line(1)[:10])  # the second line is still being written
    failing = FailingPuts(client, allowed=1)
    passes = 0

    def sleep(_: float) -> None:
        nonlocal passes
        passes += 1
        if passes == 1:
            write(path, line(1)[10:], line(2))
        elif passes == 2:
            failing.allowed = 10**6  # the service recovers
            write(path, '{"@timestamp": "half a line')

    runner = shipper(
        tmp_path, failing, follow=True, interval=0.01, sleep=sleep, should_stop=lambda: passes >= 3
    )
    stats = runner.run()
    assert (stats.accepted, stats.errors, stats.malformed) == (3, 1, 0)
    assert numbers(client) == [0, 1, 2]


# --- the command ---------------------------------------------------------------------------------


def test_ship_command_with_settings_from_the_environment(
    client: Any, tmp_path: Path, logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(logs / "app.log", line(0), "{oops\n", line(1))
    monkeypatch.setenv("LOG_GROUP", GROUP)
    monkeypatch.setenv("LOG_STREAM_PREFIX", "sidecar")
    monkeypatch.setenv("LOG_PATH", str(logs))
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("CWQUERY_CHECKPOINT", str(tmp_path / "cp.json"))
    result = CliRunner().invoke(ship, ["--keep-all-fields"])
    assert result.exit_code == 0, result.stderr
    assert "2 events accepted in 1 batches from 2 lines; 1 malformed lines" in result.stderr
    assert "app.log: byte" in result.stderr
    events = shipped(client)
    assert {e["logStreamName"] for e in events} == {f"sidecar_{utc_day(NOW)}"}
    assert json.loads(events[0]["message"])["logger"] == "app"
    assert (tmp_path / "cp.json").exists()


def test_ship_command_without_paths_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_PATH", raising=False)
    result = CliRunner().invoke(ship, ["--group", "g", "--stream-prefix", "p"])
    assert result.exit_code == 2 and "PATH" in result.stderr


def test_ship_command_reports_a_damaged_checkpoint(tmp_path: Path, client: Any) -> None:
    (tmp_path / "cp.json").write_text("{")
    result = CliRunner().invoke(
        ship,
        [
            str(tmp_path),
            "-g",
            "g",
            "--stream-prefix",
            "p",
            "--checkpoint",
            str(tmp_path / "cp.json"),
            "--region",
            REGION,
        ],
    )
    assert result.exit_code == 2 and "unreadable" in result.stderr


def test_a_missing_file_is_reported(
    client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="cwquery"):
        stats = shipper(tmp_path, client, tmp_path / "typo.log").run()
    assert stats.accepted == 0 and "typo.log: no such file" in caplog.text

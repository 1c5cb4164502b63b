"""The shipper never stops on data and loses nothing silently."""

from __future__ import annotations

import builtins
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from recent import recent_copy

from cwquery.aws import RetryPolicy, filter_events
from cwquery.aws.deadletter import CheckpointBusy, CheckpointLock, dead_letter_path
from cwquery.aws.shipper import Shipper
from cwquery.aws.timeparse import format_millis
from cwquery.cli.cloudwatch import ship

GROUP = "/hostile/ship"
NOW = int(time.time() * 1000) - 3_600_000
NO_WAIT = RetryPolicy(max_attempts=2, sleep=lambda _: None)
EXAMPLES = Path(__file__).parent.parent.parent / "examples" / "logs"


def line(n: int, at: int | None = None) -> str:
    return json.dumps({"@timestamp": format_millis(NOW + n if at is None else at), "n": n}) + "\n"


def numbers(client: Any) -> list[int]:
    return sorted(json.loads(e["message"])["n"] for e in filter_events("", GROUP, client=client))


def make(tmp_path: Path, client: Any, *paths: Path, **kwargs: Any) -> Shipper:
    return Shipper(
        list(paths or [tmp_path / "logs"]),
        GROUP,
        "web",
        client=client,
        checkpoint=tmp_path / "state" / "checkpoint.json",
        retry=NO_WAIT,
        **kwargs,
    )


def dead(tmp_path: Path) -> list[dict[str, Any]]:
    path = dead_letter_path(tmp_path / "state" / "checkpoint.json")
    return [json.loads(text) for text in path.read_text().splitlines()]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def test_a_time_before_1970_is_a_dead_letter_and_the_rest_ships(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    bad = '{"@timestamp": "1969-12-31T23:59:59Z", "n": -1}\n'
    (logs / "app.log").write_text(line(0) + bad + line(1))
    stats = make(tmp_path, client).run()
    assert (stats.accepted, stats.malformed, stats.dead_letters) == (2, 1, 1)
    assert numbers(client) == [0, 1]
    [letter] = dead(tmp_path)
    assert letter["offset"] == len(line(0)) and letter["line"] == bad.strip()
    assert "before 1970" in letter["reason"]


def test_a_deeply_nested_line_is_a_dead_letter(client: Any, tmp_path: Path, logs: Path) -> None:
    deep = '{"@timestamp": "2024-01-01T00:00:00Z", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    (logs / "app.log").write_text(line(0) + deep + line(1))
    stats = make(tmp_path, client).run()
    assert numbers(client) == [0, 1]
    assert [d["reason"] for d in dead(tmp_path)] == ["nested too deeply"]
    assert stats.dead_letters == 1


def test_invalid_utf8_is_kept_as_base64(client: Any, tmp_path: Path, logs: Path) -> None:
    (logs / "app.log").write_bytes(b"\xff\xfe not text\n" + line(0).encode())
    make(tmp_path, client).run()
    assert numbers(client) == [0]
    assert dead(tmp_path)[0]["lineBase64"] == "//4gbm90IHRleHQ="


def test_the_service_refusing_an_old_event_is_a_dead_letter(
    cwlogs: Any, tmp_path: Path, logs: Path
) -> None:
    old = NOW - 30 * 86_400_000
    (logs / "app.log").write_text(line(7, at=old))
    stats = make(tmp_path, cwlogs).run()  # the emulator reports the service's indexes
    assert stats.rejected == 1 and stats.dead_letters == 1
    [letter] = dead(tmp_path)
    assert letter["reason"] == "refused by the service: too-old"
    assert letter["offset"] == 0 and json.loads(letter["line"])["timestamp"] == old


def test_an_unfinished_last_line_waits_for_its_newline(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    path = logs / "app.log"
    path.write_text(line(0) + line(1)[:10])
    stats = make(tmp_path, client).run()
    assert (numbers(client), stats.malformed, stats.pending_bytes) == ([0], 0, 10)
    path.write_text(line(0) + line(1))
    make(tmp_path, client).run()
    assert numbers(client) == [0, 1]


def test_a_file_renamed_out_of_the_glob_is_read_to_its_end(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    path = logs / "app.log"
    path.write_text(line(0))
    make(tmp_path, client).run()
    with open(path, "a") as out:
        out.write(line(1) + line(2)[:-1])  # written after the last pass, last line unfinished
    path.rename(logs / "app.log.1")  # logrotate: the name no longer matches *.log
    path.write_text(line(3))
    make(tmp_path, client).run()
    assert numbers(client) == [0, 1, 2, 3]


def test_copytruncate_reads_the_rest_from_the_copy(client: Any, tmp_path: Path, logs: Path) -> None:
    path = logs / "app.log"
    path.write_text(line(0))
    make(tmp_path, client).run()
    with open(path, "a") as out:
        out.write(line(1))
    shutil.copyfile(path, logs / "app.log.1")
    with open(path, "w") as out:
        out.write(line(2))
    make(tmp_path, client).run()
    assert numbers(client) == [0, 1, 2]


def test_an_unreadable_file_is_skipped_and_the_others_ship(
    client: Any, tmp_path: Path, logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (logs / "a.log").write_text(line(0))
    (logs / "b.log").write_text(line(1))
    real_open = builtins.open

    def refusing_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("a.log"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    stats = make(tmp_path, client).run()
    assert numbers(client) == [1]
    assert stats.skipped_files == 1
    assert any("a.log: skipped, cannot be read (Permission denied)" in s for s in stats.samples)


def test_a_second_shipper_on_the_same_checkpoint_is_refused(tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint.json"
    first = CheckpointLock(checkpoint)
    first.acquire()
    try:
        with pytest.raises(CheckpointBusy, match="another shipper"):
            CheckpointLock(checkpoint).acquire()
    finally:
        first.release()
    CheckpointLock(checkpoint).acquire()


def test_temporary_files_left_by_a_kill_are_removed(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    (tmp_path / "state").mkdir()
    stale = tmp_path / "state" / ".checkpoint.json.4242.tmp"
    stale.write_text("{")
    (logs / "app.log").write_text(line(0))
    make(tmp_path, client).run()
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == [
        "checkpoint.json",
        "checkpoint.json.lock",
    ]


def test_the_wrong_time_field_is_a_configuration_error_and_stays_replayable(
    client: Any, tmp_path: Path
) -> None:
    sample = recent_copy(EXAMPLES / "app.jsonl", tmp_path / "app.jsonl")
    total = sum(1 for text in sample.read_text().splitlines() if text.startswith("{"))
    checkpoint = tmp_path / "checkpoint.json"
    common = [str(sample), "-g", GROUP, "--stream-prefix", "app", "--checkpoint", str(checkpoint)]
    first = CliRunner().invoke(ship, common)
    assert first.exit_code == 2
    assert "no line has the time field '@timestamp'" in first.stderr
    assert "--time-field" in first.stderr
    fixed = CliRunner().invoke(ship, [*common, "--time-field", "timestamp"])
    assert fixed.exit_code == 0, fixed.stderr
    assert len(list(filter_events("", GROUP, client=client))) == total


def test_copytruncate_with_an_idle_new_file_does_not_resend_the_copy(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    path = logs / "app.log"
    path.write_text(line(0))
    make(tmp_path, client).run()
    with open(path, "a") as out:
        out.write(line(1))
    shutil.copyfile(path, logs / "app.log.1")
    path.write_text("")  # truncated, and nothing written since
    for _ in range(3):
        make(tmp_path, client).run()
    with open(path, "a") as out:
        out.write(line(2))
    make(tmp_path, client).run()
    assert numbers(client) == [0, 1, 2]


def test_a_fifo_given_as_a_path_is_skipped_not_waited_on(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    fifo = logs / "pipe.log"
    os.mkfifo(fifo)
    (logs / "app.log").write_text(line(0))
    stats = make(tmp_path, client, fifo, logs / "app.log").run()
    assert numbers(client) == [0]
    assert stats.skipped_files == 1
    assert any("pipe.log: skipped, cannot be read (not a regular file)" in s for s in stats.samples)

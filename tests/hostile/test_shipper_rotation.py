"""Rotation while the shipper is down, or between two passes: no line is lost silently.

Files are found by identity among the siblings of the watched names (``app.log.1``,
``app.log.2.gz``, ``app.log-20240501``); a copy (``copytruncate``) or a gzip of a file already
sent is read from that file's offset; what cannot be read is warned about and counted.
"""

from __future__ import annotations

import builtins
import gzip
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from cwquery.aws import RetryPolicy, filter_events
from cwquery.aws.shipper import Shipper
from cwquery.aws.timeparse import format_millis

GROUP = "/hostile/rotation"
NOW = int(time.time() * 1000) - 3_600_000
NO_WAIT = RetryPolicy(max_attempts=2, sleep=lambda _: None)


def line(n: int) -> str:
    return json.dumps({"@timestamp": format_millis(NOW + n), "n": n}) + "\n"


def lines(*numbers: int) -> str:
    return "".join(line(n) for n in numbers)


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(text)


def received(client: Any) -> list[int]:
    return sorted(json.loads(e["message"])["n"] for e in filter_events("", GROUP, client=client))


def ship(tmp_path: Path, client: Any, **kwargs: Any) -> Any:
    return Shipper(
        [tmp_path / "logs"],
        GROUP,
        "web",
        client=client,
        checkpoint=tmp_path / "state" / "checkpoint.json",
        retry=NO_WAIT,
        **kwargs,
    ).run()


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def test_a_file_born_and_rotated_while_the_shipper_was_down_is_read(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0, 1))
    ship(tmp_path, client)
    append(live, line(2))  # unsent when the shipper stops
    live.rename(logs / "app.log.1")  # rotation 1, shipper down
    live.write_text(lines(3, 4))  # a file the shipper never sees under its live name
    (logs / "app.log.1").rename(logs / "app.log.2")  # rotation 2
    live.rename(logs / "app.log.1")
    live.write_text(lines(5))
    stats = ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3, 4, 5]
    assert stats.unreadable == 0


def test_copytruncate_then_a_rename_while_down_keeps_the_copys_tail(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0, 1))
    ship(tmp_path, client)
    append(live, line(2))  # unsent
    shutil.copyfile(live, logs / "app.log.1")  # copytruncate
    live.write_text("")
    append(live, lines(3, 4))  # written to the truncated file
    (logs / "app.log.1").rename(logs / "app.log.2")  # then a rename rotation
    live.rename(logs / "app.log.1")
    live.write_text(lines(5))
    stats = ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3, 4, 5]
    assert stats.unreadable == 0


def test_two_copytruncates_while_down_read_both_copies_once(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0))
    ship(tmp_path, client)
    append(live, line(1))
    shutil.copyfile(live, logs / "app.log.1")
    live.write_text(lines(2))
    (logs / "app.log.1").rename(logs / "app.log.2")
    shutil.copyfile(live, logs / "app.log.1")
    live.write_text(lines(3))
    ship(tmp_path, client)
    ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3]


def test_a_rotated_file_compressed_while_down_is_read_from_its_offset(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0, 1))
    ship(tmp_path, client)
    append(live, lines(2, 3))  # unsent
    live.rename(logs / "app.log.1")
    live.write_text(lines(4))
    with open(logs / "app.log.1", "rb") as plain, gzip.open(logs / "app.log.1.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)  # logrotate's compress: a new file, the old one removed
    (logs / "app.log.1").unlink()
    stats = ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3, 4]
    assert stats.unreadable == 0
    ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3, 4]


def test_a_gzip_made_after_the_rotated_file_was_read_sends_nothing_again(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0, 1))
    ship(tmp_path, client)
    live.rename(logs / "app.log.1")
    live.write_text(lines(2))
    ship(tmp_path, client)
    with open(logs / "app.log.1", "rb") as plain, gzip.open(logs / "app.log.2.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    ship(tmp_path, client)  # the gzip is a copy of a file still there: left alone
    (logs / "app.log.1").unlink()
    stats = ship(tmp_path, client)
    assert received(client) == [0, 1, 2]
    assert stats.unreadable == 0


def test_a_gzip_that_matches_nothing_known_is_read_from_its_start_with_a_warning(
    client: Any, tmp_path: Path, logs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0))
    ship(tmp_path, client)
    with gzip.open(logs / "app.log.3.gz", "wt") as packed:  # a file the shipper never saw
        packed.write(lines(7, 8))
    ship(tmp_path, client)
    assert received(client) == [0, 7, 8]
    assert "app.log.3.gz: a gzip file that begins as no file the checkpoint knows" in caplog.text
    ship(tmp_path, client)
    assert received(client) == [0, 7, 8]


def test_a_file_known_only_empty_then_compressed_while_down_is_read_from_the_gzip(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text("")
    ship(tmp_path, client)  # known, empty
    live.write_text(lines(0, 1))  # then, with the shipper down: written, rotated, compressed
    live.rename(logs / "app.log.1")
    with open(logs / "app.log.1", "rb") as plain, gzip.open(logs / "app.log.1.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    (logs / "app.log.1").unlink()
    stats = ship(tmp_path, client)
    assert received(client) == [0, 1]
    assert stats.unreadable == 0


def test_a_file_truncated_with_no_copy_beside_it_is_warned_about(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0, 1))
    ship(tmp_path, client)
    live.write_text(lines(2))  # cut (and rewritten) with no copy kept
    stats = ship(tmp_path, client)
    assert received(client) == [0, 1, 2]
    assert stats.unreadable == 1
    assert "no longer the file checkpointed there" in stats.samples[0]


def test_a_rotated_file_older_than_the_first_run_is_not_shipped(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    old = logs / "app.log.1"
    old.write_text(lines(9))
    an_hour_before = os.stat(old).st_mtime - 3600  # on the file system's clock, like the shipper
    os.utime(old, (an_hour_before, an_hour_before))
    (logs / "app.log").write_text(lines(0))
    ship(tmp_path, client)
    assert received(client) == [0]


def test_a_copy_made_before_the_truncation_is_not_sent_twice(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0))
    ship(tmp_path, client)
    append(live, lines(1, 2))
    shutil.copyfile(live, logs / "app.log.1")  # copytruncate's copy, the cut still to come
    ship(tmp_path, client)  # sends 1, 2 from the live file
    live.write_text(lines(3))  # the cut
    ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3]


def test_a_dated_sibling_written_while_down_is_read(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0))
    ship(tmp_path, client)
    live.rename(logs / "app.log-20991231")
    live.write_text(lines(1))
    live.rename(logs / "app.log-21000101")
    live.write_text(lines(2))
    ship(tmp_path, client)
    assert received(client) == [0, 1, 2]


def test_a_rotated_file_that_cannot_be_read_is_warned_about_and_counted(
    client: Any, tmp_path: Path, logs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0))
    ship(tmp_path, client)
    live.rename(logs / "app.log.1")
    live.write_text(lines(1))
    (logs / "app.log.1").rename(logs / "app.log.2")
    live.rename(logs / "app.log.1")  # never seen: rotated twice while the shipper was down
    live.write_text(lines(2))
    (logs / "app.log.3.bz2").write_bytes(b"BZh9")  # compressed with what cannot be read
    real_open = builtins.open

    def refusing(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("app.log.1"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing)
    stats = ship(tmp_path, client)
    assert received(client) == [0, 2]
    assert stats.unreadable == 2
    assert any("app.log.1: cannot be read (" in sample for sample in stats.samples)
    assert any("app.log.3.bz2: compressed in a form" in sample for sample in stats.samples)


def test_a_checkpoint_of_the_first_version_goes_on_from_its_offsets(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0, 1))
    info = live.stat()
    first = len(line(0))
    state = tmp_path / "state"
    state.mkdir()
    (state / "checkpoint.json").write_text(
        json.dumps(
            {
                "version": 1,
                "files": {
                    f"{info.st_dev}:{info.st_ino}": {
                        "path": str(live),
                        "offset": first,
                        "headLength": first,
                        "headSha256": hashlib.sha256(line(0).encode()).hexdigest(),
                    }
                },
            }
        )
    )
    assert ship(tmp_path, client).accepted == 1
    assert received(client) == [1]


def test_a_copy_and_its_gzip_found_in_the_same_pass_send_the_tail_once(
    client: Any, tmp_path: Path, logs: Path
) -> None:
    live = logs / "app.log"
    live.write_text(lines(0))
    ship(tmp_path, client)
    append(live, lines(1, 2))  # unsent
    shutil.copyfile(live, logs / "app.log.1")  # copytruncate
    live.write_text(lines(3))
    with open(logs / "app.log.1", "rb") as plain, gzip.open(logs / "app.log.1.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)  # compressed, the plain copy not yet removed
    ship(tmp_path, client)
    (logs / "app.log.1").unlink()
    ship(tmp_path, client)
    assert received(client) == [0, 1, 2, 3]

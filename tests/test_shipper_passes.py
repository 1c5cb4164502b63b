"""Following: a file is opened, hashed and gunzipped once per identity, not on every pass.

The files live on the real file system; the count wraps ``open`` (which ``gzip`` opens through
too), so every read of a log file's bytes is seen.
"""

from __future__ import annotations

import builtins
import gzip
import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cwquery.aws import RetryPolicy, filter_events
from cwquery.aws.checkpoint import Fingerprint
from cwquery.aws.shipper import Shipper
from cwquery.aws.timeparse import format_millis

GROUP = "/passes/follow"
NOW = int(time.time() * 1000) - 3_600_000
NO_WAIT = RetryPolicy(max_attempts=2, sleep=lambda _: None)


def lines(*numbers: int) -> str:
    return "".join(
        json.dumps({"@timestamp": format_millis(NOW + n), "n": n, "pad": "x" * 40}) + "\n"
        for n in numbers
    )


def received(client: Any) -> list[int]:
    return sorted(json.loads(e["message"])["n"] for e in filter_events("", GROUP, client=client))


def make(tmp_path: Path, client: Any, **kwargs: Any) -> Shipper:
    return Shipper(
        [tmp_path / "logs"],
        GROUP,
        "web",
        client=client,
        checkpoint=tmp_path / "state" / "checkpoint.json",
        retry=NO_WAIT,
        **kwargs,
    )


@pytest.fixture
def opens(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Counter[str]:
    """Opens of the files under ``logs``, by name, and fingerprint comparisons (``hashes``)."""
    counted: Counter[str] = Counter()
    real_open = builtins.open
    folder = str(tmp_path / "logs")

    def counting(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)) and os.fspath(file).startswith(folder):
            counted[os.path.basename(os.fspath(file))] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    real_matches = Fingerprint.matches

    def hashing(self: Fingerprint, head: bytes) -> bool:
        counted["hashes"] += 1
        return real_matches(self, head)

    monkeypatch.setattr(Fingerprint, "matches", hashing)
    return counted


@pytest.mark.parametrize("size", [3, 40], ids=["head-shorter-than-a-KiB", "longer"])
def test_idle_files_are_read_once_per_identity_and_nothing_is_lost(
    client: Any, tmp_path: Path, opens: Counter[str], size: int
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    live = logs / "app.log"
    live.write_text(lines(*range(size)))
    make(tmp_path, client).run()
    live.rename(logs / "app.log.1")  # rotated, then compressed by logrotate
    live.write_text(lines(*range(100, 100 + size)))
    make(tmp_path, client).run()
    with open(logs / "app.log.1", "rb") as plain, gzip.open(logs / "app.log.1.gz", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    (logs / "app.log.1").unlink()
    make(tmp_path, client).run()  # the gzip is known as a copy of the departed file, read
    assert received(client) == [*range(size), *range(100, 100 + size)]

    opens.clear()
    per_pass: list[Counter[str]] = []
    passes = 0

    def sleep(_: float) -> None:
        nonlocal passes
        per_pass.append(opens.copy())
        passes += 1
        if passes == 3:
            with open(live, "a", encoding="utf-8") as out:
                out.write(lines(500) + '{"@timestamp": "half a li')
        elif passes == 5:
            with open(live, "a", encoding="utf-8") as out:
                out.write('ne"}\n' + lines(501))
        opens.clear()  # the test's own writes left out

    stats = make(
        tmp_path, client, follow=True, interval=0, sleep=sleep, should_stop=lambda: passes >= 8
    ).run()
    per_pass.append(opens.copy())
    assert received(client) == [*range(size), *range(100, 100 + size), 500, 501]
    assert stats.malformed == 1  # the line completed in two writes is not JSON: a dead letter
    # The first pass looks once at each file's start; the shipper has nothing to read.
    # (gzip's magic, then its head)
    assert per_pass[0] == Counter({"app.log": 1, "app.log.1.gz": 2, "hashes": 2})
    # Unchanged files are not opened again; a file that grew is checked once and read once.
    assert [counts.get("app.log", 0) for counts in per_pass[1:]] == [0, 0, 2, 0, 2, 0, 0, 0]
    assert [counts.get("app.log.1.gz", 0) for counts in per_pass[1:]] == [0] * 8
    # A fingerprint shorter than a KiB grows with the offset: the pass after a send compares the
    # new one once with the head already read, without opening the file.
    again = 1 if size == 3 else 0
    hashes = [counts.get("hashes", 0) for counts in per_pass[1:]]
    assert hashes == [0, 0, 1, again, 1, again, 0, 0]

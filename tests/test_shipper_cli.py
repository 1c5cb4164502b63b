"""``cwquery ship``'s report: refusals summarised by reason, the exit status says whether
anything was stored, and diagnostics use the CLI's ``error:``/``warning:`` form."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cwquery.aws import RetryPolicy
from cwquery.aws.shipper import Shipper
from cwquery.aws.timeparse import format_millis
from cwquery.cli.cloudwatch import ship

GROUP = "/cli/ship"
DAY = 86_400_000


def line(n: int, age_ms: int) -> str:
    moment = int(time.time() * 1000) - age_ms
    return json.dumps({"@timestamp": format_millis(moment), "n": n}) + "\n"


def arguments(tmp_path: Path, *paths: Path) -> list[str]:
    return [
        *(str(p) for p in paths),
        "-g",
        GROUP,
        "--stream-prefix",
        "app",
        "--checkpoint",
        str(tmp_path / "state" / "cp.json"),
        "--region",
        "us-east-1",
    ]


def test_a_file_the_service_refuses_whole_exits_1_with_a_short_summary(
    cwlogs: Any, tmp_path: Path
) -> None:
    old = tmp_path / "old.log"
    old.write_text("".join(line(n, 30 * DAY) for n in range(40)))
    result = CliRunner().invoke(ship, arguments(tmp_path, old))
    assert result.exit_code == 1, result.stderr
    stderr = result.stderr.splitlines()
    assert len(stderr) <= 9, result.stderr  # not one line per refused line
    assert "0 events accepted" in stderr[0]
    assert "lines not sent, by reason: refused by the service: too-old: 40" in stderr
    assert stderr[-2] == "  and 35 more"
    assert stderr[-1].startswith("error: no event was accepted (40 lines read")
    assert not any(text.startswith(("WARNING", "ERROR")) for text in stderr)


def test_nothing_new_is_not_a_failure(client: Any, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(line(0, 60_000))
    assert CliRunner().invoke(ship, arguments(tmp_path, log)).exit_code == 0
    again = CliRunner().invoke(ship, arguments(tmp_path, log))
    assert again.exit_code == 0, again.stderr
    assert again.stderr.startswith("0 events accepted")


def test_only_malformed_lines_exit_1(client: Any, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("not json\n[1]\n")
    result = CliRunner().invoke(ship, arguments(tmp_path, log))
    assert result.exit_code == 1
    assert "lines not sent, by reason: not JSON: 1, not a JSON object: 1" in result.stderr


def test_diagnostics_use_the_lower_case_prefix(client: Any, tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(line(0, 60_000))
    result = CliRunner().invoke(ship, arguments(tmp_path, log, tmp_path / "typo.log"))
    assert result.exit_code == 0
    assert f"warning: {tmp_path / 'typo.log'}: no such file" in result.stderr.splitlines()
    assert "WARNING" not in result.stderr


def test_following_reports_refusals_once_per_pass(
    client: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(["bad\n"] * 50) + line(0, 60_000))
    passes = 0

    def stop() -> bool:
        return passes >= 2

    def sleep(_: float) -> None:
        nonlocal passes
        passes += 1

    shipper = Shipper(
        [log],
        GROUP,
        "app",
        client=client,
        checkpoint=tmp_path / "cp.json",
        retry=RetryPolicy(max_attempts=1, sleep=lambda _: None),
        follow=True,
        sleep=sleep,
        should_stop=stop,
    )
    with caplog.at_level(logging.INFO, logger="cwquery"):
        stats = shipper.run()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"50 lines not sent, kept in {shipper.dead_letters.path} (not JSON: 50)"]
    assert stats.reasons == {"not JSON": 50} and stats.accepted == 1

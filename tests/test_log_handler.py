"""cwquery.aws.LogHandler against moto: records become events, long messages are split, refused
events are reported, and records logged while sending are not lost."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cwquery.aws import LogHandler, read_stream

GROUP = "/app/handler"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    named = logging.getLogger("test.cwquery.handler")
    named.setLevel(logging.DEBUG)
    named.propagate = False
    yield named
    named.handlers.clear()


def _messages(client: Any, stream: str) -> list[str]:
    return [event["message"] for event in read_stream(GROUP, stream, client=client)]


def test_records_become_events_in_a_created_stream(client: Any, logger: logging.Logger) -> None:
    handler = LogHandler(GROUP, "web-1", client=client, flush_interval=None)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    logger.info("started")
    logger.error("failed: %s", "timeout")
    before = time.time()
    handler.close()
    assert _messages(client, "web-1") == [
        "INFO test.cwquery.handler started",
        "ERROR test.cwquery.handler failed: timeout",
    ]
    events = list(read_stream(GROUP, "web-1", client=client))
    assert all(abs(event["timestamp"] / 1000 - before) < 60 for event in events)
    assert handler.accepted == 2 and handler.rejected == []


def test_a_message_over_the_event_limit_is_split_not_lost(
    client: Any, logger: logging.Logger
) -> None:
    handler = LogHandler(GROUP, "big", client=client, flush_interval=None)
    logger.addHandler(handler)
    message = "é" * 700_000  # 1.4 MB in UTF-8: more than one event can hold
    logger.warning(message)
    logger.warning("")
    handler.close()
    pieces = _messages(client, "big")
    assert len(pieces) == 2 and "".join(pieces) == message
    assert handler.split == 1 and handler.skipped == 1


def test_refused_events_are_reported_and_the_warning_is_delivered_too(client: Any) -> None:
    root = logging.getLogger()
    handler = LogHandler(GROUP, "clock", client=client, flush_interval=None)
    root.addHandler(handler)
    try:
        # a record stamped 3 hours ahead (a skewed clock): the service takes up to 2 hours
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "from the future", None, None)
        record.created = time.time() + 3 * 3600
        root.handle(record)
        logging.getLogger("app").warning("today")
        handler.flush()  # the putlogs warning is logged while sending: kept for the next batch
        handler.flush()
    finally:
        root.removeHandler(handler)
        handler.close()
    assert [(r.event["message"], r.reason) for r in handler.rejected] == [
        ("from the future", "too-new")
    ]
    messages = _messages(client, "clock")
    assert messages[0] == "today"
    assert any("rejected 1 of 2 events (too-new)" in message for message in messages[1:])


@pytest.mark.timed_wait  # the thread's Event.wait(flush_interval) must time out
def test_the_background_thread_sends_without_a_flush(client: Any, logger: logging.Logger) -> None:
    handler = LogHandler(GROUP, "timer", client=client, flush_interval=0.05)
    logger.addHandler(handler)
    logger.info("tick")
    deadline = time.time() + 10
    while handler.accepted == 0 and time.time() < deadline:
        time.sleep(0.05)
    assert handler.accepted == 1
    handler.close()
    assert _messages(client, "timer") == ["tick"]


def test_a_handler_left_attached_says_in_one_line_at_exit_what_it_could_not_send(
    tmp_path: Any,
) -> None:
    """A closed handler still on the root logger gets later records; at interpreter exit
    ``logging.shutdown`` flushes it. With no region that flush fails: one line, no traceback."""
    script = (
        "import logging\n"
        "from cwquery.aws import LogHandler\n"
        "handler = LogHandler('/g', 's', flush_interval=None)\n"
        "logging.getLogger().addHandler(handler)\n"
        "handler.close()\n"
        "logging.getLogger('app').warning('after close')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none")
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("warning: cwquery LogHandler /g/s: 1 events not sent (")


def test_a_failed_flush_keeps_the_events_for_the_next_one(
    client: Any, logger: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = LogHandler(GROUP, "later", client=client, flush_interval=None)
    logger.addHandler(handler)
    logger.info("kept")
    real = handler.logger._client
    handler.logger._client = object()  # no put_log_events: the flush fails
    handler.flush()
    assert handler.unsent_errors == 1
    assert "1 events not sent" in capsys.readouterr().err
    handler.logger._client = real
    handler.close()
    assert _messages(client, "later") == ["kept"]

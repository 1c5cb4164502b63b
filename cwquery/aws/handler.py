"""``LogHandler``: Python's ``logging`` into CloudWatch Logs, over the batching writer.

>>> import logging
>>> handler = LogHandler("/app/prod", "web-1", flush_interval=None)
>>> handler.logger.group, handler.logger.stream
('/app/prod', 'web-1')
>>> split_message("x" * 5, limit=2)
['xx', 'xx', 'x']
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from typing import Any

from cwquery.aws.client import RetryPolicy
from cwquery.aws.events import Logger
from cwquery.aws.putlogs import EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, RejectedEvent

__all__ = ["LogHandler", "split_message"]

#: The most bytes one event's message may have.
MAX_MESSAGE_BYTES = MAX_BATCH_BYTES - EVENT_OVERHEAD_BYTES


def split_message(text: str, limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8")
    pieces, start = [], 0
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte
            end -= 1
        pieces.append(data[start:end].decode("utf-8"))
        start = end
    return pieces


class LogHandler(logging.Handler):
    """A ``logging.Handler`` that writes records to one log stream.

    Records are formatted with the handler's formatter, stamped with their creation time and
    buffered in a :class:`~cwquery.aws.Logger`, which sends ``PutLogEvents`` batches within
    the service's limits (a full batch is sent at once). The buffer is also sent every
    ``flush_interval`` seconds by a background thread (``None``: only when full, on
    :meth:`flush` and on :meth:`close`). The group and stream are created when missing.

    Nothing is dropped silently: a message over the per-event limit is split into several
    events (``split`` counts them), empty messages are counted in ``skipped``, events the service
    refuses are collected in ``rejected`` (and logged as a warning by ``cwquery.aws.putlogs``),
    and records logged while a batch is being sent (by botocore, or that warning, when this
    handler is on the root logger) are buffered and sent with the next batch.
    """

    def __init__(
        self,
        group: str,
        stream: str | None = None,
        *,
        client: Any = None,
        create: bool = True,
        retry: RetryPolicy | None = None,
        flush_interval: float | None = 5.0,
        level: int = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        name = stream or f"{socket.gethostname()}/{os.getpid()}"
        self.logger = Logger(group, name, client=client, create=create, retry=retry)
        self.split = 0
        self.skipped = 0
        #: Flushes that failed (each reported on stderr; the events stayed buffered).
        self.unsent_errors = 0
        self._last_report = ""
        self._pending: list[tuple[int, str]] = []
        self._sending = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if flush_interval is not None:
            self._thread = threading.Thread(
                target=self._flush_every,
                args=(flush_interval,),
                daemon=True,
                name=f"cwquery LogHandler {group}",
            )
            self._thread.start()

    @property
    def rejected(self) -> list[RejectedEvent]:
        """The events the service refused so far."""
        return self.logger.rejected

    @property
    def accepted(self) -> int:
        """How many events the service stored so far."""
        return self.logger.accepted

    def emit(self, record: logging.LogRecord) -> None:
        """Buffer one record (sending a batch when the buffer is full)."""
        try:
            text = self.format(record)
            moment = int(record.created * 1000)
            if self._sending:  # logged by the send itself: keep it for the next batch
                self._pending.append((moment, text))
                return
            self._send(lambda: self._write(moment, text))
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        """Send everything buffered. A failure (no region, no network, a refused request) is
        reported in one line on stderr and the events stay buffered for the next flush: a
        handler never raises, not even when ``logging.shutdown`` flushes it at exit."""
        with self.lock if self.lock else _NoLock():
            if self._sending:
                return
            try:
                self._send(self.logger.flush)
            except Exception as err:  # botocore's errors too: NoRegionError, no credentials
                self.unsent_errors += 1
                self._report(err)

    def close(self) -> None:
        """Stop the background thread, send what is buffered and close the handler."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        try:
            self.flush()
        finally:
            super().close()

    def _report(self, err: Exception) -> None:
        waiting = len(self.logger.pending)
        text = " ".join(str(err).split()) or type(err).__name__
        line = (
            f"warning: cwquery LogHandler {self.logger.group}/{self.logger.stream}: "
            f"{waiting} events not sent ({type(err).__name__}: {text[:200]})\n"
        )
        if line == self._last_report:  # logging.shutdown flushes, then closes: say it once
            return
        self._last_report = line
        stream = sys.stderr
        if stream is not None:  # None at the very end of interpreter shutdown
            try:
                stream.write(line)
                stream.flush()
            except (OSError, ValueError):
                pass

    def _send(self, action: Any) -> None:
        self._sending = True
        try:
            action()
            while self._pending:
                pending, self._pending = self._pending, []
                for moment, text in pending:
                    self._write(moment, text)
        finally:
            self._sending = False

    def _write(self, moment: int, text: str) -> None:
        pieces = split_message(text)
        if not pieces:
            self.skipped += 1
            return
        self.split += len(pieces) - 1
        for piece in pieces:
            self.logger(piece, moment)

    def _flush_every(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self.flush()  # a failure is reported and the events stay buffered


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

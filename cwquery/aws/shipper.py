"""Ship JSON-lines log files to CloudWatch Logs, one stream per UTC day, safely resumable.

Each line is a JSON object. Its time field (``@timestamp`` by default, ISO 8601) becomes the event
time; the rest of the object, less the dropped fields (``@timestamp`` and ``logger`` by default),
becomes the message, as compact JSON. Events go to the stream ``<prefix>_<YYYYMMDD>`` (the event's
UTC day); a missing group or stream is created.

A checkpoint (:mod:`cwquery.aws.checkpoint`) records, per file, the byte offset up to which every
line has been accepted by the service. It is replaced atomically after each accepted batch and
never before, so a crash (even ``kill -9``) loses nothing, and a restart resends at most the
batch that was in flight.

Rotation (:mod:`cwquery.aws.rotation` finds the files, :mod:`cwquery.aws.finder` matches them
against the checkpoint): files are known by device and inode wherever they were
renamed within their folders, and read to their end. A file cut below its offset, or whose first
bytes changed, starts again at zero; a file whose first bytes are those of a file already sent
(``copytruncate``'s copy, a gzip made by logrotate) is read from that file's offset. A rotated
sibling (``app.log.1``, ``app.log.2.gz``) that the checkpoint does not know and that changed
since the shipper began watching its name was rotated while the shipper was down: it is read
from the start. What cannot be read (a file cut or deleted before its end was read, with no copy
beside it) is warned about and counted. While following, a file is looked at once per
identity (device, inode, size, modification time): one that has not changed since it was
checked and read is neither opened nor hashed again.

No line stops the shipper: lines that are not JSON objects, lack a readable time (or one before
1970), nest too deeply, are too large, or are refused by the service for their time are counted
by reason and written to the dead-letter file beside the checkpoint
(:mod:`cwquery.aws.deadletter`). A file in which no line has the time field is a configuration
problem, not bad data: it is reported, with the option that fixes it, and left unread so a
corrected run ships it. A last line without its newline waits until it is complete, unless its
file was rotated.

Lines become events in :mod:`cwquery.aws.shipformat`; the counts are a
:class:`~cwquery.aws.shipstats.ShipStats`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cwquery.aws.checkpoint import (
    CHECKPOINT_VERSION,
    HEAD_BYTES,
    Checkpoint,
    FileState,
    ShipperError,
)
from cwquery.aws.client import AwsQueryError, RequestError, RetryPolicy, client_or_default
from cwquery.aws.deadletter import CheckpointLock, DeadLetters, dead_letter_path
from cwquery.aws.finder import SETTLE_NS, Finder
from cwquery.aws.putlogs import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, Batch, LogEvent, put_batch
from cwquery.aws.rotation import (
    DEFAULT_GLOBS,
    GZIP_ERRORS,
    Found,
    absolute,
    expand_paths,
    identity,
    survey,
)
from cwquery.aws.shipformat import (
    DEFAULT_DROP_FIELDS,
    LineFormat,
    MalformedLine,
    missing_time_field,
    parse_line,
    stream_name,
)
from cwquery.aws.shipstats import SAMPLES, ShipStats

__all__ = [
    "CHECKPOINT_VERSION",
    "DEFAULT_DROP_FIELDS",
    "DEFAULT_GLOBS",
    "HEAD_BYTES",
    "SAMPLES",
    "Checkpoint",
    "FileState",
    "LineFormat",
    "MalformedLine",
    "ShipStats",
    "Shipper",
    "ShipperError",
    "default_checkpoint_path",
    "expand_paths",
    "parse_line",
    "stream_name",
]

log = logging.getLogger(__name__)


def default_checkpoint_path(group: str, stream_prefix: str) -> Path:
    """``$XDG_STATE_HOME/cwquery/ship-<hash>.json`` (``~/.local/state`` without it), one file per
    group and prefix so two shippers do not share offsets."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    digest = hashlib.sha256(f"{group}\n{stream_prefix}".encode()).hexdigest()[:16]
    return Path(base) / "cwquery" / f"ship-{digest}.json"


@dataclass
class _Source:
    """A file open for shipping: ``handle`` reads lines (through gzip for a gzip file)."""

    handle: IO[bytes]
    raw: IO[bytes]
    key: str
    path: Path
    live: bool
    gz: bool
    head: bytes

    def head_for(self, offset: int) -> bytes:
        """The bytes the fingerprint at ``offset`` covers."""
        want = min(offset, HEAD_BYTES)
        if len(self.head) < want and not self.gz:  # the file grew since it was opened
            self.head = os.pread(self.raw.fileno(), HEAD_BYTES, 0)
        return self.head[:want]

    def close(self) -> None:
        self.handle.close()
        self.raw.close()


def _category(reason: str) -> str:
    """The reason a line was not sent, without the value that made it so."""
    return reason if reason.startswith("refused") else reason.split(":")[0]


class Shipper:
    """Reads the files, batches their lines per stream, sends, and checkpoints.

    ``run()`` makes one pass (or, with ``follow``, a pass every ``interval`` seconds until
    ``should_stop()`` is true) and returns the counts.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        group: str,
        stream_prefix: str,
        *,
        client: Any = None,
        checkpoint: Path | None = None,
        line_format: LineFormat | None = None,
        globs: Sequence[str] = DEFAULT_GLOBS,
        follow: bool = False,
        interval: float = 1.0,
        max_batch_events: int = MAX_BATCH_EVENTS,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        if not paths:
            raise RequestError("give at least one file or directory to ship")
        self.paths = list(paths)
        self.group = group
        self.stream_prefix = stream_prefix
        self.client = client_or_default(client)
        self.checkpoint = Checkpoint.load(
            checkpoint or default_checkpoint_path(group, stream_prefix)
        )
        self.line_format = line_format or LineFormat()
        self.globs = tuple(globs)
        self.follow = follow
        self.interval = interval
        self.max_batch_events = max_batch_events
        self.max_batch_bytes = max_batch_bytes
        self.retry = retry
        self.sleep = sleep
        self.should_stop = should_stop
        self.stats = ShipStats()
        self.dead_letters = DeadLetters(dead_letter_path(self.checkpoint.path))
        here = self.checkpoint.path
        self._own = {
            absolute(p) for p in (here, here.with_name(f"{here.name}.lock"), self.dead_letters.path)
        }
        self._said: set[str] = set()
        self.finder = Finder(
            self.checkpoint, follow=follow, unreadable=self._unreadable, live_error=self._live_error
        )
        self._pass_reasons: Counter[str] = Counter()
        #: Per file read to its end: its size and time then, whether its last line counted
        #: unfinished or not, and the offset reached; while all hold, a pass has nothing to read.
        self._read_to: dict[str, tuple[int, int, bool, int]] = {}
        #: ns now on the clock file times are written by (the lock's, while :meth:`run` runs).
        self.clock: Callable[[], int] = time.time_ns

    def run(self) -> ShipStats:
        """Ship until the files are done (or, following, until asked to stop).

        Raises:
            CheckpointBusy: another shipper holds the checkpoint.
        """
        lock = CheckpointLock(self.checkpoint.path)
        lock.acquire()
        self.clock = lock.now_ns
        try:
            return self._run()
        finally:
            self.clock = time.time_ns
            self.dead_letters.close()
            lock.release()

    def _run(self) -> ShipStats:
        while True:
            try:
                self.ship_once()
            except AwsQueryError as err:
                if not self.follow:
                    raise
                self.stats.errors += 1
                log.error("%s; will retry from the checkpoint", err)
            if self.follow and self._pass_reasons:
                counts = ", ".join(f"{r}: {n}" for r, n in self._pass_reasons.most_common())
                log.warning(
                    "%d lines not sent, kept in %s (%s)",
                    sum(self._pass_reasons.values()),
                    self.dead_letters.path,
                    counts,
                )
                self._pass_reasons.clear()
            if not self.follow or self.should_stop():
                return self.stats
            self.sleep(self.interval)
            if self.should_stop():
                return self.stats

    # --- one pass ------------------------------------------------------------------------------

    def ship_once(self) -> None:
        """One pass: find every file (renamed, copied or compressed ones too), then send what is
        new since the checkpoint, rotated files first."""
        now_ns = self.clock()
        files = self.checkpoint.files
        folders = {Path(state.path).parent for state in files.values()}
        folders.update(Path(name).parent for name in self.checkpoint.watch)
        seen = survey(self.paths, self.globs, folders, self._own)
        for path, err in seen.errors:
            self._live_error(path, err)
        if self.finder.update(seen, now_ns):
            self.checkpoint.save()
        by_key = seen.by_key()
        self._read_to = {key: done for key, done in self._read_to.items() if key in files}
        rotated = sorted(
            (by_key[key] for key in files if key in by_key and not by_key[key].live),
            key=lambda f: str(f.path),
        )
        for found in [*rotated, *seen.live]:
            if found.key in files:
                self._ship_known(found, files[found.key], now_ns)
            if self.should_stop():
                return

    # --- reading a file ------------------------------------------------------------------------

    def _ship_known(self, found: Found, state: FileState, now_ns: int) -> None:
        if state.complete if state.gzip else found.size == state.offset:
            return  # nothing to read
        final = not found.live and (not self.follow or now_ns - found.mtime_ns >= SETTLE_NS)
        if self._read_to.get(found.key) == (found.size, found.mtime_ns, final, state.offset):
            return  # unchanged since it was read to its end
        try:
            source = self._open(found, state)
        except (*GZIP_ERRORS,) as err:
            if found.live:
                self._live_error(found.path, err)
            else:
                self._unreadable(found.key, f"{found.path}: stopped reading ({err})")
            return
        if source is None:
            return
        try:
            if state.offset == 0 and not source.gz:
                problem = missing_time_field(source.handle, found.path, self.line_format)
                if problem:
                    if problem not in self._said:
                        self._said.add(problem)
                        self.stats.problems.append(problem)
                        log.error("%s", problem)
                    self._read_to[found.key] = (found.size, found.mtime_ns, final, state.offset)
                    return
            if self._ship_from(source, state.offset, final=final):
                offset = self.checkpoint.files[found.key].offset
                self._read_to[found.key] = (found.size, found.mtime_ns, final, offset)
        except GZIP_ERRORS as err:
            self.stats.skipped_files += 1
            self.stats.note(f"{found.path}: stopped reading ({err})")
            log.warning("%s: stopped reading (%s)", found.path, err)
        finally:
            source.close()

    def _open(self, found: Found, state: FileState) -> _Source | None:
        """The file open at its start, or None when it changed since the survey."""
        raw = open(found.path, "rb")  # noqa: SIM115 - closed by _Source.close
        try:
            info = os.fstat(raw.fileno())
            if identity(info) != found.key:
                raw.close()
                return None
            handle: IO[bytes] = raw
            if state.gzip:
                handle = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            head = handle.read(HEAD_BYTES)
            unchanged = (info.st_size, info.st_mtime_ns) == (found.size, found.mtime_ns)
            fresh = (
                state.offset == 0
                or not state.head_length
                or (unchanged and self.finder.checked(found, state))  # hashed once this pass
                or state.fingerprint.matches(head)
            )
            if not fresh or (not state.gzip and info.st_size < state.offset):
                raw.close()
                return None
            return _Source(handle, raw, found.key, found.path, found.live, state.gzip, head)
        except BaseException:
            raw.close()
            raise

    def _ship_from(self, source: _Source, start: int, *, final: bool) -> bool:
        """Send the complete lines from ``start`` on (with ``final``, the unfinished last line
        too: the file will not grow any more); False when asked to stop before the end."""
        handle = source.handle
        handle.seek(start)
        position = start
        batch = Batch(self.max_batch_bytes, self.max_batch_events)
        batch_stream = ""
        offsets: dict[int, int] = {}
        for raw in iter(handle.readline, b""):
            if not raw.endswith(b"\n") and not final:
                self.stats.pending_bytes += len(raw)  # still being written: a later pass
                break
            end = position + len(raw)
            try:
                parsed = parse_line(raw, self.line_format)
            except MalformedLine as err:
                self.stats.malformed += 1
                self._dead_letter(source.path, position, str(err), raw)
                position = end
                continue
            if parsed is None:
                position = end
                continue
            self.stats.lines += 1
            event: LogEvent = {"timestamp": parsed[0], "message": parsed[1]}
            stream = stream_name(self.stream_prefix, parsed[0])
            if batch.events and (stream != batch_stream or not batch.fits(event)):
                self._send(batch_stream, batch, offsets, source, position)
                batch = Batch(self.max_batch_bytes, self.max_batch_events)
                offsets = {}
                if self.should_stop():
                    return False
            batch.add(event)
            offsets[id(event)] = position
            batch_stream = stream
            position = end
        if batch.events:
            self._send(batch_stream, batch, offsets, source, position)
        elif position != start or (source.gz and final):
            self._commit(source, position)
        if source.gz and final:
            self.checkpoint.files[source.key].size = position
            self.checkpoint.save()
        return True

    def _dead_letter(self, path: Path, offset: int | None, reason: str, raw: bytes | str) -> None:
        where = f"byte {offset}" if offset is not None else "a sent batch"
        self.stats.refuse(_category(reason), f"{path}: {where}: {reason}")
        self._pass_reasons[_category(reason)] += 1
        log.info("%s: %s: line kept as a dead letter: %s", path, where, reason)
        self.dead_letters.add(str(path), offset, reason, raw)
        self.stats.dead_letters += 1
        self.stats.dead_letter_file = str(self.dead_letters.path)

    def _live_error(self, path: Path, err: BaseException) -> None:
        if isinstance(err, FileNotFoundError):
            if not self.follow and f"missing:{path}" not in self._said:  # following: may appear
                self._said.add(f"missing:{path}")
                log.warning("%s: no such file", path)
            return
        reason = getattr(err, "strerror", None) or err
        text = f"{path}: skipped, cannot be read ({reason})"
        if text not in self._said:
            self._said.add(text)
            self.stats.skipped_files += 1
            self.stats.note(text)
            log.warning("%s", text)

    def _unreadable(self, key: str, text: str) -> None:
        """Warn once (and count) about lines that could not be read."""
        if f"{key}\n{text}" in self._said:
            return
        self._said.add(f"{key}\n{text}")
        self.stats.unreadable += 1
        self.stats.note(text)
        log.warning("%s", text)

    def _send(
        self, stream: str, batch: Batch, offsets: dict[int, int], source: _Source, offset: int
    ) -> None:
        result = put_batch(
            self.group,
            stream,
            batch.sorted_events(),
            client=self.client,
            retry=self.retry,
            create=True,
            warn=False,
        )
        self.stats.events += len(batch)
        self.stats.batches += 1
        self.stats.accepted += result.accepted
        self.stats.rejected += len(result.rejected)
        for rejected in result.rejected:
            reason = f"refused by the service: {rejected.reason}"
            where = offsets.get(id(rejected.event))
            self._dead_letter(source.path, where, reason, _as_line(rejected))
        self._commit(source, offset)

    def _commit(self, source: _Source, offset: int) -> None:
        self.dead_letters.sync()
        head = source.head_for(offset) if offset else source.head_for(HEAD_BYTES)
        size = os.fstat(source.raw.fileno()).st_size if not source.gz else -1
        self.checkpoint.files[source.key] = FileState(
            path=str(absolute(source.path)),
            offset=offset,
            head_length=len(head),
            head_sha256=hashlib.sha256(head).hexdigest(),
            size=size,
            rotated=not source.live,
            gzip=source.gz,
        )
        self.checkpoint.save()


def _as_line(rejected: Any) -> str:
    """A refused event as a line that ships again: its message with the time put back."""
    return json.dumps(
        {"timestamp": rejected.event["timestamp"], "message": rejected.event["message"]}
    )

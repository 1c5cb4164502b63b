"""Ship JSON-lines log files to CloudWatch Logs, one stream per UTC day, safely resumable.

Each line is a JSON object. Its time field (``@timestamp`` by default, ISO 8601) becomes the event
time; the rest of the object, less the dropped fields (``@timestamp`` and ``logger`` by default),
becomes the message, as compact JSON. Events go to the stream ``<prefix>_<YYYYMMDD>`` (the event's
UTC day); a missing group or stream is created.

A checkpoint file records, per file, the byte offset up to which every line has been accepted by
the service. It is replaced atomically after each accepted batch and never before, so a crash
(even ``kill -9``) loses nothing, and a restart resends at most the batch that was in flight.
Files are known by device and inode, so a rotated (renamed) file keeps its offset; a file that
shrank or whose first bytes changed is read again from the start.

No line stops the shipper: lines that are not JSON objects, lack a readable time (or one before
1970), nest too deeply, are too large, or are refused by the service for their time are counted,
reported with file and byte offset, and written to the dead-letter file beside the checkpoint
(:mod:`cwquery.aws.deadletter`). A file in which no line has the time field is a configuration
problem, not bad data: it is reported, with the option that fixes it, and left unread so a
corrected run ships it. A last line without its newline waits until it is complete, unless its
file was rotated. A file renamed out of the glob (logrotate's ``app.log.1``) or copied and
truncated (``copytruncate``) is read to its end before it is left, when it is still in the same
folder. Unreadable files are warned about and skipped.

>>> fmt = LineFormat()
>>> parse_line(b'{"@timestamp": "2024-05-01T12:00:00Z", "logger": "app", "msg": "hi"}\\n', fmt)
(1714564800000, '{"msg":"hi"}')
>>> stream_name("myapp", 1714564800000)
'myapp_20240501'
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cwquery.aws.client import AwsQueryError, RetryPolicy, client_or_default
from cwquery.aws.deadletter import CheckpointLock, DeadLetters, dead_letter_path
from cwquery.aws.putlogs import MAX_BATCH_BYTES, MAX_BATCH_EVENTS, Batch, LogEvent, put_batch
from cwquery.aws.timeparse import parse_iso8601, to_millis, utc_day
from cwquery.errors import CWQueryError

log = logging.getLogger(__name__)

#: File names taken from a directory given as a path.
DEFAULT_GLOBS = ("*.log", "*.json", "*.jsonl")
#: Fields left out of the message by default: the time (sent as the event time) and ``logger``.
DEFAULT_DROP_FIELDS = ("@timestamp", "logger")
#: How many leading bytes of a file identify it in the checkpoint.
HEAD_BYTES = 1024
#: How many malformed or rejected lines are kept as examples for the report.
SAMPLES = 10
CHECKPOINT_VERSION = 1


class ShipperError(CWQueryError):
    """The shipper cannot go on safely (e.g. an unreadable checkpoint)."""


class MalformedLine(ValueError):
    """A line that cannot become an event; the message says why."""


@dataclass(frozen=True)
class LineFormat:
    """How a line becomes an event: which field holds the time, which fields to leave out."""

    time_field: str = "@timestamp"
    drop_fields: tuple[str, ...] = DEFAULT_DROP_FIELDS


def parse_line(raw: bytes, fmt: LineFormat) -> tuple[int, str] | None:
    """``(timestamp in ms, message)`` for one line, ``None`` for a blank line.

    Raises :class:`MalformedLine` for anything else.

    >>> parse_line(b"not json", LineFormat())
    Traceback (most recent call last):
    ...
    cwquery.aws.shipper.MalformedLine: not JSON
    """
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise MalformedLine("not UTF-8") from None
    if not text:
        return None
    try:
        document = json.loads(text)
    except RecursionError:
        raise MalformedLine("nested too deeply") from None
    except ValueError:
        raise MalformedLine("not JSON") from None
    if not isinstance(document, dict):
        raise MalformedLine("not a JSON object")
    moment = document.get(fmt.time_field)
    if not isinstance(moment, str):
        raise MalformedLine(f"no {fmt.time_field} string")
    try:
        timestamp = to_millis(parse_iso8601(moment))
    except ValueError:
        raise MalformedLine(f"{fmt.time_field} is not ISO 8601: {moment[:40]!r}") from None
    if timestamp < 0:
        raise MalformedLine(f"{fmt.time_field} is before 1970: {moment[:40]!r}")
    rest = {key: value for key, value in document.items() if key not in fmt.drop_fields}
    try:
        message = json.dumps(rest, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        raise MalformedLine("nested too deeply") from None
    if len(message.encode("utf-8")) + 26 > MAX_BATCH_BYTES:
        raise MalformedLine("larger than the 1 MiB event limit")
    return timestamp, message


def stream_name(prefix: str, timestamp: int) -> str:
    """The stream an event goes to: ``<prefix>_<YYYYMMDD>`` for its UTC day."""
    return f"{prefix}_{utc_day(timestamp)}"


def default_checkpoint_path(group: str, stream_prefix: str) -> Path:
    """``$XDG_STATE_HOME/cwquery/ship-<hash>.json`` (``~/.local/state`` without it), one file per
    group and prefix so two shippers do not share offsets."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    digest = hashlib.sha256(f"{group}\n{stream_prefix}".encode()).hexdigest()[:16]
    return Path(base) / "cwquery" / f"ship-{digest}.json"


@dataclass
class FileState:
    """Checkpoint entry for one file: the offset reached, and a hash of its first bytes."""

    path: str
    offset: int
    head_length: int
    head_sha256: str


class Checkpoint:
    """Byte offsets per file (keyed ``<device>:<inode>``), saved atomically to a JSON file."""

    def __init__(self, path: Path, files: dict[str, FileState] | None = None) -> None:
        self.path = path
        self.files: dict[str, FileState] = files or {}

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        """Read ``path``; a missing file is an empty checkpoint, an unreadable one an error."""
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        try:
            data = json.loads(raw)
            files = {
                key: FileState(
                    path=str(entry["path"]),
                    offset=int(entry["offset"]),
                    head_length=int(entry["headLength"]),
                    head_sha256=str(entry["headSha256"]),
                )
                for key, entry in data["files"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ShipperError(
                f"checkpoint {path} is unreadable ({err}); move it away to ship everything again"
            ) from None
        return cls(path, files)

    def save(self) -> None:
        """Write to a temporary file, flush it to disk, then rename it over the checkpoint."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": CHECKPOINT_VERSION,
            "files": {
                key: {
                    "path": state.path,
                    "offset": state.offset,
                    "headLength": state.head_length,
                    "headSha256": state.head_sha256,
                }
                for key, state in sorted(self.files.items())
            },
        }
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
        with contextlib.suppress(OSError):  # make the rename itself durable, where possible
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def expand_paths(paths: Iterable[str | Path], globs: Sequence[str] = DEFAULT_GLOBS) -> list[Path]:
    """Files to ship: each file given, and the files of each directory given whose names match
    one of ``globs`` (hidden files left out), in name order."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            try:
                entries = list(os.scandir(path))
            except OSError as err:
                log.warning("%s: skipped, cannot be listed (%s)", path, err.strerror or err)
                continue
            names = sorted(
                entry.name
                for entry in entries
                if entry.is_file()
                and not entry.name.startswith(".")
                and any(fnmatch.fnmatch(entry.name, pattern) for pattern in globs)
            )
            found.extend(path / name for name in names)
        else:
            found.append(path)
    return list(dict.fromkeys(found))


@dataclass
class ShipStats:
    """Counts for a shipper run, and a few examples of what went wrong."""

    lines: int = 0
    events: int = 0
    batches: int = 0
    accepted: int = 0
    rejected: int = 0
    malformed: int = 0
    errors: int = 0
    dead_letters: int = 0
    skipped_files: int = 0
    #: Bytes of last lines still waiting for their newline.
    pending_bytes: int = 0
    samples: list[str] = field(default_factory=list)
    #: Configuration problems (no line has the time field): the run did not do its job.
    problems: list[str] = field(default_factory=list)
    #: Where the dead letters went, once there are any.
    dead_letter_file: str | None = None

    def note(self, text: str) -> None:
        """Keep ``text`` as an example unless enough are kept already."""
        if len(self.samples) < SAMPLES:
            self.samples.append(text)

    def summary(self) -> str:
        """One line for the end of a run."""
        text = (
            f"{self.accepted} events accepted in {self.batches} batches from {self.lines} lines; "
            f"{self.malformed} malformed lines, {self.rejected} events rejected by the service"
        )
        if self.dead_letters:
            text += f"; {self.dead_letters} lines kept in {self.dead_letter_file}"
        if self.skipped_files:
            text += f"; {self.skipped_files} unreadable files skipped"
        if self.pending_bytes:
            text += f"; {self.pending_bytes} bytes of unfinished last lines wait for a newline"
        return text


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
            raise ValueError("give at least one file or directory to ship")
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

    def run(self) -> ShipStats:
        """Ship until the files are done (or, following, until asked to stop).

        Raises:
            CheckpointBusy: another shipper holds the checkpoint.
        """
        lock = CheckpointLock(self.checkpoint.path)
        lock.acquire()
        try:
            return self._run()
        finally:
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
            if not self.follow or self.should_stop():
                return self.stats
            self.sleep(self.interval)
            if self.should_stop():
                return self.stats

    def ship_once(self) -> None:
        """One pass over every file: send what is new since the checkpoint."""
        seen: set[str] = set()
        for path in expand_paths(self.paths, self.globs):
            if path.resolve() == self.checkpoint.path.resolve():
                continue
            key = self._ship_file(path)
            if key:
                seen.add(key)
            if self.should_stop():
                return
        gone = [key for key in self.checkpoint.files if key not in seen]
        if gone:
            for key in gone:
                self._finish_rotated(key, self.checkpoint.files[key])
                del self.checkpoint.files[key]
            self.checkpoint.save()

    def _ship_file(self, path: Path) -> str | None:
        try:
            if path.exists() and not path.is_file():  # a FIFO or device would block the read
                raise OSError(errno.EINVAL, "not a regular file", str(path))
            handle = open(path, "rb")  # noqa: SIM115 - closed below, after the last commit
        except FileNotFoundError:
            if not self.follow:  # following, it may still appear
                log.warning("%s: no such file", path)
            return None
        except OSError as err:
            self.stats.skipped_files += 1
            self.stats.note(f"{path}: skipped, cannot be read ({err.strerror or err})")
            log.warning("%s: skipped, cannot be read (%s)", path, err.strerror or err)
            return None
        with handle:
            key = "{0.st_dev}:{0.st_ino}".format(os.fstat(handle.fileno()))
            try:
                start = self._resume_offset(handle, key, path)
                if start == 0 and key not in self.checkpoint.files:
                    problem = self._missing_time_field(handle, path)
                    if problem:
                        self.stats.problems.append(problem)
                        log.error("%s", problem)
                        return key
                self._ship_from(handle, key, path, start, final=False)
            except OSError as err:
                self.stats.skipped_files += 1
                self.stats.note(f"{path}: stopped reading ({err.strerror or err})")
                log.warning("%s: stopped reading (%s)", path, err.strerror or err)
        return key

    def _ship_from(
        self, handle: IO[bytes], key: str | None, path: Path, start: int, *, final: bool
    ) -> None:
        """Send the complete lines from ``start`` on (with ``final``, the unfinished last line
        too: the file will not grow any more); ``key`` None ships without checkpointing."""
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
                self._dead_letter(path, position, str(err), raw)
                position = end
                continue
            if parsed is None:
                position = end
                continue
            self.stats.lines += 1
            event: LogEvent = {"timestamp": parsed[0], "message": parsed[1]}
            stream = stream_name(self.stream_prefix, parsed[0])
            if batch.events and (stream != batch_stream or not batch.fits(event)):
                self._send(batch_stream, batch, offsets, handle, key, path, position)
                batch = Batch(self.max_batch_bytes, self.max_batch_events)
                offsets = {}
                if self.should_stop():
                    return
            batch.add(event)
            offsets[id(event)] = position
            batch_stream = stream
            position = end
        if batch.events:
            self._send(batch_stream, batch, offsets, handle, key, path, position)
        elif position != start:
            self._commit(handle, key, path, position)

    def _dead_letter(self, path: Path, offset: int | None, reason: str, raw: bytes | str) -> None:
        where = f"byte {offset}" if offset is not None else "a sent batch"
        self.stats.note(f"{path}: {where}: {reason}")
        log.warning("%s: %s: line kept as a dead letter: %s", path, where, reason)
        self.dead_letters.add(str(path), offset, reason, raw)
        self.stats.dead_letters += 1
        self.stats.dead_letter_file = str(self.dead_letters.path)

    def _missing_time_field(self, handle: IO[bytes], path: Path) -> str | None:
        """A configuration problem when the first JSON lines of a new file all lack the time
        field (the wrong ``time_field``), else None."""
        handle.seek(0)
        seen: dict[str, None] = {}
        objects = 0
        for raw in handle.readlines(64 * 1024)[:100]:
            try:
                document = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if not isinstance(document, dict):
                continue
            if isinstance(document.get(self.line_format.time_field), str):
                return None
            objects += 1
            seen.update(dict.fromkeys(document))
        if not objects:
            return None
        fields = ", ".join(list(seen)[:8])
        return (
            f"{path}: no line has the time field {self.line_format.time_field!r} "
            f"(fields seen: {fields}); give the field that holds the time with --time-field "
            "(and leave it out of the message with --drop-field). The file was not shipped and "
            "stays unread in the checkpoint."
        )

    def _finish_rotated(self, key: str, state: FileState) -> None:
        """A checkpointed file no longer among the paths: when it was renamed within its folder
        (logrotate's ``app.log.1``), send what was added before the rename, as ``tail -F``."""
        folder = Path(state.path).parent
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if f"{info.st_dev}:{info.st_ino}" != key or info.st_size <= state.offset:
                continue
            try:
                with open(entry.path, "rb") as handle:
                    if self._head_matches(handle, state):
                        log.info("%s: reading the rest of rotated %s", state.path, entry.path)
                        # checkpointed under its key as it goes: a kill here resends one batch
                        self._ship_from(handle, key, Path(entry.path), state.offset, final=True)
            except OSError as err:
                log.warning("%s: rotated file unreadable (%s)", entry.path, err)
            return

    def _finish_truncated(self, key: str, path: Path, state: FileState) -> None:
        """A file cut below its checkpoint (``copytruncate``): send the rest from the copy, when
        one with the same beginning sits in the same folder; else say what may be lost.

        The copy is checkpointed under its own key as it is sent (a kill resends one batch; a
        later pass drops the entry once the copy is done), and ``key`` starts again at zero."""
        for entry in sorted(path.parent.iterdir()):
            try:
                if entry == path or not entry.is_file() or entry.stat().st_size < state.offset:
                    continue
                with open(entry, "rb") as handle:
                    if not self._head_matches(handle, state):
                        continue
                    copy_key = "{0.st_dev}:{0.st_ino}".format(os.fstat(handle.fileno()))
                    if copy_key == key:
                        continue
                    done = self.checkpoint.files.get(copy_key)
                    start = state.offset if done is None else max(done.offset, state.offset)
                    log.info("%s was truncated: reading the rest from %s", path, entry)
                    self._ship_from(handle, copy_key, entry, start, final=True)
                    return
            except OSError:
                continue
        self.stats.note(
            f"{path}: truncated below its checkpoint (byte {state.offset}) and no copy found: "
            "lines written between the last pass and the truncation could not be read"
        )

    @staticmethod
    def _head_matches(handle: IO[bytes], state: FileState) -> bool:
        handle.seek(0)
        return hashlib.sha256(handle.read(state.head_length)).hexdigest() == state.head_sha256

    def _resume_offset(self, handle: IO[bytes], key: str, path: Path) -> int:
        state = self.checkpoint.files.get(key)
        if state is None:
            return 0
        size = os.fstat(handle.fileno()).st_size
        if size < state.offset:
            log.info("%s is shorter than its checkpoint: reading it from the start", path)
            self._finish_truncated(key, path, state)
            self._commit(handle, key, path, 0)  # the file starts again: so does its entry
            return 0
        handle.seek(0)
        head = handle.read(state.head_length)
        if hashlib.sha256(head).hexdigest() != state.head_sha256:
            log.info("%s is not the file in the checkpoint: reading it from the start", path)
            self._finish_truncated(key, path, state)  # same file, new beginning: truncated in place
            self._commit(handle, key, path, 0)
            return 0
        return state.offset

    def _send(
        self,
        stream: str,
        batch: Batch,
        offsets: dict[int, int],
        handle: IO[bytes],
        key: str | None,
        path: Path,
        offset: int,
    ) -> None:
        result = put_batch(
            self.group,
            stream,
            batch.sorted_events(),
            client=self.client,
            retry=self.retry,
            create=True,
        )
        self.stats.events += len(batch)
        self.stats.batches += 1
        self.stats.accepted += result.accepted
        self.stats.rejected += len(result.rejected)
        for rejected in result.rejected:
            reason = f"refused by the service: {rejected.reason}"
            self._dead_letter(path, offsets.get(id(rejected.event)), reason, _as_line(rejected))
        self._commit(handle, key, path, offset)

    def _commit(self, handle: IO[bytes], key: str | None, path: Path, offset: int) -> None:
        self.dead_letters.sync()
        if key is None:
            return
        resume = handle.tell()
        handle.seek(0)
        head = handle.read(min(offset, HEAD_BYTES))
        handle.seek(resume)
        self.checkpoint.files[key] = FileState(
            path=str(path.resolve()),
            offset=offset,
            head_length=len(head),
            head_sha256=hashlib.sha256(head).hexdigest(),
        )
        self.checkpoint.save()


def _as_line(rejected: Any) -> str:
    """A refused event as a line that ships again: its message with the time put back."""
    return json.dumps(
        {"timestamp": rejected.event["timestamp"], "message": rejected.event["message"]}
    )

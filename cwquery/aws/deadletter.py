"""What the shipper keeps beside its checkpoint: dead letters and a lock.

Dead letters are the lines the shipper could not send (not JSON, no readable time, too deep,
too large, refused by the service for their time). Each is appended to a JSON-lines file next
to the checkpoint, ``<checkpoint stem>.dead.jsonl``, with the file, the byte offset, the reason
and the line itself, and flushed to disk before the checkpoint moves past it: nothing is lost
silently, and the file can be fixed and shipped again.

The lock (``<checkpoint>.lock``, held with ``flock``) keeps a second shipper off the same
checkpoint; while holding it, the temporary files a killed shipper left behind are removed.

>>> dead_letter_path(Path("/state/ship-1a2b.json"))
PosixPath('/state/ship-1a2b.dead.jsonl')
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
from pathlib import Path
from typing import IO

from cwquery.errors import CWQueryError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the rest works
    fcntl = None  # type: ignore[assignment]


class CheckpointBusy(CWQueryError):
    """Another shipper holds the checkpoint's lock."""


def dead_letter_path(checkpoint: Path) -> Path:
    """The dead-letter file that goes with a checkpoint file."""
    return checkpoint.with_name(f"{checkpoint.stem}.dead.jsonl")


class DeadLetters:
    """An append-only JSON-lines file of lines that could not be sent."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._out: IO[str] | None = None

    def add(self, file: str, offset: int | None, reason: str, raw: bytes | str) -> None:
        """Record one line (``offset`` is its first byte in ``file``, when known)."""
        record: dict[str, object] = {"file": file, "offset": offset, "reason": reason}
        if isinstance(raw, str):
            record["line"] = raw
        else:
            line = raw.rstrip(b"\r\n")
            try:
                record["line"] = line.decode("utf-8")
            except UnicodeDecodeError:
                record["lineBase64"] = base64.b64encode(line).decode("ascii")
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.count += 1

    def sync(self) -> None:
        """Make what was added durable (called before the checkpoint moves on)."""
        if self._out is not None:
            self._out.flush()
            os.fsync(self._out.fileno())

    def close(self) -> None:
        """Flush and close the file."""
        if self._out is not None:
            self.sync()
            self._out.close()
            self._out = None


class CheckpointLock:
    """An exclusive lock on a checkpoint, taken without waiting."""

    def __init__(self, checkpoint: Path) -> None:
        self.checkpoint = checkpoint
        self.path = checkpoint.with_name(f"{checkpoint.name}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and remove stale temporary files, or raise :class:`CheckpointBusy`."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise CheckpointBusy(
                    f"another shipper is using the checkpoint {self.checkpoint}"
                ) from None
        self._fd = fd
        for stale in self.checkpoint.parent.glob(f".{self.checkpoint.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

    def now_ns(self) -> int:
        """The file system's time now, in ns: the clock file times are written by.

        The shipper compares it with the times of the files it reads, so both must come from the
        same clock: the process's clock may differ from the file system's (a shifted test clock,
        a network file system). One byte is written to the lock file, and its new time read back.
        """
        if self._fd is None:
            return time.time_ns()
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, b"\n")
        return os.fstat(self._fd).st_mtime_ns

    def release(self) -> None:
        """Let the lock go (the lock file stays; it holds one line end)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

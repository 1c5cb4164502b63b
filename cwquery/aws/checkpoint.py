"""The shipper's checkpoint: how far each file has been accepted, and how to know it again.

Files are keyed by identity, ``<st_dev>:<st_ino>``, so a renamed file keeps its offset. Each
entry also keeps a **fingerprint**: the SHA-256 of the file's first bytes (up to
:data:`HEAD_BYTES`, never past the offset once lines were sent from the file; before that, the
bytes it held when last seen). The fingerprint recognises a file that was truncated
or rewritten in place (its first bytes changed), and a copy of a file under another identity
(``copytruncate``'s copy, a file compressed by logrotate): the copy's bytes up to the offset
were sent already. Fingerprints of files that went away, or were truncated, are kept in ``gone``
for that purpose, the newest :data:`GONE_KEPT` of them.

``watch`` maps each file name the shipper has taken from its paths to the time (ms) it first
did: a rotated sibling of that name (``app.log.1``) that the checkpoint does not know and that
was modified since then was rotated while the shipper was not looking, and is read.

The file is replaced atomically (temporary file, ``fsync``, rename), so a ``kill -9`` leaves
either the old checkpoint or the new one.

>>> Fingerprint.of(b"abc", 3).matches(b"abcdef")
True
>>> Fingerprint.of(b"", 0).matches(b"anything")
False
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cwquery.errors import CWQueryError

#: How many leading bytes of a file identify it in the checkpoint.
HEAD_BYTES = 1024
#: How many fingerprints of departed files are kept.
GONE_KEPT = 256
CHECKPOINT_VERSION = 2


class ShipperError(CWQueryError):
    """The shipper cannot go on safely (e.g. an unreadable checkpoint)."""


@dataclass(frozen=True)
class Fingerprint:
    """The SHA-256 of a file's first ``length`` bytes."""

    length: int
    sha256: str

    @classmethod
    def of(cls, head: bytes, length: int) -> Fingerprint:
        """The fingerprint of ``head``'s first ``length`` bytes."""
        return cls(length, hashlib.sha256(head[:length]).hexdigest())

    def matches(self, head: bytes) -> bool:
        """Whether ``head`` begins with the fingerprinted bytes (never for an empty print)."""
        return (
            self.length > 0
            and len(head) >= self.length
            and hashlib.sha256(head[: self.length]).hexdigest() == self.sha256
        )


@dataclass
class FileState:
    """Checkpoint entry for one file: the offset reached and the fingerprint of its first bytes.

    ``size`` is the file's size at the last look (for a gzip file, its uncompressed size once
    read to the end, else -1), ``rotated`` whether it was last seen outside the paths, ``gzip``
    whether offsets count uncompressed bytes of a gzip file."""

    path: str
    offset: int
    head_length: int
    head_sha256: str
    size: int = -1
    rotated: bool = False
    gzip: bool = False

    @property
    def fingerprint(self) -> Fingerprint:
        """The entry's fingerprint."""
        return Fingerprint(self.head_length, self.head_sha256)

    @property
    def complete(self) -> bool:
        """Read to the end of a file that no longer grows (rotated, or compressed)."""
        return (self.rotated or self.gzip) and self.offset >= self.size >= 0


@dataclass
class GoneState:
    """The fingerprint and offset of a file that went away or was truncated: a copy of it that
    shows up later (``app.log.1``, ``app.log.2.gz``) is read from ``offset`` on."""

    path: str
    offset: int
    fingerprint: Fingerprint
    complete: bool = False
    matched: bool = field(default=False, compare=False)


class Checkpoint:
    """Offsets per file (keyed ``<device>:<inode>``), saved atomically to a JSON file."""

    def __init__(
        self,
        path: Path,
        files: dict[str, FileState] | None = None,
        watch: dict[str, int] | None = None,
        gone: list[GoneState] | None = None,
    ) -> None:
        self.path = path
        self.files: dict[str, FileState] = files or {}
        self.watch: dict[str, int] = watch or {}
        self.gone: list[GoneState] = gone or []

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        """Read ``path``; a missing file is an empty checkpoint, an unreadable one an error."""
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        try:
            data = json.loads(raw)
            files = {key: _file_state(entry) for key, entry in data["files"].items()}
            watch = {str(name): int(since) for name, since in data.get("watch", {}).items()}
            gone = [
                GoneState(
                    path=str(entry["path"]),
                    offset=int(entry["offset"]),
                    fingerprint=Fingerprint(int(entry["headLength"]), str(entry["headSha256"])),
                    complete=bool(entry.get("complete", False)),
                )
                for entry in data.get("gone", [])
            ]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ShipperError(
                f"checkpoint {path} is unreadable ({err}); move it away to ship everything again"
            ) from None
        return cls(path, files, watch, gone)

    def forget(self, key: str) -> GoneState:
        """Drop ``key``'s entry, keeping its fingerprint among the departed."""
        state = self.files.pop(key)
        return self.remember(state)

    def remember(self, state: FileState) -> GoneState:
        """Keep ``state``'s fingerprint and offset among the departed (when it has one)."""
        gone = GoneState(state.path, state.offset, state.fingerprint, state.complete)
        if state.head_length > 0:
            self.gone.append(gone)
            del self.gone[:-GONE_KEPT]
        return gone

    def save(self) -> None:
        """Write to a temporary file, flush it to disk, then rename it over the checkpoint."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "version": CHECKPOINT_VERSION,
            "files": {key: _file_record(state) for key, state in sorted(self.files.items())},
            "watch": dict(sorted(self.watch.items())),
            "gone": [
                {
                    "path": gone.path,
                    "offset": gone.offset,
                    "headLength": gone.fingerprint.length,
                    "headSha256": gone.fingerprint.sha256,
                    "complete": gone.complete,
                }
                for gone in self.gone
            ],
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


def _file_state(entry: dict[str, Any]) -> FileState:
    return FileState(
        path=str(entry["path"]),
        offset=int(entry["offset"]),
        head_length=int(entry["headLength"]),
        head_sha256=str(entry["headSha256"]),
        size=int(entry.get("size", -1)),
        rotated=bool(entry.get("rotated", False)),
        gzip=bool(entry.get("gzip", False)),
    )


def _file_record(state: FileState) -> dict[str, Any]:
    record: dict[str, Any] = {
        "path": state.path,
        "offset": state.offset,
        "headLength": state.head_length,
        "headSha256": state.head_sha256,
        "size": state.size,
    }
    if state.rotated:
        record["rotated"] = True
    if state.gzip:
        record["gzip"] = True
    return record

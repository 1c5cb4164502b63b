"""Where the shipper's files are: the paths it was given, and what rotation left beside them.

:func:`survey` lists the files taken from the paths (**live** files) and every other regular
file in their folders (and in the folders of the files the checkpoint knows), each with its
identity ``<st_dev>:<st_ino>``. A checkpointed file is found again by identity wherever
rotation renamed it within those folders. A **sibling** is a file whose name extends a watched
name with ``.``, ``-`` or ``_``: ``app.log.1``, ``app.log.2.gz``, ``app.log-20240501``,
``copytruncate``'s ``app.log.1`` copy.

>>> is_sibling("app.log.2.gz", "app.log"), is_sibling("app.log-20240501", "app.log")
(True, True)
>>> is_sibling("app.logger", "app.log"), is_sibling("app.log", "app.log")
(False, False)
"""

from __future__ import annotations

import errno
import fnmatch
import gzip
import logging
import os
import stat
import zlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from cwquery.aws.checkpoint import HEAD_BYTES

log = logging.getLogger(__name__)

T = TypeVar("T")

#: File names taken from a directory given as a path.
DEFAULT_GLOBS = ("*.log", "*.json", "*.jsonl")
#: Name endings of compressed files the shipper cannot read (gzip it reads).
UNREADABLE_SUFFIXES = (".bz2", ".xz", ".zst", ".lz4", ".lzma", ".Z", ".zip", ".7z")
GZIP_MAGIC = b"\x1f\x8b"
#: Errors that mean "this gzip file cannot be read (yet)": damaged, or still being written.
GZIP_ERRORS = (OSError, EOFError, zlib.error)


def is_sibling(name: str, watched: str) -> bool:
    """Whether ``name`` is a rotated form of the file name ``watched``."""
    return len(name) > len(watched) and name.startswith(watched) and name[len(watched)] in ".-_"


def identity(info: os.stat_result) -> str:
    """A file's key in the checkpoint: ``<st_dev>:<st_ino>``."""
    return f"{info.st_dev}:{info.st_ino}"


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


@dataclass(frozen=True)
class Found:
    """A regular file seen in a survey."""

    path: Path
    key: str
    size: int
    mtime_ns: int
    live: bool


@dataclass
class Survey:
    """What one look at the paths and their folders found."""

    live: list[Found] = field(default_factory=list)
    #: Every other regular file of the folders, by identity.
    others: dict[str, Found] = field(default_factory=dict)
    #: Live paths that are missing, or not regular files: ``(path, error)``.
    errors: list[tuple[Path, OSError]] = field(default_factory=list)

    def by_key(self) -> dict[str, Found]:
        """Every file found, by identity (a live name wins over another link)."""
        found = dict(self.others)
        found.update((f.key, f) for f in self.live)
        return found

    def siblings(self, watched: Iterable[str]) -> list[Found]:
        """The non-live files whose names extend one of the ``watched`` paths', in name order."""
        names: dict[str, list[str]] = {}
        for name in watched:
            names.setdefault(os.path.dirname(name), []).append(os.path.basename(name))
        return sorted(
            (
                f
                for f in self.others.values()
                if any(is_sibling(f.path.name, w) for w in names.get(str(f.path.parent), ()))
            ),
            key=lambda f: str(f.path),
        )


def absolute(path: Path) -> Path:
    """``path`` made absolute without resolving a symbolic link at its end."""
    return Path(os.path.abspath(path))


def survey(
    paths: Sequence[str | Path],
    globs: Sequence[str],
    folders: Iterable[Path],
    exclude: set[Path],
) -> Survey:
    """The live files of ``paths`` and the other regular files of their folders and of
    ``folders``; files in ``exclude`` (the shipper's own) are left out, and hidden ones."""
    result = Survey()
    live_paths: set[Path] = set()
    scan: dict[Path, None] = dict.fromkeys(absolute(p) for p in folders)
    for given in paths:
        if Path(given).is_dir():
            scan[absolute(Path(given))] = None
    for path in expand_paths(paths, globs):
        whole = absolute(path)
        if whole in exclude:
            continue
        scan[whole.parent] = None
        try:
            info = os.stat(path)
            if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block the read
                raise OSError(errno.EINVAL, "not a regular file", str(path))
        except OSError as err:
            result.errors.append((path, err))
            continue
        live_paths.add(whole)
        result.live.append(Found(path, identity(info), info.st_size, info.st_mtime_ns, True))
    live_keys = {f.key for f in result.live}
    for folder in scan:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            whole = folder / entry.name
            if entry.name.startswith(".") or whole in live_paths or whole in exclude:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            key = identity(info)
            if stat.S_ISREG(info.st_mode) and key not in live_keys:
                result.others[key] = Found(whole, key, info.st_size, info.st_mtime_ns, False)
    return result


def is_gzip(path: Path) -> bool:
    """Whether the file starts with gzip's magic bytes."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def read_head(path: Path, compressed: bool) -> bytes:
    """The first :data:`HEAD_BYTES` bytes of a file (of its uncompressed content for gzip)."""
    if compressed:
        with gzip.open(path, "rb") as unpacked:
            return unpacked.read(HEAD_BYTES)
    with open(path, "rb") as handle:
        return handle.read(HEAD_BYTES)


def gzip_length(path: Path) -> int:
    """The uncompressed length a gzip file declares in its trailer (modulo 2**32)."""
    with open(path, "rb") as handle:
        handle.seek(-4, os.SEEK_END)
        return int.from_bytes(handle.read(4), "little")


class Reads:
    """What was read from files (a head, a gzip trailer, a verdict), each kept while the file's
    identity holds: device, inode, size and modification time as the last survey found them."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, Hashable], tuple[tuple[int, int], object]] = {}

    def get(self, found: Found, what: Hashable, read: Callable[[], T]) -> T:
        """``read()``'s answer for ``found``, read again only when the file changed (an error
        is raised, not kept)."""
        stamp = (found.size, found.mtime_ns)
        kept = self._kept.get((found.key, what))
        if kept is not None and kept[0] == stamp:
            return kept[1]  # type: ignore[return-value]
        value = read()
        self._kept[(found.key, what)] = (stamp, value)
        return value

    def has(self, found: Found, what: Hashable, value: object) -> bool:
        """Whether ``what`` was read as ``value`` from the file as it is now."""
        return self._kept.get((found.key, what)) == ((found.size, found.mtime_ns), value)

    def keep_only(self, seen: dict[str, Found]) -> None:
        """Forget the files not in ``seen`` and what changed since it was read."""
        self._kept = {
            (key, what): (stamp, value)
            for (key, what), (stamp, value) in self._kept.items()
            if key in seen and stamp == (seen[key].size, seen[key].mtime_ns)
        }

"""Matching what a survey found against the checkpoint, pass by pass.

A file the checkpoint knows goes on from its offset wherever it was renamed; one that was cut,
rewritten or replaced, or that went away, leaves its fingerprint among the departed. A file the
checkpoint does not know is **adopted**: a copy of a known or departed file (``copytruncate``'s
copy, a gzip made by logrotate) from that file's offset, a new live file or a sibling rotated
while the shipper was down from its start. Files that went or changed before their end was read
and turn up nowhere else are reported as lines that could not be read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from cwquery.aws.checkpoint import HEAD_BYTES, Checkpoint, FileState, Fingerprint, GoneState
from cwquery.aws.rotation import (
    GZIP_ERRORS,
    UNREADABLE_SUFFIXES,
    Found,
    Reads,
    Survey,
    absolute,
    gzip_length,
    is_gzip,
    read_head,
)

log = logging.getLogger("cwquery.aws.shipper")

#: How long a rotated file must be left alone before its last line counts as complete without a
#: newline, and a gzip file before it is read at all, while following (a copy or a compression
#: may still be under way).
SETTLE_NS = 2_000_000_000

#: How much older than the moment the shipper began watching its name a rotated file may look
#: and still be read (file times come from a clock that lags by up to a few ticks).
MTIME_SLACK_MS = 2_000


class Finder:
    """Keeps a checkpoint's entries in step with the files, one survey at a time.

    ``unreadable(key, text)`` is called for lines that could not be read (once per key is
    enough), ``live_error(path, err)`` for a live file that cannot be opened.
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        *,
        follow: bool,
        unreadable: Callable[[str, str], None],
        live_error: Callable[[Path, BaseException], None],
    ) -> None:
        self.checkpoint = checkpoint
        self.follow = follow
        self._unreadable = unreadable
        self._live_error = live_error
        self._suspects: dict[str, tuple[GoneState, str]] = {}
        self._postponed = False
        self._now_ns = 0
        #: Heads, gzip trailers and verdicts, each read once per file identity.
        self.reads = Reads()

    def update(self, seen: Survey, now_ns: int) -> bool:
        """Bring the checkpoint up to date with ``seen`` (a survey begun at ``now_ns`` on the
        clock file times are written by): new watched names, files gone or changed, files to
        adopt. True when it changed."""
        self._now_ns = now_ns
        began = now_ns // 1_000_000
        files = self.checkpoint.files
        changed = False
        for found in seen.live:
            name = str(absolute(found.path))
            if name not in self.checkpoint.watch:
                self.checkpoint.watch[name] = began
                changed = True
        by_key = seen.by_key()
        self.reads.keep_only(by_key)
        departed: list[tuple[FileState, GoneState]] = []
        broken: list[tuple[str, Path, FileState, GoneState]] = []
        for key, state in list(files.items()):
            known = by_key.get(key)
            if known is None:
                departed.append((state, self.checkpoint.forget(key)))
                changed = True
                continue
            if (
                state.offset == 0
                and not state.gzip
                and state.head_length < min(known.size, HEAD_BYTES)
            ):
                changed |= self._reprint(known, state)
            intact = self._intact(known, state)
            if intact is False:  # truncated, rewritten, or the inode went to another file
                broken.append((key, known.path, state, self.checkpoint.forget(key)))
                changed = True
        self._postponed = False
        changed |= self._adopt_all(seen, by_key, {key for key, _, _, _ in broken})
        self._report_losses(departed, broken)
        changed |= self._prune_watch(seen)
        return changed

    def _intact(self, found: Found, state: FileState) -> bool | None:
        """Whether the file still begins as when checkpointed (None: it cannot be read now)."""
        if state.offset == 0:
            return True
        if not state.gzip and found.size < state.offset:
            return False
        try:
            return self.reads.get(found, _verdict(state), lambda: self._begins_as(found, state))
        except GZIP_ERRORS as err:
            self._unreadable(found.key, f"{found.path}: cannot be read now ({err})")
            return None

    def checked(self, found: Found, state: FileState) -> bool:
        """Whether this pass found the file, as it is now, to begin as ``state`` says."""
        return self.reads.has(found, _verdict(state), True)

    def _begins_as(self, found: Found, state: FileState) -> bool:
        if state.gzip and not self._is_gzip(found):
            return False
        return state.head_length == 0 or state.fingerprint.matches(self._head(found, state.gzip))

    def _head(self, found: Found, gz: bool) -> bytes:
        return self.reads.get(found, ("head", gz), lambda: read_head(found.path, gz))

    def _is_gzip(self, found: Found) -> bool:
        return self.reads.get(found, "magic", lambda: is_gzip(found.path))

    def _adopt_all(self, seen: Survey, by_key: dict[str, Found], broken: set[str]) -> bool:
        """Give the files the checkpoint does not know an entry: a copy of a known file starts at
        that file's offset, a new file (live, or rotated while the shipper was down) at zero."""
        files = self.checkpoint.files
        present = {key: (state, by_key[key]) for key, state in files.items() if key in by_key}
        candidates = [f for f in seen.live if f.key not in files]
        candidates += [f for f in seen.siblings(self.checkpoint.watch) if f.key not in files]
        candidates += [f for f in seen.others.values() if f.key in broken]
        changed = False
        for found in dict((f.key, f) for f in candidates).values():
            state = self._adopt(found, present, found.key in broken)
            if state is not None:
                files[found.key] = state
                present[found.key] = (state, found)  # a second copy of it is a copy of this one
                changed = True
        return changed

    def _adopt(
        self, found: Found, present: dict[str, tuple[FileState, Found]], broken: bool
    ) -> FileState | None:
        if not found.live and not broken:
            since = self._since(found.path)
            if since is None or found.mtime_ns < (since - MTIME_SLACK_MS) * 1_000_000:
                return None  # rotated before the shipper watched its name: not asked for
        if not found.live and found.path.name.endswith(UNREADABLE_SUFFIXES):
            self._unreadable(
                found.key,
                f"{found.path}: compressed in a form the shipper cannot "
                "read (only gzip); its lines were not sent",
            )
            return None
        gz = False
        try:
            gz = not found.live and (found.path.name.endswith(".gz") or self._is_gzip(found))
            if gz and self.follow and self._now_ns - found.mtime_ns < SETTLE_NS:
                self._postponed = True
                return None  # probably still being written: a later pass
            head = self._head(found, gz)
            length = (
                self.reads.get(found, "length", lambda: gzip_length(found.path))
                if gz
                else found.size
            )
        except GZIP_ERRORS as err:
            if found.live:
                self._live_error(found.path, err)
            else:
                message = f"{found.path}: cannot be read ({err}); its lines were not sent"
                self._unreadable(found.key, message)
            return None
        best, holder = -1, None
        for state, other in present.values():
            if state.fingerprint.matches(head) and state.offset > best:
                best, holder = state.offset, other
        for gone in self.checkpoint.gone:
            if gone.fingerprint.matches(head):
                gone.matched = True
                if gone.offset > best:
                    best, holder = gone.offset, None
        if best < 0:
            if gz:  # never seen, or seen only before its first line was sent
                log.warning(
                    "%s: a gzip file that begins as no file the checkpoint knows: reading it "
                    "from its start",
                    found.path,
                )
            best = 0
        elif holder is not None and not found.live and length <= holder.size:
            return None  # a copy of a file still there and still holding its lines
        elif length < best:
            return None  # a copy being written, or an older one: only lines already sent
        if found.live or broken:
            log.info("%s: new, reading from byte %d", found.path, best)
        else:
            log.warning(
                "%s: rotated while the shipper was not looking: reading it from byte %d",
                found.path,
                best,
            )
        fingerprint = Fingerprint.of(head, min(best, HEAD_BYTES) if best else len(head))
        return FileState(
            path=str(absolute(found.path)),
            offset=best,
            head_length=fingerprint.length,
            head_sha256=fingerprint.sha256,
            size=length if not gz or best >= length else -1,
            rotated=not found.live,
            gzip=gz,
        )

    def _since(self, path: Path) -> int | None:
        """When the shipper began watching the name ``path`` is a rotated form of."""
        times = [
            since
            for name, since in self.checkpoint.watch.items()
            if Path(name).parent == path.parent and path.name.startswith(Path(name).name)
        ]
        return min(times) if times else None

    def _report_losses(
        self,
        departed: list[tuple[FileState, GoneState]],
        broken: list[tuple[str, Path, FileState, GoneState]],
    ) -> None:
        """Warn about files that changed or went away before their end was read, unless a copy
        of them turns up (a gzip still being written may show up on the next pass)."""
        for _, path, state, gone in broken:
            if not state.complete and state.offset > 0:
                self._suspects[f"cut:{path}:{state.offset}"] = (
                    gone,
                    f"{path}: no longer the file checkpointed there (cut, rewritten or "
                    f"replaced below byte {state.offset}) and no copy of it found beside it: "
                    "lines written after that byte before the change were not read",
                )
        for state, gone in departed:
            if state.complete:
                continue
            if state.size > state.offset:
                self._suspects[f"gone:{state.path}:{state.offset}"] = (
                    gone,
                    f"{state.path}: gone (deleted, or moved out of its folder) before it was "
                    f"read to its end: bytes {state.offset} to {state.size} were not sent",
                )
            else:
                log.info("%s: gone after byte %d", state.path, state.offset)
        for key, (gone, text) in list(self._suspects.items()):
            if gone.matched:
                del self._suspects[key]
            elif not self._postponed:
                del self._suspects[key]
                self._unreadable(key, text)

    def _reprint(self, found: Found, state: FileState) -> bool:
        """Fingerprint a file not sent from yet by all its first bytes (up to
        :data:`HEAD_BYTES`), so that a gzip of it is known again."""
        try:
            head = self._head(found, False)
        except OSError:
            return False
        fingerprint = Fingerprint.of(head, len(head))
        state.head_length, state.head_sha256 = fingerprint.length, fingerprint.sha256
        return True

    def _prune_watch(self, seen: Survey) -> bool:
        """Forget watched names with no file and no rotated sibling left."""
        live = {str(absolute(f.path)) for f in seen.live}
        stale = [
            name
            for name in self.checkpoint.watch
            if name not in live and not seen.siblings([name]) and not os.path.exists(name)
        ]
        for name in stale:
            del self.checkpoint.watch[name]
        return bool(stale)


def _verdict(state: FileState) -> tuple[str, bool, Fingerprint]:
    """What :meth:`Finder.reads` keeps the answer to "does the file begin as ``state``" under."""
    return ("intact", state.gzip, state.fingerprint)

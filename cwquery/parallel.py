"""Scanning log files for one pattern block by block, on one process or on several.

A file is cut into blocks of whole lines (a block ends just after a ``\\n`` or ``\\r``), and
each block is scanned by a :class:`~cwquery.blocks.BlockScanner`. With more than one job, the
blocks of a regular file go to worker processes: each builds its own scanner from the pattern
text and reads its byte range from the file itself, so only offsets and results cross between
processes. Results come back in file order, and at most two blocks per worker are in flight,
so memory stays flat whatever the file's size.

Cutting a ``\\r\\n`` between two blocks leaves an empty line at the start of the second, and
an empty line is no message, so the answer never depends on where the cuts fall.

>>> import io
>>> [block for block in read_blocks(io.BytesIO(b"a\\nbb\\r\\nc"), block_bytes=2)]
[b'a\\n', b'bb\\r\\n', b'c']
>>> with FileScan("ERROR", select=Select.MATCHES) as scan:
...     results = list(scan.stream(io.BytesIO(b"INFO ok\\nERROR bad\\n")))
>>> [(r.read, r.matched, r.selected) for r, _ in results]
[(2, 1, [(-1, 'ERROR bad')])]
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Iterator
from types import TracebackType
from typing import IO, TYPE_CHECKING, Protocol

from cwquery.blocks import BlockResult, BlockScanner, Select

if TYPE_CHECKING:  # the pool itself is imported only when workers start
    from multiprocessing.pool import AsyncResult, Pool
    from pathlib import Path

#: Bytes read at a time on one process.
BLOCK_BYTES = 1 << 20
#: Bytes of a file one worker scans at a time.
RANGE_BYTES = 1 << 20
#: Inputs at least this big use every core unless told otherwise.
PARALLEL_BYTES = 8 << 20
#: How far past a cut to look for the line end, per read.
_WINDOW = 64 << 10


class Readable(Protocol):
    """A binary stream: an open file, standard input's buffer, a gzip file."""

    def read(self, size: int = -1, /) -> bytes: ...


def available_cores() -> int:
    """The number of cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_jobs(input_bytes: int) -> int:
    """Every core for inputs of :data:`PARALLEL_BYTES` or more, else one process.

    >>> default_jobs(100)
    1
    """
    return available_cores() if input_bytes >= PARALLEL_BYTES else 1


def read_blocks(
    stream: Readable, *, head: bytes = b"", block_bytes: int = BLOCK_BYTES
) -> Iterator[bytes]:
    """Blocks of whole lines from a binary stream (``head`` first): each ends just after a
    ``\\n`` or ``\\r``, except the last when the stream does not end with one. A line longer
    than ``block_bytes`` makes one longer block."""
    pieces = [head] if head else []
    while chunk := stream.read(block_bytes):
        end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) + 1
        if not end:
            pieces.append(chunk)
            continue
        pieces.append(chunk[:end])
        yield b"".join(pieces)
        pieces = [chunk[end:]] if end < len(chunk) else []
    if pieces and (rest := b"".join(pieces)):
        yield rest


def line_ranges(path: str | Path, range_bytes: int = RANGE_BYTES) -> Iterator[tuple[int, int]]:
    """``(start, end)`` byte ranges covering a file, each ending just after a line end (but the
    last). The file's size is read once, at the start."""
    size = os.path.getsize(path)
    start = 0
    with open(path, "rb") as stream:
        while start < size:
            end = _line_end_after(stream, start + range_bytes, size)
            yield start, end
            start = end


def _line_end_after(stream: IO[bytes], position: int, size: int) -> int:
    """The offset just after the first line end at or past ``position`` (``size`` if none)."""
    while position < size:
        stream.seek(position)
        window = stream.read(_WINDOW)
        if not window:
            break
        hits = [at for at in (window.find(b"\n"), window.find(b"\r")) if at >= 0]
        if hits:
            at = position + min(hits) + 1
            if window[min(hits)] == 0x0D and window[min(hits) + 1 : min(hits) + 2] == b"\n":
                at += 1  # keep a \r\n together
            return min(at, size)
        position += len(window)
    return size


class FileScan:
    """One pattern's scan over files and streams; a context manager owning the worker
    processes (started on first need, when ``jobs`` > 1).

    The other keyword arguments are those of :class:`~cwquery.blocks.BlockScanner`; the
    block and range sizes are the bytes scanned at a time on one process and per worker
    (:data:`BLOCK_BYTES` and :data:`RANGE_BYTES` unless given). Each
    scan yields ``(result, bytes read)`` per block, in order.
    """

    def __init__(
        self,
        pattern: str,
        *,
        select: Select = Select.NONE,
        count_not_json: bool = False,
        numbered: bool = False,
        jobs: int = 1,
        block_bytes: int | None = None,
        range_bytes: int | None = None,
    ) -> None:
        self._options = (pattern, select, count_not_json, numbered)
        self.scanner = _scanner(self._options)
        self.jobs = max(1, jobs)
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.range_bytes = range_bytes or RANGE_BYTES
        self._pool: Pool | None = None

    def __enter__(self) -> FileScan:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            if kind is None:
                self._pool.close()
            else:
                self._pool.terminate()
            self._pool.join()
            self._pool = None

    def stream(self, stream: Readable, *, head: bytes = b"") -> Iterator[tuple[BlockResult, int]]:
        """Scan a binary stream (``head`` being bytes already read from it) on this process."""
        scan = self.scanner.scan
        for block in read_blocks(stream, head=head, block_bytes=self.block_bytes):
            yield scan(block), len(block)

    def path(self, path: str | Path) -> Iterator[tuple[BlockResult, int]]:
        """Scan a regular file, on the workers when there are several."""
        if self.jobs == 1:
            with open(path, "rb") as stream:
                yield from self.stream(stream)
            return
        pool = self._workers()
        pending: deque[tuple[AsyncResult[BlockResult], int]] = deque()
        for start, end in line_ranges(path, self.range_bytes):
            pending.append((pool.apply_async(_scan_range, (str(path), start, end)), end - start))
            if len(pending) >= 2 * self.jobs:
                result, size = pending.popleft()
                yield result.get(), size
        while pending:
            result, size = pending.popleft()
            yield result.get(), size

    def _workers(self) -> Pool:
        if self._pool is None:
            import multiprocessing

            # forking is quick and safe here (no threads yet); elsewhere workers start afresh
            method = "fork" if sys.platform.startswith("linux") else "spawn"
            context = multiprocessing.get_context(method)
            self._pool = context.Pool(self.jobs, _start_worker, (self._options,))
        return self._pool


_Options = tuple[str, Select, bool, bool]
#: The scanner of a worker process, built once by :func:`_start_worker`.
_worker_scanner: BlockScanner | None = None


def _scanner(options: _Options) -> BlockScanner:
    pattern, select, count_not_json, numbered = options
    return BlockScanner(pattern, select=select, count_not_json=count_not_json, numbered=numbered)


def _start_worker(options: _Options) -> None:
    global _worker_scanner
    import signal  # only workers need it (its enums take a while to build)

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and stops the pool
    _worker_scanner = _scanner(options)


def _scan_range(path: str, start: int, end: int) -> BlockResult:
    assert _worker_scanner is not None
    with open(path, "rb") as stream:
        stream.seek(start)
        block = stream.read(end - start)
    return _worker_scanner.scan(block)

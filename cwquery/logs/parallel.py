"""Scanning log files for one pattern block by block, on one process or on several.

A file is cut into blocks of whole lines (a block ends just after a ``\\n`` or ``\\r``, and a
``\\r\\n`` is never cut), and each block is scanned by a :class:`~cwquery.logs.blocks.BlockScanner`.
With more than one job, the blocks of a regular file go to worker processes (see
:mod:`cwquery.logs.workers`): each gets the pattern's plan (pickled as its tree, built once per
process), reads its byte range from the file itself and sends back one result (with the selected
lines' values when asked), so only offsets and results cross between processes.
Results come back in file order, and at most four ranges per worker are scanned ahead of the
one awaited, so memory stays flat whatever the file's size.

A line longer than :data:`~cwquery.logs.sources.MAX_LINE_BYTES` can be no CloudWatch event: it is
left out unread (its line end is kept, so it reads as a blank line, which is no message) and
reported in the result's ``long_lines``; memory stays flat even on a file without a line end.

>>> import io
>>> [block.data for block in read_blocks(io.BytesIO(b"a\\nbb\\r\\nc"), block_bytes=2)]
[b'a\\n', b'bb\\r\\n', b'c']
>>> with FileScan("ERROR", select=Select.MATCHES) as scan:
...     results = list(scan.stream(io.BytesIO(b"INFO ok\\nERROR bad\\n")))
>>> [(r.read, r.matched, r.selected) for r, _ in results]
[(2, 1, [(-1, 'ERROR bad')])]
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from functools import partial
from types import TracebackType
from typing import IO, TYPE_CHECKING, NamedTuple, Protocol

from cwquery.ast import Pattern
from cwquery.logs.blocks import BlockResult, BlockScanner, Select
from cwquery.logs.lines import count_line_ends
from cwquery.logs.sources import MAX_LINE_BYTES
from cwquery.plan import Plan, plan_for

if TYPE_CHECKING:  # the workers are imported only when they start
    from cwquery.logs.workers import Pool

#: Bytes read at a time on one process.
BLOCK_BYTES = 1 << 20
#: Bytes of a file one worker scans at a time.
RANGE_BYTES = 1 << 20
#: Inputs at least this big use every core unless told otherwise.
PARALLEL_BYTES = 8 << 20
#: How far past a cut to look for the line end, per read.
_WINDOW = 4 << 10


class Readable(Protocol):
    """A binary stream: an open file, standard input's buffer, a gzip file."""

    def read(self, size: int = -1, /) -> bytes: ...


class Block(NamedTuple):
    """Whole lines of a stream, the input bytes they stand for, and the length of an
    over-long line left out at the block's start (0 when none was)."""

    data: bytes
    size: int
    long_line: int = 0


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
    stream: Readable,
    *,
    head: bytes = b"",
    block_bytes: int = BLOCK_BYTES,
    line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[Block]:
    """Blocks of whole lines from a binary stream (``head`` first): each ends just after a
    ``\\n`` or ``\\r``, except the last when the stream does not end with one.

    A line longer than ``line_bytes`` (at least ``block_bytes``) is dropped as it is read:
    the next block starts with its line end and says how long it was.

    >>> import io
    >>> data = io.BytesIO(b"ok\\n" + b"x" * 9 + b"\\nok")
    >>> [(b.data, b.long_line) for b in read_blocks(data, block_bytes=4, line_bytes=5)]
    [(b'ok\\n', 0), (b'\\n', 9), (b'ok', 0)]
    """
    line_bytes = max(line_bytes, block_bytes, len(head))
    pieces: list[bytes] = []
    held = 0  # bytes of the line begun but not ended (kept in pieces unless too long)
    covered = 0  # input bytes since the last block
    carry = b""  # the byte read past a chunk's final \r to see whether a \n follows
    while chunk := carry + (head or stream.read(block_bytes)):
        head = carry = b""
        if chunk[-1:] == b"\r":  # keep a \r\n whole
            carry = stream.read(1)
            if carry == b"\n":
                chunk, carry = chunk + carry, b""
        covered += len(chunk)
        newline = chunk.rfind(b"\n")
        end = max(newline, chunk.rfind(b"\r", newline + 1)) + 1  # just after the last end
        if not end:
            held += len(chunk)
            if held <= line_bytes:
                pieces.append(chunk)
            else:
                pieces = []
            continue
        rest = len(chunk) - end
        if held and held + (first := _first_line_end(chunk, end)) > line_bytes:
            yield Block(chunk[first:end], covered - rest, held + first)
        else:
            pieces.append(chunk[:end])
            yield Block(b"".join(pieces), covered - rest)
        pieces = [chunk[end:]] if rest else []
        held = covered = rest
    if held > line_bytes:
        yield Block(b"", covered, held)
    elif pieces and (last := b"".join(pieces)):
        yield Block(last, covered)


def _first_line_end(chunk: bytes, end: int) -> int:
    """The offset of a chunk's first ``\\n`` or ``\\r`` (there is one before ``end``)."""
    newline = chunk.find(b"\n", 0, end)
    carriage = chunk.find(b"\r", 0, newline if newline >= 0 else end)
    return carriage if carriage >= 0 else newline


def line_ranges(
    path: str | os.PathLike[str], range_bytes: int = RANGE_BYTES
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` byte ranges covering a file, each ending just after a line end (but the
    last). The file's size is read once, at the start."""
    size = os.path.getsize(path)
    start = 0
    with open(path, "rb") as stream:
        while start < size:
            end = _line_end_after(stream, start + range_bytes, size)
            yield start, end
            start = end


def line_ends_between(path: str | os.PathLike[str], start: int, end: int) -> int:
    """The line ends in a file's bytes ``[start, end)`` (both just after a line end, or 0),
    read again: for the line number of an over-long line after ranges whose lines were not
    counted as they were scanned. An over-long line in them is not held."""
    ends = 0
    with open(path, "rb") as stream:
        stream.seek(start)
        for block in read_blocks(_Window(stream, end - start)):
            ends += count_line_ends(block.data)
    return ends


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


def scan_block(scanner: BlockScanner, block: Block) -> BlockResult:
    """One block's result, with the over-long line left out at its start. Its line ends are
    always counted: a block read from a stream may be followed by an over-long line, whose
    number they give."""
    result = scanner.scan(block.data)
    if result.lines is None:
        result.lines = count_line_ends(block.data)
    if block.long_line:
        result.long_lines.insert(0, (0, block.long_line))
    return result


def scan_range(
    scanner: BlockScanner, path: str, start: int, end: int, *, block_bytes: int, line_bytes: int
) -> BlockResult:
    """The result of a file's byte range: read in one piece when no line in it is over
    ``line_bytes``, else block by block (an over-long line dropped as it is read)."""
    size = end - start
    with open(path, "rb") as stream:
        stream.seek(start)
        if size <= 2 * line_bytes:
            data = stream.read(size)
            # a line over line_bytes in so few bytes would hold the byte at line_bytes
            if size <= line_bytes or _line_length_at(data, line_bytes) <= line_bytes:
                return scanner.scan(data)
            stream.seek(start)
        total = BlockResult()
        blocks = read_blocks(_Window(stream, size), block_bytes=block_bytes, line_bytes=line_bytes)
        for block in blocks:
            total.add(scan_block(scanner, block))
        return total


def _line_length_at(block: bytes, at: int) -> int:
    """The length of the line holding the byte at offset ``at`` (0 if it is a line end)."""
    start = max(block.rfind(b"\n", 0, at), block.rfind(b"\r", 0, at)) + 1
    ends = [end for end in (block.find(b"\n", at), block.find(b"\r", at)) if end >= 0]
    return (min(ends) if ends else len(block)) - start


class _Window:
    """The next ``size`` bytes of a stream, as a stream."""

    def __init__(self, stream: IO[bytes], size: int) -> None:
        self._stream, self._left = stream, size

    def read(self, size: int = -1, /) -> bytes:
        wanted = self._left if size < 0 else min(size, self._left)
        data = self._stream.read(wanted)
        self._left -= len(data)
        return data


class FileScan:
    """One pattern's scan over files and streams; a context manager owning the worker
    processes (started on first need, when ``jobs`` > 1).

    ``pattern`` is pattern text, a parsed tree or a plan (workers get the plan, which pickles
    as its tree). The other keyword arguments are those of
    :class:`~cwquery.logs.blocks.BlockScanner`; the block and range sizes
    are the bytes scanned at a time on one process and per worker (:data:`BLOCK_BYTES` and
    :data:`RANGE_BYTES` unless given), ``line_bytes`` the longest line read. ``reduce``, when
    given, is applied to each result where it is made (on the worker, so a reader that wants a
    summary of the matching lines, such as their minutes, gets the summary instead of the
    lines). Each scan yields ``(result, bytes read)`` per block, in order.

    Raises (from the scans): :class:`~cwquery.logs.workers.WorkerError` when a worker dies.
    """

    def __init__(
        self,
        pattern: str | Pattern | Plan,
        *,
        select: Select = Select.NONE,
        count_not_json: bool = False,
        numbered: bool = False,
        values: bool = False,
        count_messages: bool = True,
        documents: bool = False,
        flag: str | None = None,
        heads: bool = False,
        jobs: int = 1,
        block_bytes: int | None = None,
        range_bytes: int | None = None,
        line_bytes: int | None = None,
        reduce: Reduce | None = None,
    ) -> None:
        self.plan = plan_for(pattern)  # built once; workers rebuild it from its tree, once
        self._options: _Options = (
            self.plan,
            select,
            count_not_json,
            numbered,
            values,
            count_messages,
            documents,
            flag,
            heads,
        )
        self.scanner = _scanner(self._options)
        self.reduce = reduce
        self.jobs = max(1, jobs)
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.range_bytes = range_bytes or RANGE_BYTES
        self.line_bytes = max(line_bytes or MAX_LINE_BYTES, self.block_bytes)
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
            pool, self._pool = self._pool, None
            pool.stop()

    def stream(self, stream: Readable, *, head: bytes = b"") -> Iterator[tuple[BlockResult, int]]:
        """Scan a binary stream (``head`` being bytes already read from it) on this process."""
        scanner = self.scanner
        blocks = read_blocks(
            stream, head=head, block_bytes=self.block_bytes, line_bytes=self.line_bytes
        )
        reduce = self.reduce
        for block in blocks:
            result = scan_block(scanner, block)
            yield (result if reduce is None else reduce(result)), block.size

    def path(self, path: str | os.PathLike[str]) -> Iterator[tuple[BlockResult, int]]:
        """Scan a regular file by byte ranges, on the workers when there are several (each
        range is read in one piece, not copied into blocks). A file whose size reads 0 (a
        file of ``/proc`` has content all the same) is read as a stream."""
        if os.path.getsize(path) == 0:
            with open(path, "rb") as stream:
                yield from self.stream(stream)
            return
        name, sizes = os.fspath(path), (min(self.range_bytes, self.line_bytes), self.line_bytes)
        ranges = line_ranges(path, self.range_bytes)
        if self.jobs == 1:
            state = (self.scanner, self.reduce)
            for start, end in ranges:
                yield _scan_task(state, (name, start, end, *sizes)), end - start
            return
        if self._pool is None:
            from cwquery.logs.workers import Pool

            self._pool = Pool(
                self.jobs,
                partial(_worker_state, self._options, self.reduce),
                _scan_task,
                preload=(__name__,),
            )
        tasks = ((name, start, end, *sizes) for start, end in ranges)
        pieces: deque[int] = deque()

        def sized(tasks: Iterator[_Task]) -> Iterator[_Task]:
            for task in tasks:
                pieces.append(task[2] - task[1])
                yield task

        here = partial(_scan_task, (self.scanner, self.reduce))
        for result in self._pool.map(sized(tasks), here):
            yield result, pieces.popleft()


#: A worker's task: a file, a byte range, and the block and line sizes.
_Task = tuple[str, int, int, int, int]
_Options = tuple[Plan, Select, bool, bool, bool, bool, bool, "str | None", bool]
#: ``reduce(result) -> result``: what a worker makes of each result before sending it (it must
#: pickle: a module-level function, or a ``functools.partial`` of one)
Reduce = Callable[[BlockResult], BlockResult]
_State = tuple[BlockScanner, "Reduce | None"]


def _scanner(options: _Options) -> BlockScanner:
    plan, select, count_not_json, numbered, values, count_messages, documents, flag, heads = options
    return BlockScanner(
        plan,
        select=select,
        count_not_json=count_not_json,
        numbered=numbered,
        values=values,
        count_messages=count_messages,
        documents=documents,
        flag=flag,
        heads=heads,
    )


def _worker_state(options: _Options, reduce: Reduce | None) -> _State:
    return _scanner(options), reduce


def _scan_task(state: _State, task: _Task) -> BlockResult:
    scanner, reduce = state
    path, start, end, block_bytes, line_bytes = task
    result = scan_range(scanner, path, start, end, block_bytes=block_bytes, line_bytes=line_bytes)
    return result if reduce is None else reduce(result)

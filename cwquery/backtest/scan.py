"""The common case of a backtest (:func:`~cwquery.backtest.engine.counts_only`: one filter, a
literal value, no default) over a file of plain lines, block by block.

Each block of the file goes through a :class:`~cwquery.logs.blocks.BlockScanner` that hands back
only the matched lines: lines that cannot match are counted by the block, never decoded, judged
one by one or timed. Times are read only from the matched lines, all of a block's at once, to
the minute (:func:`~cwquery.backtest.inputs.prefix_minutes`,
:func:`~cwquery.backtest.inputs.json_minutes`: what the source's ``time_of`` reads). The result
is the :class:`~cwquery.backtest.engine.Collected` that :func:`~cwquery.backtest.engine.collect`
makes of the same file read line by line (:func:`~cwquery.backtest.inputs.open_source`), counts
included; ``tests/test_backtest_scan.py`` holds the two readers to that.

In a JSON-lines file, a line holding ``"message"`` may be an exported event, whose message and
times are its fields (:func:`~cwquery.backtest.inputs.exported_event`): such lines are taken
out of the block and counted as the events they are.

>>> import io
>>> from cwquery.metrics import MetricFilter, MetricTransformation
>>> errors = MetricFilter("ERROR", MetricTransformation("Errors", "App", "1"))
>>> data = b"2024-05-01T12:00:05Z ERROR a\\n2024-05-01T12:00:09Z INFO b\\nERROR untimed\\n"
>>> found = collect_lines(io.BytesIO(data), errors, "text")
>>> found.events, found.matched, found.untimed, found.first
(3, 1, 1, 1714564800000)
"""

from __future__ import annotations

import functools
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence

from cwquery.backtest.engine import Collected, CountTally, PublishOptions, counts_only
from cwquery.backtest.inputs import (
    document_minutes,
    exported_event,
    file_line_kind,
    head_minutes,
    json_minutes,
    line_source,
    prefix_minutes,
)
from cwquery.logs.blocks import BlockResult, BlockScanner, Select
from cwquery.logs.parallel import BLOCK_BYTES, FileScan, Readable, read_blocks
from cwquery.metrics import MetricFilter

_MESSAGE_KEY = b'"message"'
#: a line end followed by a byte past ASCII


def collect_file(
    path: str | os.PathLike[str],
    filters: Sequence[MetricFilter],
    options: PublishOptions | None = None,
    *,
    time_field: str | None = None,
    strip_time: bool = False,
    block_bytes: int = BLOCK_BYTES,
    jobs: int = 1,
    range_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
    count_events: bool = True,
) -> Collected | None:
    """What :func:`~cwquery.backtest.engine.collect` makes of the file's events, read block by
    block; ``None`` when the case or the file is not one this reader takes (several filters, a
    metric value read from the event, a default; gzip, exports, ``strip_time`` text): then read
    the file with :func:`~cwquery.backtest.inputs.open_source`. ``progress(bytes)`` is told of
    each block read. With ``jobs`` > 1, worker processes scan ranges of ``range_bytes``
    (:class:`~cwquery.logs.parallel.FileScan`), unless the file holds lines that the scanner's
    counts would get wrong for the backtest (then one process reads it again). With
    ``count_events=False`` the events read are not counted where the workers would count them
    only for that (``Collected.events`` is then 0): for a caller that does not report them.

    Raises:
        WorkerError: a worker process died.
        InputError: as :func:`~cwquery.backtest.inputs.open_source` does.
        OSError: the file cannot be read.
    """
    options = options or PublishOptions()
    if options.default_value_mode not in ("per-event", "per-minute"):
        return None  # collect says why
    if not counts_only(filters, options):
        return None
    kind = file_line_kind(path, time_field=time_field, strip_time=strip_time)
    if kind is None:
        return None
    if jobs > 1:
        found = _collect_ranges(
            path, filters[0], *kind, jobs, range_bytes, progress, count_events=count_events
        )
        if found is not None:
            return found
    with open(path, "rb") as stream:
        return collect_lines(stream, filters[0], *kind, block_bytes=block_bytes, progress=progress)


def _collect_ranges(
    path: str | os.PathLike[str],
    metric_filter: MetricFilter,
    kind: str,
    field: str | None,
    jobs: int,
    range_bytes: int | None,
    progress: Callable[[int], None] | None,
    *,
    count_events: bool,
) -> Collected | None:
    """:func:`collect_lines` with the file's byte ranges scanned by ``jobs`` worker processes
    (:class:`~cwquery.logs.parallel.FileScan`); ``None`` when a JSON-lines file holds
    ``"message"`` (a line may be an exported event, which these counts do not take out)."""
    tally = CountTally(line_source((), kind, field).time_of)
    json = field if kind == "json-lines" else None
    flagged = False
    with FileScan(
        metric_filter.matcher.pattern,
        select=Select.MATCHES,
        documents=json is not None,  # the matches' objects: their times without a parse
        flag=None if json is None else _MESSAGE_KEY.decode(),  # told by the workers
        heads=json is None,  # a text line's time is in its first bytes
        count_messages=count_events,
        jobs=jobs,
        range_bytes=range_bytes,
        line_bytes=sys.maxsize,  # every line is read, however long
        reduce=functools.partial(_minutes_only, json),  # the workers read the times
    ) as scan:
        for result, size in scan.path(path):
            if result.flagged:
                flagged = True
                break
            tally.events += result.read
            tally.add_minutes(*result.summary)
            if progress is not None:
                progress(size)
    return None if flagged else tally.collected(metric_filter)


def collect_lines(
    stream: Readable,
    metric_filter: MetricFilter,
    kind: str,
    field: str | None = None,
    *,
    block_bytes: int = BLOCK_BYTES,
    progress: Callable[[int], None] | None = None,
) -> Collected:
    """The counts of one filter with a literal value over a binary stream of lines of ``kind``
    and time ``field`` (:func:`~cwquery.backtest.inputs.line_kind`)."""
    tally = CountTally(line_source((), kind, field).time_of)
    json = field if kind == "json-lines" else None  # else text, timed by prefix_time
    scanner = BlockScanner(
        metric_filter.matcher.pattern,
        select=Select.MATCHES,
        documents=json is not None,
        heads=json is None,
    )
    matches = metric_filter.matcher.matches
    # no line is left out for its length: the line-by-line reader reads every line
    for block in read_blocks(stream, block_bytes=block_bytes, line_bytes=sys.maxsize):
        pieces = [block.data]
        if json is not None and _MESSAGE_KEY in block.data:
            pieces = _take_events(block.data, tally, matches)
        for piece in pieces:
            result = scanner.scan(piece)
            tally.events += result.read
            tally.add_minutes(*_times(result, json))
        if progress is not None:
            progress(block.size)
    return tally.collected(metric_filter)


def _minutes_only(json: str | None, result: BlockResult) -> BlockResult:
    """A worker's reduction of a range's result: the minutes of its matched lines
    (:func:`_times`) as its ``summary``, and no lines to send back."""
    result.summary = _times(result, json)
    result.selected, result.documents, result.heads = [], [], b""
    return result


def _times(result: BlockResult, json: str | None) -> tuple[Counter[int], int]:
    """The minutes of the matched lines' times, all at once (JSON lines' ``json`` field, or
    text lines' leading time), and how many lines have none."""
    if json is None:
        minutes, untimed = prefix_minutes([text for _, text in result.selected])
        if result.heads:  # lines an ASCII block handed back by their heads
            more, none = head_minutes(result.heads)
            minutes.update(more)
            untimed += none
        return minutes, untimed
    if not result.documents:  # the scan read no object at once
        return json_minutes([text for _, text in result.selected], json)
    if None not in result.documents:  # every match's object was read
        return document_minutes(result.documents, json)
    documents, unread = [], []
    for (_, text), document in zip(result.selected, result.documents, strict=True):
        if document is None:
            unread.append(text)  # read as the line-by-line reader reads it
        else:
            documents.append(document)
    minutes, untimed = document_minutes(documents, json)
    if unread:
        more, none = json_minutes(unread, json)
        minutes.update(more)
        untimed += none
    return minutes, untimed


def _take_events(block: bytes, tally: CountTally, matches: Callable[[str], bool]) -> list[bytes]:
    """Count the block's exported events into ``tally``; the runs of other lines are left."""
    if b"\r" in block:  # line ends as a text-mode read sees them
        block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    pieces = []
    start = 0  # where the run of lines not yet taken begins
    at = block.find(_MESSAGE_KEY)
    while at >= 0:
        line_start = block.rfind(b"\n", 0, at) + 1
        line_end = block.find(b"\n", at)
        if line_end < 0:
            line_end = len(block)
        event = exported_event(block[line_start:line_end].decode("utf-8", "replace"))
        if event is not None:
            pieces.append(block[start:line_start])
            start = line_end + 1
            tally.events += 1
            if matches(event[0]):
                tally.add(*event)
        at = block.find(_MESSAGE_KEY, line_end)
    pieces.append(block[start:])
    return pieces

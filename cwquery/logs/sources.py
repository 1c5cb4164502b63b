"""Log events from files: plain text or JSON lines (one message per line), CloudWatch exports
as printed by ``aws logs filter-log-events`` / ``get-log-events`` (``{"events": [...]}``, or a
JSON array of events or strings), and the gzip files of an S3 export (``<ISO time> <message>``
per line; the time is split off only there, since plain application logs often begin with a
time that is part of the message).

>>> import io
>>> [e.message for e in read_events(io.StringIO('{"events": [{"message": "a", "timestamp": 1}]}'))]
['a']
>>> [e.message for e in read_events(io.StringIO("2024-05-01T10:00:00.000Z hello"))]
['2024-05-01T10:00:00.000Z hello']
>>> line = '{"timestamp": 5, "message": "ERROR x", "logStreamName": "s"}'
>>> [e.message for e in read_events(io.StringIO(line))]
['{"timestamp": 5, "message": "ERROR x", "logStreamName": "s"}']
>>> list(read_events(io.StringIO(line), event_lines=True))
[LogEvent(message='ERROR x', timestamp=5, stream='s')]
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Protocol

from cwquery.errors import CWQueryError
from cwquery.logs.lines import text_lines

#: The line prefix of CloudWatch's S3 exports: an ISO 8601 UTC time and a space.
_EXPORT_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) ")
#: The keys of an exported event; a JSON line with only these keys is an event (``event_lines``).
EVENT_KEYS = frozenset({"message", "timestamp", "logStreamName", "ingestionTime", "eventId"})
#: How many characters of a file decide whether it may be a whole-file export.
PEEK = 4096
#: The longest line read as a message, in UTF-8 bytes: CloudWatch's event size limit
#: (1 MiB, spec §6). A longer line is no event: it is read through, not kept.
MAX_LINE_BYTES = 1 << 20

#: ``on_long_line(source name, line number, bytes)``: told of each line over the limit.
LongLineHandler = Callable[[str, int, int], None]


class SourceError(CWQueryError, ValueError):
    """A file that looks like an export but holds an event without a string ``message``."""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A message and, when the source gives them, its time (epoch ms), stream, ingestion
    time (epoch ms) and log group (an export's ``ingestionTime`` and ``logGroupName``)."""

    message: str
    timestamp: int | None = None
    stream: str | None = None
    ingestion: int | None = field(default=None, repr=False)
    group: str | None = field(default=None, repr=False)


#: The formats a source can be read as; ``auto`` decides per file (see :func:`detect_format`).
INPUT_FORMATS = ("auto", "lines", "export", "s3-export")
#: The top-level keys of a ``filter-log-events`` / ``get-log-events`` response.
EXPORT_KEYS = frozenset(
    {"events", "searchedLogStreams", "nextToken", "nextForwardToken", "nextBackwardToken"}
)
#: Keys an exported event may carry (``filter-log-events`` adds the group when searching many).
_EXPORTED_EVENT_KEYS = EVENT_KEYS | {"logGroupName"}


def read_events(
    source: str | os.PathLike[str] | IO[str],
    *,
    event_lines: bool = False,
    input_format: str = "auto",
    on_long_line: LongLineHandler | None = None,
    name: str | None = None,
) -> Iterator[LogEvent]:
    """The events of one file (``-`` is standard input) or text stream, lazily.

    ``input_format`` says how to read it: ``lines`` (one message per line), ``export`` (a whole
    ``{"events": [...]}`` document or a JSON array of events), ``s3-export`` (lines that start
    with an ISO time) or ``auto``: a ``.gz`` file is an S3 export, a document is an export only
    when :func:`detect_format` says so, anything else is lines. Lines end as
    :mod:`cwquery.logs.lines` says (``\\n``, ``\\r\\n`` or a lone ``\\r``, in a file or a text
    stream alike), and a blank line is no message.

    With ``event_lines``, a JSON line whose keys are all event keys (``message``, and maybe
    ``timestamp``, ``logStreamName``, ``ingestionTime``, ``eventId``) is read as that event, as
    ``jq -c '.events[]'`` prints them; otherwise every line is a message as written.

    A line over :data:`MAX_LINE_BYTES` is read through without being kept and handed to
    ``on_long_line``; without one, it is an error. ``name`` is what errors call a stream
    (``<stream>`` unless given).

    Raises:
        SourceError: the source is not in the format asked for (the message names the file and
            line), a line is longer than any event can be (without ``on_long_line``), or a
            compressed file is truncated or corrupt.
        OSError: the file cannot be read.
    """
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"input_format must be one of {', '.join(INPUT_FORMATS)}")
    if not isinstance(source, str | os.PathLike):
        yield from _read_stream(source, event_lines, input_format, name or "<stream>", on_long_line)
        return
    path = os.fspath(source)
    name = "<stdin>" if path == "-" else path
    try:
        if name == "<stdin>":
            stdin = _stdin_text()
            yield from _read_stream(stdin, event_lines, input_format, name, on_long_line)
            return
        if os.path.splitext(path)[1] == ".gz":
            import gzip

            with gzip.open(path, "rt", encoding="utf-8", errors="replace") as stream:
                fmt = "s3-export" if input_format == "auto" else input_format
                yield from _read_stream(stream, event_lines, fmt, name, on_long_line)
            return
        with open(path, encoding="utf-8", errors="replace") as stream:
            yield from _read_stream(stream, event_lines, input_format, name, on_long_line)
    except decompression_errors() as err:
        raise SourceError(f"{name}: truncated or corrupt compressed file ({err})") from None


def decompression_errors() -> tuple[type[Exception], ...]:
    """What reading a truncated or corrupt gzip stream raises (gzip is imported only when a
    reader needs it)."""
    import gzip
    import zlib

    return EOFError, zlib.error, gzip.BadGzipFile


def _stdin_text() -> IO[str]:
    """Standard input decoded as files are: UTF-8, bad bytes replaced rather than fatal."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # already text (a test harness): use it as it is
        return sys.stdin
    return io.TextIOWrapper(buffer, encoding="utf-8", errors="replace")


def _read_stream(
    source: IO[str],
    event_lines: bool,
    input_format: str,
    name: str,
    on_long_line: LongLineHandler | None,
) -> Iterator[LogEvent]:
    def lines(stream: _Lines, export_time: bool = False) -> Iterator[LogEvent]:
        return _lines(stream, export_time, event_lines, name, on_long_line)

    if input_format in ("lines", "s3-export"):
        yield from lines(source, export_time=input_format == "s3-export")
        return
    if input_format == "export":
        text = source.read()
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise SourceError(f"{name}: not a JSON export ({err})") from None
        yield from _exported_events(document, name)
        return
    head = source.read(PEEK)
    if may_be_export(head):
        text = head + source.read()
        document = _json_document(text)
        if document is not None and detect_format(document) == "export":
            yield from _exported_events(document, name)
            return
        yield from lines(io.StringIO(text))
        return
    yield from lines(_Prefixed(head, source))


def detect_format(document: Any) -> str:
    """``export`` when a parsed JSON document is a CloudWatch export, else ``lines``.

    An export is an object whose keys are all export keys, with an ``events`` list, or a JSON
    array; in both, every item is a string or an event (a string ``message`` and only event
    keys). A log line that merely has an ``events`` key is a message, not an export.

    >>> detect_format({"events": [{"message": "a", "timestamp": 1}], "nextToken": "t"})
    'export'
    >>> detect_format({"level": "ERROR", "events": ["login"]})
    'lines'
    >>> detect_format([{"message": "a", "user": "x"}])
    'lines'
    """
    if isinstance(document, dict):
        if not set(document) <= EXPORT_KEYS or not isinstance(document.get("events"), list):
            return "lines"
        items: list[Any] = document["events"]
    elif isinstance(document, list):
        items = document
    else:
        return "lines"
    return "export" if all(_is_exported_event(item) for item in items) else "lines"


def _is_exported_event(item: Any) -> bool:
    if isinstance(item, str):
        return True
    return (
        isinstance(item, dict)
        and isinstance(item.get("message"), str)
        and set(item) <= _EXPORTED_EVENT_KEYS
    )


def read_messages(sources: Iterable[str | os.PathLike[str] | IO[str]]) -> Iterator[str]:
    """The messages of several sources, one after the other."""
    for source in sources:
        for event in read_events(source):
            yield event.message


def may_be_export(head: str) -> bool:
    """Whether a file's beginning (its first :data:`PEEK` characters) can start a whole-file
    export; only then is it read whole.

    >>> may_be_export('{"events": [')
    True
    >>> may_be_export('{"level": "INFO"}')
    False
    """
    start = head.lstrip()
    if start.startswith("{"):
        return '"events"' in head
    return start.startswith("[") and start[1:].lstrip()[:1] in ("{", '"', "]")


def _json_document(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _exported_events(document: Any, name: str) -> list[LogEvent]:
    """The events of a whole-file export (``{"events": [...]}`` or a JSON array)."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, list):
        items = document
    else:
        raise SourceError(f'{name}: an export is {{"events": [...]}} or a JSON array')
    events = []
    for number, item in enumerate(items):
        if isinstance(item, str):
            events.append(LogEvent(item))
        elif isinstance(item, dict) and isinstance(item.get("message"), str):
            events.append(_event(item))
        else:
            raise SourceError(
                f"{name}: exported event {number} needs a string 'message': {item!r:.80}"
            )
    return events


def _event(item: dict[str, Any]) -> LogEvent:
    timestamp, stream = item.get("timestamp"), item.get("logStreamName")
    ingestion, group = item.get("ingestionTime"), item.get("logGroupName")
    return LogEvent(
        item["message"],
        timestamp if type(timestamp) is int else None,
        stream if isinstance(stream, str) else None,
        ingestion if type(ingestion) is int else None,
        group if isinstance(group, str) else None,
    )


class _Lines(Protocol):
    """A text stream read a line at a time."""

    def readline(self, size: int = -1, /) -> str: ...


def _lines(
    stream: _Lines,
    export_time: bool,
    event_lines: bool,
    name: str,
    on_long_line: LongLineHandler | None,
) -> Iterator[LogEvent]:
    pieces = iter(functools.partial(stream.readline, MAX_LINE_BYTES + 1), "")
    for number, text in enumerate(text_lines(pieces, MAX_LINE_BYTES), 1):
        if isinstance(text, int):  # the size of a line over the limit, which is not kept
            if on_long_line is None:
                raise SourceError(
                    f"{name}: line {number}: {text:,} bytes, longer than a CloudWatch event "
                    f"can be ({MAX_LINE_BYTES:,} bytes)"
                )
            on_long_line(name, number, text)
            continue
        if not text.strip():
            continue
        match = _EXPORT_TIME.match(text) if export_time else None
        if match:
            try:
                timestamp = _epoch_millis(match.group(1))
            except ValueError:
                raise SourceError(
                    f"{name}: line {number}: not a valid time: {match.group(1)!r}"
                ) from None
            yield LogEvent(text[match.end() :], timestamp)
        elif event_lines and text.lstrip().startswith("{"):
            yield _event_line(text)
        else:
            yield LogEvent(text)


def _event_line(text: str) -> LogEvent:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return LogEvent(text)
    if (
        isinstance(document, dict)
        and isinstance(document.get("message"), str)
        and set(document) <= EVENT_KEYS
    ):
        return _event(document)
    return LogEvent(text)


class _Prefixed:
    """Text already read from a stream (``head``), then the rest of the stream, by lines."""

    def __init__(self, head: str, rest: IO[str]) -> None:
        self._head: io.StringIO | None = io.StringIO(head) if head else None
        self._rest = rest

    def readline(self, size: int = -1, /) -> str:
        if self._head is None:
            return self._rest.readline(size)
        line = self._head.readline(size)
        if line.endswith("\n") or (size >= 0 and len(line) >= size):
            return line
        self._head = None  # the head ends inside this line: the rest of it is in the stream
        return line + self._rest.readline(size - len(line) if size >= 0 else -1)


def _epoch_millis(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)

"""CloudWatch Logs through boto3, with the traps handled: search, write, read.

- :func:`filter_events` runs ``FilterLogEvents`` over every page of one or more log groups,
  survives empty pages that still carry a token and tokens that come back unchanged, and backs off
  on throttling.
- :func:`follow_events` polls the same search for new events.
- :func:`ensure_log_stream` creates a missing group and stream with as few calls as possible.
- :func:`put_events` splits events into valid ``PutLogEvents`` batches and reports the events the
  service refused.
- :func:`read_stream` pages through ``GetLogEvents`` and stops when the token repeats.
- :class:`Logger` buffers writes to one stream and reads it back.

boto3 is imported only when a client is needed. Every function takes ``client=`` (a boto3
``logs`` client); without it one is made from the default session. The writing side lives in
:mod:`cwquery.aws.putlogs` and the calls, retries and creation in :mod:`cwquery.aws.client`;
everything public is importable from :mod:`cwquery.aws`.

>>> filter_pattern_text('{$.level=ERROR}')
'{ $.level = "ERROR" }'
>>> [len(batch) for batch in plan_batches([(0, "x" * 600_000), (1, "y" * 600_000)])]
[1, 1]
"""

from __future__ import annotations

import heapq
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cwquery.ast import Pattern
from cwquery.aws.client import (
    DEFAULT_RETRY,
    RETRYABLE_CODES,
    AwsQueryError,
    Ensured,
    RequestError,
    RetryPolicy,
    call_aws,
    client_or_default,
    ensure_log_group,
    ensure_log_stream,
    make_client,
)
from cwquery.aws.putlogs import (
    EVENT_OVERHEAD_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    MAX_BATCH_SPAN_MS,
    Batch,
    EventLike,
    InvalidEventError,
    LogEvent,
    PutEventsError,
    PutResult,
    RejectedEvent,
    event_size,
    normalize_event,
    plan_batches,
    put_batch,
    put_events,
)
from cwquery.aws.timeparse import TimeLike, now_millis, to_millis
from cwquery.parser import parse
from cwquery.renderer import render

__all__ = [
    "DEFAULT_MAX_EMPTY_PAGES",
    "DEFAULT_RETRY",
    "EVENT_OVERHEAD_BYTES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_BATCH_SPAN_MS",
    "MAX_PAGE_SIZE",
    "MAX_STREAM_NAMES",
    "RETRYABLE_CODES",
    "AwsQueryError",
    "Batch",
    "Ensured",
    "EventLike",
    "FilterStats",
    "FilteredEvents",
    "InvalidEventError",
    "LogEvent",
    "Logger",
    "PutEventsError",
    "PutResult",
    "RejectedEvent",
    "RequestError",
    "RetryPolicy",
    "call_aws",
    "ensure_log_group",
    "ensure_log_stream",
    "event_order",
    "event_size",
    "filter_events",
    "filter_pattern_text",
    "follow_events",
    "make_client",
    "normalize_event",
    "plan_batches",
    "put_batch",
    "put_events",
    "read_stream",
]

log = logging.getLogger(__name__)

#: FilterLogEvents limits (spec §7.1).
MAX_STREAM_NAMES = 100
MAX_PAGE_SIZE = 10_000
#: Consecutive empty pages after which a search gives up (with a warning).
DEFAULT_MAX_EMPTY_PAGES = 1000


def filter_pattern_text(pattern: str | Pattern | None) -> str:
    """Validate a pattern locally and return the canonical text to send as ``filterPattern``
    (``''`` for match-all). Raises :class:`cwquery.PatternError` for a pattern the service would
    reject."""
    if pattern is None:
        return ""
    tree = parse(pattern) if isinstance(pattern, str) else pattern
    return render(tree)


@dataclass
class FilterStats:
    """What a search did: requests (pages) made, how many pages were empty, events yielded, and
    why each source stopped (``done``, ``repeated-token``, ``empty-pages``; ``limit`` once)."""

    requests: int = 0
    empty_pages: int = 0
    events: int = 0
    stop_reasons: list[str] = field(default_factory=list)


class FilteredEvents(Iterator[LogEvent]):
    """The iterator :func:`filter_events` returns; ``stats`` fills in as it is consumed."""

    def __init__(self, events: Iterator[LogEvent], stats: FilterStats) -> None:
        self._events = events
        self.stats = stats

    def __iter__(self) -> FilteredEvents:
        return self

    def __next__(self) -> LogEvent:
        return next(self._events)


def filter_events(
    pattern: str | Pattern | None,
    log_group: str | Sequence[str],
    *,
    client: Any = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    streams: Sequence[str] | None = None,
    stream_prefix: str | None = None,
    limit: int | None = None,
    page_size: int | None = None,
    retry: RetryPolicy | None = None,
    max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES,
    now: int | None = None,
) -> FilteredEvents:
    """Every event of ``log_group`` (one name or several) that matches ``pattern``, in order.

    The pattern is checked locally first: a :class:`cwquery.PatternError` is raised before any
    request. Several groups (and more than 100 ``streams``, which the API cannot take at once)
    are searched separately and merged by (timestamp, ingestionTime, eventId); each event gets a
    ``logGroupName``. ``start`` and ``end`` are inclusive and take a ``datetime``, epoch
    milliseconds, ISO 8601 or a relative time (``15m``, ``2h30m``, ``1d``). ``limit`` caps the
    number of events yielded; ``page_size`` the events per request.

    Paging stops when no token comes back, when a token repeats (logged as a warning; botocore's
    paginator would raise instead), or after ``max_empty_pages`` empty pages in a row (warning).
    """
    text = filter_pattern_text(pattern)
    groups = [log_group] if isinstance(log_group, str) else list(log_group)
    if not groups:
        raise RequestError("give at least one log group")
    if streams is not None and stream_prefix is not None:
        raise RequestError("give either streams or stream_prefix, not both")
    if limit is not None and limit < 1:
        raise RequestError("limit must be at least 1")
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        raise RequestError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    start_ms = None if start is None else to_millis(start, now=now)
    end_ms = None if end is None else to_millis(end, now=now)
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise RequestError("start is after end")
    base: dict[str, Any] = {}
    if text:
        base["filterPattern"] = text
    if start_ms is not None:
        base["startTime"] = start_ms
    if end_ms is not None:
        base["endTime"] = end_ms
    if stream_prefix is not None:
        base["logStreamNamePrefix"] = stream_prefix
    chunks: list[list[str] | None] = [None]
    if streams is not None:
        names = list(dict.fromkeys(streams))
        if not names:
            raise RequestError("streams is empty")
        chunks = [names[i : i + MAX_STREAM_NAMES] for i in range(0, len(names), MAX_STREAM_NAMES)]
    stats = FilterStats()
    budget = _Budget(limit)
    c = client_or_default(client)
    sources = []
    for group in groups:
        for chunk in chunks:
            params = dict(base, logGroupName=group)
            if chunk is not None:
                params["logStreamNames"] = chunk
            sources.append(_pages(c, params, page_size, budget, retry, max_empty_pages, stats))
    merged = sources[0] if len(sources) == 1 else heapq.merge(*sources, key=event_order)
    return FilteredEvents(_counted(merged, budget, stats), stats)


def event_order(event: Mapping[str, Any]) -> tuple[int, int, int, str]:
    """The service's order of events (spec D29): timestamp, ingestion time, then event id.

    >>> sorted([{"timestamp": 1, "eventId": "10"}, {"timestamp": 1, "eventId": "9"}],
    ...        key=event_order)[0]["eventId"]
    '9'
    """
    event_id = str(event.get("eventId", ""))
    numeric = int(event_id) if event_id.isdigit() else -1
    return (int(event["timestamp"]), int(event.get("ingestionTime", 0)), numeric, event_id)


class _Budget:
    """How many more events a search may yield (shared by its sources)."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def page_limit(self, page_size: int | None) -> int | None:
        if self.left is None:
            return page_size
        return min(page_size or MAX_PAGE_SIZE, max(self.left, 1))


def _counted(events: Iterator[LogEvent], budget: _Budget, stats: FilterStats) -> Iterator[LogEvent]:
    for event in events:
        if budget.left is not None:
            budget.left -= 1
        stats.events += 1
        yield event
        if budget.left == 0:
            stats.stop_reasons.append("limit")
            return


def _pages(
    client: Any,
    params: dict[str, Any],
    page_size: int | None,
    budget: _Budget,
    retry: RetryPolicy | None,
    max_empty_pages: int,
    stats: FilterStats,
) -> Iterator[LogEvent]:
    group = params["logGroupName"]
    sent: set[str] = set()
    token: str | None = None
    empty_run = 0
    while True:
        request = dict(params)
        page_limit = budget.page_limit(page_size)
        if page_limit is not None:
            request["limit"] = page_limit
        if token is not None:
            request["nextToken"] = token
        try:
            response = call_aws(client, "filter_log_events", request, retry=retry)
        except AwsQueryError as err:  # with several groups, say which one failed
            raise AwsQueryError(
                f"log group {group}: {err}",
                code=err.code,
                operation=err.operation,
                attempts=err.attempts,
            ) from err
        stats.requests += 1
        events = response.get("events") or []
        for event in events:
            event["logGroupName"] = group
            yield event
        next_token = response.get("nextToken")
        if not next_token:
            stats.stop_reasons.append("done")
            return
        if next_token in sent:
            log.warning(
                "filter_log_events on %s returned a token it had already sent; stopping", group
            )
            stats.stop_reasons.append("repeated-token")
            return
        if events:
            empty_run = 0
        else:
            stats.empty_pages += 1
            empty_run += 1
            if empty_run >= max_empty_pages:
                log.warning(
                    "filter_log_events on %s: %d empty pages in a row; stopping", group, empty_run
                )
                stats.stop_reasons.append("empty-pages")
                return
        sent.add(next_token)
        token = next_token


def follow_events(
    pattern: str | Pattern | None,
    log_group: str | Sequence[str],
    *,
    client: Any = None,
    start: TimeLike | None = None,
    streams: Sequence[str] | None = None,
    stream_prefix: str | None = None,
    interval: float = 5.0,
    max_polls: int | None = None,
    lookback: int = 0,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: int | None = None,
) -> Iterator[LogEvent]:
    """Like :func:`filter_events`, then keep polling every ``interval`` seconds for new events.

    Each poll starts at the newest timestamp seen so far (minus ``lookback`` milliseconds, to
    catch late events) and drops events already yielded, by event id. Without ``start`` it begins
    at the current time. ``max_polls`` bounds the number of searches (``None``: until the caller
    stops, e.g. on Ctrl-C).
    """
    text = filter_pattern_text(pattern)
    groups = [log_group] if isinstance(log_group, str) else list(log_group)
    cursor = to_millis("now" if start is None else start, now=now)
    c = client_or_default(client)

    def run() -> Iterator[LogEvent]:
        position = cursor
        seen: dict[tuple[str, str], int] = {}
        polls = 0
        while max_polls is None or polls < max_polls:
            if polls:
                sleep(interval)
            polls += 1
            events = filter_events(
                text,
                groups,
                client=c,
                start=max(position - lookback, 0),
                streams=streams,
                stream_prefix=stream_prefix,
                retry=retry,
            )
            for event in events:
                key = (event["logGroupName"], str(event.get("eventId", "")))
                if key in seen:
                    continue
                seen[key] = int(event["timestamp"])
                position = max(position, int(event["timestamp"]))
                yield event
            oldest = position - lookback
            seen = {key: ts for key, ts in seen.items() if ts >= oldest}

    return run()


def read_stream(
    group: str,
    stream: str,
    start_from_head: bool = True,
    *,
    client: Any = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    page_size: int | None = None,
    retry: RetryPolicy | None = None,
    max_empty_pages: int = DEFAULT_MAX_EMPTY_PAGES,
) -> Iterator[LogEvent]:
    """Every event of one stream via ``GetLogEvents``: oldest first, or newest first when
    ``start_from_head`` is false. ``start`` is inclusive, ``end`` exclusive (spec D20).

    ``GetLogEvents`` never says it is finished: at the end it returns the token it was sent.
    This generator stops there (and on any earlier token coming back, with a warning).
    """
    params: dict[str, Any] = {
        "logGroupName": group,
        "logStreamName": stream,
        "startFromHead": start_from_head,
    }
    if start is not None:
        params["startTime"] = to_millis(start)
    if end is not None:
        params["endTime"] = to_millis(end)
    if page_size is not None:
        params["limit"] = page_size
    key = "nextForwardToken" if start_from_head else "nextBackwardToken"

    def run() -> Iterator[LogEvent]:
        c = client_or_default(client)
        request = dict(params)
        sent: set[str] = set()
        empty_run = 0
        while True:
            response = call_aws(c, "get_log_events", request, retry=retry)
            events = response.get("events") or []
            for event in events if start_from_head else reversed(events):
                event["logGroupName"] = group
                event["logStreamName"] = stream
                yield event
            token = response.get(key)
            if not token or token == request.get("nextToken"):
                return
            if token in sent:
                log.warning(
                    "get_log_events on %s/%s returned an earlier token; stopping", group, stream
                )
                return
            empty_run = 0 if events else empty_run + 1
            if empty_run >= max_empty_pages:
                log.warning(
                    "get_log_events on %s/%s: %d empty pages in a row; stopping",
                    group,
                    stream,
                    empty_run,
                )
                return
            sent.add(token)
            request["nextToken"] = token

    return run()


class Logger:
    """Write to one stream by calling it, read it back by iterating it.

    Writes are buffered and sent by :meth:`flush` (also when the buffer reaches a batch limit,
    and on :meth:`close` or leaving a ``with`` block). The group and stream are created when
    missing (``create=False`` turns that off). Events the service refused are collected in
    ``rejected``.
    """

    def __init__(
        self,
        group: str,
        stream: str,
        *,
        client: Any = None,
        create: bool = True,
        retry: RetryPolicy | None = None,
        clock: Callable[[], int] = now_millis,
    ) -> None:
        self.group = group
        self.stream = stream
        self.create = create
        self.retry = retry
        self.clock = clock
        self.accepted = 0
        self.rejected: list[RejectedEvent] = []
        self._client = client
        self._buffer = Batch()
        self._closed = False

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use when none was given."""
        if self._client is None:
            self._client = make_client()
        return self._client

    def __call__(self, message: str | Mapping[str, Any], timestamp: TimeLike | None = None) -> None:
        """Buffer one event; a mapping is written as JSON. The time defaults to now."""
        if self._closed:
            raise ValueError(f"Logger for {self.group}/{self.stream} is closed")
        text = message if isinstance(message, str) else json.dumps(message, default=str)
        moment = self.clock() if timestamp is None else timestamp
        event = normalize_event((moment, text), len(self._buffer))
        if not self._buffer.fits(event):
            self.flush()
        self._buffer.add(event)

    write = __call__

    @property
    def pending(self) -> list[LogEvent]:
        """The events buffered and not sent yet."""
        return list(self._buffer.events)

    def flush(self) -> PutResult:
        """Send everything buffered; returns what this flush stored and what was refused. If the
        request fails the events stay buffered, so a later flush can send them."""
        if not self._buffer.events:
            return PutResult()
        result = put_batch(
            self.group,
            self.stream,
            self._buffer.sorted_events(),
            client=self.client,
            retry=self.retry,
            create=self.create,
        )
        self._buffer = Batch()
        self.accepted += result.accepted
        self.rejected.extend(result.rejected)
        return result

    def close(self) -> None:
        """Flush and refuse further writes."""
        if not self._closed:
            self.flush()
            self._closed = True

    def __enter__(self) -> Logger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[LogEvent]:
        """Flush, then read the stream from its first event."""
        self.flush()
        return read_stream(self.group, self.stream, client=self.client, retry=self.retry)

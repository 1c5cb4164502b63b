"""Writing with ``PutLogEvents``: events checked before sending, sorted, cut into batches within
the service's limits, and the events it refuses reported back. No sequence tokens: the service
has ignored them since 2023.

>>> [len(batch) for batch in plan_batches([(0, "x" * 600_000), (1, "y" * 600_000)])]
[1, 1]
>>> [len(batch) for batch in plan_batches([(1, "b"), (0, "a"), (86_400_000, "c")])]
[2, 1]
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cwquery.aws.client import (
    AwsQueryError,
    RetryPolicy,
    call_aws,
    client_or_default,
    ensure_log_stream,
)
from cwquery.aws.timeparse import TimeLike, to_millis
from cwquery.errors import CWQueryError

log = logging.getLogger(__name__)

#: An event as boto3 takes and returns it (``timestamp``, ``message``, more depending on the call).
LogEvent = dict[str, Any]
#: What :func:`put_events` accepts per event: ``{"timestamp": …, "message": …}`` or a pair.
EventLike = Mapping[str, Any] | tuple[TimeLike, str]

#: PutLogEvents limits (spec §7.3).
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000


class PutEventsError(AwsQueryError):
    """:func:`put_events` failed part way. ``result`` tells what was stored before the failure,
    ``unsent`` holds the events that were not (sorted, as they would have been sent)."""

    def __init__(self, cause: AwsQueryError, result: PutResult, unsent: list[LogEvent]) -> None:
        self.result = result
        self.unsent = unsent
        message = f"{cause} ({result.accepted} events stored before this, {len(unsent)} unsent)"
        super().__init__(
            message, code=cause.code, operation=cause.operation, attempts=cause.attempts
        )


class InvalidEventError(CWQueryError, ValueError):
    """An event ``PutLogEvents`` would refuse outright: an empty message, or one over the size
    limit. Raised before any request is sent."""

    def __init__(self, message: str, index: int) -> None:
        self.index = index
        super().__init__(message)


@dataclass(frozen=True)
class RejectedEvent:
    """An event the service refused, with why: ``too-new`` (more than 2 h ahead), ``too-old``
    (older than 14 days) or ``expired`` (older than the group's retention)."""

    event: LogEvent
    reason: str


@dataclass
class PutResult:
    """What :func:`put_events` stored: ``accepted`` events, the ``rejected`` ones, and how many
    ``batches`` (requests) it took."""

    accepted: int = 0
    rejected: list[RejectedEvent] = field(default_factory=list)
    batches: int = 0

    def add(self, other: PutResult) -> None:
        """Fold another result into this one."""
        self.accepted += other.accepted
        self.rejected.extend(other.rejected)
        self.batches += other.batches


def event_size(message: str, errors: str = "strict") -> int:
    """Bytes an event counts for in a batch: its UTF-8 message plus 26 (``errors`` as for
    :meth:`str.encode`; a lone surrogate counts as three bytes with ``"surrogatepass"``).

    >>> event_size("héllo"), event_size(chr(0xD800), "surrogatepass")
    (32, 29)
    """
    return len(message.encode("utf-8", errors)) + EVENT_OVERHEAD_BYTES


def normalize_event(event: EventLike, index: int = 0) -> LogEvent:
    """``{"timestamp": <epoch ms>, "message": <str>}`` from a mapping or a ``(time, message)``
    pair, or :class:`InvalidEventError` for an event the service would refuse.

    >>> normalize_event(("2024-05-01T12:00:00Z", "hello"))
    {'timestamp': 1714564800000, 'message': 'hello'}
    """
    if isinstance(event, tuple):
        moment, message = event
    else:
        moment, message = event["timestamp"], event["message"]
    if not isinstance(message, str):
        raise InvalidEventError(f"event {index}: the message must be a str", index)
    if not message:
        raise InvalidEventError(f"event {index}: the message is empty", index)
    size = event_size(message)
    if size > MAX_BATCH_BYTES:
        raise InvalidEventError(
            f"event {index}: {size} bytes (message + {EVENT_OVERHEAD_BYTES}) is over the "
            f"{MAX_BATCH_BYTES}-byte limit for one event",
            index,
        )
    return {"timestamp": to_millis(moment), "message": message}


class Batch:
    """Events for one ``PutLogEvents`` call, kept within its limits."""

    def __init__(
        self, max_bytes: int = MAX_BATCH_BYTES, max_events: int = MAX_BATCH_EVENTS
    ) -> None:
        self.events: list[LogEvent] = []
        self.size = 0
        self.max_bytes = max_bytes
        self.max_events = max_events
        self._low: int | None = None
        self._high: int | None = None

    def __len__(self) -> int:
        return len(self.events)

    def fits(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` can join without breaking the size, count or 24 h span limit."""
        if not self.events:
            return True
        timestamp = int(event["timestamp"])
        low = timestamp if self._low is None else min(self._low, timestamp)
        high = timestamp if self._high is None else max(self._high, timestamp)
        return (
            len(self.events) < self.max_events
            and self.size + event_size(event["message"]) <= self.max_bytes
            and high - low < MAX_BATCH_SPAN_MS
        )

    def add(self, event: LogEvent) -> None:
        """Append ``event`` (check :meth:`fits` first)."""
        timestamp = int(event["timestamp"])
        self._low = timestamp if self._low is None else min(self._low, timestamp)
        self._high = timestamp if self._high is None else max(self._high, timestamp)
        self.events.append(event)
        self.size += event_size(event["message"])

    def sorted_events(self) -> list[LogEvent]:
        """The events in time order (stable: equal timestamps keep their order)."""
        return sorted(self.events, key=lambda e: int(e["timestamp"]))


def plan_batches(
    events: Iterable[EventLike],
    *,
    max_bytes: int = MAX_BATCH_BYTES,
    max_events: int = MAX_BATCH_EVENTS,
) -> list[list[LogEvent]]:
    """Sort events by time (stably) and cut them into batches that ``PutLogEvents`` accepts:
    at most ``max_bytes`` (messages + 26 per event), ``max_events``, and under 24 h apart."""
    normalized = [normalize_event(event, i) for i, event in enumerate(events)]
    normalized.sort(key=lambda e: int(e["timestamp"]))
    batches: list[list[LogEvent]] = []
    batch = Batch(max_bytes, max_events)
    for event in normalized:
        if not batch.fits(event):
            batches.append(batch.events)
            batch = Batch(max_bytes, max_events)
        batch.add(event)
    if batch.events:
        batches.append(batch.events)
    return batches


def put_batch(
    group: str,
    stream: str,
    events: Sequence[LogEvent],
    *,
    client: Any = None,
    retry: RetryPolicy | None = None,
    create: bool = False,
    warn: bool = True,
) -> PutResult:
    """Send one batch (already sorted and within the limits) with ``PutLogEvents``; with
    ``create``, make a missing group or stream and try again. No sequence token is sent.
    Refused events are logged as a warning unless ``warn`` is false (the caller reports them)."""
    c = client_or_default(client)
    params = {"logGroupName": group, "logStreamName": stream, "logEvents": list(events)}
    try:
        response = call_aws(c, "put_log_events", params, retry=retry)
    except AwsQueryError as err:
        if not (create and err.code == "ResourceNotFoundException"):
            raise
        ensure_log_stream(group, stream, client=c, retry=retry)
        response = call_aws(
            c, "put_log_events", params, retry=retry, also_retry=("ResourceNotFoundException",)
        )
    rejected = _rejected(events, response.get("rejectedLogEventsInfo") or {})
    if rejected and warn:
        reasons = sorted({r.reason for r in rejected})
        log.warning(
            "%s/%s: the service rejected %d of %d events (%s)",
            group,
            stream,
            len(rejected),
            len(events),
            ", ".join(reasons),
        )
    return PutResult(accepted=len(events) - len(rejected), rejected=rejected, batches=1)


def _rejected(events: Sequence[LogEvent], info: Mapping[str, int]) -> list[RejectedEvent]:
    expired_end = int(info.get("expiredLogEventEndIndex", 0))
    too_old_end = int(info.get("tooOldLogEventEndIndex", 0))
    too_new_start = info.get("tooNewLogEventStartIndex")
    rejected = []
    for index, event in enumerate(events):
        if index < expired_end:
            rejected.append(RejectedEvent(event, "expired"))
        elif index < too_old_end:
            rejected.append(RejectedEvent(event, "too-old"))
        elif too_new_start is not None and index >= int(too_new_start):
            rejected.append(RejectedEvent(event, "too-new"))
    return rejected


def put_events(
    group: str,
    stream: str,
    events: Iterable[EventLike],
    *,
    client: Any = None,
    retry: RetryPolicy | None = None,
    create: bool = False,
) -> PutResult:
    """Write ``events`` to a stream: sorted by time, split into batches the service accepts.

    Every event is checked before the first request: an empty message or one over the size limit
    raises :class:`InvalidEventError`. Events the service refuses come back in
    ``result.rejected`` (and are logged as a warning). If a batch fails, :class:`PutEventsError`
    says what was stored and what was not. With ``create``, a missing group or stream is made.
    """
    batches = plan_batches(events)
    c = client_or_default(client) if batches else client
    result = PutResult()
    for number, batch in enumerate(batches):
        try:
            result.add(put_batch(group, stream, batch, client=c, retry=retry, create=create))
        except AwsQueryError as err:
            unsent = [event for later in batches[number:] for event in later]
            raise PutEventsError(err, result, unsent) from err
    return result

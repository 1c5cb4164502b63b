"""Live Tail: a ``StartLiveTail`` session, its events filtered again exactly, with their spans.

The service sends a ``sessionStart``, then a ``sessionUpdate`` every second: up to 500 events
(a sample when more matched: ``sampled``), or none (a heartbeat). A session ends after three
hours (``SessionTimeoutException``); :class:`LiveTail` then starts a new one (events ingested
in between are not seen), or stops when asked to. A connection lost mid-session (a network
error, not an exception the service sends) is followed by a new session too, after a pause
(:data:`RECONNECT_DELAYS`), at most :data:`MAX_RECONNECTS` times in a row: a :class:`Reconnect`
item says so first. Every event the service sends is judged
again by :func:`cwquery.plan_for` on the pattern, so what comes out is exactly what the
pattern matches, and each event carries the spans its satisfied conditions point at
(:func:`cwquery.spans.match_spans`) for colouring.

Limits, checked here before any call (:func:`check_request`): 1 to 10 log groups, given as
ARNs without a trailing ``*``; ``logStreamNames`` or ``logStreamNamePrefixes`` (1 to 100,
not both) only with a single group; a pattern of at most 1,024 characters.

>>> check_request([f"arn:aws:logs:us-east-1:1:log-group:/g{n}" for n in range(11)])
Traceback (most recent call last):
...
cwquery.aws.livetail.LiveTailLimitError: Live Tail takes at most 10 log groups; 11 given: \
/g0, /g1, /g2, /g3, /g4, /g5, /g6, /g7, /g8, /g9, /g10
>>> group_name("arn:aws:logs:us-east-1:123456789012:log-group:/app/prod")
'/app/prod'
"""

from __future__ import annotations

import contextlib
import fnmatch
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cwquery.aws.client import (
    AwsQueryError,
    RequestError,
    call_aws,
    client_or_default,
    is_loopback,
)
from cwquery.aws.groups import has_wildcard
from cwquery.errors import CWQueryError

__all__ = [
    "MAX_EVENTS_PER_UPDATE",
    "MAX_GROUPS",
    "MAX_PATTERN_LENGTH",
    "MAX_RECONNECTS",
    "MAX_STREAMS",
    "RECONNECT_DELAYS",
    "SESSION_HOURS",
    "LiveTail",
    "LiveTailError",
    "LiveTailLimitError",
    "Reconnect",
    "SessionStart",
    "TailEvent",
    "TailStats",
    "TailUpdate",
    "check_request",
    "group_name",
    "log_group_arns",
]

#: The service's limits (StartLiveTail API reference).
MAX_GROUPS = 10
MAX_STREAMS = 100
MAX_PATTERN_LENGTH = 1024
MAX_EVENTS_PER_UPDATE = 500
SESSION_HOURS = 3
#: Pauses (seconds) before each new session after a lost connection, in a row; one more
#: loss ends the tail.
RECONNECT_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)
MAX_RECONNECTS = len(RECONNECT_DELAYS)

_ARN_GROUP = ":log-group:"
_TIMEOUT = "SessionTimeoutException"


class LiveTailError(CWQueryError):
    """A Live Tail session failed (``SessionStreamingException``, an error mid-stream)."""


class LiveTailLimitError(RequestError):
    """A request beyond the Live Tail limits, refused before it is sent."""


def group_name(arn: str) -> str:
    """The log group name in a log group ARN (the text itself when it is not one)."""
    if _ARN_GROUP not in arn:
        return arn
    return arn.split(_ARN_GROUP, 1)[1].removesuffix(":*")


def check_request(
    groups: Sequence[str],
    stream_names: Sequence[str] = (),
    stream_prefixes: Sequence[str] = (),
    pattern: str = "",
) -> None:
    """Raise :class:`LiveTailLimitError` for a request the service would refuse."""
    if not groups:
        raise LiveTailLimitError("Live Tail needs at least one log group")
    if len(groups) > MAX_GROUPS:
        names = ", ".join(group_name(group) for group in groups)
        raise LiveTailLimitError(
            f"Live Tail takes at most {MAX_GROUPS} log groups; {len(groups)} given: {names}"
        )
    starred = [group for group in groups if group.endswith("*")]
    if starred:
        raise LiveTailLimitError(f"a Live Tail log group ARN cannot end with '*': {starred[0]}")
    if stream_names and stream_prefixes:
        raise LiveTailLimitError("give log stream names or log stream name prefixes, not both")
    for what, values in (("names", stream_names), ("name prefixes", stream_prefixes)):
        if values and len(groups) != 1:
            raise LiveTailLimitError(
                f"log stream {what} can only be used with a single log group ({len(groups)} given)"
            )
        if len(values) > MAX_STREAMS:
            raise LiveTailLimitError(
                f"Live Tail takes at most {MAX_STREAMS} log stream {what}; {len(values)} given"
            )
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise LiveTailLimitError(
            f"a Live Tail filter pattern has at most {MAX_PATTERN_LENGTH} characters; this one "
            f"has {len(pattern)}"
        )


def log_group_arns(names: Iterable[str], *, client: Any = None) -> list[str]:
    """The ARNs of log groups given by name, by ``*`` wildcard (every group it matches, as
    :func:`~cwquery.aws.groups.resolve_log_groups` reads it) or by ARN (a trailing ``:*``, as
    DescribeLogGroups' ``arn`` writes it, is dropped), in order and without repeats. Names are
    looked up with DescribeLogGroups; one that names no group raises
    :class:`~cwquery.aws.client.RequestError`."""
    c = None
    arns: list[str] = []
    for name in names:
        if name.startswith("arn:"):
            found = [name.removesuffix(":*")]
        else:
            c = c or client_or_default(client)
            prefix = name.split("*", 1)[0]
            if has_wildcard(name):
                pairs = sorted(
                    (group, arn)
                    for group, arn in _described(c, prefix)
                    if fnmatch.fnmatchcase(group, name)
                )
            else:
                pairs = [(group, arn) for group, arn in _described(c, prefix) if group == name]
            if not pairs:
                raise RequestError(f"no log group {'matches' if '*' in name else 'named'} {name!r}")
            found = [arn for _, arn in pairs]
        arns += [arn for arn in found if arn not in arns]
    return arns


def _described(client: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """``(name, ARN)`` of the log groups whose names start with ``prefix``."""
    request: dict[str, Any] = {"logGroupNamePrefix": prefix} if prefix else {}
    seen: set[str] = set()
    while True:
        response = call_aws(client, "describe_log_groups", request)
        for group in response.get("logGroups", []):
            arn = group.get("logGroupArn") or str(group.get("arn", "")).removesuffix(":*")
            yield str(group["logGroupName"]), str(arn)
        token = response.get("nextToken")
        if not token or token in seen:
            return
        seen.add(token)
        request = {**request, "nextToken": token}


@dataclass(frozen=True)
class TailEvent:
    """One event of a session that the pattern matches; ``spans`` are ``(start, end)``
    offsets into ``message`` (empty unless asked for)."""

    timestamp: int
    ingestion_time: int | None
    group: str
    stream: str
    message: str
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def group_name(self) -> str:
        return group_name(self.group)


@dataclass(frozen=True)
class TailUpdate:
    """One ``sessionUpdate``: the events kept, whether the service sampled them, and how many
    it sent (a heartbeat sends none)."""

    events: tuple[TailEvent, ...]
    sampled: bool
    received: int

    @property
    def heartbeat(self) -> bool:
        return self.received == 0


@dataclass(frozen=True)
class SessionStart:
    """A session began: the first (``number`` 1), or one started after a ``timeout`` or a
    lost connection (``reconnect``), as ``after`` says."""

    number: int
    session_id: str
    groups: tuple[str, ...]
    after: str = ""


@dataclass(frozen=True)
class Reconnect:
    """The connection was lost mid-session (``error``); a new session starts after
    ``delay`` seconds, the ``attempt``-th of at most :data:`MAX_RECONNECTS` in a row."""

    attempt: int
    delay: float
    error: str


@dataclass
class TailStats:
    """What the tail saw: sessions, updates, heartbeats, sampled updates, events received and
    kept, left out by ``skip``, and why it ended (``closed``: the service ended
    the stream; ``timeout``: a session ran out and no new one was started; ``stopped``: the
    caller stopped iterating, or the session failed)."""

    sessions: int = 0
    updates: int = 0
    heartbeats: int = 0
    sampled_updates: int = 0
    received: int = 0
    kept: int = 0
    skipped: int = 0
    ended: str = ""
    timeouts: int = 0
    reconnects: int = 0

    @property
    def refused(self) -> int:
        """Events the service sent that the exact filter refused."""
        return self.received - self.kept - self.skipped


@dataclass
class LiveTail:
    """A Live Tail over ``groups`` (ARNs; see :func:`log_group_arns`) with an optional filter
    pattern. Iterate :meth:`items` for session starts and updates, or :meth:`events` for the
    events alone; :meth:`close` ends the session.

    A client of an endpoint on this machine (an emulator) is set not to put the ``stream-``
    host prefix in front of it.

    ``restart``: start a new session when one times out (after three hours).
    ``max_reconnects``: new sessions after lost connections, in a row (0: a lost connection
    raises :class:`LiveTailError`); ``sleep`` waits before each (default: ``time.sleep``).
    ``spans``: compute each event's spans (:meth:`cwquery.plan.Plan.spans`).
    ``skip``: called on each event; an event it returns True for is left out (a caller that
    printed recent events first uses it to avoid printing them twice).
    """

    groups: Sequence[str]
    pattern: str | None = None
    client: Any = None
    stream_names: Sequence[str] = ()
    stream_prefixes: Sequence[str] = ()
    restart: bool = True
    spans: bool = False
    skip: Callable[[TailEvent], bool] | None = None
    stats: TailStats = field(default_factory=TailStats)
    max_reconnects: int = MAX_RECONNECTS
    sleep: Callable[[float], None] | None = None

    def __post_init__(self) -> None:
        from cwquery.aws.events import filter_pattern_text
        from cwquery.plan import plan_for

        self.text = filter_pattern_text(self.pattern)
        if len(self.text) > MAX_PATTERN_LENGTH and self.pattern is not None:
            self.text = self.pattern  # the canonical spacing made it longer: send it as given
        self.plan = plan_for(self.text) if self.text else None
        check_request(list(self.groups), self.stream_names, self.stream_prefixes, self.text)
        self._stream: Any = None
        self._lost = ""

    def request(self) -> dict[str, Any]:
        """The ``StartLiveTail`` request."""
        request: dict[str, Any] = {"logGroupIdentifiers": list(self.groups)}
        if self.stream_names:
            request["logStreamNames"] = list(self.stream_names)
        if self.stream_prefixes:
            request["logStreamNamePrefixes"] = list(self.stream_prefixes)
        if self.text:
            request["logEventFilterPattern"] = self.text
        return request

    def items(self) -> Generator[SessionStart | TailUpdate | Reconnect, None, None]:
        """Session starts, updates and reconnections, in order, until the service ends the
        stream, a session times out without ``restart``, or :meth:`close`. Raises
        :class:`LiveTailError` when the connection is lost more than ``max_reconnects`` times
        in a row (a session that sends an update ends the row)."""
        client = client_or_default(self.client)
        if is_loopback(getattr(client.meta, "endpoint_url", None)):
            client.meta.config.inject_host_prefix = False  # an emulator: no "stream-" host
        after, lost = "", 0
        try:
            while True:
                updates = self.stats.updates
                try:
                    self._stream = call_aws(client, "start_live_tail", self.request())[
                        "responseStream"
                    ]
                except AwsQueryError as err:
                    if not lost or not _network_error(err.__cause__):
                        raise
                    ended, self._lost = "dropped", str(err)  # still no connection
                else:
                    self.stats.sessions += 1
                    ended = yield from self._session(after)
                    self.close()
                if ended == "closed":
                    self.stats.ended = "closed"
                    return
                if ended == "timeout":
                    self.stats.timeouts += 1
                    if not self.restart:
                        self.stats.ended = "timeout"
                        return
                    after, lost = "timeout", 0
                    continue
                lost = 1 if self.stats.updates > updates else lost + 1
                if lost > self.max_reconnects:
                    tries = f" and {lost - 1} new sessions did not hold" if lost > 1 else ""
                    raise LiveTailError(f"the Live Tail connection was lost{tries}: {self._lost}")
                delay = RECONNECT_DELAYS[min(lost, len(RECONNECT_DELAYS)) - 1]
                self.stats.reconnects += 1
                yield Reconnect(lost, delay, self._lost)
                (self.sleep or _pause)(delay)
                after = "reconnect"
        finally:
            self.stats.ended = self.stats.ended or "stopped"  # closed by the caller, or failed
            self.close()

    def events(self) -> Generator[TailEvent, None, None]:
        """The events alone."""
        for item in self.items():
            if isinstance(item, TailUpdate):
                yield from item.events

    def close(self) -> None:
        """End the session (the stream is closed)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()

    def _session(self, after: str) -> Generator[SessionStart | TailUpdate, None, str]:
        """The items of one session; returns how it ended: ``closed``, ``timeout`` or
        ``dropped`` (the connection was lost: why in ``_lost``)."""
        from botocore.exceptions import ClientError

        try:
            for item in self._stream:
                if "sessionStart" in item:
                    start = item["sessionStart"]
                    groups = tuple(start.get("logGroupIdentifiers") or self.groups)
                    number, session_id = self.stats.sessions, str(start.get("sessionId", ""))
                    yield SessionStart(number, session_id, groups, after)
                elif "sessionUpdate" in item:
                    yield self._update(item["sessionUpdate"])
        except ClientError as err:  # an exception sent in the stream
            error = err.response.get("Error", {})
            if error.get("Code") == _TIMEOUT:
                return "timeout"
            raise LiveTailError(
                f"the Live Tail session failed: {error.get('Code', 'error')}: "
                f"{error.get('Message', err)}"
            ) from None
        except Exception as err:
            if not _network_error(err):
                raise
            first = err.args[0] if err.args else None  # urllib3: (message, cause)
            self._lost = first if isinstance(first, str) and first else str(err)
            return "dropped"
        return "closed"

    def _update(self, update: dict[str, Any]) -> TailUpdate:
        results = update.get("sessionResults") or []
        sampled = bool((update.get("sessionMetadata") or {}).get("sampled"))
        self.stats.updates += 1
        self.stats.received += len(results)
        self.stats.heartbeats += not results
        self.stats.sampled_updates += sampled
        kept = []
        for result in results:
            message = str(result.get("message", ""))
            if self.plan is not None and not self.plan.verdict(message):
                continue
            event = TailEvent(
                timestamp=int(result.get("timestamp", 0)),
                ingestion_time=result.get("ingestionTime"),
                group=str(result.get("logGroupIdentifier", "")),
                stream=str(result.get("logStreamName", "")),
                message=message,
                spans=tuple(self.plan.spans(message)) if self.spans and self.plan else (),
            )
            if self.skip is not None and self.skip(event):
                self.stats.skipped += 1
                continue
            kept.append(event)
        self.stats.kept += len(kept)
        return TailUpdate(tuple(kept), sampled, len(results))


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _network_error(err: BaseException | None) -> bool:
    """A connection lost or refused: botocore's connection and HTTP errors, and urllib3's,
    which a response stream raises as they are."""
    from botocore.exceptions import ConnectionError, HTTPClientError
    from urllib3.exceptions import HTTPError

    return isinstance(err, ConnectionError | HTTPClientError | HTTPError)

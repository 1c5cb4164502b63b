"""FilterLogEvents over a moto log group: exact matching, service order, resumable pages.

A page is read from the group's :class:`~cwquery.emulator.index.GroupIndex`: a bisect finds where
to start (``startTime``, or the position a token names), events are checked one by one until the
page is full, and the scan goes on only as far as the next matching event. That event's position
is the next token, so a token is returned exactly when more events remain, and the next page
starts where this one found it: reading a whole group costs ``O(events)`` in all, whatever
``limit`` is.

Tokens are opaque to callers: URL-safe base64 of the log group, a digest of the query (pattern,
streams, time range) and the position. A token that does not decode, or belongs to another group
or query, is refused with ``The specified nextToken is invalid.``

>>> query = FilterQuery(pattern="ERROR", start_time=10)
>>> token = encode_token("arn:g", query, True, (12, 13, 7))
>>> decode_token(token, "arn:g", query)
(True, (12, 13, 7))
>>> try:
...     decode_token(token, "arn:other", query)
... except Exception as err:
...     print(type(err).__name__, err.message)
InvalidParameterException The specified nextToken is invalid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cwquery.ast import MatchAll
from cwquery.emulator.errors import FILTER, compile_pattern, invalid_token
from cwquery.emulator.index import Entry, Key, index_of
from cwquery.plan import plan_for

#: ``limit`` bounds and default (spec §7.1).
MIN_LIMIT = 1
MAX_LIMIT = 10_000
#: A page holds at most 1 MB of events, counted here as the UTF-8 bytes of their messages.
MAX_PAGE_BYTES = 1_048_576
_TOKEN_VERSION = 1


@dataclass(frozen=True)
class FilterQuery:
    """What a FilterLogEvents request selects (everything but ``limit`` and ``nextToken``).

    ``start_time`` and ``end_time`` are both inclusive (D20). ``start_from_head=False`` returns the
    newest events first.
    """

    pattern: str = ""
    stream_names: frozenset[str] | None = None
    stream_prefix: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    start_from_head: bool = True

    def digest(self) -> str:
        """A short fingerprint of the selection, carried in tokens (direction excluded: on later
        pages the token's direction wins)."""
        names = sorted(self.stream_names) if self.stream_names is not None else None
        text = json.dumps(
            [self.pattern, names, self.stream_prefix, self.start_time, self.end_time],
            separators=(",", ":"),
        )
        return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()

    def wants_stream(self) -> Callable[[str], bool] | None:
        """A test on the stream name, or ``None`` when every stream is searched."""
        names = self.stream_names
        if names is not None:
            return names.__contains__
        prefix = self.stream_prefix
        if prefix:
            return lambda name: name.startswith(prefix)
        return None


@dataclass
class Page:
    """One FilterLogEvents response: ``events``, ``next_token`` (``None`` at the end) and how many
    index entries were examined to build it (``scanned``, for tests and benchmarks)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    next_token: str | None = None
    scanned: int = 0


def filter_page(
    group: Any, query: FilterQuery, *, limit: int = MAX_LIMIT, next_token: str | None = None
) -> Page:
    """One page of FilterLogEvents over the moto ``LogGroup`` ``group``.

    Raises:
        InvalidParameterException: invalid pattern or token.
    """
    plan = plan_for(compile_pattern(query.pattern, FILTER).pattern)  # events are messages:
    matches = None if isinstance(plan.pattern, MatchAll) else plan.matches  # no block facts
    group_id = str(group.arn)
    index = index_of(group)
    with index.lock:
        index.sync(group.streams)
        entries = index.entries  # never changed in place: match without holding the lock
    if next_token is not None:
        ascending, key = decode_token(next_token, group_id, query)
        position = bisect_left(entries, key)
        if not ascending and (position == len(entries) or _key(entries[position]) != key):
            position -= 1  # the event went away: resume at the one before it
    else:
        ascending = query.start_from_head
        position = _first_position(entries, query, ascending)
    found, following, scanned = _scan(entries, position, ascending, query, matches, limit)
    page = Page([_event_dict(entry) for entry in found], None, scanned)
    if following is not None:
        page.next_token = encode_token(group_id, query, ascending, following)
    return page


def _first_position(entries: list[Entry], query: FilterQuery, ascending: bool) -> int:
    if ascending:
        return 0 if query.start_time is None else bisect_left(entries, (query.start_time,))
    if query.end_time is None:
        return len(entries) - 1
    return bisect_left(entries, (query.end_time + 1,)) - 1


def _scan(
    entries: list[Entry],
    position: int,
    ascending: bool,
    query: FilterQuery,
    matches: Callable[[str], bool] | None,
    limit: int,
) -> tuple[list[Entry], Key | None, int]:
    """Walk from ``position`` collecting up to ``limit`` events (and at most
    :data:`MAX_PAGE_BYTES`); return them, the key of the next matching event, and the number of
    entries examined."""
    wants_stream = query.wants_stream()
    step = 1 if ascending else -1
    stop_time = query.end_time if ascending else query.start_time
    found: list[Entry] = []
    size = 0
    scanned = 0
    count = len(entries)
    while 0 <= position < count:
        entry = entries[position]
        if stop_time is not None and (entry[0] > stop_time if ascending else entry[0] < stop_time):
            break
        position += step
        scanned += 1
        if wants_stream is not None and not wants_stream(entry[3]):
            continue
        message = entry[4].message
        if matches is not None and not matches(message):
            continue
        length = len(message.encode("utf-8"))
        if len(found) >= limit or (found and size + length > MAX_PAGE_BYTES):
            return found, _key(entry), scanned
        found.append(entry)
        size += length
    return found, None, scanned


def _key(entry: Entry) -> Key:
    return entry[0], entry[1], entry[2]


def _event_dict(entry: Entry) -> dict[str, Any]:
    return {
        "logStreamName": entry[3],
        "timestamp": entry[0],
        "message": entry[4].message,
        "ingestionTime": entry[1],
        "eventId": str(entry[2]),
    }


def encode_token(group_id: str, query: FilterQuery, ascending: bool, key: Key) -> str:
    """The token that resumes ``query`` on ``group_id`` at the event ``key`` (inclusive)."""
    payload = [_TOKEN_VERSION, group_id, query.digest(), "f" if ascending else "b", *key]
    raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, group_id: str, query: FilterQuery) -> tuple[bool, Key]:
    """``(ascending, key)`` from a token made by :func:`encode_token` for this group and query.

    Raises:
        InvalidParameterException: ``The specified nextToken is invalid.``
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        raise invalid_token() from None
    if not (
        isinstance(payload, list)
        and len(payload) == 7
        and payload[:3] == [_TOKEN_VERSION, group_id, query.digest()]
        and payload[3] in ("f", "b")
        and all(type(part) is int for part in payload[4:])
    ):
        raise invalid_token()
    return payload[3] == "f", (payload[4], payload[5], payload[6])

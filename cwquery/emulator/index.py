"""Each log group's events in the service's order (D29), kept in step with moto's streams.

moto stores events per stream in put order. FilterLogEvents needs them across all streams by
timestamp, then ingestion time, then put order. :class:`GroupIndex` keeps one sorted list per log
group and, on every read, indexes only what was added since the last read, so paging costs
``O(page)`` instead of re-sorting the whole group on every request.

An entry is ``(timestamp, ingestionTime, putSequence, logStreamName, event)``. ``putSequence`` is
moto's process-wide event counter (``LogEvent.event_id``), which grows in the order events are put,
across all streams.

>>> from types import SimpleNamespace as Event
>>> index = GroupIndex()
>>> a = Event(events=[Event(timestamp=2, ingestion_time=9, event_id=1, message="a0")])
>>> b = Event(events=[Event(timestamp=1, ingestion_time=9, event_id=2, message="b0")])
>>> index.sync({"a": a, "b": b})
>>> [entry[3] for entry in index.entries]
['b', 'a']
>>> a.events.append(Event(timestamp=1, ingestion_time=9, event_id=3, message="a1"))
>>> index.sync({"a": a, "b": b})
>>> [entry[4].message for entry in index.entries]
['b0', 'a1', 'a0']
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from operator import itemgetter
from typing import Any

#: ``(timestamp, ingestionTime, putSequence, logStreamName, moto LogEvent)``
Entry = tuple[int, int, int, str, Any]
#: The part of an entry that orders it: ``(timestamp, ingestionTime, putSequence)``.
Key = tuple[int, int, int]

_ORDER = itemgetter(0, 1, 2)
_ATTRIBUTE = "_cwquery_event_index"
_CREATE_LOCK = threading.Lock()


class GroupIndex:
    """The sorted events of one log group.

    Attributes:
        entries: every event of the group, sorted by :data:`Key`. The list is never changed
            in place (a sync puts a new one), so a reader can take it under the lock and then
            match without holding it.
        lock: held while syncing, so concurrent server requests see a consistent list.
    """

    __slots__ = ("_seen", "entries", "lock")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._seen: dict[str, tuple[Any, int]] = {}
        self.lock = threading.RLock()

    def sync(self, streams: Mapping[str, Any]) -> None:
        """Index the events put since the last call. A stream that was deleted, replaced or lost
        events makes the index start again from scratch."""
        with self.lock:
            if self._stale(streams):
                self.entries = []
                self._seen = {}
            added: list[Entry] = []
            for name, stream in streams.items():
                events = stream.events
                seen = self._seen.get(name)
                done = seen[1] if seen is not None else 0
                if len(events) > done:
                    added.extend(
                        (event.timestamp, event.ingestion_time, event.event_id, name, event)
                        for event in events[done:]
                    )
                if seen is None or len(events) != done:
                    self._seen[name] = (stream, len(events))
            if added:
                self._merge(added)

    def _stale(self, streams: Mapping[str, Any]) -> bool:
        for name, (stream, done) in self._seen.items():
            current = streams.get(name)
            if current is not stream or len(current.events) < done:
                return True
        return False

    def _merge(self, added: list[Entry]) -> None:
        added.sort(key=_ORDER)
        entries = self.entries + added  # a new list: readers may still hold the old one
        if self.entries and _ORDER(self.entries[-1]) >= _ORDER(added[0]):
            entries.sort(key=_ORDER)  # two sorted runs: timsort merges them in linear time
        self.entries = entries


def index_of(group: Any) -> GroupIndex:
    """The index of a moto ``LogGroup``, created on first use and stored on the group itself, so
    it goes away with the group (and with moto's reset)."""
    index: GroupIndex | None = group.__dict__.get(_ATTRIBUTE)
    if index is None:
        with _CREATE_LOCK:
            index = group.__dict__.get(_ATTRIBUTE)
            if index is None:
                index = GroupIndex()
                setattr(group, _ATTRIBUTE, index)
    return index

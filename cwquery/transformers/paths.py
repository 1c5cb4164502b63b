"""Dotted field paths inside a transformed event (decision T4)."""

from __future__ import annotations

from typing import Any

#: A configured path has at most this many dot-separated levels.
MAX_DEPTH = 3

_MISSING = object()


def split(path: str) -> list[str]:
    """The levels of a path.

    >>> split("a.b")
    ['a', 'b']
    """
    return path.split(".")


def lookup(event: dict[str, Any], path: str) -> Any:
    """The value at ``path``, or :data:`MISSING` when some level is absent or not an object.

    >>> lookup({"a": {"b": 1}}, "a.b"), lookup({"a": 1}, "a.b") is MISSING
    (1, True)
    """
    node: Any = event
    for part in split(path):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def has(event: dict[str, Any], path: str) -> bool:
    """Whether ``path`` holds a value.

    >>> has({"a": None}, "a"), has({}, "a")
    (True, False)
    """
    return lookup(event, path) is not MISSING


def parent(event: dict[str, Any], path: str, *, create: bool) -> tuple[dict[str, Any], str] | None:
    """The object holding the last level of ``path`` and that level's name; missing parents are
    created when ``create``; ``None`` when a level is not an object (T4: the write is skipped).

    >>> event = {"a": 1}
    >>> parent(event, "b.c", create=True), parent(event, "a.c", create=True)
    (({}, 'c'), None)
    """
    parts = split(path)
    node: Any = event
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return None
        if part not in node:
            if not create:
                return None
            node[part] = {}
        node = node[part]
    if not isinstance(node, dict):
        return None
    return node, parts[-1]


def store(event: dict[str, Any], path: str, value: Any, *, overwrite: bool = True) -> bool:
    """Write ``value`` at ``path`` (creating parents); an existing value stays unless
    ``overwrite``. Whether it was written.

    >>> event = {"a": 1}
    >>> store(event, "a", 2, overwrite=False), store(event, "b.c", 3), event
    (False, True, {'a': 1, 'b': {'c': 3}})
    """
    found = parent(event, path, create=True)
    if found is None:
        return False
    node, name = found
    if name in node and not overwrite:
        return False
    node[name] = value
    return True


def remove(event: dict[str, Any], path: str) -> Any:
    """Take the value at ``path`` out of the event; :data:`MISSING` when there is none.

    >>> event = {"a": {"b": 1, "c": 2}}
    >>> remove(event, "a.b"), event, remove(event, "x") is MISSING
    (1, {'a': {'c': 2}}, True)
    """
    found = parent(event, path, create=False)
    if found is None:
        return MISSING
    node, name = found
    return node.pop(name, MISSING)


MISSING: Any = _MISSING

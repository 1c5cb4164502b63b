"""Dotted field paths inside a transformed event (decision T4)."""

from __future__ import annotations

from typing import Any

#: A configured path has at most this many dot-separated levels.
MAX_DEPTH = 3

_MISSING = object()


def split(path: str) -> list[str]:
    """The levels of a path: ``"a.b"`` -> ``["a", "b"]``."""
    return path.split(".")


def lookup(event: dict[str, Any], path: str) -> Any:
    """The value at ``path``, or :data:`MISSING` when some level is absent or not an object."""
    node: Any = event
    for part in split(path):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def has(event: dict[str, Any], path: str) -> bool:
    """Whether ``path`` holds a value."""
    return lookup(event, path) is not MISSING


def parent(event: dict[str, Any], path: str, *, create: bool) -> tuple[dict[str, Any], str] | None:
    """The object holding the last level of ``path`` and that level's name; missing parents are
    created when ``create``; ``None`` when a level is not an object (T4: the write is skipped)."""
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
    ``overwrite``. Whether it was written."""
    found = parent(event, path, create=True)
    if found is None:
        return False
    node, name = found
    if name in node and not overwrite:
        return False
    node[name] = value
    return True


def remove(event: dict[str, Any], path: str) -> Any:
    """Take the value at ``path`` out of the event; :data:`MISSING` when there is none."""
    found = parent(event, path, create=False)
    if found is None:
        return MISSING
    node, name = found
    return node.pop(name, MISSING)


MISSING: Any = _MISSING

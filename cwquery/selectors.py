"""JSON selectors applied to parsed documents: ``$.a.b``, ``$.list[0]``, ``$.list[*]``, ``$.*``.

Used by the compiler, :mod:`cwquery.explanation` and :mod:`cwquery.metrics`, so a selector
reaches the same values wherever it is read. A selector without a wildcard step resolves to one
value or :data:`~cwquery.semantics.MISSING`; with one (D8) it resolves to the list of every
selected value.

>>> from cwquery.parser import parse_selector
>>> selector_function(parse_selector("$.a[1].b"))({"a": [{}, {"b": 2}]})
2
>>> selector_function(parse_selector("$.a[*]"))({"a": [1, 2]})
[1, 2]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cwquery.ast import AnyIndex, AnyKey, Index, Key, Selector
from cwquery.semantics import MISSING


def has_wildcard_step(selector: Selector) -> bool:
    """Whether the selector has a ``[*]`` or ``.*`` step, and so selects a list of values.

    >>> from cwquery.parser import parse_selector
    >>> has_wildcard_step(parse_selector("$.a.*")), has_wildcard_step(parse_selector("$.a"))
    (True, False)
    """
    return any(isinstance(step, AnyKey | AnyIndex) for step in selector.steps)


def single_key(selector: Selector) -> str | None:
    """The key of a selector made of one ``.name`` step (``$.level``), else ``None``."""
    step = selector.steps[0]
    return step.name if len(selector.steps) == 1 and isinstance(step, Key) else None


def selector_function(selector: Selector) -> Callable[[Any], Any]:
    """Without a wildcard: ``document -> value | MISSING``. With one: ``document -> list``."""
    steps = selector.steps
    if has_wildcard_step(selector):
        return lambda document: _select_all(document, steps)
    path = tuple(step.name if isinstance(step, Key) else step.index for step in steps)  # type: ignore[union-attr]
    if len(path) == 1 and isinstance(path[0], str):
        key = path[0]
        return lambda document: document.get(key, MISSING)
    if len(path) == 2 and isinstance(path[0], str) and isinstance(path[1], str):
        outer, inner = path
        return lambda document: (
            node.get(inner, MISSING) if type(node := document.get(outer)) is dict else MISSING
        )
    return lambda document: _select_one(document, path)


def _select_one(document: Any, path: tuple[str | int, ...]) -> Any:
    node = document
    for step in path:
        if type(step) is str:
            if type(node) is not dict:
                return MISSING
            node = node.get(step, MISSING)
            if node is MISSING:
                return MISSING
        elif type(node) is list and 0 <= step < len(node):  # type: ignore[operator]
            node = node[step]  # type: ignore[index]
        else:
            return MISSING
    return node


def _select_all(document: Any, steps: tuple[Any, ...]) -> list[Any]:
    nodes = [document]
    for step in steps:
        selected: list[Any] = []
        for node in nodes:
            if isinstance(step, Key):
                if type(node) is dict and step.name in node:
                    selected.append(node[step.name])
            elif isinstance(step, Index):
                if type(node) is list and step.index < len(node):
                    selected.append(node[step.index])
            elif isinstance(step, AnyKey):
                if type(node) is dict:
                    selected.extend(node.values())
            elif type(node) is list:
                selected.extend(node)
        nodes = selected
    return nodes

"""The extracting commands (spec §13, §2.9; I60, I61, I66, I69): ``parse`` in glob, regex
(``multi``), ``logfmt`` and ``csv`` modes, ``json field=``, and ``unnest``.

>>> glob_regex("[*] user=* x*")
'\\\\[(.*?)\\\\]\\\\ user=(.*?)\\\\ x(.*)'
>>> logfmt('level=info msg="disk full" n')
{'level': 'info', 'msg': 'disk full', 'n': ''}
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cwquery.insights import tree as t
from cwquery.insights.checks import capturing_groups
from cwquery.insights.expressions import Context, compiled, evaluate, lookup_field, member
from cwquery.insights.values import is_structure, text

__all__ = ["glob_regex", "json_member", "logfmt", "parse_rows", "unnest_rows"]

_LOGFMT = re.compile(r'\s*([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|\S*))?')


def glob_regex(glob: str) -> str:
    """I60: literal text, each ``*`` lazy, a ``*`` that ends the glob greedy."""
    parts = glob.split("*")
    out = re.escape(parts[0])
    for index, part in enumerate(parts[1:], 1):
        last = index == len(parts) - 1 and part == ""
        out += ("(.*)" if last else "(.*?)") + re.escape(part)
    return out


@functools.lru_cache(maxsize=64)
def _glob(glob: str) -> re.Pattern[str]:
    return re.compile(glob_regex(glob), re.DOTALL)


def _names(command: t.Parse) -> tuple[list[tuple[int, str]], Any]:
    """(group number, field name) pairs a regex/glob parse assigns, and its matcher."""
    assert command.pattern is not None
    if command.mode == "glob":
        assert isinstance(command.pattern, t.String)
        return list(enumerate(command.aliases, 1)), _glob(command.pattern.value)
    assert isinstance(command.pattern, t.Regex)
    matcher = compiled(command.pattern.pattern)
    groups = capturing_groups(command.pattern.pattern)
    if command.aliases:  # I66: the aliases name the groups in order
        return list(enumerate(command.aliases, 1)), matcher
    return [(number, name) for number, name in enumerate(groups, 1) if name], matcher


def parse_rows(command: t.Parse, rows: Iterable[Any]) -> Iterator[Any]:
    """Applies one ``parse`` to each row (``multi`` may make several rows of one)."""
    source = command.source
    context = Context()
    if command.mode in ("logfmt", "csv"):
        for row in rows:
            value = evaluate(source, row, context) if source else row.get("@message")
            body = None if value is None or is_structure(value) else text(value)
            if command.mode == "logfmt":
                if body is not None:
                    row[command.aliases[0]] = logfmt(body)
            else:
                cells = next(csv.reader([body]), []) if body is not None else []
                if body is not None:
                    for index, alias in enumerate(command.aliases):
                        row[alias] = cells[index] if index < len(cells) else None
            yield row
        return
    names, matcher = _names(command)
    for row in rows:
        value = evaluate(source, row, context) if source else row.get("@message")
        if value is None or is_structure(value):
            yield row
            continue
        body = str(text(value))
        if command.multi:
            matches = list(matcher.finditer(body))
            if not matches:
                yield row  # I61, I69: kept, without the extracted fields
                continue
            for found in matches:
                twin = row.copy()
                _assign(twin, names, found)
                yield twin
            continue
        found = matcher.search(body)
        if found is not None:
            _assign(row, names, found)
        yield row


def _assign(row: Any, names: list[tuple[int, str]], found: Any) -> None:
    for number, name in names:
        row[name] = found.group(number)  # None when an optional group took no part (I61)


def logfmt(body: str) -> dict[str, str]:
    """``key=value`` pairs (I69): quoted values unescaped, a bare key is ``""``, last wins."""
    pairs: dict[str, str] = {}
    for found in _LOGFMT.finditer(body):
        key, value = found.group(1), found.group(2) or ""
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        pairs[key] = value
    return pairs


def json_member(value: Any, path: str) -> Any:
    """``json field=f "a.b"``: the member at a dotted path of a MAP or a JSON-object string
    (§13.8); missing → null (I69)."""
    from cwquery.insights.calls import call

    document = value if is_structure(value) else call("jsonParse", [value])
    if document is None:
        return None
    return lookup_field({"_": document}, "_." + path) if path else document


def unnest_rows(command: t.Unnest, rows: Iterable[Any], context: Context) -> Iterator[Any]:
    """One row per element of a LIST; any other value is a one-element list (§2.9)."""
    for row in rows:
        value = evaluate(command.expr, row, context)
        items = value if isinstance(value, list) else [value]
        if not items:
            continue
        for index in range(len(items)):
            twin = row.copy() if len(items) > 1 else row
            twin[command.into] = member(items, index) if isinstance(value, list) else value
            yield twin

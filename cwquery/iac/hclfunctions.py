"""The Terraform functions :mod:`cwquery.iac.hcleval` computes: those whose result follows from
their arguments alone, and the file functions (``file``, ``fileset``, ``fileexists``) within
limits (regular files of at most 1 MiB, at most 10,000 files).

>>> print(FUNCTIONS["jsonencode"](Scope(), {"b": "<x>", "a": 1}))
{"a":1,"b":"\\u003cx\\u003e"}
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from cwquery.iac.hclvalues import (
    EvalError,
    Scope,
    Text,
    Unknown,
    read_text_file,
    shown,
    to_string,
)
from cwquery.iac.locate import (
    Doc,
    DocList,
    DocMap,
    DocumentError,
    Located,
    SourceText,
    read_json,
    read_yaml,
)
from cwquery.iac.sites import Source

__all__ = ["FUNCTIONS", "MAX_FILESET"]

#: ``fileset`` stops after this many files.
MAX_FILESET = 10_000


def _merge(scope: Scope, *maps: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for mapping in maps:
        if mapping is None:
            continue
        if not isinstance(mapping, dict):
            raise EvalError("merge() needs maps")
        result.update(mapping)
    return result


def _lookup(scope: Scope, mapping: Any, key: Any, *default: Any) -> Any:
    if not isinstance(mapping, dict):
        raise EvalError("lookup() needs a map")
    if str(key) in mapping:
        return mapping[str(key)]
    if default:
        return default[0]
    raise EvalError(f"no key {shown(key)}")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise EvalError(f"{shown(value)} is not a list")
    return value


def _as_set(scope: Scope, value: Any) -> list[Any]:
    items = _list(value)
    unique = list(dict.fromkeys(json.dumps(item, sort_keys=True) for item in items))
    values = [json.loads(item) for item in unique]
    return sorted(values, key=str) if all(isinstance(v, str) for v in values) else values


def _keys(scope: Scope, mapping: Any) -> list[str]:
    if not isinstance(mapping, dict):
        raise EvalError("keys() needs a map")
    return sorted(mapping)


def _values(scope: Scope, mapping: Any) -> list[Any]:
    return [mapping[key] for key in _keys(scope, mapping)]


def _flatten(scope: Scope, value: Any) -> list[Any]:
    result: list[Any] = []
    for item in _list(value):
        result += _flatten(scope, item) if isinstance(item, list) else [item]
    return result


def _replace(scope: Scope, text: Any, old: Any, new: Any) -> str:
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        raise EvalError("replace() with a regular expression is not evaluated")
    return str(to_string(text)).replace(to_string(old), to_string(new))


def _format(scope: Scope, spec: Any, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        value = next(values, None)
        if match.group() == "%q":
            return json.dumps(to_string(value))
        if match.group() in ("%s", "%v", "%d"):
            return to_string(value)
        raise EvalError(f"format() verb {match.group()} is not evaluated")

    return re.sub(r"%%|%[a-z]", one, to_string(spec))


def _jsonencode(scope: Scope, value: Any) -> str:
    """As Terraform encodes: compact, keys sorted, ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _decode(scope: Scope, text: Any, reader: Callable[[str], list[Doc]]) -> Any:
    if not isinstance(text, str):
        raise EvalError("a decoder needs a string")
    source = Source(None, SourceText(text))
    if isinstance(text, Text) and text.located.start == 0 and text == text.source.text.text:
        source = text.source  # a file read whole: its strings keep their place there
    try:
        documents = reader(str(text))
    except DocumentError as err:
        raise EvalError(f"cannot be decoded: {err.message}") from None
    if len(documents) != 1:
        raise EvalError("not one document")
    return _plain(documents[0], source if source.path else None)


def _plain(doc: Doc, source: Source | None) -> Any:
    if doc.tag is not None:
        return Unknown(f"the tag {doc.tag} is not evaluated")
    if isinstance(doc, DocMap):
        return {key: _plain(value, source) for key, value in doc.items.items()}
    if isinstance(doc, DocList):
        return [_plain(item, source) for item in doc.items]
    if doc.kind == "null":
        return None
    if doc.kind == "bool":
        return doc.value == "true"
    if doc.kind == "number":
        try:
            return int(doc.value)
        except ValueError:
            return float(doc.value)
    return Text(doc.value, source, doc.located) if source is not None else doc.value


def _path(scope: Scope, name: Any) -> str:
    """The file a ``file()``-like function names, when it lies in the root module's repository:
    a scan of an untrusted checkout must not read (and print) ``/etc/shadow`` or ``~/.aws``."""
    path = to_string(name)
    base = scope.base_folder()
    if not os.path.isabs(path):
        if base is None:
            raise EvalError(f"{path}: relative to a folder that is not known")
        path = os.path.join(base, path)
    path = os.path.normpath(path)
    root = repository_of(base or ".")
    if os.path.commonpath([os.path.realpath(path), root]) != root:
        raise EvalError(f"{path} is outside the repository ({root}): not read")
    return path


#: The folders a scan was asked to read (``cwquery check PATH...``): outside a git repository,
#: the one holding a module bounds what its ``file()`` calls may read.
_SCAN_ROOTS: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "scan_roots", default=()
)


@contextlib.contextmanager
def reading_under(paths: Iterable[str]) -> Iterator[None]:
    """Within this block, a module outside any git repository may read files anywhere under
    the given scan path that holds it (not only under its own folder)."""
    roots = tuple(os.path.realpath(p) for p in paths if p != "-" and os.path.isdir(p))
    token = _SCAN_ROOTS.set(_SCAN_ROOTS.get() + roots)  # an enclosing scan's paths still count
    try:
        yield
    finally:
        _SCAN_ROOTS.reset(token)


def repository_of(folder: str) -> str:
    """The repository a folder is in: its nearest ancestor holding ``.git``; outside git, the
    outermost scan path holding it (:func:`reading_under`), else the folder itself.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as top:
    ...     os.makedirs(os.path.join(top, ".git")); os.makedirs(os.path.join(top, "envs", "p"))
    ...     repository_of(os.path.join(top, "envs", "p")) == os.path.realpath(top)
    True
    """
    start = os.path.realpath(folder)  # resolved first: the cwd may change
    found = _git_root(start)
    if found is not None:
        return found
    holding = [r for r in _SCAN_ROOTS.get() if os.path.commonpath([start, r]) == r]
    return min(holding, key=len) if holding else start


@functools.lru_cache(maxsize=64)
def _git_root(start: str) -> str | None:
    current = start
    while not os.path.exists(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return current


def _file(scope: Scope, name: Any) -> Text:
    source = read_text_file(_path(scope, name), scope.sources)
    text = source.text.text
    return Text(text, source, Located.plain(text, 0))


def _fileexists(scope: Scope, name: Any) -> bool:
    return os.path.isfile(_path(scope, name))


def _fileset(scope: Scope, folder: Any, pattern: Any) -> list[str]:
    """Files under ``folder`` whose relative path matches the glob (``*``, ``**``, ``?``,
    ``{a,b}``, ``[…]``), sorted."""
    base = _path(scope, folder)
    matcher = re.compile(_glob(to_string(pattern)))
    found: list[str] = []
    for root, directories, files in os.walk(base):
        directories.sort()
        for name in sorted(files):
            relative = os.path.relpath(os.path.join(root, name), base).replace(os.sep, "/")
            if matcher.fullmatch(relative):
                found.append(relative)
            if len(found) > MAX_FILESET:
                raise EvalError("fileset() finds too many files")
    return sorted(found)


def _glob(pattern: str) -> str:
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            close = pattern.find("}", index)
            if close == -1:
                raise EvalError("fileset() pattern has an unclosed {")
            choices = pattern[index + 1 : close].split(",")
            out.append("(?:" + "|".join(re.escape(c) for c in choices) + ")")
            index = close + 1
            continue
        elif char == "[":
            close = pattern.find("]", index)
            if close == -1:
                raise EvalError("fileset() pattern has an unclosed [")
            out.append("[" + pattern[index + 1 : close].replace("\\", "\\\\") + "]")
            index = close + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)


def _contains(scope: Scope, items: Any, value: Any) -> bool:
    return value in _list(items)


def _length(scope: Scope, value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise EvalError("length() needs a string or collection")


def _coalesce(scope: Scope, *values: Any) -> Any:
    for value in values:
        if value is not None and value != "":
            return value
    raise EvalError("coalesce() has no non-empty argument")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "merge": _merge,
    "lookup": _lookup,
    "contains": _contains,
    "length": _length,
    "keys": _keys,
    "values": _values,
    "toset": _as_set,
    "distinct": _as_set,
    "tolist": lambda scope, value: _list(value),
    "tomap": lambda scope, value: value if isinstance(value, dict) else _merge(scope, value),
    "tostring": lambda scope, value: None if value is None else to_string(value),
    "concat": lambda scope, *lists: [item for items in lists for item in _list(items)],
    "flatten": _flatten,
    "compact": lambda scope, items: [i for i in _list(items) if i is not None and i != ""],
    "coalesce": _coalesce,
    "join": lambda scope, sep, items: to_string(sep).join(to_string(i) for i in _list(items)),
    "split": lambda scope, sep, text: to_string(text).split(to_string(sep)),
    "lower": lambda scope, text: to_string(text).lower(),
    "upper": lambda scope, text: to_string(text).upper(),
    "trimspace": lambda scope, text: to_string(text).strip(),
    "replace": _replace,
    "format": _format,
    "element": lambda scope, items, i: _list(items)[int(i) % len(_list(items))],
    "zipmap": lambda scope, keys, values: dict(
        zip((to_string(k) for k in _list(keys)), _list(values), strict=True)
    ),
    "jsonencode": _jsonencode,
    "jsondecode": lambda scope, text: _decode(scope, text, lambda t: [read_json(t)]),
    "yamldecode": lambda scope, text: _decode(scope, text, read_yaml),
    "file": _file,
    "fileexists": _fileexists,
    "fileset": _fileset,
}

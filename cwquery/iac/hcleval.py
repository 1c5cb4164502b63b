"""Terraform expressions evaluated where their value can be known without deploying: literals,
``locals``, variable defaults, ``each``, ``for`` expressions, conditionals and the functions
that compute from their arguments alone (``merge``, ``lookup``, ``jsonencode``,
``yamldecode(file(…))``, ``fileset``…). Anything else is :class:`Unknown`, with the reason;
nothing is guessed.

A string that is written somewhere as it is (in a ``.tf`` file or in a YAML file a module
reads) is a :class:`Text`, which remembers where.

>>> from cwquery.iac.hclexpr import parse_expression
>>> scope = Scope()
>>> evaluate(parse_expression('merge({a = 1}, {b = "x"})', 0), scope)
{'a': 1, 'b': 'x'}
>>> evaluate(parse_expression('aws_s3_bucket.b.arn', 0), scope)
Unknown('aws_s3_bucket.b is known only after apply')
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from typing import Any

from cwquery.iac.hclexpr import (
    Attr,
    Call,
    Conditional,
    ForExpr,
    Index,
    Literal,
    Name,
    Node,
    ObjectCons,
    Operation,
    Template,
    TupleCons,
    Unsupported,
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

__all__ = ["EvalError", "Scope", "Text", "Unknown", "evaluate", "read_text_file", "shown"]

#: Files larger than this are not read by ``file()`` (1 MiB).
MAX_FILE_BYTES = 1 << 20
#: ``fileset`` stops after this many files.
MAX_FILESET = 10_000


class Unknown:
    """A value known only at plan or apply time, or that this reader does not compute."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Unknown({self.reason!r})"


class EvalError(Exception):
    """An expression Terraform would reject (a missing key, a wrong type): ``try`` catches it."""


class Text(str):
    """A string written as it is at ``located`` in ``source``."""

    source: Source
    located: Located

    def __new__(cls, value: str, source: Source, located: Located) -> Text:
        text = super().__new__(cls, value)
        text.source = source
        text.located = located
        return text


class Scope:
    """What names mean while evaluating: ``for`` variables here; ``var``, ``local``,
    ``each``, ``count`` and ``path`` in :meth:`reference` (subclasses). ``assumed`` collects
    the variables whose default values were used."""

    def __init__(self, names: dict[str, Any] | None = None) -> None:
        self.names: dict[str, Any] = names or {}
        self.assumed: set[str] = set()
        #: files read by ``file()``, by path
        self.sources: dict[str, Source] = {}
        #: the file the expressions being evaluated are written in
        self.source: Source | None = None

    def reference(self, root: str, attribute: str, node: Node) -> Any:
        """The value of ``root.attribute`` (``var.x``, ``each.key``…)."""
        return Unknown(f"{root}.{attribute} is known only after apply")

    def base_folder(self) -> str | None:
        """The folder relative file names are read from (the root module), if known."""
        return None

    def bound(self, names: dict[str, Any]) -> Scope:
        """This scope with ``for`` variables added (``assumed`` shared)."""
        child = self.__class__.__new__(self.__class__)
        child.__dict__.update(self.__dict__)
        child.names = {**self.names, **names}
        return child


def evaluate(node: Node, scope: Scope) -> Any:
    """The value of ``node``, :class:`Unknown` when it cannot be known here. Raises
    :class:`EvalError` for what Terraform would reject."""
    kind = type(node)
    if kind is Literal:
        located = node.located  # type: ignore[attr-defined]
        value = node.value  # type: ignore[attr-defined]
        if isinstance(value, str) and located is not None and scope.source is not None:
            return Text(value, scope.source, located)
        return value
    handler = _HANDLERS.get(kind)
    if handler is None:
        return Unknown(getattr(node, "reason", "this expression is not evaluated"))
    return handler(node, scope)


def _name(node: Name, scope: Scope) -> Any:
    if node.name in scope.names:
        return scope.names[node.name]
    return Unknown(f"{node.name} is not known here")


def _attr(node: Attr, scope: Scope) -> Any:
    target = node.target
    if isinstance(target, Name) and target.name not in scope.names:
        return scope.reference(target.name, node.name, node)
    return _get(evaluate(target, scope), node.name)


def _index(node: Index, scope: Scope) -> Any:
    target = node.target
    if isinstance(target, Name) and target.name not in scope.names:
        key = evaluate(node.key, scope)
        return Unknown(f"{target.name}[{shown(key)}] is known only after apply")
    return _get(evaluate(target, scope), evaluate(node.key, scope))


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(key, Unknown):
        return key
    if isinstance(value, dict):
        if str(key) not in value:
            raise EvalError(f"no key {shown(key)}")
        return value[str(key)]
    if isinstance(value, list):
        try:
            return value[int(key)]
        except (ValueError, IndexError, TypeError):
            raise EvalError(f"no element {shown(key)}") from None
    raise EvalError(f"cannot read {shown(key)} of {shown(value)}")


def _template(node: Template, scope: Scope) -> Any:
    pieces = []
    for part in node.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        value = evaluate(part, scope)
        if isinstance(value, Unknown):
            return value
        pieces.append(_string(value))
    return "".join(pieces)


def _string(value: Any) -> str:
    """A value as Terraform converts it to a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, str):
        return value
    raise EvalError(f"{shown(value)} is not a string")


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _conditional(node: Conditional, scope: Scope) -> Any:
    test = evaluate(node.test, scope)
    if isinstance(test, Unknown):
        return test
    if not isinstance(test, bool):
        raise EvalError("a condition is not a boolean")
    return evaluate(node.yes if test else node.no, scope)


def _operation(node: Operation, scope: Scope) -> Any:
    if node.op in ("&&", "||"):
        left = evaluate(node.operands[0], scope)
        if isinstance(left, bool) and left == (node.op == "||"):
            return left
        right = evaluate(node.operands[1], scope)
        for value in (left, right):
            if isinstance(value, Unknown):
                return value
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise EvalError(f"{node.op} needs booleans")
        return right
    values = [evaluate(operand, scope) for operand in node.operands]
    for value in values:
        if isinstance(value, Unknown):
            return value
    if node.op == "!":
        if not isinstance(values[0], bool):
            raise EvalError("! needs a boolean")
        return not values[0]
    if node.op == "==":
        return values[0] == values[1]
    if node.op == "!=":
        return values[0] != values[1]
    numbers = [_as_number(value) for value in values]
    if len(numbers) == 1:
        return -numbers[0]
    left, right = numbers
    if node.op in ("<", ">", "<=", ">="):
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[
            node.op
        ]
    if node.op in ("/", "%") and right == 0:
        raise EvalError("division by zero")
    result = {
        "+": lambda: left + right,
        "-": lambda: left - right,
        "*": lambda: left * right,
        "/": lambda: left / right,
        "%": lambda: left % right,
    }[node.op]()
    return int(result) if float(result).is_integer() and abs(result) < 2**53 else result


def _as_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EvalError(f"{shown(value)} is not a number")
    try:
        return float(value) if isinstance(value, str) else value
    except ValueError:
        raise EvalError(f"{shown(value)} is not a number") from None


def _tuple(node: TupleCons, scope: Scope) -> Any:
    items = [evaluate(item, scope) for item in node.items]
    return next((item for item in items if isinstance(item, Unknown)), items)


def _object(node: ObjectCons, scope: Scope) -> Any:
    result: dict[str, Any] = {}
    for key_node, value_node in node.items:
        key = evaluate(key_node, scope)
        if isinstance(key, Unknown):
            return key
        value = evaluate(value_node, scope)
        if isinstance(value, Unknown):
            return value
        result[_string(key)] = value
    return result


def _for(node: ForExpr, scope: Scope) -> Any:
    collection = evaluate(node.collection, scope)
    if isinstance(collection, Unknown):
        return collection
    pairs: Iterator[tuple[Any, Any]]
    if isinstance(collection, dict):
        pairs = ((key, collection[key]) for key in sorted(collection))
    elif isinstance(collection, list):
        pairs = enumerate(collection)
    else:
        raise EvalError(f"cannot iterate over {shown(collection)}")
    result_list: list[Any] = []
    result_map: dict[str, Any] = {}
    for key, value in pairs:
        names = {node.value_var: value}
        if node.key_var is not None:
            names[node.key_var] = key
        inner = scope.bound(names)
        if node.condition is not None:
            keep = evaluate(node.condition, inner)
            if isinstance(keep, Unknown):
                return keep
            if not isinstance(keep, bool):
                raise EvalError("a for condition is not a boolean")
            if not keep:
                continue
        item = evaluate(node.value, inner)
        if isinstance(item, Unknown):
            return item
        if node.key is None:
            result_list.append(item)
            continue
        name = evaluate(node.key, inner)
        if isinstance(name, Unknown):
            return name
        name = _string(name)
        if node.grouped:
            result_map.setdefault(name, []).append(item)
        elif name in result_map:
            raise EvalError(f"duplicate key {name!r} in a for expression")
        else:
            result_map[name] = item
    return result_list if node.key is None else result_map


def _call(node: Call, scope: Scope) -> Any:
    name = node.name
    if name in ("try", "can"):
        return _try(node, scope)
    function = _FUNCTIONS.get(name)
    if function is None:
        return Unknown(f"{name}() is not evaluated")
    args = [evaluate(arg, scope) for arg in node.args]
    if node.expand and args:
        last = args.pop()
        if isinstance(last, Unknown):
            return last
        if not isinstance(last, list):
            raise EvalError(f"{name}(…...) needs a list to expand")
        args += last
    for arg in args:
        if isinstance(arg, Unknown):
            return arg
    try:
        return function(scope, *args)
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError):
        raise EvalError(f"wrong arguments to {name}()") from None


def _try(node: Call, scope: Scope) -> Any:
    for arg in node.args:
        try:
            value = evaluate(arg, scope)
        except EvalError:
            continue
        return True if node.name == "can" and not isinstance(value, Unknown) else value
    if node.name == "can":
        return False
    raise EvalError("no argument of try() can be evaluated")


_HANDLERS: dict[type, Callable[[Any, Scope], Any]] = {
    Name: _name,
    Attr: _attr,
    Index: _index,
    Template: _template,
    Conditional: _conditional,
    Operation: _operation,
    TupleCons: _tuple,
    ObjectCons: _object,
    ForExpr: _for,
    Call: _call,
    Unsupported: lambda node, scope: Unknown(node.reason),
}


def shown(value: Any) -> str:
    """A value in a message."""
    if isinstance(value, Unknown):
        return "(unknown)"
    try:
        return json.dumps(value, ensure_ascii=False)[:80]
    except (TypeError, ValueError):
        return repr(value)[:80]


# --------------------------------------------------------------------------- functions


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
    return str(_string(text)).replace(_string(old), _string(new))


def _format(scope: Scope, spec: Any, *args: Any) -> str:
    values = iter(args)

    def one(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%"
        value = next(values, None)
        if match.group() == "%q":
            return json.dumps(_string(value))
        if match.group() in ("%s", "%v", "%d"):
            return _string(value)
        raise EvalError(f"format() verb {match.group()} is not evaluated")

    return re.sub(r"%%|%[a-z]", one, _string(spec))


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
        documents = reader(text)
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
    path = _string(name)
    if not os.path.isabs(path):
        base = scope.base_folder()
        if base is None:
            raise EvalError(f"{path}: relative to a folder that is not known")
        path = os.path.join(base, path)
    return os.path.normpath(path)


def read_text_file(path: str, sources: dict[str, Source]) -> Source:
    """A regular file of at most :data:`MAX_FILE_BYTES`, read once per scan."""
    found = sources.get(path)
    if found is not None:
        return found
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise EvalError(f"{path} is not a regular file of at most 1 MiB")
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            text = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise EvalError(f"{path} cannot be read: {err.strerror}") from None
    source = sources[path] = Source(path, SourceText(text))
    return source


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
    matcher = re.compile(_glob(_string(pattern)))
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


_FUNCTIONS: dict[str, Callable[..., Any]] = {
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
    "tostring": lambda scope, value: None if value is None else _string(value),
    "concat": lambda scope, *lists: [item for items in lists for item in _list(items)],
    "flatten": _flatten,
    "compact": lambda scope, items: [i for i in _list(items) if i is not None and i != ""],
    "coalesce": _coalesce,
    "join": lambda scope, sep, items: _string(sep).join(_string(i) for i in _list(items)),
    "split": lambda scope, sep, text: _string(text).split(_string(sep)),
    "lower": lambda scope, text: _string(text).lower(),
    "upper": lambda scope, text: _string(text).upper(),
    "trimspace": lambda scope, text: _string(text).strip(),
    "replace": _replace,
    "format": _format,
    "element": lambda scope, items, i: _list(items)[int(i) % len(_list(items))],
    "zipmap": lambda scope, keys, values: dict(
        zip((_string(k) for k in _list(keys)), _list(values), strict=True)
    ),
    "jsonencode": _jsonencode,
    "jsondecode": lambda scope, text: _decode(scope, text, lambda t: [read_json(t)]),
    "yamldecode": lambda scope, text: _decode(scope, text, read_yaml),
    "file": _file,
    "fileexists": _fileexists,
    "fileset": _fileset,
}

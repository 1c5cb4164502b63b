"""Infrastructure files read with the position of every string, so that a problem in a pattern
can be shown at its line and column in the file.

Two readers build the same small document tree (:class:`DocMap`, :class:`DocList`,
:class:`DocScalar`): :func:`read_json` (a JSON reader that keeps offsets) and :func:`read_yaml`
(PyYAML's composer, which keeps marks and does not mind CloudFormation's ``!Sub``/``!Ref`` tags
because it never constructs Python objects). Terraform has its own reader, :mod:`cwquery.iac.hcl`.

>>> source = SourceText('{"a": [1, "x\\\\"y"]}')
>>> doc = read_json(source.text)
>>> scalar = doc.items["a"].items[1]
>>> scalar.value, source.position(scalar.located.start)
('x"y', (1, 11))
>>> scalar.located.offsets(source.text)
(11, 12, 14, 15)
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from cwquery.errors import CWQueryError

__all__ = [
    "Decoder",
    "Doc",
    "DocList",
    "DocMap",
    "DocScalar",
    "DocumentError",
    "Located",
    "SourceText",
    "read_json",
    "read_yaml",
]


class DocumentError(CWQueryError, ValueError):
    """A file that cannot be read as the format it claims; ``offset`` is where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class SourceText:
    """A file's text with 1-based line and column lookups (columns count characters)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        """``(line, column)`` of an offset, both 1-based."""
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def offset(self, line: int, column: int = 1) -> int:
        """The offset of a 1-based line and column (clamped to the text)."""
        start = self._starts[max(0, min(line, len(self._starts)) - 1)]
        return min(start + column - 1, len(self.text))

    def line(self, number: int) -> str:
        """The text of a 1-based line, without its line break."""
        start = self._starts[number - 1]
        end = self.text.find("\n", start)
        return self.text[start : len(self.text) if end == -1 else end].rstrip("\r")


#: Maps each character of a located value to its offset in the source (plus one for the end).
Decoder = Callable[[str, "Located"], "tuple[int, ...] | None"]


@dataclass(frozen=True)
class Located:
    """A string value and where it is written: ``start``/``end`` delimit the literal (quotes
    included); ``decode`` knows how it is written, so :meth:`offsets` can map each character
    (without one, only the start is known)."""

    value: str
    start: int
    end: int
    decode: Decoder | None = field(default=None, compare=False, repr=False)

    @classmethod
    def plain(cls, value: str, start: int) -> Located:
        """A value written as it is, from ``start``.

        >>> Located.plain("ab", 3).offsets("xxxab")
        (3, 4, 5)
        """
        return cls(value, start, start + len(value), _contiguous)

    def offsets(self, source: str) -> tuple[int, ...] | None:
        """The offset in ``source`` of each character of :attr:`value`, plus one for the end of
        the value; ``None`` when the value does not map one character to one place."""
        found = self.decode(source, self) if self.decode else None
        if found is None or len(found) != len(self.value) + 1:
            return None
        return found


# --------------------------------------------------------------------------- document tree


@dataclass(frozen=True)
class DocScalar:
    """A scalar: ``value`` is the string, or the text of a number, boolean or null; ``kind`` is
    ``str``, ``number``, ``bool`` or ``null``; ``tag`` a YAML tag such as ``!Sub``."""

    value: str
    located: Located
    kind: str = "str"
    tag: str | None = None

    @property
    def start(self) -> int:
        """Where the scalar is written."""
        return self.located.start


@dataclass(frozen=True)
class DocMap:
    """A mapping (JSON object, YAML mapping)."""

    items: dict[str, Doc]
    start: int
    tag: str | None = None


@dataclass(frozen=True)
class DocList:
    """A sequence (JSON array, YAML sequence)."""

    items: list[Doc]
    start: int
    tag: str | None = None


Doc = DocScalar | DocMap | DocList


# --------------------------------------------------------------------------- JSON


_JSON_TOKEN = re.compile(
    r'[ \t\r\n]*(?:([{}\[\]:,])|("(?:[^"\\\x00-\x1f]|\\.)*")'
    r"|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null))",
    re.DOTALL,
)
_JSON_KINDS = {"true": "bool", "false": "bool", "null": "null"}


def read_json(text: str) -> Doc:
    """A JSON document with positions. Raises :class:`DocumentError` for invalid JSON.

    >>> read_json('[1, {"k": null}]').items[1].items["k"].kind
    'null'
    """
    reader = _JsonReader(text)
    try:
        doc = reader.value()
    except RecursionError:
        raise DocumentError("JSON nested too deeply", reader.index) from None
    if text[reader.index :].strip():
        raise DocumentError("unexpected text after the JSON document", reader.skip_blanks())
    return doc


class _JsonReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0

    def skip_blanks(self) -> int:
        while self.index < len(self.text) and self.text[self.index] in " \t\r\n":
            self.index += 1
        return self.index

    def token(self) -> tuple[int, str, str]:
        """``(offset, kind, text)`` of the next token, ``kind`` one of punct, string, literal."""
        match = _JSON_TOKEN.match(self.text, self.index)
        if match is None or match.lastindex is None:
            at = self.skip_blanks()
            problem = "the JSON ends too early" if at == len(self.text) else "invalid JSON"
            raise DocumentError(problem, at)
        self.index = match.end()
        kind = ("", "punct", "string", "literal")[match.lastindex]
        return match.start(match.lastindex), kind, match.group(match.lastindex)

    def value(self) -> Doc:
        start, kind, text = self.token()
        if kind == "string":
            return DocScalar(
                json.loads(text), Located(json.loads(text), start, self.index, _json_string)
            )
        if kind == "literal":
            number = _JSON_KINDS.get(text, "number")
            return DocScalar(text, Located(text, start, self.index, _contiguous), number)
        if text == "{":
            return self._object(start)
        if text == "[":
            return self._array(start)
        raise DocumentError(f"unexpected {text!r}", start)

    def _object(self, start: int) -> DocMap:
        items: dict[str, Doc] = {}
        offset, kind, text = self.token()
        if text == "}":
            return DocMap(items, start)
        while True:
            if kind != "string":
                raise DocumentError("expected a quoted key", offset)
            key = json.loads(text)
            offset, _, colon = self.token()
            if colon != ":":
                raise DocumentError("expected ':'", offset)
            items[key] = self.value()
            offset, _, text = self.token()
            if text == "}":
                return DocMap(items, start)
            if text != ",":
                raise DocumentError("expected ',' or '}'", offset)
            offset, kind, text = self.token()

    def _array(self, start: int) -> DocList:
        items: list[Doc] = []
        if self.text.startswith("]", self.skip_blanks()):
            self.index += 1
            return DocList(items, start)
        while True:
            items.append(self.value())
            offset, _, text = self.token()
            if text == "]":
                return DocList(items, start)
            if text != ",":
                raise DocumentError("expected ',' or ']'", offset)


# --------------------------------------------------------------------------- YAML

_YAML_KINDS = {
    "tag:yaml.org,2002:str": "str",
    "tag:yaml.org,2002:int": "number",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
}


#: libyaml's loader when PyYAML was built with it: the same nodes and marks (character offsets),
#: a few times faster than the pure-Python one.
FAST_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, *, loader: Any = None) -> list[Doc]:
    """Every document of a YAML stream, with positions; unknown tags (``!Sub``, ``!Ref``…)
    are kept as tags. Raises :class:`DocumentError` for invalid YAML. ``loader`` defaults to
    libyaml's (:data:`FAST_YAML_LOADER`); errors are always worded by the pure-Python one.

    >>> doc = read_yaml("Pattern: !Sub '{ $.a = 1 }'")[0]
    >>> scalar = doc.items["Pattern"]
    >>> scalar.tag, scalar.value, scalar.located.start
    ('!Sub', '{ $.a = 1 }', 14)
    """
    try:
        try:
            nodes = list(yaml.compose_all(text, Loader=loader or FAST_YAML_LOADER))
        except yaml.YAMLError:  # the pure-Python loader words the error (and has the last word)
            nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise DocumentError(str(err.problem or err), mark.index if mark else 0) from None
    except yaml.YAMLError as err:
        raise DocumentError(str(err), 0) from None
    except RecursionError:
        raise DocumentError("YAML nested too deeply", 0) from None
    budget = [2 * len(text) + 1000]  # no text without aliases has more nodes than this
    try:
        return [_yaml_doc(text, node, budget) for node in nodes if node is not None]
    except RecursionError:
        raise DocumentError("YAML nested too deeply", 0) from None


def _yaml_doc(text: str, node: Any, budget: list[int]) -> Doc:
    budget[0] -= 1
    if budget[0] < 0:  # aliases of aliases ("billion laughs"): refuse instead of expanding
        raise DocumentError(
            "YAML aliases expand to more nodes than the file could hold; not read",
            node.start_mark.index,
        )
    tag = node.tag if isinstance(node.tag, str) and node.tag.startswith("!") else None
    start = node.start_mark.index
    if text.startswith(("!", "&"), start):
        start = _after_properties(text, start)
    if isinstance(node, yaml.MappingNode):
        items: dict[str, Doc] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            items[name] = _yaml_doc(text, value, budget)
        return DocMap(items, start, tag)
    if isinstance(node, yaml.SequenceNode):
        return DocList([_yaml_doc(text, item, budget) for item in node.value], start, tag)
    kind = _YAML_KINDS.get(node.tag, "str")
    decode = _YAML_DECODERS.get(node.style or None)  # plain: None in PyYAML, '' in libyaml
    return DocScalar(node.value, Located(node.value, start, node.end_mark.index, decode), kind, tag)


def _after_properties(text: str, index: int) -> int:
    """Where a node's content starts, after its ``!tag`` and ``&anchor`` (a node's mark is at
    its first property)."""
    while text.startswith(("!", "&"), index):
        index = _PROPERTY.match(text, index).end()  # type: ignore[union-attr]
    return index


_PROPERTY = re.compile(r"\S+\s*")


# --------------------------------------------------------------------------- decoders


def _contiguous(source: str, located: Located) -> tuple[int, ...] | None:
    """Plain scalars: the value is the text as written."""
    if source[located.start : located.end] != located.value:
        return None
    return tuple(range(located.start, located.end + 1))


def _single_quoted(source: str, located: Located) -> tuple[int, ...] | None:
    """YAML ``'…'``: ``''`` is one quote; a line break folds, so only one-line values map."""
    body_start, body_end = located.start + 1, located.end - 1
    if "\n" in source[body_start:body_end]:
        return None
    offsets, index = [], body_start
    while index < body_end:
        offsets.append(index)
        index += 2 if source.startswith("''", index) else 1
    return (*offsets, body_end)


_SIMPLE_ESCAPES = frozenset('"\\/bfnrt0abevN_LP ')
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def _escaped(source: str, start: int, end: int) -> tuple[int, ...] | None:
    """Backslash escapes of JSON and YAML double-quoted strings: one offset per character
    (a surrogate pair written as two ``\\u`` escapes is one character)."""
    if "\n" in source[start:end]:
        return None
    offsets: list[int] = []
    index = start
    while index < end:
        offsets.append(index)
        if source[index] != "\\":
            index += 1
            continue
        marker = source[index + 1 : index + 2]
        if marker in _HEX_ESCAPES:
            width = _HEX_ESCAPES[marker]
            code = int(source[index + 2 : index + 2 + width] or "0", 16)
            index += 2 + width
            if 0xD800 <= code < 0xDC00 and source.startswith("\\u", index):
                index += 6  # the low surrogate completes the character
        elif marker in _SIMPLE_ESCAPES:
            index += 2
        else:
            return None
    return (*offsets, end)


def _json_string(source: str, located: Located) -> tuple[int, ...] | None:
    return _escaped(source, located.start + 1, located.end - 1)


def _block(source: str, located: Located) -> tuple[int, ...] | None:
    """YAML block scalars (``|``, ``>``): only a one-line value maps to one place."""
    value = located.value.rstrip("\n")
    if "\n" in value or not value:
        return None
    found = source.find(value, located.start, located.end)
    if found < 0:
        return None
    offsets = list(range(found, found + len(value)))
    offsets += [found + len(value)] * (len(located.value) - len(value) + 1)
    return tuple(offsets)


#: How YAML writes scalars, by PyYAML's style: plain, quoted, or block.
_YAML_DECODERS: dict[str | None, Decoder] = {
    None: _contiguous,
    "'": _single_quoted,
    '"': _json_string,
    "|": _block,
    ">": _block,
}

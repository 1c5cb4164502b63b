"""CloudWatch's value rules: what a JSON event is, how literals compare with JSON values and
tokens, and how wildcards behave. Each decision of ``docs/semantics.md`` that concerns values
lives here, in one function or constant.

>>> load_json_event('  {"a": 1, "a": 2} ')
{'a': 2}
>>> load_json_event('2024-01-01T00:00:00Z abc INFO {"a": 1}') is NOT_JSON
True
>>> string_matcher("*Event")("UpdateEvent"), string_matcher("Ev*ent")("Event")
(True, False)
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
from collections.abc import Callable
from typing import Any, Final, NamedTuple

import orjson

from cwquery.ast import TermKind, TermPattern
from cwquery.numbers import json_number

#: D16: TestMetricFilter numbers matching messages from 1.
EVENT_NUMBER_BASE: Final = 1

#: D25: a string value made of this character alone matches any non-null scalar.
WILDCARD: Final = "*"


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: A selector that reaches nothing.
MISSING: Final = _Sentinel("MISSING")
#: A message that is not a JSON object (D10).
NOT_JSON: Final = _Sentinel("NOT_JSON")


#: D10: the deepest nesting a JSON event may have: arrays and objects, the root object
#: counting as one, as orjson reads them. A deeper message is not JSON, whatever Python's
#: recursion limit; every message within it is read the same whatever that limit.
MAX_JSON_DEPTH: Final = 1024


def load_json_event(message: str) -> Any:
    """D10: the trimmed message must be, whole, one JSON object; else :data:`NOT_JSON`.

    Duplicate keys: the last wins. Numbers are read as orjson reads them (D30): integers
    beyond 64 bits become doubles, and a number beyond the double range makes the message not
    JSON; :func:`cwquery.numbers.number_value` reads literals the same way. Nesting deeper than
    :data:`MAX_JSON_DEPTH` makes the message not JSON (D10).

    >>> load_json_event('{"a": 1e999}') is NOT_JSON, load_json_event('{"a": %s}' % ("9" * 30))
    (True, {'a': 1e+30})
    >>> [load_json_event('{"a":' + "[" * n + "]" * n + "}") is NOT_JSON for n in (1023, 1024)]
    [False, True]
    """
    try:
        document = orjson.loads(message)
    except ValueError:  # not JSON, or text orjson refuses (lone surrogates, nesting over 1024)
        document = load_json_fallback(message)
    return document if type(document) is dict else NOT_JSON


#: Python frames the standard library's decoder may need beyond one per nesting level.
_FRAME_MARGIN: Final = 100
_RECURSION_LIMIT_LOCK = threading.Lock()


#: What the standard library reads and orjson refuses: a surrogate, escaped or not. Any other
#: text orjson refuses the standard library refuses too, or reads as a number beyond the double
#: range or as ``NaN``/``Infinity``, which are not JSON either (D30).
_SURROGATE: Final = re.compile(r"\\u[dD][89abcdefABCDEF]|[\ud800-\udfff]")


def load_json_fallback(message: str) -> Any:
    """What :func:`load_json_event` reads when orjson refuses the text (``message`` must be
    such a text): the standard library reads those holding a lone surrogate, with numbers read
    as orjson reads them (D30); any other is not JSON, decided without parsing. Nesting deeper
    than :data:`MAX_JSON_DEPTH` is not JSON; within it, the recursion limit is raised for the
    parse when it would not leave room for every level (D10). Returns the document, or
    :data:`NOT_JSON`."""
    if not message.lstrip().startswith("{") or _SURROGATE.search(message) is None:
        return NOT_JSON
    openers = message.count("[") + message.count("{")
    if openers > MAX_JSON_DEPTH and json_depth(message) > MAX_JSON_DEPTH:
        return NOT_JSON
    with _RECURSION_LIMIT_LOCK:  # one parse at a time may change the process's limit
        limit = sys.getrecursionlimit()
        needed = _stack_depth() + min(openers, MAX_JSON_DEPTH) + _FRAME_MARGIN
        if needed > limit:
            sys.setrecursionlimit(needed)
        try:
            return json.loads(
                message,
                parse_constant=_reject_constant,
                parse_int=json_number,
                parse_float=json_number,
            )
        except (ValueError, RecursionError):
            return NOT_JSON
        finally:
            if needed > limit and sys.getrecursionlimit() == needed:
                sys.setrecursionlimit(limit)


def _stack_depth() -> int:
    """The number of Python frames on the calling thread's stack."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deeply the arrays and objects of JSON text nest (brackets inside strings do not
    count), without recursion; for text that is not JSON, an upper bound of what a reader
    would meet before failing.

    >>> json_depth('{"a": [1, {"b": "[[["}]}'), json_depth("1")
    (3, 0)
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


#: The types of JSON numbers; ``bool`` is not among them (D12).
NUMBER_TYPES: Final = frozenset((int, float))


def is_number(value: object) -> bool:
    """JSON numbers; booleans are not numbers (D12)."""
    return type(value) in NUMBER_TYPES


def json_text(value: object) -> str | None:
    """The text a JSON string or number is compared through (D12), else ``None``: strings as
    they are, integers as ``str``, floats as their shortest ``repr``."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is int:
        return str(value)
    if kind is float:
        return repr(value)
    return None


def is_scalar(value: object) -> bool:
    """What ``= *`` matches (D25): strings, numbers and booleans; not null, arrays or objects."""
    return type(value) in (str, int, float, bool)


def string_matcher(pattern: str) -> Callable[[str], bool]:
    """D25: ``*`` at the start and/or end is a wildcard; in the middle it is a literal ``*``.
    The returned test takes a string; ``*`` alone accepts every string."""
    if pattern == WILDCARD:
        return lambda text: True
    leading, trailing = pattern.startswith(WILDCARD), pattern.endswith(WILDCARD)
    core = pattern[1 if leading else 0 : len(pattern) - 1 if trailing else len(pattern)]
    if leading and trailing:
        return lambda text: core in text
    if leading:
        return lambda text: text.endswith(core)
    if trailing:
        return lambda text: text.startswith(core)
    return pattern.__eq__


def has_wildcard_ends(pattern: str) -> bool:
    """Whether a string value uses ``*`` as a wildcard (at its start or end, D25)."""
    return pattern.startswith(WILDCARD) or pattern.endswith(WILDCARD)


def required_text(pattern: str) -> str:
    """The part of a string value every matching text contains (the value without wildcards)."""
    if pattern == WILDCARD:
        return ""
    return pattern.strip(WILDCARD) if len(pattern) > 1 else pattern


def could_be_number_text(text: str) -> bool:
    """True when ``text`` could be the text of a JSON number, so a raw-text search for it is not
    sound (the event may spell the number differently, e.g. ``1e2`` for ``100.0``)."""
    return all(char in "0123456789.eE+-" for char in text)


class TermGroups(NamedTuple):
    """How the items of a term pattern combine (spec §2.2, decision D3)."""

    required: tuple[str, ...]
    excluded: tuple[str, ...]
    #: the ``?`` terms, of which one must be present; empty when they are ignored
    any_of: tuple[str, ...]
    #: True when ``?`` terms stand beside plain or ``-`` terms and are therefore ignored (D3)
    optional_ignored: bool


def in_raw_bytes(text: str) -> bool:
    """Whether ``text`` can be found in a line's raw UTF-8 bytes: it has UTF-8 bytes (no lone
    surrogate) and holds no U+FFFD, which bytes that are not UTF-8 become only once decoded.

    >>> in_raw_bytes("ERROR"), in_raw_bytes("x\\ufffd"), in_raw_bytes("\\ud800")
    (True, False, False)
    """
    if "\ufffd" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def term_groups(pattern: TermPattern) -> TermGroups:
    """D3: ``?`` terms count only when every item has ``?``; mixed with plain or ``-`` items
    they are ignored and the rest is evaluated.

    >>> from cwquery import parse
    >>> term_groups(parse("?ERROR ?ARGUMENTS REQUEST"))
    TermGroups(required=('REQUEST',), excluded=(), any_of=(), optional_ignored=True)
    """
    required = tuple(t.text for t in pattern.terms if t.kind is TermKind.REQUIRED)
    excluded = tuple(t.text for t in pattern.terms if t.kind is TermKind.EXCLUDED)
    optional = tuple(t.text for t in pattern.terms if t.kind is TermKind.OPTIONAL)
    if required or excluded:
        return TermGroups(required, excluded, (), bool(optional))
    return TermGroups((), (), optional, False)

"""Candidate searches for JSON patterns: regexes, run by RE2 over a block's bytes, that every
matching line contains, so that only the lines they find need ``orjson`` and the predicate.

For a comparison whose selector ends in a key ``k``, the selected value is written right after
its key: ``"k"``, blanks, ``:``, blanks, then the value. A regex built from that shape and the
values that could pass (an integer range for ``> 90``, the string for ``= "ERROR"``) finds every
matching line **that holds no backslash**; an escape can spell any character, so a reader treats
every line holding a backslash as a candidate too. False candidates are harmless: each one is
judged in full. Nothing here decides a match.

>>> from cwquery import parse
>>> search = CandidateSearch([json_candidate_regex(parse("{ $.i > 90 }"))])
>>> list(search.lines(b'{"i": 90}\\n{"i": 91}\\n{"i":1e2}\\n{"i":-95}\\n{"i":90.5}\\n{"i":"95"}'))
[b'{"i": 91}', b'{"i":1e2}', b'{"i":90.5}']
>>> search = CandidateSearch(json_candidate_regexes(parse('{ $.a = "x" && $.n <= -2 }')))
>>> list(search.lines(b'{"a":"x","n":-1}\\n{"a": "x", "n": -3}\\n{"a":"y","n":-5}\\n'))
[b'{"a": "x", "n": -3}']
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from typing import Any, Final, NamedTuple

from cwquery import semantics
from cwquery.ast import (
    And,
    AnyKey,
    JsonCompare,
    JsonIs,
    JsonPattern,
    Key,
    Node,
    Number,
    Operator,
    Or,
    Selector,
    String,
    TruthTest,
)
from cwquery.numbers import number_value
from cwquery.regex import MAX_PROGRAM_SIZE, RE2_MAX_MEM

#: JSON blanks inside one line (``\\n`` ends a line; ``\\r`` is kept for readers that search
#: before they normalise line ends: it only adds candidates).
_BLANK: Final = "[ \\t\\r]*"
#: What may follow an integer token in valid JSON: a blank, a comma or a closing bracket.
_AFTER_NUMBER: Final = "[,\\]} \\t\\r]"
#: A number token with an exponent: always a candidate (kept simple and sound).
_EXPONENT: Final = "-?[0-9]+(?:\\.[0-9]+)?[eE]"
#: Any JSON number.
_ANY_NUMBER: Final = "-?[0-9]"
#: Integers of fewer digits are exact doubles, and a bound within them is compared exactly;
#: beyond, the range gives way to "any number" (D30: long integers are rounded doubles).
_EXACT_LIMIT: Final = 10**15
#: The most searches kept for one pattern (the first runs over the block, the rest per line).
_MAX_SEARCHES: Final = 3

# how selective a search is likely to be, most selective first
_EXACT_STRING, _STRING, _VALUE, _KEY = range(4)


class CandidateRegex(NamedTuple):
    """One search. ``rank`` orders them by likely selectivity: 0, an exact string after its
    key; 1, a string with wildcards; 2, a number range, ``true``/``false``/``null`` or a value
    of several kinds; 3, little more than the key, which the prefilter's key needle finds as
    well, and faster (``bytes.find``). ``literal``, when known, is a text every match holds
    (the quoted string of ``= "ERROR"``): a reader may look for it with ``bytes.find``, much
    faster than the regex, and judge the lines that hold it."""

    rank: int
    source: str
    literal: bytes | None = None


# --------------------------------------------------------------------------- integer ranges


def integer_range_regex(low: int, high: int | None) -> str | None:
    """RE2 source matching exactly the decimal spellings without sign or leading zero of the
    integers in ``[low, high]`` (``high=None``: no upper bound); ``None`` for an empty range.
    ``low`` below 0 counts as 0.

    >>> integer_range_regex(91, None), integer_range_regex(0, 12), integer_range_regex(5, 4)
    ('(?:9[1-9]|[1-9][0-9]{2,})', '(?:[0-9]|1[0-2])', None)
    """
    low = max(low, 0)
    if high is not None and high < low:
        return None
    low_digits = len(str(low))
    if high is None and low > 0 and low == 10 ** (low_digits - 1):  # every integer from 10**n
        return f"[1-9][0-9]{{{low_digits - 1},}}"
    last_digits = low_digits if high is None else len(str(high))
    parts = []
    for digits in range(low_digits, last_digits + 1):
        first = max(low, 10 ** (digits - 1) if digits > 1 else 0)
        last = 10**digits - 1 if high is None else min(high, 10**digits - 1)
        if first <= last:
            parts.append(_same_length(str(first), str(last)))
    if high is None:
        parts.append(f"[1-9][0-9]{{{low_digits},}}")
    return parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"


def _same_length(first: str, last: str) -> str:
    """The digit strings of one length from ``first`` to ``last`` (leading zeros allowed)."""
    if first == last:
        return first
    if len(first) == 1:
        return _digits(int(first), int(last))
    common = 0
    while first[common] == last[common]:
        common += 1
    prefix, first, last = first[:common], first[common:], last[common:]
    rest = len(first) - 1
    if rest == 0:
        return prefix + _digits(int(first), int(last))
    parts = []
    low_digit, high_digit = int(first[0]), int(last[0])
    if first[1:] != "0" * rest:
        parts.append(first[0] + _same_length(first[1:], "9" * rest))
        low_digit += 1
    tail = None
    if last[1:] != "9" * rest:
        tail = last[0] + _same_length("0" * rest, last[1:])
        high_digit -= 1
    if low_digit <= high_digit:
        parts.append(_digits(low_digit, high_digit) + (f"[0-9]{{{rest}}}" if rest > 1 else "[0-9]"))
    if tail is not None:
        parts.append(tail)
    return prefix + (parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})")


def _digits(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]"


def _bounds(
    op: Operator, number: int | float, *, unit: bool = False
) -> tuple[int | None, int | None] | None:
    """The integers ``v`` with ``v op number`` as ``(low, high)`` (``None``: unbounded), or
    ``None`` when none passes. With ``unit``, the integers ``y`` such that some ``v`` in
    ``[y, y + 1]`` passes (where a token with a fraction, ``I.F`` or ``-I.F``, may stand).
    Infinite literals pass all or nothing; bounds of :data:`_EXACT_LIMIT` or more give
    ``(None, None)``: any number."""
    if isinstance(number, float) and math.isinf(number):
        passes = (number > 0) == (op in (Operator.LT, Operator.LE))
        return (None, None) if passes else None
    floor, ceil = math.floor(number), math.ceil(number)
    if op is Operator.EQ and not unit and floor != number:
        return None
    low: int | None = None
    high: int | None = None
    if op is Operator.GT:
        low = floor if unit else floor + 1
    elif op is Operator.GE:
        low = ceil - 1 if unit else ceil
    elif op is Operator.LT:
        high = ceil - 1
    elif op is Operator.LE:
        high = floor
    elif op is Operator.EQ:
        low, high = (ceil - 1 if unit else ceil), floor
    if any(bound is not None and abs(bound) >= _EXACT_LIMIT for bound in (low, high)):
        return None, None
    return low, high


def number_regex(op: Operator, number: int | float) -> str:
    """RE2 source that matches at the start of every JSON number token whose value ``v`` has
    ``v op number`` (for ``<``, ``<=``, ``>``, ``>=`` and ``=``), read as orjson reads it (D30):
    integers by their exact range, ``I.F`` by its integer part (the value lies in ``[I, I+1]``),
    and every token with an exponent.

    >>> print(number_regex(Operator.GT, 9))
    (?:-?[0-9]+(?:\\.[0-9]+)?[eE]|[1-9][0-9]{1,}[,\\]} \\t\\r]|(?:9|[1-9][0-9]{1,})\\.)
    """
    integers, fractions = _bounds(op, number), _bounds(op, number, unit=True)
    if integers == (None, None) or fractions == (None, None):
        return _ANY_NUMBER
    parts = [_EXPONENT]
    if integers is not None:
        parts += _signed_tokens(*integers, _AFTER_NUMBER, 0)
    if fractions is not None:
        parts += _signed_tokens(*fractions, "\\.", 1)
    return f"(?:{'|'.join(parts)})"


def _signed_tokens(low: int | None, high: int | None, after: str, width: int) -> list[str]:
    """Tokens ``D`` and ``-D`` followed by ``after`` whose value interval starts within
    ``[low, high]``: ``D`` stands for ``[D, D + width]`` and ``-D`` for ``[-D - width, -D]``
    (``-0`` is 0)."""
    parts = []
    positive = integer_range_regex(0 if low is None else low, high)
    if positive is not None:
        parts.append(positive + after)
    if low is None or low <= -width:
        least = 0 if high is None else -high - width
        negative = integer_range_regex(least, None if low is None else -low - width)
        if negative is not None:
            parts.append(f"-{negative}{after}")
    return parts


# --------------------------------------------------------------------------- conditions


def json_candidate_searches(pattern: JsonPattern) -> tuple[CandidateRegex, ...]:
    """Searches (RE2 sources, to run on bytes as Latin-1, see :func:`candidate_program`) such
    that every line matching ``pattern`` that holds no backslash holds a match of each: the
    most selective first, at most three; empty when none is known (``NOT EXISTS``, ``||`` with
    such an operand, ``!=`` on a selector ending in a wildcard). Each compiles within D31's
    bounds.

    >>> from cwquery import parse
    >>> [search.rank for search in json_candidate_searches(parse('{ $.a != 1 && $.b = "x" }'))]
    [0, 3]
    >>> json_candidate_searches(parse('{ $.x NOT EXISTS || $.y IS NULL }'))
    ()
    """
    try:
        required = _requirements(pattern.expr)
    except RecursionError:  # a tree nested deeper than the stack: no search, which is sound
        return ()
    found: list[CandidateRegex] = []
    for search in sorted(required, key=lambda search: search.rank):
        if all(search.source != kept.source for kept in found) and _fits(search.source):
            found.append(search)
    return tuple(found[:_MAX_SEARCHES])


def json_candidate_regexes(pattern: JsonPattern) -> tuple[str, ...]:
    """The sources of :func:`json_candidate_searches`."""
    return tuple(search.source for search in json_candidate_searches(pattern))


def json_candidate_regex(pattern: JsonPattern) -> str | None:
    """The most selective of :func:`json_candidate_regexes`, or ``None``."""
    searches = json_candidate_regexes(pattern)
    return searches[0] if searches else None


def _requirements(node: Node) -> list[CandidateRegex]:
    """Searches every backslash-free line matching ``node`` holds a match of."""
    if isinstance(node, And):
        return [search for operand in node.operands for search in _requirements(operand)]
    if isinstance(node, Or):
        chosen = []
        for operand in node.operands:
            options = [search for search in _requirements(operand) if _fits(search.source)]
            if not options:
                return []
            chosen.append(min(options, key=lambda search: search.rank))
        rank = max(search.rank for search in chosen)
        return [CandidateRegex(rank, "|".join(f"(?:{search.source})" for search in chosen))]
    if isinstance(node, JsonCompare | JsonIs):
        return _condition(node)
    return []  # NOT EXISTS holds on lines that need not name anything


def _condition(node: JsonCompare | JsonIs) -> list[CandidateRegex]:
    """The search of one condition: where its selected value is written, and how."""
    where = _value_start(node.selector)
    if where is None:
        return []
    prefix, after_key = where
    if isinstance(node, JsonIs):
        word = {TruthTest.TRUE: "true", TruthTest.FALSE: "false", TruthTest.NULL: "null"}
        return [CandidateRegex(_VALUE, prefix + word[node.test])]
    # a value that passes a comparison exists (missing values fail every one, != included),
    # so its key is written
    present = [CandidateRegex(_KEY, prefix)] if after_key else []
    value, op = node.value, node.op
    if isinstance(value, Number):
        number = number_value(value.text)
        if op.is_relational:
            return [CandidateRegex(_VALUE, prefix + number_regex(op, number))]
        if op is Operator.EQ:  # a number equal to it, or a string spelling the literal (D12)
            alternatives = f'{number_regex(op, number)}|"{_escape(value.text)}"'
            return [CandidateRegex(_VALUE, f"{prefix}(?:{alternatives})")]
        return present
    if isinstance(value, String) and op is Operator.EQ:
        return _string_equal(prefix, value.text) or present
    return present  # !=, regex values: any value of the key may pass


def _string_equal(prefix: str, text: str) -> list[CandidateRegex]:
    """``= "text"`` (D12, D25): a string that matches, or a number whose text could."""
    if text == semantics.WILDCARD:  # any scalar: a string, a number, true or false
        return [CandidateRegex(_KEY, prefix + '["\\-0-9tf]')]
    leading, trailing = text.startswith(semantics.WILDCARD), text.endswith(semantics.WILDCARD)
    core = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
    if not _writable(core):
        return []
    if not core:  # "**": any string, or any number
        return [CandidateRegex(_KEY, prefix + '["\\-0-9]')]
    anything = '[^"\\n]*'  # a line without backslashes has no quote inside a string
    written = f'"{anything if leading else ""}{_escape(core)}{anything if trailing else ""}"'
    if semantics.could_be_number_text(core):  # a number's text is compared too
        return [CandidateRegex(_VALUE, f"{prefix}(?:{written}|{_ANY_NUMBER})")]
    rank = _STRING if leading or trailing else _EXACT_STRING
    opening, closing = "" if leading else '"', "" if trailing else '"'
    literal = (opening + core + closing).encode()
    return [CandidateRegex(rank, prefix + written, literal)]


def _value_start(selector: Selector) -> tuple[str, bool] | None:
    """What precedes a selected value in the text, and whether that names its key: ``"k":``
    after a key step, ``:`` after ``.*``, ``[`` or ``,`` after an index step."""
    last = selector.steps[-1]
    if isinstance(last, Key):
        if not _writable(last.name):
            return None
        return f'"{_escape(last.name)}"{_BLANK}:{_BLANK}', True
    if isinstance(last, AnyKey):
        return f":{_BLANK}", False
    return f"[\\[,]{_BLANK}", False


def _writable(text: str) -> bool:
    """Whether a JSON string can hold ``text`` without an escape (no quote, backslash or
    control character), and raw bytes can show it (:func:`cwquery.semantics.in_raw_bytes`)."""
    if any(char in '"\\' or char < " " for char in text):
        return False
    return semantics.in_raw_bytes(text)


def _escape(text: str) -> str:
    """RE2 source for the UTF-8 bytes of ``text``, read as Latin-1."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if byte < 0x80 and (char.isalnum() or char == "_"):
            out.append(char)
        elif byte < 0x80:
            out.append("\\" + char)
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)


# --------------------------------------------------------------------------- reading blocks


def candidate_program(source: str) -> Any:
    """The RE2 program of a candidate search: bytes read as Latin-1 (so bytes that are not
    UTF-8 are still crossed by ``[^"]``), within D31's memory bound. Raises ``re2.error``."""
    return _program(source)


@functools.lru_cache(maxsize=256)
def _program(source: str) -> Any:
    import re2  # imported on first use, as in cwquery.regex

    options = re2.Options()
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    options.encoding = re2.Options.Encoding.LATIN1
    return re2.compile(source.encode("ascii"), options)  # Latin-1 programs take bytes


def _fits(source: str) -> bool:
    """Whether a search compiles within D31's bounds (memory and program size)."""
    try:
        return bool(_program(source).programsize <= MAX_PROGRAM_SIZE)
    except Exception:  # re2.error, of a module imported lazily
        return False


class CandidateSearch:
    """The compiled searches of :func:`json_candidate_regexes`, and the lines of a block that
    hold a match of every one, or a backslash. The lines it leaves out cannot match; the lines
    it yields are candidates, still to be judged in full. No semantics here.

    A reader's use: ``for line in search.lines(block): judge(line)``.
    """

    __slots__ = ("_first", "_first_or_escape", "_literal", "_rest")

    def __init__(self, sources: Sequence[str], *, literal: bytes | None = None) -> None:
        """``literal``: a text every match of the first search holds (its
        :attr:`CandidateRegex.literal`); then the lines holding it are the candidates, found by
        ``bytes.find``, and the first regex is not run."""
        if not sources:
            raise ValueError("a candidate search needs at least one regex")
        first, *rest = sources
        self._first = _program(first).finditer
        self._first_or_escape = _program(f"(?:{first})|\\\\").finditer
        self._rest = tuple(_program(source).search for source in rest)
        self._literal = literal or None

    def lines(self, block: bytes) -> Iterator[bytes]:
        """The candidate lines of ``block``, in order, without their line ends. Lines end as a
        text-mode file ends them (``\\n``, ``\\r\\n``, ``\\r``); a blank line is never yielded
        (it is no message). The first search runs once over the block; the others, if any, on
        each line it finds (with the ``re2`` binding a call costs about as much as ``orjson``
        reading a short line, so they pay only when they reject many lines)."""
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._literal is not None:
            yield from self._lines_holding(block, self._literal)
            return
        found = self._first_or_escape if b"\\" in block else self._first
        rest = self._rest
        find, rfind = block.find, block.rfind
        end = -1
        for match in found(block):
            start = match.start()  # a match never crosses a line end
            if start < end:
                continue  # a second match on a line already seen
            end = find(b"\n", start)
            if end < 0:
                end = len(block)
            line = block[rfind(b"\n", 0, start) + 1 : end]
            if not rest or _holds_all(line, rest):
                yield line

    def _lines_holding(self, block: bytes, literal: bytes) -> Iterator[bytes]:
        """The lines that hold ``literal`` or a backslash (and every other search)."""
        rest, find, rfind = self._rest, block.find, block.rfind
        # the next literal and the next backslash at or after position (-1: none left)
        found, escape = find(literal), find(b"\\")
        position = 0
        while True:
            if 0 <= found < position:
                found = find(literal, position)
            if 0 <= escape < position:
                escape = find(b"\\", position)
            start = escape if escape >= 0 and (found < 0 or escape < found) else found
            if start < 0:
                return
            end = find(b"\n", start)
            if end < 0:
                end = len(block)
            line = block[rfind(b"\n", 0, start) + 1 : end]
            if not rest or _holds_all(line, rest):
                yield line
            position = end + 1


def _holds_all(line: bytes, searches: tuple[Any, ...]) -> bool:
    if b"\\" in line:
        return True
    for search in searches:  # noqa: SIM110 - a loop is faster than all() with a generator
        if search(line) is None:
            return False
    return True

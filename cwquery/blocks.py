"""Matching a log file block by block: bytes straight to orjson, text decoded once per block,
and, where a pattern names a literal every match contains, only the lines holding it looked at.

A block is a run of whole lines of a file (as :func:`cwquery.sources.read_events` reads a plain
file: ``\\n``, ``\\r\\n`` and ``\\r`` end a line, blank lines are not messages, bytes that are not
UTF-8 read as U+FFFD). Every answer is the one the per-message evaluation gives; the fast paths
only skip lines that provably cannot match (the raw-text rule of :mod:`cwquery.prefilter`, D32).

>>> scanner = BlockScanner("ERROR", select=Select.MATCHES)
>>> result = scanner.scan(b"INFO ok\\nERROR bad\\n\\n  \\nERROR worse")
>>> result.read, result.matched, [text for _, text in result.selected]
(3, 2, ['ERROR bad', 'ERROR worse'])
>>> judge = json_judge(compile('{ $.a = 1 }'))
>>> judge('{"a": 1}'), judge('{"a": 2}'), judge("not json")
(True, False, None)
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, AnyStr

import orjson

from cwquery.ast import (
    DelimitedPattern,
    JsonPattern,
    MatchAll,
    Pattern,
    RegexPattern,
    TermPattern,
)
from cwquery.compiler import Matcher, compile, compile_json
from cwquery.lines import count_messages_bytes as _count_messages_bytes
from cwquery.lines import count_messages_text as _count_messages_text
from cwquery.lines import is_blank as _blank
from cwquery.lines import line_ends as _line_ends
from cwquery.lines import split_lines
from cwquery.prefilter import required_literals
from cwquery.regex import to_re2
from cwquery.semantics import NOT_JSON, load_json_event, term_groups


class Select(enum.Enum):
    """Which messages a scan hands back (with their text)."""

    NONE = "none"
    MATCHES = "matches"
    OTHERS = "others"


@dataclass
class BlockResult:
    """What one block holds: messages read, matched and not JSON (for JSON patterns, with the
    first such message), and the selected messages as ``(index among the block's messages,
    text)``; the index is ``-1`` when the scan skipped lines without counting them one by one.
    ``lines`` counts the block's line ends; ``long_lines`` lists the lines left out for being
    too long, as ``(line ends before it in the block, its bytes)``.
    """

    read: int = 0
    matched: int = 0
    not_json: int = 0
    first_not_json: str | None = None
    selected: list[tuple[int, str]] = field(default_factory=list)
    lines: int = 0
    long_lines: list[tuple[int, int]] = field(default_factory=list)

    def add(self, later: BlockResult) -> None:
        """Append the result of the block that follows this one."""
        self.selected += [(i if i < 0 else i + self.read, text) for i, text in later.selected]
        self.long_lines += [(line + self.lines, size) for line, size in later.long_lines]
        self.read += later.read
        self.matched += later.matched
        self.not_json += later.not_json
        self.lines += later.lines
        if self.first_not_json is None:
            self.first_not_json = later.first_not_json


def json_judge(matcher: Matcher) -> Callable[[str | bytes], bool | None]:
    """For a JSON pattern: ``judge(message) -> True`` (match), ``False`` (no match) or ``None``
    (not JSON, D10), from one parse. Bytes are read as the UTF-8 text they spell."""
    pattern = matcher.pattern
    assert isinstance(pattern, JsonPattern)
    predicate = compile_json(pattern.expr)
    loads = orjson.loads

    def judge(message: str | bytes) -> bool | None:
        try:
            document = loads(message)
        except ValueError:
            text = message if isinstance(message, str) else message.decode("utf-8", "replace")
            document = load_json_event(text)
            if document is NOT_JSON:
                return None
        if type(document) is not dict:
            return None
        return bool(predicate(document))

    return judge


class BlockScanner:
    """Scans blocks for one pattern, given as text or as a parsed tree (which is what a
    worker process gets: the tree pickles, and nothing is parsed again).

    ``select`` chooses the messages handed back; ``count_not_json`` asks for the number of
    messages that are not JSON (JSON patterns only): then every line is parsed, since a line
    without the pattern's literal may still be JSON or not. ``numbered`` asks for the index
    of every selected message (so every line is looked at, too).
    """

    def __init__(
        self,
        pattern: str | Pattern,
        *,
        select: Select = Select.NONE,
        count_not_json: bool = False,
        numbered: bool = False,
    ) -> None:
        self.matcher = compile(pattern)
        self.select = select
        tree = self.matcher.pattern
        self.is_json = isinstance(tree, JsonPattern)
        #: texts every match contains (any one of them will do to find candidates); empty when
        #: every line must be looked at
        self.needles: tuple[str, ...] = ()
        #: ``search(block, position) -> match or None`` for a regex pattern, on UTF-8 bytes
        self._regex: Callable[[bytes, int], Any] | None = None
        every_line = select is Select.OTHERS or numbered or (count_not_json and self.is_json)
        if not every_line:
            self.needles = _needles(self.matcher)
            if isinstance(tree, RegexPattern):
                self._regex = _block_regex(tree.regex.source)
        if isinstance(tree, JsonPattern):
            self._judge = json_judge(self.matcher)
            self._predicate = compile_json(tree.expr)
        #: the rest of a line after a needle, when counting lines that hold one is the answer
        self._line_holding: re.Pattern[bytes] | None = None
        if select is Select.NONE and _needles_decide(tree, self.needles):
            (needle,) = self.needles
            self._line_holding = re.compile(re.escape(needle.encode()) + rb"[^\n]*")

    def scan(self, block: bytes) -> BlockResult:
        """Read, matched and not-JSON counts and the selected messages of one block."""
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self.is_json:
            if self.needles:
                return self._json_candidates(block)
            return self._json_lines(block)
        if self.needles or self._regex is not None:
            if block.isascii() or _is_utf8(block):
                if self._line_holding is not None:
                    return self._count_lines_holding(block, self._line_holding)
                return self._text_candidates(block)
            if self.needles:  # not UTF-8: search the text the bytes are read as
                return self._text_candidates(block.decode("utf-8", "replace"))
        return self._text_lines(block.decode("utf-8", "replace"))

    # ------------------------------------------------------------------ every line

    def _json_lines(self, block: bytes) -> BlockResult:
        result = BlockResult()
        if self.select is Select.NONE:
            return self._json_count(block, result)
        judge, select, selected = self._judge, self.select, result.selected
        read = matched = not_json = 0
        lines = split_lines(block)
        result.lines = _line_ends(lines, block)
        for line in lines:
            verdict = judge(line)
            if verdict is None:
                if _blank(line):
                    continue
                not_json += 1
                if result.first_not_json is None:
                    result.first_not_json = line.decode("utf-8", "replace")
            elif verdict:
                matched += 1
            read += 1
            if (select is Select.MATCHES) is bool(verdict):
                selected.append((read - 1, line.decode("utf-8", "replace")))
        result.read, result.matched, result.not_json = read, matched, not_json
        return result

    def _json_count(self, block: bytes, result: BlockResult) -> BlockResult:
        """:meth:`_json_lines` when only the counts are wanted: the judge's common case (orjson
        reads an object) inlined, since this loop is the whole cost of a count."""
        loads, predicate, judge = orjson.loads, self._predicate, self._judge
        lines = split_lines(block)
        result.lines = _line_ends(lines, block)
        matched = not_json = blank = 0
        for line in lines:
            try:
                document = loads(line)
            except ValueError:
                verdict = judge(line)
            else:
                verdict = bool(predicate(document)) if type(document) is dict else None
            if verdict:
                matched += 1
            elif verdict is None:
                if _blank(line):
                    blank += 1
                    continue
                not_json += 1
                if result.first_not_json is None:
                    result.first_not_json = line.decode("utf-8", "replace")
        result.read, result.matched, result.not_json = len(lines) - blank, matched, not_json
        return result

    def _text_lines(self, text: str) -> BlockResult:
        result = BlockResult()
        matches, select, selected = self.matcher.matches, self.select, result.selected
        read = matched = 0
        lines = text.split("\n")
        result.lines = len(lines) - 1
        if lines and not lines[-1]:
            lines.pop()
        for line in lines:
            if not line.strip():
                continue
            read += 1
            hit = matches(line)
            if hit:
                matched += 1
            if select is not Select.NONE and (select is Select.MATCHES) is hit:
                selected.append((read - 1, line))
        result.read, result.matched = read, matched
        return result

    # ------------------------------------------------------------------ candidate lines

    def _text_candidates(self, block: str | bytes) -> BlockResult:
        """Only the lines that hold a needle (or a regex match) are decoded and matched."""
        if isinstance(block, str):
            result = _started(*_count_messages_text(block))
            finders = [functools.partial(block.find, needle) for needle in self.needles]
            lines: Iterator[str] | Iterator[bytes] = _candidate_lines(block, "\n", finders)
        else:
            result = _started(*_count_messages_bytes(block))
            if self._regex is not None:
                finders = [functools.partial(_regex_start, self._regex, block)]
            else:
                finders = [functools.partial(block.find, n.encode()) for n in self.needles]
            lines = _candidate_lines(block, b"\n", finders)
        matches, keep = self.matcher.matches, self.select is Select.MATCHES
        for line in lines:
            text = line if isinstance(line, str) else line.decode("utf-8")
            if text.strip() and matches(text):
                result.matched += 1
                if keep:
                    result.selected.append((-1, text))
        return result

    @staticmethod
    def _count_lines_holding(block: bytes, rest_of_line: re.Pattern[bytes]) -> BlockResult:
        """For a one-term pattern: the lines holding the term are the matches, counted where
        they are found (each search runs on to the line end, so a line counts once)."""
        result = _started(*_count_messages_bytes(block))
        result.matched = len(rest_of_line.findall(block))
        return result

    def _json_candidates(self, block: bytes) -> BlockResult:
        result = _started(*_count_messages_bytes(block))
        judge, keep = self._judge, self.select is Select.MATCHES
        finders = [functools.partial(block.find, needle.encode()) for needle in self.needles]
        for line in _candidate_lines(block, b"\n", finders):
            if judge(line):
                result.matched += 1
                if keep:
                    result.selected.append((-1, line.decode("utf-8", "replace")))
        return result


def _needles(matcher: Matcher) -> tuple[str, ...]:
    """Texts of which every matching message holds at least one, or ``()``.

    For a JSON pattern the prefilter's rule (D32): the literal it tests first, or a
    backslash (an escape can spell any character)."""
    needles = _pattern_needles(matcher.pattern)
    return needles if all(needles) and all(map(_encodable, needles)) else ()


def _encodable(text: str) -> bool:
    """Whether text has UTF-8 bytes (a lone surrogate has none, and no line holds one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _needles_decide(tree: object, needles: tuple[str, ...]) -> bool:
    """Whether a line holding the one needle is a match, whatever else it holds: a term
    pattern with one term, which is not all whitespace (a line of whitespace is no message).

    >>> from cwquery import parse
    >>> _needles_decide(parse("ERROR"), ("ERROR",)), _needles_decide(parse("ERROR -x"), ("ERROR",))
    (True, False)
    """
    if not isinstance(tree, TermPattern) or len(needles) != 1 or not needles[0].strip():
        return False
    if "\n" in needles[0] or "\r" in needles[0]:  # never within one line
        return False
    groups = term_groups(tree)
    return not groups.excluded and (groups.required == needles or groups.any_of == needles)


def _pattern_needles(tree: object) -> tuple[str, ...]:
    if isinstance(tree, TermPattern):
        groups = term_groups(tree)
        if groups.required:
            return (max(groups.required, key=len),)
        if not groups.excluded:
            return groups.any_of
        return ()
    if isinstance(tree, JsonPattern | DelimitedPattern):
        literals = required_literals(tree)
        values = [text for text in literals if not text.startswith('"')]
        keys = [text for text in literals if text.startswith('"')]
        chosen = sorted(values or keys, key=len, reverse=True)[:1]
        if not chosen or "\ufffd" in chosen[0] or "\n" in chosen[0] or "\r" in chosen[0]:
            return ()
        return (chosen[0], "\\") if isinstance(tree, JsonPattern) else (chosen[0],)
    if isinstance(tree, RegexPattern | MatchAll):
        return ()
    return ()


def _candidate_lines(
    block: AnyStr, newline: AnyStr, finders: Sequence[Callable[[int], int]]
) -> Iterator[AnyStr]:
    """Each line of ``block`` where a finder (``find(position) -> offset or -1``) finds
    something, once, in order."""
    found = [(find(0), find) for find in finders]
    live = [(at, find) for at, find in found if at >= 0]
    if len(live) == 1:
        at, find = live[0]
        yield from _lines_found_by(block, newline, find, at)
        return
    following = [at for at, _ in live]
    finders = [find for _, find in live]
    size = len(block)
    while True:
        hits = [at for at in following if at >= 0]
        if not hits:
            return
        at = min(hits)
        if at >= size and (not block or block.endswith(newline)):
            return  # past the last line (an empty regex match at the very end)
        start = block.rfind(newline, 0, at) + 1
        end = block.find(newline, at)
        if end < 0:
            end = size
        yield block[start:end]
        position = end + 1
        if position > size:
            return
        following = [
            find(position) if 0 <= found < position else found
            for find, found in zip(finders, following, strict=True)
        ]


def _lines_found_by(
    block: AnyStr, newline: AnyStr, find: Callable[[int], int], at: int
) -> Iterator[AnyStr]:
    """:func:`_candidate_lines` for one finder whose first hit is ``at``."""
    size = len(block)
    rfind, find_newline = block.rfind, block.find
    while at >= 0:
        if at >= size and (not block or block.endswith(newline)):
            return
        start = rfind(newline, 0, at) + 1
        end = find_newline(newline, at)
        if end < 0:
            yield block[start:]
            return
        yield block[start:end]
        at = find(end + 1)


def _block_regex(source: str) -> Callable[[bytes, int], Any] | None:
    """The search of a regex body over a block of UTF-8 lines: ``^`` and ``$`` also match
    at line ends, so each line is searched as a message is. ``None`` if RE2 refuses it."""
    import re2

    try:
        return re2.compile("(?m)" + to_re2(source)).search  # type: ignore[no-any-return]
    except re2.error:
        return None


def _regex_start(search: Callable[[bytes, int], Any], block: bytes, position: int) -> int:
    found = search(block, position)
    return -1 if found is None else int(found.start())


def _is_utf8(block: bytes) -> bool:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _started(read: int, ends: int) -> BlockResult:
    """A result that knows its messages and line ends, before any is matched."""
    return BlockResult(read=read, lines=ends)

"""Matching a log file block by block: bytes straight to the plan's verdict, text decoded once
per block, and, where the plan names texts every match contains, only the lines holding one
looked at.

A block is a run of whole lines of a file (as :func:`cwquery.logs.sources.read_events` reads a plain
file: ``\\n``, ``\\r\\n`` and ``\\r`` end a line, blank lines are not messages, bytes that are not
UTF-8 read as U+FFFD). This module only reads: it splits, counts and finds candidate lines, and
asks the pattern's :class:`~cwquery.plan.Plan` for every rule (its verdict, its needles and its
block search), so every answer is the one the per-message evaluation gives (D32).

>>> scanner = BlockScanner("ERROR", select=Select.MATCHES)
>>> result = scanner.scan(b"INFO ok\\nERROR bad\\n\\n  \\nERROR worse")
>>> result.read, result.matched, [text for _, text in result.selected]
(3, 2, ['ERROR bad', 'ERROR worse'])
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, AnyStr

from cwquery.ast import Pattern
from cwquery.logs.lines import count_messages_bytes as _count_messages_bytes
from cwquery.logs.lines import count_messages_text as _count_messages_text
from cwquery.logs.lines import is_blank as _blank
from cwquery.logs.lines import line_ends as _line_ends
from cwquery.logs.lines import split_lines
from cwquery.plan import BlockSearch, Plan, plan_for


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
    too long, as ``(line ends before it in the block, its bytes)``. A scan asked not to count
    messages leaves ``read`` at 0 and ``lines`` at ``None`` where counting would be its only
    reason to look at every line. ``values`` holds, when the
    scan was asked for them, the ``extractedValues`` of each selected message, in step with
    ``selected``.
    """

    read: int = 0
    matched: int = 0
    not_json: int = 0
    first_not_json: str | None = None
    selected: list[tuple[int, str]] = field(default_factory=list)
    lines: int | None = 0
    long_lines: list[tuple[int, int]] = field(default_factory=list)
    values: list[dict[str, str]] = field(default_factory=list)
    #: when the scan was asked for them, the JSON object of each selected match as the plan
    #: read it (:attr:`~cwquery.plan.Plan.judged`; ``None`` where it has none), in step with
    #: ``selected``
    documents: list[Any] = field(default_factory=list)
    #: whether the block (or its candidate lines: :class:`BlockScanner`) holds the ``flag``
    flagged: bool = False
    #: what a reader's ``reduce`` (:class:`~cwquery.logs.parallel.FileScan`) made of the block
    summary: Any = None
    #: when the scan was asked for them (``heads``), the matches of an ASCII block holding no
    #: NUL byte found by a needle that decides: each line's first :data:`HEAD_BYTES` bytes
    #: (running on past its end when it is shorter), each after a NUL, in place of
    #: ``selected``
    heads: bytes = b""

    def add(self, later: BlockResult) -> None:
        """Append the result of the block that follows this one."""
        self.selected += [(i if i < 0 else i + self.read, text) for i, text in later.selected]
        self.values += later.values
        self.documents += later.documents
        self.heads += later.heads
        self.flagged = self.flagged or later.flagged
        if later.long_lines:
            assert self.lines is not None, "lines before an over-long one are counted"
            self.long_lines += [(line + self.lines, size) for line, size in later.long_lines]
        self.read += later.read
        self.matched += later.matched
        self.not_json += later.not_json
        if self.lines is None or later.lines is None:
            self.lines = None
        else:
            self.lines += later.lines
        if self.first_not_json is None:
            self.first_not_json = later.first_not_json


class BlockScanner:
    """Scans blocks for one pattern, given as text, a parsed tree or its plan (which is what a
    worker process gets: the plan pickles as its tree, and nothing is parsed again).

    ``select`` chooses the messages handed back; ``values`` asks for the ``extractedValues``
    of each selected match too (from the same pass). ``count_not_json`` asks for the number of
    messages that are not JSON (JSON patterns only): then every line is judged, since a line
    without the pattern's needle may still be JSON or not. ``numbered`` asks for the index of
    every selected message (the messages between two candidate lines are counted, not
    judged, so the fast paths stay). ``count_messages=False`` says that the number of messages
    read is not wanted (only the matches are): then a block whose candidate lines are found by
    a search is not counted line by line (see :class:`BlockResult`). ``documents`` asks for the
    JSON object of each selected match (JSON patterns, :data:`Select.MATCHES`). ``flag`` names
    a text whose presence in a block the result reports (:attr:`BlockResult.flagged`): a
    reader's question about the raw lines, answered where the block is read. For a JSON
    pattern whose candidate lines its needles find, a backslash among them, only those lines
    are asked: a line that cannot match holds no JSON text that could (its text is that
    text, escapes aside). ``heads`` asks
    for the matched lines' first bytes (:attr:`BlockResult.heads`) where a needle that
    decides finds them in ASCII text: a reader of their leading times reads no more.
    """

    def __init__(
        self,
        pattern: str | Pattern | Plan,
        *,
        select: Select = Select.NONE,
        count_not_json: bool = False,
        numbered: bool = False,
        values: bool = False,
        count_messages: bool = True,
        documents: bool = False,
        flag: str | None = None,
        heads: bool = False,
    ) -> None:
        self.plan = plan = plan_for(pattern)
        self._flag = None if flag is None else flag.encode()
        self.count_messages = count_messages
        self.documents = documents and select is Select.MATCHES and plan.is_json
        self.select = select
        self.values = values and select is Select.MATCHES
        self.is_json = plan.is_json
        #: texts any one of which a match holds, to find candidate lines by; empty when every
        #: line must be looked at
        self.texts: tuple[str, ...] = ()
        #: the plan's ``find(block, position)`` over UTF-8 lines, when it has one
        self._search: BlockSearch | None = None
        #: the rest of a line after the needle, when counting lines that hold it is the answer
        self._line_holding: re.Pattern[bytes] | None = None
        #: the needle, when the lines holding it are the matches and their texts are wanted
        self._decided: bytes | None = None
        #: whether the lines the needle finds are handed back as heads, where they may be
        self._heads = False
        self.numbered = numbered
        #: whether the flag is looked for in the candidate lines only (see above)
        self._flag_lines = False
        every_line = select is Select.OTHERS or (count_not_json and self.is_json)
        #: the plan's test of a whole block (space-delimited patterns), when the lines it
        #: finds are all that is wanted
        self._tester = None if every_line or numbered else plan.block_tester
        if every_line:
            return
        self._search = plan.block_search()
        needles = plan.needles
        if needles is not None:
            self.texts = needles.texts + (("\\",) if needles.escape_also else ())
            self._flag_lines = self.is_json and needles.escape_also and self._search is None
            if select is Select.NONE and needles.decides:
                (needle,) = needles.texts
                self._line_holding = re.compile(re.escape(needle.encode()) + rb"[^\n]*")
            elif select is Select.MATCHES and needles.decides and not numbered:
                self._decided = needles.texts[0].encode()
                self._heads = heads and not values

    def scan(self, block: bytes) -> BlockResult:
        """Read, matched and not-JSON counts and the selected messages of one block."""
        result = self._scan(block)
        if self._flag is not None and not self._flag_lines and self._flag in block:
            result.flagged = True
        return result

    def _scan(self, block: bytes) -> BlockResult:
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._tester is not None:
            found = self._tester(block)
            if found is not None:
                return self._tested(block, found)
        if self.is_json:
            if self.texts or self._search is not None:
                return self._json_candidates(block)
            return self._json_lines(block)
        if self.texts or self._search is not None:
            ascii = block.isascii()
            if ascii or _is_utf8(block):
                if self._line_holding is not None:
                    return self._count_lines_holding(block, self._line_holding)
                if self._decided is not None:
                    if self._heads and ascii and b"\0" not in block:
                        return self._line_heads(block, self._decided)
                    return self._lines_holding(block, self._decided)
                return self._text_candidates(block)
            if self.texts:  # not UTF-8: search the text the bytes are read as
                return self._text_candidates(block.decode("utf-8", "replace"))
        return self._text_lines(block.decode("utf-8", "replace"))

    def scan_messages(self, messages: Iterable[str]) -> BlockResult:
        """The result of messages read one by one (an export's events: a message may hold a
        line end, so no block fact is used; each message counts, and is judged alone)."""
        result = BlockResult()
        verdict, extract = self.plan.verdict, self.plan.extract
        select, wants_values = self.select, self.values
        for index, message in enumerate(messages):
            hit = verdict(message)
            if hit is None:
                result.not_json += 1
                if result.first_not_json is None:
                    result.first_not_json = message
            elif hit:
                result.matched += 1
            if select is not Select.NONE and (select is Select.MATCHES) is bool(hit):
                result.selected.append((index, message))
                if wants_values:
                    result.values.append(extract(message) or {})
            result.read += 1
        return result

    # ------------------------------------------------------------------ every line

    def _json_lines(self, block: bytes) -> BlockResult:
        result = BlockResult()
        if self.select is Select.NONE:
            return self._json_count(block, result)
        verdict, select, selected = self.plan.verdict, self.select, result.selected
        values = result.values if self.values else None
        read = matched = not_json = 0
        lines = split_lines(block)
        result.lines = _line_ends(lines, block)
        for line in lines:
            hit = verdict(line)
            if hit is None:
                if _blank(line):
                    continue
                not_json += 1
                if result.first_not_json is None:
                    result.first_not_json = line.decode("utf-8", "replace")
            elif hit:
                matched += 1
            read += 1
            if (select is Select.MATCHES) is bool(hit):  # Select.NONE counts elsewhere
                selected.append((read - 1, line.decode("utf-8", "replace")))
                if values is not None:
                    values.append({})  # a JSON pattern extracts nothing (D28)
                if self.documents:
                    result.documents.append(None)  # its text is read again
        result.read, result.matched, result.not_json = read, matched, not_json
        return result

    def _json_count(self, block: bytes, result: BlockResult) -> BlockResult:
        """:meth:`_json_lines` when only the counts are wanted: the plan judges the lines in
        one loop, and the lines it finds not JSON are looked at for blanks."""
        lines = split_lines(block)
        result.lines = _line_ends(lines, block)
        matched, not_json = self.plan.verdicts(lines)
        blank = 0
        for line in not_json:
            if _blank(line):
                blank += 1
            elif result.first_not_json is None:
                result.first_not_json = line.decode("utf-8", "replace")
        result.read, result.matched = len(lines) - blank, matched
        result.not_json = len(not_json) - blank
        return result

    def _text_lines(self, text: str) -> BlockResult:
        result = BlockResult()
        select, selected = self.select, result.selected
        values = result.values if self.values else None
        matches, extract = self.plan.matches, self.plan.extract
        read = matched = 0
        lines = text.split("\n")
        result.lines = len(lines) - 1
        if lines and not lines[-1]:
            lines.pop()
        for line in lines:
            if not line.strip():
                continue
            read += 1
            if values is not None:  # one pass: the values say whether it matched
                found = extract(line)
                if found is not None:
                    values.append(found)
                hit = found is not None
            else:
                hit = matches(line)
            if hit:
                matched += 1
            if select is not Select.NONE and (select is Select.MATCHES) is hit:
                selected.append((read - 1, line))
        result.read, result.matched = read, matched
        return result

    # ------------------------------------------------------------------ candidate lines

    def _start(self, block: str | bytes) -> BlockResult:
        """A block's result before any line is matched: its messages and line ends counted,
        unless they are not wanted."""
        if not self.count_messages:
            return BlockResult(lines=None)
        if isinstance(block, str):
            return _started(*_count_messages_text(block))
        return _started(*_count_messages_bytes(block))

    def _tested(self, block: bytes, found: list[int]) -> BlockResult:
        """The result of a block whose matching lines the plan's block tester found."""
        result = self._start(block)
        result.matched = len(found)
        if self.select is Select.MATCHES:
            lines = block.split(b"\n")
            texts = [lines[index].decode("utf-8") for index in found]
            result.selected = [(-1, text) for text in texts]
            if self.values:
                extract = self.plan.extract
                result.values = [extract(text) or {} for text in texts]
        return result

    def _text_candidates(self, block: str | bytes) -> BlockResult:
        """Only the lines that hold a needle (or a block search's hit) are decoded and
        matched."""
        if isinstance(block, str):
            result = self._start(block)
            finders = [functools.partial(block.find, text) for text in self.texts]
            lines: Iterator[tuple[int, str]] | Iterator[tuple[int, bytes]]
            lines = _candidate_lines(block, "\n", finders)
        else:
            result = self._start(block)
            lines = _candidate_lines(block, b"\n", self._finders(block))
        matches, extract = self.plan.matches, self.plan.extract
        keep, values = self.select is Select.MATCHES, self.values
        before = _MessagesBefore(block) if self.numbered else None
        for start, line in lines:
            text = line if isinstance(line, str) else line.decode("utf-8")
            if not text.strip():
                continue
            if values:
                found = extract(text)
                if found is None:
                    continue
                result.values.append(found)
            elif not matches(text):
                continue
            result.matched += 1
            if keep:
                result.selected.append((-1 if before is None else before.at(start), text))
        return result

    def _finders(self, block: bytes) -> list[Callable[[int], int]]:
        """``find(position)`` over a block of bytes: the plan's block search, else one per
        needle."""
        if self._search is not None:
            return [self._search(block)]
        return [functools.partial(block.find, text.encode()) for text in self.texts]

    def _lines_holding(self, block: bytes, needle: bytes) -> BlockResult:
        """For a needle that decides, with the matches wanted: the lines holding it, unjudged.
        Where it is on many lines, one split and one filter beat a search per line."""
        result = self._start(block)
        sample = block[:_SAMPLE]
        if sample.count(needle) * _DENSE_HITS > sample.count(b"\n"):
            found = [line for line in block.split(b"\n") if needle in line]
        else:
            found = _lines_holding_bytes(block, needle)
        # scan checked that the block is UTF-8: the lines are decoded at once
        texts = b"\n".join(found).decode("utf-8").split("\n") if found else []
        result.matched = len(texts)
        result.selected = [(-1, line) for line in texts]
        if self.values:
            result.values = [{} for _ in texts]  # a term pattern extracts nothing (D28)
        return result

    def _line_heads(self, block: bytes, needle: bytes) -> BlockResult:
        """:meth:`_lines_holding` handing back the lines' heads, joined, undecoded."""
        result = self._start(block)
        sample = block[:_SAMPLE]
        if sample.count(needle) * _DENSE_HITS > sample.count(b"\n"):
            found = [line for line in block.split(b"\n") if needle in line]
        else:
            found = _heads_holding(block, needle)
        result.matched = len(found)
        result.heads = b"\0" + b"\0".join(found) if found else b""
        return result

    def _count_lines_holding(self, block: bytes, rest_of_line: re.Pattern[bytes]) -> BlockResult:
        """For a needle that decides: the lines holding it are the matches, counted where
        they are found (each search runs on to the line end, so a line counts once)."""
        result = self._start(block)
        result.matched = len(rest_of_line.findall(block))
        return result

    def _json_candidates(self, block: bytes) -> BlockResult:
        result = self._start(block)
        if self.documents:
            return self._json_documents(block, result)
        verdict, keep, values = self.plan.verdict, self.select is Select.MATCHES, self.values
        before = _MessagesBefore(block) if self.numbered else None
        flag = self._flag if self._flag_lines else None
        for start, line in _candidate_lines(block, b"\n", self._finders(block)):
            if flag is not None and flag in line:
                result.flagged = True
            if verdict(line):
                result.matched += 1
                if keep:
                    index = -1 if before is None else before.at(start)
                    result.selected.append((index, line.decode("utf-8", "replace")))
                    if values:
                        result.values.append({})  # a JSON pattern extracts nothing (D28)
        return result

    def _json_documents(self, block: bytes, result: BlockResult) -> BlockResult:
        """:meth:`_json_candidates` handing back the matches' objects too."""
        judged, keep, found = self.plan.judged, result.documents.append, result.selected.append
        before = _MessagesBefore(block) if self.numbered else None
        flag = self._flag if self._flag_lines else None
        for start, line in _candidate_lines(block, b"\n", self._finders(block)):
            if flag is not None and flag in line:
                result.flagged = True
            hit, document = judged(line)
            if hit:
                index = -1 if before is None else before.at(start)
                found((index, line.decode("utf-8", "replace")))
                keep(document)
        result.matched += len(result.documents)
        if self.values:  # a JSON pattern extracts nothing (D28)
            result.values += [{} for _ in result.documents]
        return result


#: With a needle on more than one line in this many, a block is split rather than searched
#: (measured on 1M lines: a search per hit wins up to about half the lines).
_DENSE_HITS = 2
#: The characters of a block's start in which hits and lines are counted to choose.
_SAMPLE = 1 << 16


def _lines_holding_bytes(block: bytes, needle: bytes) -> list[bytes]:
    """The lines of ``block`` (``\n``-separated) that hold ``needle``, each once, in order:
    from each hit to its line's end, then on to the next hit."""
    find, rfind = block.find, block.rfind
    found: list[bytes] = []
    append = found.append
    at = find(needle)
    while at >= 0:
        start = rfind(b"\n", 0, at) + 1
        end = find(b"\n", at)
        if end < 0:
            append(block[start:])
            break
        append(block[start:end])
        at = find(needle, end + 1)
    return found


#: The bytes of a line's head (:attr:`BlockResult.heads`): a leading time of the longest form
#: the backtest reads (``[YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM``, 36 characters) and more.
HEAD_BYTES = 40


def _heads_holding(block: bytes, needle: bytes) -> list[bytes]:
    """The first :data:`HEAD_BYTES` bytes from the start of each line of ``block`` that holds
    ``needle`` (which holds no line end), once per line, in order. A line end between two hits
    says that the second is on a new line; looking back no further than the hit before, the
    block is looked at once."""
    find, rfind = block.find, block.rfind
    step = len(needle)
    at = find(needle)
    if at < 0:
        return []
    start = rfind(b"\n", 0, at) + 1
    heads = [block[start : start + HEAD_BYTES]]
    append = heads.append
    before, at = at, find(needle, at + step)
    while at >= 0:
        end = rfind(b"\n", before, at)
        if end >= 0:
            append(block[end + 1 : end + 1 + HEAD_BYTES])
        before, at = at, find(needle, at + step)
    return heads


class _MessagesBefore:
    """The messages (lines that are not blank) of a block before a line's start, counted
    between candidate lines as they come, so numbering them costs one pass over the block."""

    def __init__(self, block: str | bytes) -> None:
        self._block, self._counted_to, self._messages = block, 0, 0

    def at(self, start: int) -> int:
        """The messages before offset ``start`` (a line's start, at or after the last one)."""
        if start > self._counted_to:
            lines = self._block[self._counted_to : start]
            if isinstance(lines, str):
                self._messages += _count_messages_text(lines)[0]
            else:
                self._messages += _count_messages_bytes(lines)[0]
            self._counted_to = start
        return self._messages


def _candidate_lines(
    block: AnyStr, newline: AnyStr, finders: Sequence[Callable[[int], int]]
) -> Iterator[tuple[int, AnyStr]]:
    """``(start, line)`` for each line of ``block`` where a finder (``find(position) ->
    offset or -1``) finds something, once, in order."""
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
        yield start, block[start:end]
        position = end + 1
        if position > size:
            return
        following = [
            find(position) if 0 <= found < position else found
            for find, found in zip(finders, following, strict=True)
        ]


def _lines_found_by(
    block: AnyStr, newline: AnyStr, find: Callable[[int], int], at: int
) -> Iterator[tuple[int, AnyStr]]:
    """:func:`_candidate_lines` for one finder whose first hit is ``at``."""
    size = len(block)
    rfind, find_newline = block.rfind, block.find
    while at >= 0:
        if at >= size and (not block or block.endswith(newline)):
            return
        start = rfind(newline, 0, at) + 1
        end = find_newline(newline, at)
        if end < 0:
            yield start, block[start:]
            return
        yield start, block[start:end]
        at = find(end + 1)


def _is_utf8(block: bytes) -> bool:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _started(read: int, ends: int) -> BlockResult:
    """A result that knows its messages and line ends, before any is matched."""
    return BlockResult(read=read, lines=ends)

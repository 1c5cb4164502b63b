"""Space-delimited events: splitting a message into tokens (D14) and lining the tokens up with
the fields of a pattern (D15, D28). The matcher, ``explain`` and metric values all read fields
through :class:`FieldLayout`, so they cannot disagree on which text a field holds. The matcher
reads lazily: only as many tokens as its answer depends on (:meth:`FieldLayout.reader`).

>>> split_tokens('127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET / HTTP/1.0" 200')
['127.0.0.1', '-', 'frank', '10/Oct/2000:13:25:15 -0700', 'GET / HTTP/1.0', '200']
>>> layout = FieldLayout(("w1", "w2"), ellipsis_at=None)
>>> layout.assign("ERROR 09/25/2014 12:00:02 Failed to process request\\t\\n")
[(0, 'ERROR'), (1, '09/25/2014 12:00:02 Failed to process request')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Final

from cwquery.ast import DelimitedPattern, EllipsisField

#: D14: the characters that separate tokens (runs of them count as one separator). D15: the rest
#: of a message taken by the last field carries none of them at its end.
BLANKS: Final = " \t\r\n"

#: One token (D14), grouping characters included: a "group", a [group] (each running to the end
#: when unclosed), or a run of non-blank characters. Linear: no alternative can backtrack over
#: another. :func:`token_value` removes the grouping characters.
TOKEN: Final = re.compile(r'"[^"]*(?:"|\Z)|\[[^\]]*(?:\]|\Z)|[^ \t\r\n]+')
_CLOSING = {'"': '"', "[": "]"}

#: A test on a token's bytes (in a plain block, a token's value is its text).
ByteTest = Callable[[bytes], bool]
#: A promise about the values passing a slot's test: they contain ``text`` (at their start
#: when the flag is set).
Hint = tuple[bytes, bool]
#: Tested values of a line split by ``bytes.split``: ``(index into the parts, test)``.
Checks = list[tuple[int, ByteTest]]


def token_value(token: str) -> str:
    """The value of a token matched by :data:`TOKEN`: a group without its characters.

    >>> token_value('"GET / HTTP/1.0"'), token_value("[unclosed"), token_value("plain")
    ('GET / HTTP/1.0', 'unclosed', 'plain')
    """
    closing = _CLOSING.get(token[:1])
    if closing is None:
        return token
    return token[1:-1] if len(token) > 1 and token[-1] == closing else token[1:]


def split_tokens(message: str) -> list[str]:
    """The token values of a message (D14): runs of blanks (space, tab, CR, LF) separate
    tokens; a token that starts with ``"`` or ``[`` runs to the next ``"`` or ``]`` (or to the
    end of the message when there is none), and the grouping characters are not part of its
    value.

    >>> split_tokens('REPORT Duration: 1.5 ms\\t\\n')
    ['REPORT', 'Duration:', '1.5', 'ms']
    """
    return [token_value(token) for token in TOKEN.findall(message)]


def rest_of_message(message: str, start: int) -> str:
    """D15: the message from offset ``start`` (where a token begins) to its end, without
    trailing blanks.

    >>> rest_of_message('a "b c" d \\t\\n', 2)
    '"b c" d'
    """
    return message[start:].rstrip(BLANKS)


_SKIP: Final = f"[{BLANKS}]*+"
#: At most this many slots after ``...`` are read by one pattern that gives tokens back from
#: the end (each given-back token is read again per slot: a bounded factor stays linear).
_TAIL_BY_PATTERN: Final = 4
#: One token for a pattern built from :data:`TOKEN`: atomic, so a token is taken exactly as
#: ``findall`` takes it and no later failure can make the engine cut it another way.
_ATOM: Final = f"(?>{TOKEN.pattern})"


def _value(token: str) -> str:
    return token_value(token) if token[:1] in _CLOSING else token


@dataclass(frozen=True, slots=True)
class FieldLayout:
    """Where each non-``...`` field of a pattern takes its token from.

    ``slots`` lists the fields in order (their names, or ``None`` when unnamed), without the
    ellipsis; ``ellipsis_at`` is the index the ``...`` had among them, or ``None``.
    """

    slots: Sequence[str | None]
    ellipsis_at: int | None

    @classmethod
    def of(cls, pattern: DelimitedPattern) -> FieldLayout:
        """The layout of a space-delimited pattern's fields."""
        slots = [f.name for f in pattern.fields if not isinstance(f, EllipsisField)]
        ellipsis = [i for i, f in enumerate(pattern.fields) if isinstance(f, EllipsisField)]
        return cls(tuple(slots), ellipsis[0] if ellipsis else None)

    @property
    def counts_from_end(self) -> bool:
        """True when slots follow the ``...``: their tokens depend on the message's count."""
        return self.ellipsis_at is not None and self.ellipsis_at < len(self.slots)

    def reader(self, chosen: Sequence[int]) -> Callable[[str], list[str] | None]:
        """``read(message)``: the values of the ``chosen`` slots (indexes into :attr:`slots`),
        or ``None`` when the message has fewer tokens than the pattern has slots. Slots after
        ``...`` are counted from the end; without ``...`` the last slot takes the rest of the
        message when there are more tokens than slots (D15).

        Reading is lazy and stops as soon as the answer cannot change:

        * no ``...``: the first ``len(slots)`` tokens, and when the last slot is chosen, whether
          one more token follows (that decides between its token and the rest of the message);
        * ``...`` last: the first ``len(slots)`` tokens;
        * slots after ``...``: the whole message, as their positions depend on the count.

        One regular expression built from :data:`TOKEN` reads the message, each token an
        atomic group, so the tokens are exactly those of :func:`split_tokens`.

        >>> FieldLayout(("a", "b"), None).reader([1])('x "y z" w ')
        ['"y z" w']
        >>> FieldLayout(("a", "b"), 2).reader([1])('x "y z" w ')
        ['y z']
        >>> FieldLayout(("a", "b"), 0).reader([0, 1])('x "y z" w ')
        ['y z', 'w']
        """
        wanted, after = len(self.slots), self.ellipsis_at
        if after is not None and wanted - after > _TAIL_BY_PATTERN:
            return self._long_tail_reader(chosen)
        picked = set(chosen)
        rest_slot = wanted - 1 if after is None and wanted - 1 in picked else None
        parts = [r"\A"]
        for slot in range(wanted):
            if slot == after:
                parts.append(f"(?:{_SKIP}{_ATOM})*")  # greedy: gives tokens back one by one
            parts.append(f"{_SKIP}({_ATOM})" if slot in picked else f"{_SKIP}{_ATOM}")
        if rest_slot is not None:
            parts.append(f"{_SKIP}((?s:.))?")  # set when another token follows
        elif self.counts_from_end:
            parts.append(rf"{_SKIP}\Z")
        match = re.compile("".join(parts)).match
        group = {slot: number for number, slot in enumerate(sorted(picked), start=1)}
        plan = [(group[slot], slot == rest_slot) for slot in chosen]
        more = len(picked) + 1

        def read(message: str) -> list[str] | None:
            found = match(message)
            if found is None:
                return None
            values = []
            for number, takes_rest in plan:
                if takes_rest and found.group(more) is not None:
                    values.append(rest_of_message(message, found.start(number)))
                else:
                    values.append(_value(found.group(number)))
            return values

        return read

    def _long_tail_reader(self, chosen: Sequence[int]) -> Callable[[str], list[str] | None]:
        """:meth:`reader` for many slots after ``...``: the tokens before it through one
        pattern, then every later token in a list (a pattern giving tokens back one by one
        would read the last ones again for each slot after ``...``)."""
        after = self.ellipsis_at
        assert after is not None
        head = [slot for slot in chosen if slot < after]
        parts = [
            f"{_SKIP}({_ATOM})" if slot in head else f"{_SKIP}{_ATOM}" for slot in range(after)
        ]
        match = re.compile(r"\A" + "".join(parts)).match
        group = {slot: number for number, slot in enumerate(sorted(head), start=1)}
        tail_size = len(self.slots) - after
        findall = TOKEN.findall

        def read(message: str) -> list[str] | None:
            found = match(message)
            if found is None:
                return None
            later = findall(message, found.end())
            if len(later) < tail_size:
                return None
            values = []
            for slot in chosen:
                token = found.group(group[slot]) if slot < after else later[slot - len(self.slots)]
                values.append(_value(token))
            return values

        return read

    def tester(self, tests: Mapping[int, Callable[[str], bool]]) -> Callable[[str], bool]:
        """``test(message)``: whether every slot's token passes its test (``tests`` by slot
        index), reading as little as :meth:`reader` allows. When slots follow ``...`` the
        slots before it are read and tested first: if one fails, the answer is known without
        reading the rest of the message.

        >>> test = FieldLayout(("a", "b", "c"), 1).tester({0: str.isdigit, 2: str.isalpha})
        >>> test("1 x y z"), test("1 x y 2"), test("a x y z"), test("1")
        (True, False, False, False)
        """
        chosen = sorted(tests)
        after = self.ellipsis_at if self.counts_from_end else None
        head = [slot for slot in chosen if after is not None and slot < after]
        if after is None or not head:
            return _all_pass(self.reader(chosen), [tests[slot] for slot in chosen])
        tail = [slot for slot in chosen if slot >= after]
        head_passes = _all_pass(
            FieldLayout(self.slots[:after], after).reader(head), [tests[s] for s in head]
        )
        tail_passes = _all_pass(self.reader(tail), [tests[slot] for slot in tail])
        return lambda message: head_passes(message) and tail_passes(message)

    def plain_block_tester(
        self,
        tests: Mapping[int, ByteTest],
        hints: Mapping[int, Hint] | None = None,
        leads: Mapping[int, bytes] | None = None,
    ) -> Callable[[bytes], list[int] | None]:
        """``test(block)``: for a block of lines separated by ``\\n``, the indexes (into
        ``block.split(b"\\n")``) of the messages whose slots pass ``tests`` (by slot index, on
        the token's bytes), or ``None`` when the block is not :func:`is_plain`. Lines that are
        only whitespace are no messages and never listed.

        ``hints`` may promise, by slot, a ``(text, at_start)`` that every value passing the
        slot's test contains (at its start when ``at_start``): then only the lines holding the
        text are split and tested. ``leads`` may promise, by slot, a regular expression (on
        bytes) that the start of every passing value matches: the token after a hinted one
        must then start so, too.

        >>> test = FieldLayout(("a", "b"), 2).plain_block_tester({1: b"5".__eq__})
        >>> test(b"x 5 y\\n\\nx 4\\n z  5\\n"), test(b'x "5"')
        ([0, 3], None)
        """
        checks, most = self._plain_checks(tests)
        needle = self._needle(hints or {})
        if needle is not None and needle[0] and b"\n" not in needle[0] and b"\r" not in needle[0]:
            text, blank_first, slot = needle
            following = self._next_slot(slot)
            follow = None if following is None else (leads or {}).get(following)
            line_passes = _line_test(checks, most, len(self.slots))
            return _block_test_by_needle(line_passes, text, blank_first, follow)
        passing = _lines_passing(checks, most, len(self.slots))

        def test_block(block: bytes) -> list[int] | None:
            if not is_plain(block):
                return None
            lines = block.split(b"\n")
            return [index for index in passing(lines) if _is_message(lines[index])]

        return test_block

    def _needle(self, hints: Mapping[int, Hint]) -> tuple[bytes, bool, int] | None:
        """The longest hinted text a line must hold, whether a blank must come before it (the
        text starts a value whose token is never a line's first), and its slot."""
        best: tuple[bytes, bool, int] | None = None
        for slot, (text, at_start) in hints.items():
            after = self.ellipsis_at
            never_first = slot >= 1 if after is None or slot < after else after >= 1
            candidate = (text, at_start and never_first, slot)
            if best is None or len(text) + candidate[1] > len(best[0]) + best[1]:
                best = candidate
        return best

    def _next_slot(self, slot: int) -> int | None:
        """The slot whose token always follows ``slot``'s own (its value one token), if any."""
        after, wanted = self.ellipsis_at, len(self.slots)
        following = slot + 1
        if following >= wanted or (after is not None and slot < after <= following):
            return None
        return following

    def _plain_checks(self, tests: Mapping[int, ByteTest]) -> tuple[Checks, int]:
        """Where each tested slot's value sits in ``line.split(None, most)`` of a line of a
        plain block (an index, negative when counted from the end) with its test, and
        ``most``."""
        wanted, after = len(self.slots), self.ellipsis_at
        checks: Checks = []
        for slot, test in tests.items():
            if after is None and slot == wanted - 1:
                checks.append((slot, _on_rest(test)))  # D15: the rest of the line
            elif after is not None and slot >= after:
                checks.append((slot - wanted, test))  # counted from the end
            else:
                checks.append((slot, test))
        if after is None:
            most = wanted - 1
        elif after == wanted:
            most = wanted if wanted - 1 in tests else wanted - 1
        else:
            most = -1
        return checks, most

    def positions(self, token_count: int) -> list[int]:
        """The 0-based token position of each slot in a message of ``token_count`` tokens."""
        if self.ellipsis_at is None:
            return list(range(len(self.slots)))
        after = len(self.slots) - self.ellipsis_at
        return list(range(self.ellipsis_at)) + list(range(token_count - after, token_count))

    def assign(self, message: str) -> list[tuple[int, str]] | None:
        """``(token position, value)`` for each slot, or ``None`` when the message has too few
        tokens (the values :meth:`reader` gives for every slot)."""
        values = self.reader(range(len(self.slots)))(message)
        if values is None:
            return None
        return list(zip(self.positions(len(TOKEN.findall(message))), values, strict=True))

    def values_by_position(self, message: str) -> dict[int, str] | None:
        """Every token's value by 0-based position (a slot that takes the rest of the message
        gives that rest), or ``None`` when the message has too few tokens."""
        assigned = self.assign(message)
        if assigned is None:
            return None
        values = dict(assigned)
        if self.ellipsis_at is not None or not self.slots:
            for position, value in enumerate(split_tokens(message)):
                values.setdefault(position, value)
        return dict(sorted(values.items()))

    def extracted_values(self, message: str) -> dict[str, str] | None:
        """TestMetricFilter's ``extractedValues`` (D28): ``$name`` for named fields, ``$N``
        (1-based position) for unnamed fields and for tokens under ``...``."""
        values = self.values_by_position(message)
        return None if values is None else self.named(values)

    def named(self, values: dict[int, str]) -> dict[str, str]:
        """``extractedValues`` keys for values by position (from :meth:`values_by_position`)."""
        names = self.names_by_position(len(values))
        return {
            f"${names[position]}" if names.get(position) else f"${position + 1}": value
            for position, value in values.items()
        }

    def names_by_position(self, token_count: int) -> dict[int, str | None]:
        """The slot name at each token position, for a message of ``token_count`` tokens."""
        return dict(zip(self.positions(token_count), self.slots, strict=True))


def _all_pass(
    read: Callable[[str], list[str] | None], checks: Sequence[Callable[[str], bool]]
) -> Callable[[str], bool]:
    """A test that reads values with ``read`` and passes when there are some and each passes
    its check (in order, stopping at the first failure)."""

    def test(message: str) -> bool:
        values = read(message)
        if values is None:
            return False
        for check, value in zip(checks, values):  # noqa: B905, SIM110 - a loop is faster
            if not check(value):
                return False
        return True

    return test


# --------------------------------------------------------------------------- plain blocks

#: Bytes that make a block not "plain": ``bytes.split()`` also splits on vertical tab and form
#: feed, which are no blanks here (D14). ``"`` and ``[`` only matter at a token's start.
_SPLIT_ONLY: Final = (b"\x0b", b"\x0c")
_GROUP_OPENERS: Final = tuple(
    before + opener for before in (b" ", b"\t", b"\r", b"\n") for opener in (b'"', b"[")
)
_BLANK_BYTES: Final = BLANKS.encode()


def is_plain(block: bytes) -> bool:
    """Whether ``bytes.split()`` splits each line of ``block`` into the tokens of D14: the block
    is UTF-8, holds no vertical tab or form feed, and no token starts with ``"`` or ``[`` (so
    every token's value is its text).

    >>> is_plain(b'a b\\tc\\n  d  e'), is_plain(b'a="x" [y'), is_plain(b'x "a b"')
    (True, False, False)
    >>> is_plain(b"\\xff"), is_plain(b"a\\x0bb")
    (False, False)
    >>> is_plain(b'key="v" n[0]=1')
    True
    """
    if not block.isascii():
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            return False
    for byte in _SPLIT_ONLY:
        if byte in block:
            return False
    if b'"' in block or b"[" in block:
        if block[:1] in (b'"', b"["):
            return False
        for opener in _GROUP_OPENERS:
            if opener in block:
                return False
    return True


def _is_message(line: bytes) -> bool:
    """Whether a line of a UTF-8 block is a message: not only whitespace once decoded."""
    stripped = line.strip()
    if not stripped:
        return False
    first = stripped[0]
    return (0x20 < first < 0x7F) or bool(line.decode("utf-8").strip())


def _line_test(checks: Checks, most: int, wanted: int) -> ByteTest:
    """``passes(line)`` for a line of a plain block: whether ``line.split(None, most)`` has
    the ``wanted`` tokens and each checked value passes its test."""
    split = bytes.split
    if wanted == 0:
        return lambda line: True
    if len(checks) == 1:
        ((index, test),) = checks
        return lambda line: len(parts := split(line, None, most)) >= wanted and test(parts[index])

    def passes(line: bytes) -> bool:
        parts = split(line, None, most)
        if len(parts) < wanted:
            return False
        for index, test in checks:  # noqa: SIM110 - a loop is faster
            if not test(parts[index]):
                return False
        return True

    return passes


def _lines_passing(checks: Checks, most: int, wanted: int) -> Callable[[list[bytes]], list[int]]:
    """``passing(lines)``: the indexes of the lines that pass :func:`_line_test`, with the
    common cases written out in one comprehension each (no call per line but the tests')."""
    split = bytes.split
    if len(checks) == 1 and wanted:
        ((first, test1),) = checks
        return lambda lines: [
            index
            for index, line in enumerate(lines)
            if len(parts := split(line, None, most)) >= wanted and test1(parts[first])
        ]
    if len(checks) == 2:
        (first, test1), (second, test2) = checks
        return lambda lines: [
            index
            for index, line in enumerate(lines)
            if len(parts := split(line, None, most)) >= wanted
            and test1(parts[first])
            and test2(parts[second])
        ]
    passes = _line_test(checks, most, wanted)
    return lambda lines: list(compress(range(len(lines)), map(passes, lines)))


def _on_rest(test: ByteTest) -> ByteTest:
    """``test`` on the rest of a line as a slot takes it (D15): without trailing blanks."""
    return lambda rest: test(rest.rstrip(_BLANK_BYTES))


def _block_test_by_needle(
    line_passes: ByteTest, text: bytes, blank_first: bool, follow: bytes | None
) -> Callable[[bytes], list[int] | None]:
    """A block test that splits and tests only the lines holding ``text`` (with a blank before
    it when ``blank_first``; then, when ``follow`` is given, the rest of the token, blanks and
    a start of the next token that matches ``follow``), counting line ends to give each
    line's index. ``text`` holds no line end."""
    found_after = b"" if follow is None else rb"[^ \t\r\n]*[ \t\r]+(?:" + follow + b")"
    bare = re.compile(re.escape(text) + found_after).finditer
    spaced = re.compile(re.escape(b" " + text) + found_after).finditer if blank_first else bare

    def test_block(block: bytes) -> list[int] | None:
        if not is_plain(block):
            return None
        finditer = spaced if b"\t" not in block and b"\r" not in block else bare
        find, count, rfind = block.find, block.count, block.rfind
        found: list[int] = []
        index = scanned = 0
        end = -1
        for hit in finditer(block):
            at = hit.start()
            if at < end:
                continue  # the line was tested already
            start = rfind(b"\n", 0, at) + 1
            end = find(b"\n", at)
            if end < 0:
                end = len(block)
            line = block[start:end]
            # a passing line holds a token: when it starts with one, it is a message
            if line_passes(line) and (0x20 < line[0] < 0x7F or _is_message(line)):
                index += count(b"\n", scanned, at)
                scanned = at
                found.append(index)
        return found

    return test_block

"""One compiled plan per pattern: everything a reader needs to judge messages, decided here.

A :class:`Plan` holds the pattern's verdict on a message (match, no match, or not JSON for a
JSON pattern, D10), its values (D28), its explanation, and the facts the fast readers use to
skip lines: the texts every match contains (:class:`Needles`) and, for a regex pattern, the
search over a block of lines, on a program built with the bounded RE2 options (D31). Readers
(:mod:`cwquery.logs.blocks`, the CLI, the emulator, the playground, Spark) only read and count; they
never re-derive a rule. A plan pickles as its tree, so a worker process rebuilds it once.

>>> plan = plan_for('{ $.level = "ERROR" }')
>>> plan.verdict('{"level": "ERROR"}'), plan.verdict(b'{"level": "INFO"}'), plan.verdict("x")
(True, False, None)
>>> plan.needles
Needles(texts=('ERROR',), decides=False, escape_also=True)
>>> plan_for("ERROR").needles
Needles(texts=('ERROR',), decides=True, escape_also=False)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AnyStr

import orjson

from cwquery.ast import (
    DelimitedPattern,
    JsonPattern,
    Pattern,
    RegexPattern,
    TermPattern,
)
from cwquery.compiler import Matcher, compile, json_predicate
from cwquery.prefilter import literal_order, required_literals
from cwquery.regex import RegexProblem, block_program
from cwquery.semantics import NOT_JSON, in_raw_bytes, load_json_event, term_groups

if TYPE_CHECKING:
    from cwquery.explanation import Explanation

#: ``find(position) -> offset of the next possible hit at or after position, or -1``
Find = Callable[[int], int]
#: ``search(block) -> find``: the hits of a block, found by one search over it
BlockSearch = Callable[[bytes], Find]
#: ``test(block) -> the indexes of its matching lines, or None`` (a block it does not read)
BlockTester = Callable[[bytes], "list[int] | None"]
#: ``verdict(message) -> True | False | None`` (None: not JSON)
Verdict = Callable[[str | bytes], bool | None]
#: ``judged(message) -> (verdict, the JSON object read at once, or None)``
Judged = Callable[[str | bytes], tuple["bool | None", Any]]
#: ``verdicts(messages) -> (matched, the messages that are not JSON, in order)``
Verdicts = Callable[[Iterable[AnyStr]], tuple[int, list[AnyStr]]]
_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Needles:
    """Texts of which every matching message holds at least one (a reader encodes them).

    ``decides``: a message holding ``texts[0]`` (the only text) is a match, whatever else it
    holds, so a reader whose messages are exactly the non-blank lines may count it unconfirmed.
    ``escape_also``: a JSON message with a backslash is a candidate too (``\\u0045`` can spell
    any character), so a JSON needle never decides.
    """

    texts: tuple[str, ...]
    decides: bool = False
    escape_also: bool = False


class Plan:
    """A compiled pattern and its facts; made only by :func:`plan_for` (cached by tree).

    Attributes:
        pattern: the syntax tree.
        text: the canonical pattern text.
        matcher: the compiler's :class:`~cwquery.compiler.Matcher`.
        is_json: whether the pattern is a JSON pattern (then a message may be "not JSON").
        needles: :class:`Needles`, or ``None`` when every message is a candidate.
        verdict: ``verdict(message: str | bytes) -> True | False | None`` (None: not JSON).
        judged: ``judged(message) -> (verdict, document)``: the verdict, and for a JSON
            pattern the object orjson read the message as at once (``None`` when it did not:
            then a reader wanting a field reads the message's text again).
        verdicts: ``verdicts(messages) -> (matched, the messages that are not JSON)``: the
            verdict of many messages in one loop (a count's whole cost).
        matches: ``matches(message: str) -> bool``.
        block_tester: for a space-delimited pattern, ``test(block)``: the indexes (into
            ``block.split(b"\\n")``) of the lines of a block of ``\\n``-separated lines that
            are matching messages, or ``None`` when the block is not one the tester reads
            (:func:`~cwquery.delimited_bytes.block_tester`); ``None`` for other patterns.
    """

    __slots__ = (
        "_block_search",
        "block_tester",
        "is_json",
        "judged",
        "matcher",
        "matches",
        "needles",
        "pattern",
        "text",
        "verdict",
        "verdicts",
    )

    def __init__(self, matcher: Matcher) -> None:
        tree = matcher.pattern
        self.matcher = matcher
        self.pattern: Pattern = tree
        self.text = matcher.text
        self.matches = matcher.matches
        self.is_json = isinstance(tree, JsonPattern)
        self.needles = _needles(tree)
        self._block_search = _block_search(tree, self.needles)
        self.block_tester: BlockTester | None = None
        if isinstance(tree, DelimitedPattern):
            from cwquery.delimited_bytes import block_tester  # only these patterns need it

            self.block_tester = block_tester(tree)
        self.judged: Judged
        if isinstance(tree, JsonPattern):
            self.verdict, self.verdicts, self.judged = _json_verdict(tree)
        else:
            self.verdict = _verdict(self)
            self.verdicts = functools.partial(_verdicts, self.verdict)
            self.judged = functools.partial(_judged, self.verdict)

    def extract(self, message: str) -> dict[str, str] | None:
        """``extractedValues`` of a matching message (D28), ``None`` when it does not match:
        one pass, so a reader that wants values never matches first."""
        return self.matcher.extract(message)

    def block_search(self) -> BlockSearch | None:
        """For a block of lines (UTF-8 for a regex pattern; any bytes for a JSON pattern):
        ``search(block)`` gives ``find(position)``, the offset of the next possible hit at or
        after ``position`` (-1 when none), positions asked in increasing order. A hit names a
        candidate line that :attr:`verdict` confirms; ``None`` when the plan has no such search
        (then readers look for :attr:`needles`)."""
        return self._block_search

    def explain(self, message: str) -> Explanation:
        """Why ``message`` matches or not (:func:`cwquery.explanation.explain`)."""
        from cwquery.explanation import explain  # only explanations need it

        return explain(self.pattern, message)

    def spans(self, message: str) -> list[tuple[int, int]]:
        """Where the conditions that hold on ``message`` point, as a tail colours them
        (:func:`cwquery.spans.match_spans`)."""
        from cwquery.spans import match_spans  # only colouring needs it

        return match_spans(self.pattern, message)

    def __reduce__(self) -> tuple[Callable[[Pattern], Plan], tuple[Pattern]]:
        """A plan pickles as its tree: a worker process builds it again, once."""
        return plan_for, (self.pattern,)

    def __repr__(self) -> str:
        return f"Plan({self.text!r})"


def plan_for(pattern: str | Pattern | Plan) -> Plan:
    """The plan of pattern text, a tree or a plan (cached by tree, as the compiler's cache is).

    Raises:
        PatternError: the text is not a valid pattern.
    """
    if isinstance(pattern, Plan):
        return pattern
    return _plan_of(compile(pattern).pattern)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _plan_of(tree: Pattern) -> Plan:
    return Plan(compile(tree))


def _verdict(plan: Plan) -> Verdict:
    """The verdict of a pattern that is not JSON: its match. Bytes are read as the UTF-8 text
    they spell (bytes that are not UTF-8 as U+FFFD)."""
    matches = plan.matches

    def verdict(message: str | bytes) -> bool | None:
        if not isinstance(message, str):
            message = bytes(message).decode("utf-8", "replace")
        return matches(message)

    return verdict


def _verdicts(verdict: Verdict, messages: Iterable[AnyStr]) -> tuple[int, list[AnyStr]]:
    matched, not_json = 0, []
    for message in messages:
        hit = verdict(message)
        if hit:
            matched += 1
        elif hit is None:
            not_json.append(message)
    return matched, not_json


def _judged(verdict: Verdict, message: str | bytes) -> tuple[bool | None, Any]:
    return verdict(message), None


def _json_verdict(tree: JsonPattern) -> tuple[Verdict, Verdicts[Any], Judged]:
    """The verdict of a JSON pattern, from one parse: orjson first, then D10's reader; the
    same over many messages, its common case (orjson reads an object) in the loop; and the
    verdict with the object orjson read."""
    predicate = json_predicate(tree)
    loads = orjson.loads

    def verdict(message: str | bytes) -> bool | None:
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

    def verdicts(messages: Iterable[AnyStr]) -> tuple[int, list[AnyStr]]:
        matched, not_json = 0, []
        for message in messages:
            try:
                document = loads(message)
            except ValueError:
                hit = verdict(message)
            else:
                hit = bool(predicate(document)) if type(document) is dict else None
            if hit:
                matched += 1
            elif hit is None:
                not_json.append(message)
        return matched, not_json

    def judged(message: str | bytes) -> tuple[bool | None, Any]:
        try:
            document = loads(message)
        except ValueError:
            return verdict(message), None
        if type(document) is not dict:
            return None, None
        return bool(predicate(document)), document

    return verdict, verdicts, judged


# --------------------------------------------------------------------------- needles


def _needles(tree: Pattern) -> Needles | None:
    """The one rule for the texts a reader may look for first (D32's raw-text rule): the
    literals :func:`~cwquery.prefilter.required_literals` finds (values before keys, the
    longest), or a term pattern's terms. ``None`` when a text could not be found in raw bytes
    (U+FFFD appears only when bytes are decoded; a lone surrogate has no bytes) or in one line.
    """
    if isinstance(tree, TermPattern):
        texts, decides = _term_needles(tree)
        escape_also = False
    elif isinstance(tree, JsonPattern | DelimitedPattern):
        texts = literal_order(required_literals(tree))[:1]  # the raw-text rejection's first
        if any("\n" in text or "\r" in text for text in texts):
            return None
        decides, escape_also = False, isinstance(tree, JsonPattern)
    else:
        return None
    if not texts or not all(texts) or not all(map(in_raw_bytes, texts)):
        return None
    return Needles(texts, decides, escape_also)


def _term_needles(tree: TermPattern) -> tuple[tuple[str, ...], bool]:
    """A term pattern's needles (the longest required term, or every ``?`` term) and whether
    they decide: one term, nothing excluded, not all whitespace (a blank line is no message)
    and no line end in it (never within one line).

    >>> from cwquery import parse
    >>> _term_needles(parse("ERROR")), _term_needles(parse("ERROR -x"))
    ((('ERROR',), True), (('ERROR',), False))
    """
    groups = term_groups(tree)
    if groups.required:
        texts: tuple[str, ...] = (max(groups.required, key=len),)
    elif not groups.excluded:
        texts = groups.any_of
    else:
        return (), False
    decides = (
        len(texts) == 1
        and bool(texts[0].strip())
        and "\n" not in texts[0]
        and "\r" not in texts[0]
        and not groups.excluded
        and (groups.required == texts or groups.any_of == texts)
    )
    return texts, decides


# --------------------------------------------------------------------------- block searches


def _block_search(tree: Pattern, needles: Needles | None) -> BlockSearch | None:
    """The block-level search of a pattern, chosen here and only here."""
    if isinstance(tree, RegexPattern):
        return _regex_block_search(tree.regex.source)
    if isinstance(tree, JsonPattern | DelimitedPattern):
        return _json_block_search(tree, needles)
    return None


def _json_block_search(
    tree: JsonPattern | DelimitedPattern, needles: Needles | None
) -> BlockSearch | None:
    """The candidate search over a block for a JSON pattern whose needles are no value
    (``{ $.i > 90 }`` has only the key ``"i"``): the most selective of
    :func:`~cwquery.candidates.json_candidate_searches`, or a backslash (an escape can spell any
    character), run once over the block. A value needle (``= "ERROR"``) beats any regex: a
    ``bytes.find`` costs far less than a call into RE2. Space-delimited patterns have none."""
    if not isinstance(tree, JsonPattern):
        return None
    if needles is not None and not needles.texts[0].startswith('"'):
        return None  # a value literal: the needle is the better search
    from cwquery.candidates import candidate_program, json_candidate_searches

    searches = json_candidate_searches(tree)
    if not searches or searches[0].rank >= _KEY_ONLY:
        return None  # no better than the key needle
    program = candidate_program(f"(?:{searches[0].source})|\\\\")
    return functools.partial(_hits, program.finditer)


#: A candidate search of this rank finds little more than the key (see CandidateRegex.rank).
_KEY_ONLY = 3


def _hits(finditer: Callable[[bytes], Iterator[Any]], block: bytes) -> Find:
    """``find(position)`` over the matches of one pass of ``finditer`` over ``block``."""
    matches = finditer(block)
    last = -1

    def find(position: int) -> int:
        nonlocal last
        while last < position:
            found = next(matches, None)
            if found is None:
                last = len(block) + 1
                return -1
            last = int(found.start())
        return last if last <= len(block) else -1

    return find


def _regex_block_search(source: str) -> BlockSearch | None:
    """A regex pattern's search over a block of lines, on the bounded program of
    :func:`~cwquery.regex.block_program`. ``\\s`` and ``[^x]`` can match a line end, so a hit
    may span two lines: it only names the candidate line where it starts."""
    try:
        search = block_program(source).search
    except RegexProblem:
        return None

    def finder(block: bytes) -> Find:
        def find(position: int) -> int:
            found: Any = search(block, position)
            return -1 if found is None else int(found.start())

        return find

    return finder

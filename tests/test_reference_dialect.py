"""The reference interpreter's own regex dialect and number syntax (tests/reference_dialect.py)
agree with production's (``cwquery.regex``, ``cwquery.numbers``) over the compliance suite and
over generated cases, so the reference properties (D32) no longer share those engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import reference
from fastpath_strategies import REGEXES
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from reference_dialect import Unsupported, search, spells_number, translate
from strategies import _REGEX_PIECES

from cwquery import PatternError, parse
from cwquery.ast import Number, Regex, RegexPattern, walk
from cwquery.numbers import NUMBER_SYNTAX
from cwquery.regex import RegexProblem, check_regex, compile_regex

SUITE = Path(__file__).parent / "compliance"
#: Valid in production but outside the reference's dialect (the spec does not name them).
NOT_TRANSLATED = {"[[:alpha:]]", "a{9999999999}"}


def _groups() -> Iterator[tuple[list[str], list[str]]]:
    """``(messages, patterns)`` of every group of the compliance suite."""
    for path in sorted(SUITE.glob("*.json")):
        if path.name == "schema.json":
            continue
        for group in json.loads(path.read_text(encoding="utf-8"))["groups"]:
            yield group["messages"], [case["pattern"] for case in group["cases"]]


def _json_texts(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        yield from (text for item in value.values() for text in _json_texts(item))
    elif isinstance(value, list):
        yield from (text for item in value for text in _json_texts(item))
    elif isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value) if isinstance(value, int) else repr(value)


def _texts(messages: list[str]) -> list[str]:
    """What a regex may be tried on: each message, its tokens and its JSON values."""
    found = list(messages)
    for message in messages:
        found += [value for _, value in reference.tokenize(message)]
        document = reference.read_json(message)
        if isinstance(document, dict):
            found += list(_json_texts(document))
    return found


def _compliance_regexes() -> dict[str, list[str]]:
    """Each valid regex body of the suite, with the texts of its groups."""
    found: dict[str, list[str]] = {}
    for messages, patterns in _groups():
        for text in patterns:
            try:
                tree = parse(text)
            except PatternError:
                continue
            nodes = [tree.regex] if isinstance(tree, RegexPattern) else list(walk(tree))
            for node in nodes:
                if isinstance(node, Regex):
                    found.setdefault(node.source, []).extend(_texts(messages))
    return found


_PROBES = ["", " ", "\t", "\n", "\r", "\f", "x y", "a\nb", "?", "é", "\ud800", "_", "٣", "\uff41"]


def test_the_compliance_regexes_search_alike() -> None:
    regexes = _compliance_regexes()
    compared = 0
    for body, texts in regexes.items():
        if body in NOT_TRANSLATED:
            with pytest.raises(Unsupported):
                translate(body)
            continue
        production = compile_regex(body)
        for text in [*texts, *_PROBES]:
            assert search(body, text) is (production(text) is not None), (body, text)
            compared += 1
    assert len(regexes) >= 40 and compared >= 1500, (len(regexes), compared)


def test_the_reference_refuses_what_production_refuses_by_character() -> None:
    """Bodies production rejects for a character or an escape are not translated either."""
    for messages, patterns in _groups():
        del messages
        for text in patterns:
            body = text.strip()[1:-1] if text.strip().startswith("%") else None
            if body is None:
                continue
            try:
                check_regex(body)
            except RegexProblem as problem:
                if problem.chars or "escape" in problem.message:
                    with pytest.raises(Unsupported):
                        translate(body)


def _compliance_numbers() -> set[str]:
    found: set[str] = set()
    for messages, patterns in _groups():
        for message in messages:
            found.update(value for _, value in reference.tokenize(message))
            found.update(message.split())
        for text in patterns:
            try:
                tree = parse(text)
            except PatternError:
                continue
            found.update(n.text for n in walk(tree) if isinstance(n, Number))
    return found


def test_the_compliance_tokens_spell_numbers_alike() -> None:
    texts = _compliance_numbers()
    numbers = [t for t in texts if spells_number(t)]
    for text in texts:
        assert spells_number(text) is (NUMBER_SYNTAX.fullmatch(text) is not None), text
    assert len(texts) >= 500 and len(numbers) >= 50, (len(texts), len(numbers))


@settings(max_examples=1000)
@given(st.text("0123456789+-.eE x٣\n", max_size=12))
def test_generated_texts_spell_numbers_alike(text: str) -> None:
    event("a number" if spells_number(text) else "not a number")
    assert spells_number(text) is (NUMBER_SYNTAX.fullmatch(text) is not None)


# ------------------------------------------------------------------------ generated regexes

_ATOMS = [
    *"ab0_: -#=@/;,",
    ".",
    r"\d",
    r"\D",
    r"\s",
    r"\S",
    r"\w",
    r"\W",
    r"\x3A",
    r"\x3f",
    r"\.",
    r"\*",
    r"\[",
    r"\]",
    r"\\",
    r"\-",
    "[a-c]",
    "[^a-c]",
    "[\\S]",
    "[^\\S]",
    "[a\\d]",
    "[^a\\W]",
    "[]a]",
    "[^]]",
    "[a-]",
    "[.*+?]",
    "[\\x20-\\x2f]",
    "[\\x41-\\x5a]",
    "[\\s\\S]",
    "[^\\d\\s]",
    "[\\D\\S]",
    "[^\\D\\S]",
    "[\\w-]",
    "[\\.]",
    "[\\]]",
    "[a\\-c]",
    "[a^]",
    "[$]",
    r"\^",
    r"\ ",
    r"\:",
]
_QUANTIFIERS = ["", "", "", "?", "*", "+", "{2}", "{1,}", "{,2}", "{0,1}", "{0}", "*?", "+?", "??"]


@st.composite
def dialect_regexes(draw: st.DrawFn) -> str:
    """A body of the dialect: atoms with at most one quantifier, anchors, ``|``."""
    branches = []
    for _ in range(draw(st.integers(1, 2))):
        pieces = ["^"] if draw(st.integers(0, 4)) == 0 else []
        for _ in range(draw(st.integers(1, 4))):
            pieces += [draw(st.sampled_from(_ATOMS)), draw(st.sampled_from(_QUANTIFIERS))]
        pieces += ["$"] if draw(st.integers(0, 4)) == 0 else []
        branches.append("".join(pieces))
    return "|".join(branches)


_TEXT_ALPHABET = "ab0c_: -#=@/;,.*[]\\?^$AZ\t\n\r\x0c é\ud800٣"


@settings(max_examples=1000, deadline=None)
@given(dialect_regexes(), st.lists(st.text(_TEXT_ALPHABET, max_size=8), min_size=1, max_size=4))
def test_generated_regexes_search_alike(body: str, texts: list[str]) -> None:
    try:
        check_regex(body)
        production = compile_regex(body)
    except RegexProblem:
        reject()
    for text in [*texts, *_TEXT_ALPHABET]:
        found = search(body, text)
        event("found" if found else "not found")
        assert found is (production(text) is not None), (body, text)


@pytest.mark.parametrize("body", sorted({*REGEXES, *_REGEX_PIECES}))
def test_the_generators_regexes_are_translated(body: str) -> None:
    """Every regex the property strategies use is inside the reference's dialect."""
    translate(body)

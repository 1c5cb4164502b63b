r"""The reference interpreter's own number syntax and regex dialect, written from the rules
in docs/semantics.md (D19 the regex dialect, D22 the number syntax, D23 regex search) and not from
``cwquery.numbers`` or ``cwquery.regex``: the property tests compare the two (D32).

Regexes are translated into Python's ``re``, which is plenty for test-sized texts. Only the
dialect the spec describes is translated; anything else raises :class:`Unsupported`, so that a
generated case outside that subset is noticed instead of being judged by a guess.

>>> spells_number("-1.5E3"), spells_number("1."), spells_number("\u0663")
(True, False, False)
>>> search(r"x[^\S]y", "x y"), search(r"x[^\S]y", "x-y"), search(r"^ab{,2}c$", "abbc")
(True, False, True)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

DIGITS = "0123456789"


def _digits(text: str, index: int) -> int:
    """The index after the run of ASCII digits starting at ``index``."""
    while index < len(text) and text[index] in DIGITS:
        index += 1
    return index


def spells_number(text: str) -> bool:
    """D22: an optional sign, digits, an optional ``.digits`` and an optional exponent (``e`` or
    ``E``, an optional sign, digits). ASCII digits only."""
    index = 1 if text[:1] in ("+", "-") else 0
    after = _digits(text, index)
    if after == index:
        return False
    index = after
    if text[index : index + 1] == ".":
        after = _digits(text, index + 1)
        if after == index + 1:
            return False
        index = after
    if text[index : index + 1] in ("e", "E"):
        index += 1
        if text[index : index + 1] in ("+", "-"):
            index += 1
        after = _digits(text, index)
        if after == index:
            return False
        index = after
    return index == len(text)


# ------------------------------------------------------------------------------- regexes


class Unsupported(ValueError):
    """A regex body this translation does not cover (outside the spec's dialect, or a corner
    the spec leaves open): ``args == (body, reason)``."""


_LETTERS_DIGITS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" + DIGITS)
#: §3: letters, digits, ``: _ # = @ / ; , -`` and a literal space stand for themselves.
_PLAIN = _LETTERS_DIGITS | frozenset(":_#=@/;,- ")
#: §3: the operators; ``\\`` before one of them (or before a plain symbol) makes it literal.
_OPERATORS = frozenset("^$?[]{}|\\*+.")
_ESCAPABLE = _OPERATORS | (_PLAIN - _LETTERS_DIGITS)
_HEX = frozenset("0123456789abcdefABCDEF")

# §3 class escapes as sets of characters: (negated?, members).
_SPACE = "\t\n "  # \s is tab, newline and space
_WORD = "".join(sorted(_LETTERS_DIGITS)) + "_"
_CLASSES = {
    "d": (False, DIGITS),
    "D": (True, DIGITS),
    "s": (False, _SPACE),
    "S": (True, _SPACE),
    "w": (False, _WORD),
    "W": (True, _WORD),
}


def _code(char: str) -> str:
    """One character, written so that Python's ``re`` takes it literally anywhere."""
    return f"\\U{ord(char):08x}"


class _Translator:
    """One pass over a body: atoms, their quantifiers, anchors and ``|``."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.index = 0
        self.out: list[str] = []

    def fail(self, reason: str) -> Unsupported:
        return Unsupported(self.body, f"{reason} (at index {self.index})")

    def peek(self, width: int = 1) -> str:
        return self.body[self.index : self.index + width]

    def run(self) -> str:
        if not self.body:
            raise self.fail("an empty regex")
        quantifiable = False
        while self.index < len(self.body):
            char = self.peek()
            if char in "?*+{":
                if not quantifiable:
                    raise self.fail(f"{char!r} repeats nothing")
                self.out.append(self.quantifier())
                quantifiable = False
                continue
            quantifiable = True
            if char == "^":
                self.out.append("\\A")  # D23: the start of the whole tested string
                quantifiable = False
                self.index += 1
            elif char == "$":
                self.out.append("\\Z")  # D23: the end of the whole tested string
                quantifiable = False
                self.index += 1
            elif char == "|":
                self.out.append("|")
                quantifiable = False
                self.index += 1
            elif char == ".":
                self.out.append("[^\\n]")
                self.index += 1
            elif char == "[":
                self.out.append(self.bracket())
            elif char == "\\":
                negated, members = self.escape()
                self.out.append(_group(negated, members))
            elif char in _PLAIN:
                self.out.append(_code(char))
                self.index += 1
            else:
                raise self.fail(f"{char!r} is outside the dialect")
        return "".join(self.out)

    def quantifier(self) -> str:
        char = self.peek()
        self.index += 1
        if char == "{":
            close = self.body.find("}", self.index)
            inside = self.body[self.index : close] if close >= 0 else ""
            low, comma, high = inside.partition(",")
            if close < 0 or not all(c in DIGITS for c in low + high) or not (low or high):
                raise self.fail("'{' that does not start {m}, {m,}, {,n} or {m,n}")
            if max(int(low or 0), int(high or 0)) > 1000:
                raise self.fail("a repeat count over 1000 (D31 leaves those to the engine)")
            if low and high and int(low) > int(high):
                raise self.fail("a repeat whose minimum exceeds its maximum")
            self.index = close + 1
            text = "{" + (low or "0") + (comma + high) + "}"
        else:
            text = char
        if self.peek() == "?":  # lazy: the same answer for "is there a match"
            self.index += 1
        if self.peek() and self.peek() in "?*+{":
            raise self.fail("a repeat of a repeat")
        return text

    def escape(self) -> tuple[bool, list[str]]:
        """``\\d``-style classes, ``\\xhh`` and escaped operators: (negated?, members)."""
        following = self.body[self.index + 1 : self.index + 2]
        if following in _CLASSES:
            self.index += 2
            negated, members = _CLASSES[following]
            return negated, [_code(c) for c in members]
        if following == "x":
            digits = self.body[self.index + 2 : self.index + 4]
            if len(digits) != 2 or not set(digits) <= _HEX:
                raise self.fail("\\x without two hexadecimal digits")
            self.index += 4
            return False, [_code(chr(int(digits, 16)))]
        if following and following in _ESCAPABLE:
            self.index += 2
            return False, [_code(following)]
        raise self.fail(f"the escape \\{following}")

    def bracket(self) -> str:
        """``[...]`` or ``[^...]``; a ``]`` first in the class is a member."""
        self.index += 1
        negated = self.peek() == "^"
        if negated:
            self.index += 1
        plain: list[str] = []
        complements: list[str] = []  # \D, \S, \W inside the class
        first = True
        while True:
            char = self.peek()
            if not char:
                raise self.fail("an unclosed '['")
            if char == "]" and not first:
                self.index += 1
                break
            if self.peek(2) == "[:":
                raise self.fail("POSIX classes such as [:alpha:]")
            first = False
            low = self.member()
            if low is None:
                negated_escape, members = self.escape()
                (complements if negated_escape else plain).append("".join(members))
                continue
            if self.peek() == "-" and self.peek(2)[1:] not in ("", "]"):
                self.index += 1
                high = self.member()
                if high is None:
                    raise self.fail("a range that ends in a class escape")
                if ord(_decode(low)) > ord(_decode(high)):
                    raise self.fail("a range whose start is after its end")
                plain.append(f"{low}-{high}")
            else:
                plain.append(low)
        return _class(negated, "".join(plain), complements)

    def member(self) -> str | None:
        """One literal member of a class, or ``None`` before a class escape (``\\d``)."""
        char = self.peek()
        if char == "\\":
            if self.body[self.index + 1 : self.index + 2] in _CLASSES:
                return None
            _, members = self.escape()
            return members[0]
        if char not in _PLAIN and char not in _OPERATORS:
            raise self.fail(f"{char!r} is outside the dialect")
        self.index += 1
        return _code(char)


def _decode(code: str) -> str:
    return chr(int(code[2:], 16))


def _group(negated: bool, members: list[str]) -> str:
    return "(?:[" + ("^" if negated else "") + "".join(members) + "])"


def _class(negated: bool, plain: str, complements: list[str]) -> str:
    """A class of ``plain`` members and complemented sets, as one Python atom.

    ``[P\\S]`` holds ``c`` when ``c`` is in P or not a space; ``[^P\\S]`` holds it when ``c``
    is neither in P nor a non-space. Python's classes cannot say "not a space" inside a class,
    so those become alternatives and lookaheads around one consumed character."""
    if not complements:
        return f"(?:[{'^' if negated else ''}{plain}])"
    if not negated:
        options = ([f"[{plain}]"] if plain else []) + [f"[^{c}]" for c in complements]
        return "(?:" + "|".join(options) + ")"
    guards = ([f"(?![{plain}])"] if plain else []) + [f"(?=[{c}])" for c in complements]
    return "(?:" + "".join(guards) + "[\\s\\S])"


def translate(body: str) -> str:
    """The Python ``re`` source equivalent to a regex body of the dialect."""
    return _Translator(body).run()


@functools.lru_cache(maxsize=512)
def searcher(body: str) -> Callable[[str], bool]:
    """``found(text)``: whether the body finds a match anywhere in ``text`` (D23: unanchored).

    Lone surrogates (from JSON escapes) are searched as ``?``, the character an encoder puts in
    their place (docs/semantics.md: regexes search them with the surrogates replaced)."""
    compiled = re.compile(translate(body))

    def found(text: str) -> bool:
        clean = "".join("?" if "\ud800" <= c <= "\udfff" else c for c in text)
        return compiled.search(clean) is not None

    return found


def search(body: str, text: str) -> bool:
    """Whether the body finds a match in ``text``."""
    return searcher(body)(text)

"""CloudWatch's regex dialect: which ``%…%`` bodies are valid, and their RE2 equivalent.

The dialect (spec §3, decision D19) allows ASCII letters and digits, the symbols ``: _ # = @ / ;
, -``, a literal space, the operators ``^ $ ? [ ] { } | \\ * + .``, the classes ``\\d \\D \\s \\S
\\w \\W`` and ``\\xhh``. There are no groups, so no back-references, and every such expression runs
in linear time on RE2 (D23).

>>> check_regex(r"10\\.0\\.0\\.[1-9]")
>>> check_regex("a(b)")
Traceback (most recent call last):
...
cwquery.regex.RegexProblem: (1, "'(' is not allowed in a regex")
>>> to_re2(r"^x\\s{,2}y")
'^x[\\\\t\\\\n ]{0,2}y'
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable
from typing import Any

LITERAL_CHARACTERS = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- ")
OPERATOR_CHARACTERS = frozenset("^$?[]{}|\\*+.")
CLASS_ESCAPES = frozenset("dDsSwW")
_HEX = frozenset(string.hexdigits)
_OPEN_LOWER_BOUND = re.compile(r"\{,")

#: What ``\s`` means in CloudWatch: tab, space and newline (RE2's ``\s`` also takes \f and \r).
_SPACE_CLASS = "\\t\\n "


class RegexProblem(ValueError):
    """A regex body outside the dialect: ``args == (index in the body, message)``; ``hint``."""

    def __init__(self, index: int, message: str, hint: str | None = None) -> None:
        super().__init__(index, message)
        self.index = index
        self.message = message
        self.hint = hint


def check_regex(source: str) -> None:
    """Raise :class:`RegexProblem` unless ``source`` (the text between ``%`` signs) is valid."""
    if not source:
        raise RegexProblem(0, "a regex cannot be empty", "write at least one character between %")
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            index = _check_escape(source, index)
            continue
        if char in "()":
            raise _parenthesis(index, char)
        if char not in LITERAL_CHARACTERS and char not in OPERATOR_CHARACTERS:
            raise RegexProblem(
                index,
                f"{char!r} is not allowed in a regex",
                "allowed: letters, digits, space, : _ # = @ / ; , - and the operators "
                "^ $ ? [ ] { } | \\ * + . ; write other ASCII characters as \\xhh",
            )
        index += 1
    try:
        re.compile(_open_lower_bounds(source))
    except re.error as err:
        raise RegexProblem(
            min(err.pos or 0, len(source) - 1), f"invalid regex: {err.msg}"
        ) from None


def _parenthesis(index: int, char: str) -> RegexProblem:
    return RegexProblem(
        index,
        f"{char!r} is not allowed in a regex",
        "CloudWatch regexes have no groups, and escaping does not help: match a literal "
        "parenthesis with \\x28 or \\x29, and alternatives with | at the top level",
    )


def _check_escape(source: str, index: int) -> int:
    """Validate the escape at ``source[index] == '\\'``; return the index after it."""
    following = source[index + 1 : index + 2]
    if following in ("(", ")"):
        raise _parenthesis(index + 1, following)
    if following in CLASS_ESCAPES and following:
        return index + 2
    if following == "x":
        digits = source[index + 2 : index + 4]
        if len(digits) == 2 and all(d in _HEX for d in digits):
            return index + 4
        raise RegexProblem(index, "\\x needs two hexadecimal digits", "for example \\x3A is ':'")
    if (
        following
        and (following in OPERATOR_CHARACTERS or following in LITERAL_CHARACTERS)
        and (not following.isalnum())
    ):
        return index + 2
    if not following:
        raise RegexProblem(index, "a regex cannot end with a single backslash")
    raise RegexProblem(
        index,
        f"unsupported escape '\\{following}'",
        "escapes allowed: \\d \\D \\s \\S \\w \\W \\xhh, and \\ before an operator character",
    )


def _open_lower_bounds(source: str) -> str:
    """``{,n}`` means ``{0,n}`` in CloudWatch; RE2 and Python need the 0 written."""
    return _OPEN_LOWER_BOUND.sub("{0,", source)


def to_re2(source: str) -> str:
    """Translate a valid body to RE2 syntax with the same meaning."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            following = source[index + 1]
            if following == "s":
                out.append(_SPACE_CLASS if in_class else f"[{_SPACE_CLASS}]")
            elif following == "S" and not in_class:
                out.append(f"[^{_SPACE_CLASS}]")
            else:
                width = 4 if following == "x" else 2
                out.append(source[index : index + width])
                index += width
                continue
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            # a ']' right after '[' or '[^' is a literal member of the class
            head = "[^" if source.startswith("[^", index) else "["
            out.append(head)
            index += len(head)
            if source.startswith("]", index):
                out.append("\\]")
                index += 1
            continue
        if char == "]" and in_class:
            in_class = False
        elif char == "{" and not in_class and source.startswith("{,", index):
            out.append("{0,")
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def compile_regex(source: str) -> Callable[[str], Any]:
    """``search(text) -> match or None`` for a valid body, on RE2: linear time whatever the
    input (D23). Text that cannot be encoded (lone surrogates) is searched with them replaced."""
    import re2  # imported on first use: parsing and checking need no regex engine

    program_search = re2.compile(to_re2(source)).search

    def search(text: str) -> Any:
        try:
            return program_search(text)
        except UnicodeEncodeError:
            return program_search(text.encode("utf-8", "replace").decode("utf-8"))

    return search

"""CloudWatch's regex dialect: which ``%…%`` bodies are valid, their RE2 equivalent, and the one
RE2 program that both validates and runs each of them.

The dialect (spec §3, decision D19) allows ASCII letters and digits, the symbols ``: _ # = @ / ;
, -``, a literal space, the operators ``^ $ ? [ ] { } | \\ * + .``, the classes ``\\d \\D \\s \\S
\\w \\W`` and ``\\xhh``. There are no groups, so no back-references. A body is valid only when RE2
compiles it within :data:`MAX_PROGRAM_SIZE` instructions (D31), and the program RE2 built while
checking it is the one that searches (D23): validation and evaluation cannot disagree.

>>> check_regex(r"10\\.0\\.0\\.[1-9]")
>>> check_regex("a(b)")
Traceback (most recent call last):
...
cwquery.regex.RegexProblem: (1, "'(' is not allowed in a regex")
>>> check_regex("a*+")
Traceback (most recent call last):
...
cwquery.regex.RegexProblem: (1, 'invalid regex: bad repetition operator: *+')
>>> to_re2(r"^x\\s{,2}y")
'^x[\\\\t\\\\n ]{0,2}y'
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from typing import Any, Final

from cwquery.errors import CWQueryError

LITERAL_CHARACTERS = frozenset(string.ascii_letters + string.digits + ":_#=@/;,- ")
OPERATOR_CHARACTERS = frozenset("^$?[]{}|\\*+.")
CLASS_ESCAPES = frozenset("dDsSwW")
_HEX = frozenset(string.hexdigits)

#: What ``\\s`` means in CloudWatch: tab, space and newline (RE2's ``\\s`` also takes \\f and \\r).
_SPACE_CLASS = "\\t\\n "
#: Its complement, as members of a character class, so ``\\S`` and ``[\\S]`` agree.
_NOT_SPACE_CLASS = "\\x00-\\x08\\x0b-\\x1f!-\\x{10FFFF}"

#: D31: the memory RE2 may use for one compiled regex (its program and its DFA caches).
RE2_MAX_MEM: Final = 8 << 20
#: D31: the largest program (in RE2 instructions) a regex may compile to. When RE2's DFA gives
#: up on a regex, it searches with an automaton whose cost per character grows with the program
#: size; this bound keeps the worst search within a small constant times the text's length.
MAX_PROGRAM_SIZE: Final = 1000


class RegexProblem(CWQueryError, ValueError):
    """A regex body outside the dialect: ``args == (index in the body, message)``; ``hint``;
    ``chars``: the offending characters when the problem is a character outside the dialect."""

    def __init__(
        self, index: int, message: str, hint: str | None = None, chars: str | None = None
    ) -> None:
        super().__init__(index, message)
        self.index = index
        self.message = message
        self.hint = hint
        self.chars = chars


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
                chars=char,
                hint="allowed: letters, digits, space, : _ # = @ / ; , - and the operators "
                "^ $ ? [ ] { } | \\ * + . ; write other ASCII characters as \\xhh",
            )
        index += 1
    program(source)


def _parenthesis(index: int, char: str) -> RegexProblem:
    return RegexProblem(
        index,
        f"{char!r} is not allowed in a regex",
        "CloudWatch regexes have no groups, and escaping does not help: match a literal "
        "parenthesis with \\x28 or \\x29, and alternatives with | at the top level",
        chars=char,
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
            elif following == "S":
                out.append(_NOT_SPACE_CLASS if in_class else f"[{_NOT_SPACE_CLASS}]")
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
def program(source: str) -> Any:
    """The RE2 program of a body that passed the character check (D31), built once: raises
    :class:`RegexProblem` when RE2 refuses it or it is larger than :data:`MAX_PROGRAM_SIZE`."""
    import re2  # imported on first use: only regexes need the engine

    try:
        compiled = re2.compile(to_re2(source), _options())
    except re2.error as err:
        reason = str(err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else err)
        raise RegexProblem(_where(source, reason), f"invalid regex: {reason}") from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise RegexProblem(
            0,
            f"the regex compiles to {compiled.programsize} RE2 instructions; "
            f"the limit is {MAX_PROGRAM_SIZE}",
            "large repeat counts ({1000}) and repeated '.' or classes make big programs; "
            "use smaller counts, or + and *",
        )
    return compiled


def _options() -> Any:
    """The RE2 options of every program built here (D31): the memory bound, no logging."""
    import re2

    options = re2.Options()
    options.max_mem = RE2_MAX_MEM
    options.log_errors = False
    return options


@functools.lru_cache(maxsize=256)
def block_program(source: str) -> Any:
    """The program that searches a block of UTF-8 lines for a valid body: the body's own
    program (:func:`program`, which checks it) with ``^`` and ``$`` also matching at line ends,
    built with the same options (D31). Raises :class:`RegexProblem` as :func:`program` does.

    >>> block_program("^b").search(b"a\\nb\\n").start()
    2
    """
    import re2

    program(source)  # validated and bounded as every program is
    try:
        return re2.compile("(?m)" + to_re2(source), _options())
    except re2.error as err:  # the flag adds nothing RE2 could refuse; said as program says it
        raise RegexProblem(0, f"invalid regex: {err}") from None


def _where(source: str, reason: str) -> int:
    """Where in the body RE2's complaint (``'bad repetition operator: *+'``) points, else 0."""
    _, _, culprit = reason.rpartition(": ")
    index = source.find(culprit) if culprit else -1
    return max(index, 0)


def compile_regex(source: str) -> Callable[[str], Any]:
    """``search(text) -> match or None`` for a valid body, on the RE2 program that validated it:
    linear time whatever the input (D23, D31). Text that cannot be encoded (lone surrogates) is
    searched with them replaced.

    >>> compile_regex(r"\\S")(" \\t\\n") is None, compile_regex(r"[\\S]")("\\r") is not None
    (True, True)
    """
    program_search = program(source).search

    def search(text: str) -> Any:
        try:
            return program_search(text)
        except UnicodeEncodeError:
            return program_search(text.encode("utf-8", "replace").decode("utf-8"))

    return search

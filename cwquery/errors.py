"""Exceptions raised by cwquery, and the one layout every pattern error is shown in.

>>> from cwquery import PatternError, parse
>>> try:
...     parse('{ $.level == "ERROR" }')
... except PatternError as err:
...     print(err.code, err.offset, err.line, err.column)
...     print(err)
syntax 11 1 12
unexpected '='; expected a quoted string, a %regex% or a value (line 1, column 12)
  { $.level == "ERROR" }
             ^
hint: comparisons use a single '=': write $.field = value
"""

from __future__ import annotations

from typing import ClassVar

#: Error codes. They are stable: scripts, the CLI's JSON output and the compliance suite use them.
SYNTAX = "syntax"
INVALID_REGEX = "invalid-regex"
LIMIT = "limit"
UNSUPPORTED = "unsupported"
ERROR_CODES = (SYNTAX, INVALID_REGEX, LIMIT, UNSUPPORTED)

#: The service's generic text for a pattern it cannot parse (spec §8).
GENERIC_SERVICE_MESSAGE = "Invalid filter pattern"

_CONTEXT_WIDTH = 72


class CWQueryError(Exception):
    """Root of every exception cwquery raises on purpose."""


class PatternError(CWQueryError, ValueError):
    """A filter pattern that CloudWatch Logs would reject.

    Attributes:
        code: stable category (``syntax``, ``invalid-regex``, ``limit``, ``unsupported``).
        message: one line saying what is wrong.
        pattern: the whole pattern text.
        offset: 0-based character offset of the problem, in ``[0, len(pattern)]``.
        line, column: 1-based position of ``offset``.
        length: how many characters the caret underlines (at least 1).
        hint: a suggestion for the fix, or ``None``.
        service_message: the text CloudWatch Logs returns for this error, as far as it is known.
    """

    code: ClassVar[str] = SYNTAX

    def __init__(
        self,
        message: str,
        pattern: str,
        offset: int,
        *,
        length: int = 1,
        hint: str | None = None,
        service_message: str | None = None,
    ) -> None:
        self.message = message
        self.pattern = pattern
        self.offset = max(0, min(offset, len(pattern)))
        self.length = max(1, length)
        self.hint = hint
        self.service_message = service_message or GENERIC_SERVICE_MESSAGE
        before = pattern[: self.offset]
        self.line = before.count("\n") + 1
        self.column = self.offset - (before.rfind("\n") + 1) + 1
        super().__init__(self.format())

    def format(self) -> str:
        """The message, the offending line with a caret under the problem, and the hint."""
        lines = [f"{self.message} (line {self.line}, column {self.column})"]
        text, caret = caret_view(self.pattern, self.offset, self.length)
        lines.append("  " + text)
        lines.append("  " + caret)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description (used by ``cwquery check --format json``)."""
        return {
            "code": self.code,
            "message": self.message,
            "offset": self.offset,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
            "serviceMessage": self.service_message,
            "pattern": self.pattern,
        }


class PatternSyntaxError(PatternError):
    """The pattern cannot be parsed."""

    code = SYNTAX


class RegexError(PatternError):
    """A ``%regex%`` uses characters or constructs outside CloudWatch's regex dialect."""

    code = INVALID_REGEX


class PatternLimitError(PatternError):
    """The pattern breaks one of the service's limits (length, regex or wildcard quotas)."""

    code = LIMIT


class UnsupportedPatternError(PatternError):
    """Valid CloudWatch syntax that cwquery cannot evaluate exactly. cwquery raises this rather
    than guess: it never falls back to matching every event."""

    code = UNSUPPORTED


def caret_view(pattern: str, offset: int, length: int) -> tuple[str, str]:
    """The line holding ``offset`` (cut to a window around it) and a caret line under it.

    >>> caret_view("a\\n{ $.x == 1 }", 9, 2)
    ('{ $.x == 1 }', '       ^^')
    """
    start = pattern.rfind("\n", 0, offset) + 1
    end = pattern.find("\n", offset)
    if end == -1:
        end = len(pattern)
    line = pattern[start:end].replace("\t", " ")
    column = offset - start
    length = max(1, min(length, len(line) - column))
    prefix = suffix = ""
    if len(line) > _CONTEXT_WIDTH:
        left = max(0, min(column - _CONTEXT_WIDTH // 2, len(line) - _CONTEXT_WIDTH))
        right = left + _CONTEXT_WIDTH
        prefix = "..." if left > 0 else ""
        suffix = "..." if right < len(line) else ""
        line = line[left:right]
        column -= left
        length = max(1, min(length, len(line) - column))
        column += len(prefix)
    return prefix + line + suffix, " " * column + "^" * length


def describe(err: BaseException) -> str:
    """One line for an exception the user was not meant to see (the CLI's and the workers').

    >>> describe(RecursionError("maximum recursion depth exceeded"))
    'internal error (RecursionError): maximum recursion depth exceeded'
    """
    text = " ".join(str(err).split()) or "no details"
    return f"internal error ({type(err).__name__}): {text[:300]}"

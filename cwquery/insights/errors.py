"""The exception a rejected query raises (spec §12, I57, I58): :class:`QueryError`, a
:class:`cwquery.PatternError`, one subclass per code.

>>> from cwquery.insights import parse
>>> try:
...     parse("fields a | count()")
... except QueryError as err:
...     print(err.code, err.line, err.column)
...     print(err.service_message)
syntax 1 12
mismatched input 'count' expecting {K_PARSE, K_SEARCH, K_FIELDS, K_DISPLAY, K_FILTER, K_SORT, \
K_ORDER, K_HEAD, K_LIMIT, K_TAIL}
"""

from __future__ import annotations

from cwquery.errors import INVALID_REGEX, LIMIT, SYNTAX, UNSUPPORTED, PatternError

__all__ = [
    "REDEFINED",
    "InsightsQueryError",
    "QueryError",
    "QueryLimitError",
    "QueryRedefinedError",
    "QueryRegexError",
    "QuerySyntaxError",
    "QueryUnsupportedError",
    "mismatched",
]

#: spec §12.1: a name the query defines twice (§2.3)
REDEFINED = "redefined"

#: I58: the token list the service sent for a non-command after ``|`` (O1, 2022), verbatim
COMMAND_EXPECTED = (
    "{K_PARSE, K_SEARCH, K_FIELDS, K_DISPLAY, K_FILTER, K_SORT, K_ORDER, K_HEAD, K_LIMIT, K_TAIL}"
)


class QueryError(PatternError):
    """A Logs Insights query the service would reject (``MalformedQueryException``).

    ``code`` is ``syntax``, ``invalid-regex``, ``limit``, ``unsupported`` or ``redefined``;
    ``service_message`` is the service's text where it is known, else its ANTLR-style shape;
    ``pattern`` holds the query text, ``line``/``column`` are 1-based."""

    code = SYNTAX

    def __init__(
        self,
        message: str,
        query: str,
        offset: int,
        *,
        length: int = 1,
        hint: str | None = None,
        service_message: str | None = None,
    ) -> None:
        super().__init__(
            message,
            query,
            offset,
            length=length,
            hint=hint,
            service_message=service_message or message,
        )

    @property
    def query(self) -> str:
        """The query text."""
        return self.pattern


#: the name spec §12.1 gives the class
InsightsQueryError = QueryError


class QuerySyntaxError(QueryError):
    """The query cannot be parsed, or breaks a rule of the language checked before it runs."""

    code = SYNTAX


class QueryRegexError(QueryError):
    """A regex the service's RE2 dialect rejects (I62)."""

    code = INVALID_REGEX


class QueryLimitError(QueryError):
    """A value or size beyond the service's limits (``limit`` range, query length)."""

    code = LIMIT


class QueryRedefinedError(QueryError):
    """A name the query defines twice: "Ephemeral field is already defined" (§2.3)."""

    code = REDEFINED


class QueryUnsupportedError(QueryError):
    """Valid syntax cwquery cannot run locally (§10); raised by ``run``, never by ``parse``."""

    code = UNSUPPORTED


def mismatched(token: str, expected: str) -> str:
    """The service's shape of a syntax error (I58).

    >>> mismatched("|", "K_STATS")
    "mismatched input '|' expecting K_STATS"
    """
    return f"mismatched input '{token}' expecting {expected}"

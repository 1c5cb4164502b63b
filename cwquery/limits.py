"""The service's limits on a single pattern (decision D24), checked after parsing.

>>> from cwquery import parse
>>> parse("{ $.a[*].b[*] = 1 }")
Traceback (most recent call last):
...
cwquery.errors.PatternLimitError: a selector may contain only one wildcard (line 1, column 3)
  { $.a[*].b[*] = 1 }
    ^^^^^^^^^^^
hint: CloudWatch allows one [*] or .* per selector
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from cwquery.ast import (
    AnyIndex,
    AnyKey,
    DelimitedPattern,
    JsonPattern,
    Pattern,
    Regex,
    Selector,
    Span,
    walk,
)
from cwquery.errors import PatternLimitError

MAX_PATTERN_LENGTH = 1024
MAX_REGEXES_PER_PATTERN = 2
MAX_WILDCARDS_PER_SELECTOR = 1
MAX_WILDCARD_SELECTORS = 3
MAX_ELLIPSES = 1
#: Per log group, across metric and subscription filters (see :func:`regex_filter_quota`).
MAX_REGEX_FILTERS_PER_LOG_GROUP = 5

F = TypeVar("F")


def check_length(text: str) -> None:
    """Patterns are at most 1024 characters long."""
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternLimitError(
            f"the pattern is {len(text)} characters long; the limit is {MAX_PATTERN_LENGTH}",
            text,
            MAX_PATTERN_LENGTH,
            hint="shorten the pattern, or split it into several filters",
            service_message=(
                f"1 validation error detected: Value at 'filterPattern' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_PATTERN_LENGTH}"
            ),
        )


def check_pattern(text: str, pattern: Pattern) -> None:
    """Regex and wildcard quotas of JSON and space-delimited patterns."""
    if not isinstance(pattern, JsonPattern | DelimitedPattern):
        return
    nodes = list(walk(pattern))
    regexes = [node for node in nodes if isinstance(node, Regex)]
    if len(regexes) > MAX_REGEXES_PER_PATTERN:
        _raise(
            text,
            regexes[MAX_REGEXES_PER_PATTERN].span,
            f"more than {MAX_REGEXES_PER_PATTERN} regexes in one pattern",
            f"CloudWatch allows at most {MAX_REGEXES_PER_PATTERN} %regex% values in a JSON or "
            "space-delimited pattern",
        )
    wildcard_selectors = []
    for node in nodes:
        if isinstance(node, Selector):
            wildcards = sum(isinstance(step, AnyKey | AnyIndex) for step in node.steps)
            if wildcards > MAX_WILDCARDS_PER_SELECTOR:
                _raise(
                    text,
                    node.span,
                    "a selector may contain only one wildcard",
                    "CloudWatch allows one [*] or .* per selector",
                )
            if wildcards:
                wildcard_selectors.append(node)
    if len(wildcard_selectors) > MAX_WILDCARD_SELECTORS:
        _raise(
            text,
            wildcard_selectors[MAX_WILDCARD_SELECTORS].span,
            f"more than {MAX_WILDCARD_SELECTORS} selectors with wildcards",
            f"CloudWatch allows at most {MAX_WILDCARD_SELECTORS} selectors with [*] or .* in "
            "one pattern",
        )


def regex_filter_quota(filters: Sequence[F], log_group: str) -> tuple[Sequence[F], str]:
    """The service's quota of regex filters per log group, in one place for every checker:
    of the filters of ``log_group`` whose patterns hold a regex (metric and subscription
    filters together, in the order they were written), those CloudWatch refuses, and the
    message that says why ("" when none is refused).

    >>> refused, message = regex_filter_quota(["a", "b", "c", "d", "e", "f"], "/app")
    >>> refused
    ['f']
    >>> print(message)
    6 filters with a regex on log group /app; CloudWatch allows 5 per log group (metric and
    subscription filters together) and refuses the rest
    >>> regex_filter_quota(["a"], "/app")
    ([], '')
    """
    refused = filters[MAX_REGEX_FILTERS_PER_LOG_GROUP:]
    if not refused:
        return refused, ""
    return refused, (
        f"{len(filters)} filters with a regex on log group {log_group}; CloudWatch allows "
        f"{MAX_REGEX_FILTERS_PER_LOG_GROUP} per log group (metric and subscription filters "
        "together) and refuses the rest"
    )


def _raise(text: str, span: Span | None, message: str, hint: str) -> None:
    start, end = (span.start, span.end) if span else (0, len(text))
    raise PatternLimitError(message, text, start, length=end - start, hint=hint)

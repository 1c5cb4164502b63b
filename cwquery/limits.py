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

from collections.abc import Iterator

from cwquery.ast import (
    And,
    AnyIndex,
    AnyKey,
    DelimitedPattern,
    Field,
    FieldCompare,
    JsonCompare,
    JsonIs,
    JsonNotExists,
    JsonPattern,
    Node,
    Or,
    Pattern,
    Regex,
    Selector,
    Span,
)
from cwquery.errors import PatternLimitError

MAX_PATTERN_LENGTH = 1024
MAX_REGEXES_PER_PATTERN = 2
MAX_WILDCARDS_PER_SELECTOR = 1
MAX_WILDCARD_SELECTORS = 3
MAX_ELLIPSES = 1
#: Per log group, across metric and subscription filters (used by the emulator and linter).
MAX_REGEX_FILTERS_PER_LOG_GROUP = 5


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


def walk(node: Node) -> Iterator[Node]:
    """Every node of a JSON or space-delimited tree, depth first, in source order.

    >>> from cwquery.parser import parse
    >>> [type(n).__name__ for n in walk(parse('{ $.a = 1 || $.b = %x% }'))]
    ['JsonPattern', 'Or', 'JsonCompare', 'Selector', 'Number', 'JsonCompare', 'Selector', 'Regex']
    """
    pending = [node]  # a stack, not recursion: trees are walked several times per pattern
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, JsonPattern):
            pending.append(node.expr)
        elif isinstance(node, And | Or):
            pending += reversed(node.operands)
        elif isinstance(node, JsonCompare):
            pending += (node.value, node.selector)
        elif isinstance(node, JsonIs | JsonNotExists):
            pending.append(node.selector)
        elif isinstance(node, DelimitedPattern):
            pending += reversed(node.fields)
        elif isinstance(node, Field) and node.condition is not None:
            pending.append(node.condition)
        elif isinstance(node, FieldCompare):
            pending.append(node.value)


def _raise(text: str, span: Span | None, message: str, hint: str) -> None:
    start, end = (span.start, span.end) if span else (0, len(text))
    raise PatternLimitError(message, text, start, length=end - start, hint=hint)

"""Lint rules: patterns that are valid but do not do what they seem to, metric transformations
the service refuses or cannot fill, and quotas across filters (counted over a whole scan by
:mod:`cwquery.iac.findings`).

Every rule has a stable kebab-case code and a fixed severity (:data:`RULES`); pattern errors
keep their own codes (``syntax``, ``invalid-regex``, ``limit``, ``unsupported``).

>>> for d in lint_pattern("?ERROR ?WARN request-id"):
...     print(d.code, d.offset, d.message)
ignored-optional-terms 0 CloudWatch ignores ?ERROR ?WARN because the pattern also has plain or \
- terms (D3); it matches every event that contains request and lacks id
unquoted-punctuation 20 'request-id' is read as request -id: a '-' inside an unquoted term \
excludes the text after it (D5)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from cwquery import errors
from cwquery.ast import (
    DelimitedPattern,
    EllipsisField,
    JsonPattern,
    Pattern,
    Regex,
    RegexPattern,
    Selector,
    Term,
    TermKind,
    TermPattern,
    walk,
)
from cwquery.errors import PatternError
from cwquery.limits import MAX_REGEX_FILTERS_PER_LOG_GROUP
from cwquery.metrics import (
    DIMENSIONS_NOT_SUPPORTED,
    MetricFilterError,
    MetricTransformation,
    check_transformation,
)
from cwquery.numbers import NUMBER_SYNTAX
from cwquery.parser import BARE_TERM_CHARACTERS, parse, parse_selector, prefix_length
from cwquery.renderer import quote, render
from cwquery.semantics import term_groups

__all__ = [
    "RULES",
    "Diagnostic",
    "Rule",
    "Severity",
    "lint_metric",
    "lint_pattern",
    "split_words",
]


class Severity(str, Enum):
    """How bad a finding is: errors fail ``cwquery check``; warnings fail it with ``--strict``."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Rule:
    """A finding's code, severity and one-line description."""

    code: str
    severity: Severity
    summary: str


_RULE_LIST = [
    Rule(errors.SYNTAX, Severity.ERROR, "The pattern cannot be parsed."),
    Rule(errors.INVALID_REGEX, Severity.ERROR, "A %regex% leaves CloudWatch's regex dialect."),
    Rule(errors.LIMIT, Severity.ERROR, "The pattern breaks a length, regex or wildcard quota."),
    Rule(errors.UNSUPPORTED, Severity.ERROR, "Valid syntax cwquery cannot evaluate exactly."),
    Rule("redefined", Severity.ERROR, "A Logs Insights query defines the same field twice."),
    Rule(
        "ignored-optional-terms",
        Severity.WARNING,
        "?-terms next to plain or - terms are ignored by CloudWatch (D3).",
    ),
    Rule(
        "unquoted-punctuation",
        Severity.WARNING,
        "An unquoted term holds punctuation: a '-' starts an exclusion, and other characters "
        "may be refused by the service (D5).",
    ),
    Rule(
        "detached-prefix",
        Severity.WARNING,
        "A '-' stands apart from the term it excludes (D4); write it attached.",
    ),
    Rule(
        "unanchored-regex-wildcard",
        Severity.WARNING,
        "A %regex% starts or ends with an unanchored .* or .+, which costs time and adds nothing.",
    ),
    Rule(
        "metric-value-not-in-pattern",
        Severity.WARNING,
        "The metric value's JSON selector does not appear in the pattern.",
    ),
    Rule(
        "dimension-not-in-pattern",
        Severity.WARNING,
        "A dimension's JSON selector does not appear in the pattern.",
    ),
    Rule(
        "unresolvable-reference",
        Severity.ERROR,
        "A metric value or dimension names a field the pattern cannot fill.",
    ),
    Rule(
        "dimensions-on-term-pattern",
        Severity.ERROR,
        "Dimensions need a JSON or space-delimited pattern; the service refuses them otherwise.",
    ),
    Rule(
        "invalid-metric-transformation",
        Severity.ERROR,
        "The metric transformation breaks a service rule (dimension count, default value).",
    ),
    Rule(
        "too-many-regex-filters",
        Severity.WARNING,
        f"More than {MAX_REGEX_FILTERS_PER_LOG_GROUP} filters with a regex on one log group.",
    ),
    Rule(
        "unresolved-pattern",
        Severity.NOTE,
        "The pattern is computed at deploy time and was not checked.",
    ),
    Rule(
        "regex-cost",
        Severity.WARNING,
        "A %regex% whose cost score (program size, unbounded wildcards, alternatives) risks "
        "CloudWatch's evaluation time limit.",
    ),
    Rule(
        "filter-on-infrequent-access",
        Severity.ERROR,
        "A metric or subscription filter on a log group of the INFREQUENT_ACCESS class.",
    ),
    Rule(
        "positional-pattern-on-json-logs",
        Severity.WARNING,
        "A space-delimited pattern on the log group of a Lambda function that logs in JSON.",
    ),
    Rule("resolved-value", Severity.NOTE, "The pattern was checked with a default or a branch."),
    Rule(
        "invalid-transformer",
        Severity.ERROR,
        "A log transformer configuration PutTransformer would refuse (docs/transformers.md).",
    ),
    Rule(
        "no-transformer",
        Severity.WARNING,
        "A filter reads transformed logs of a log group no transformer of the template applies to.",
    ),
    Rule("unreadable-file", Severity.ERROR, "A file that should hold patterns cannot be read."),
    Rule("not-canonical", Severity.ERROR, "The pattern is not written in canonical form."),
    Rule("needs-quotes", Severity.ERROR, "A YAML pattern unquoted as { … } or [ … ] is no string."),
    Rule("fixed", Severity.NOTE, "check --fix rewrote the pattern in place (docs/ci.md)."),
]
#: Every code cwquery reports, with its severity.
RULES: dict[str, Rule] = {rule.code: rule for rule in _RULE_LIST}

_FIELD_REFERENCE = re.compile(r"\$([A-Za-z0-9_\-]+)")


@dataclass(frozen=True)
class Diagnostic:
    """One problem: ``offset``/``length`` in the pattern's text, or, when ``target`` is set,
    in the metric transformation (``metricValue``, ``dimension:<name>``, ``transformation``)."""

    code: str
    message: str
    offset: int = 0
    length: int = 1
    hint: str | None = None
    target: str | None = None

    @property
    def severity(self) -> Severity:
        """The rule's severity."""
        return RULES[self.code].severity


# --------------------------------------------------------------------------- pattern rules


def lint_pattern(pattern: str | Pattern) -> list[Diagnostic]:
    """Warnings about a valid pattern, in pattern order. Text is parsed first (a
    :class:`~cwquery.PatternError` propagates); a tree is linted through its canonical text.

    >>> [d.code for d in lint_pattern('ERROR "a-b" request-id')]
    ['unquoted-punctuation']
    """
    text = pattern if isinstance(pattern, str) else render(pattern)
    tree = parse(text)
    if not isinstance(tree, TermPattern):
        from cwquery.iac.rules_regex import regex_cost  # the rule builds on this module

        found = _unanchored_regex_wildcards(tree) + regex_cost(tree)
        return sorted(found, key=lambda d: d.offset)
    found = _ignored_optional_terms(tree)
    found += _unquoted_punctuation(text, tree)
    found += _detached_prefixes(text, tree)
    return sorted(found, key=lambda d: d.offset)


_LEADING_WILDCARD = re.compile(r"\.[*+]")
_TRAILING_WILDCARD = re.compile(r"(?<!\\)\.[*+]$")


def _unanchored_regex_wildcards(tree: Pattern) -> list[Diagnostic]:
    """``%.*ERROR%``, ``%ERROR.+%``: a regex filter searches, so an unanchored ``.*`` or ``.+``
    at an end only makes CloudWatch try it from every position (aws-cdk #36901: "evaluation
    time exceeded").

    >>> [(d.offset, d.length) for d in _unanchored_regex_wildcards(parse("%.*ERROR.+%"))]
    [(1, 2), (8, 2)]
    >>> _unanchored_regex_wildcards(parse("%^.*ERROR%"))
    []
    """
    regexes = [node for node in walk(tree) if isinstance(node, Regex)]
    found = []
    for regex in regexes:
        source, start = regex.source, (regex.span.start + 1 if regex.span else 0)
        if source in (".*", ".+"):  # the whole regex: "any value", "a non-empty value"
            continue
        ends = []
        if _LEADING_WILDCARD.match(source):
            ends.append((0, "start", "anchor it with ^ or drop it"))
        trailing = _TRAILING_WILDCARD.search(source)
        if trailing and trailing.start() > 0:
            ends.append((trailing.start(), "end", "anchor it with $ or drop it"))
        for index, end, advice in ends:
            wildcard = source[index : index + 2]
            found.append(
                Diagnostic(
                    "unanchored-regex-wildcard",
                    f"'{wildcard}' at the {end} of %{source}% is unanchored: a regex filter "
                    "finds a match anywhere, so it adds nothing but work, and CloudWatch stops "
                    "regexes that take too long ('evaluation time exceeded')",
                    start + index,
                    2,
                    hint=f"{advice}: %ERROR% already matches ERROR anywhere in the message"
                    + (" ('.+' also requires one character there)" if wildcard == ".+" else ""),
                )
            )
    return found


def _ignored_optional_terms(tree: TermPattern) -> list[Diagnostic]:
    groups = term_groups(tree)
    if not groups.optional_ignored:
        return []
    optional = [term for term in tree.terms if term.kind is TermKind.OPTIONAL]
    written = " ".join(render(term) for term in optional)
    wanted = " and ".join(render(Term(text)) for text in groups.required)
    unwanted = " or ".join(render(Term(text)) for text in groups.excluded)
    effect = " and ".join(
        part for part in (wanted and f"contains {wanted}", unwanted and f"lacks {unwanted}") if part
    )
    first = optional[0].span
    return [
        Diagnostic(
            "ignored-optional-terms",
            f"CloudWatch ignores {written} because the pattern also has plain or - terms (D3); "
            f"it matches every event that {effect}",
            first.start if first else 0,
            (first.end - first.start) if first else 1,
            hint="for 'any of these terms' write only ?-terms; a term pattern cannot require "
            "some terms and any one of others (use two filters, a %regex% or a JSON pattern)",
        )
    ]


def _unquoted_punctuation(text: str, tree: TermPattern) -> list[Diagnostic]:
    """D5: a ``-`` inside an unquoted word splits it into exclusions; other punctuation the
    parser lets through has no service evidence either way (the refused characters are errors)."""
    found = []
    for word in _bare_words(text, tree.terms):
        first, last = word[0].span, word[-1].span
        if first is None or last is None:
            continue
        body = first.start + prefix_length(text[first.start : first.end])
        written = text[body : last.end]
        if len(word) >= 2:
            pieces = " ".join(render(term) for term in word)
            dash = word[1].span.start if word[1].span else first.start
            found.append(
                Diagnostic(
                    "unquoted-punctuation",
                    f"{written!r} is read as {pieces}: a '-' inside an unquoted term excludes "
                    "the text after it (D5)",
                    dash,
                    hint=f"to search for the text, quote it: {word[0].kind.value}{quote(written)}",
                )
            )
        for term in word:
            found += _odd_characters(text, term)
    return found


def _odd_characters(text: str, term: Term) -> list[Diagnostic]:
    """Punctuation other than ``_``, ``.`` and ``-`` in one unquoted term (D5)."""
    if term.span is None:
        return []
    odd = [i for i, char in enumerate(term.text) if char not in BARE_TERM_CHARACTERS]
    if not odd:
        return []
    chars = "".join(dict.fromkeys(term.text[i] for i in odd))
    body = term.span.start + prefix_length(text[term.span.start : term.span.end])
    return [
        Diagnostic(
            "unquoted-punctuation",
            f"{term.text!r} holds {chars!r} unquoted: the service's answer to that is not "
            "known, and it may refuse the pattern (D5)",
            body + odd[0],
            hint=f"quote the term: {term.kind.value}{quote(term.text)} (cwquery fmt does)",
        )
    ]


def _detached_prefixes(text: str, tree: TermPattern) -> list[Diagnostic]:
    """D4: ``"ERROR" - "Exiting"`` excludes ``Exiting``, as AWS's 2018 page prints it, but the
    attached form is the documented one."""
    found = []
    for term in tree.terms:
        if term.span is None or term.kind is not TermKind.EXCLUDED:
            continue
        prefix = prefix_length(text[term.span.start : term.span.end])
        if prefix < 2:
            continue
        found.append(
            Diagnostic(
                "detached-prefix",
                f"the '-' is read as excluding {render(Term(term.text))}, the item after it "
                "(D4); written apart, it is easy to misread",
                term.span.start,
                prefix,
                hint=f"attach it: {render(term)} (cwquery fmt does)",
            )
        )
    return found


def split_words(pattern: str) -> list[str]:
    """The unquoted words of a term pattern that a ``-`` inside them splits into exclusions
    (D5), as written: the likely mistakes behind the ``unquoted-punctuation`` warning.

    >>> split_words('request-id-42 timeout "a-b"')
    ['request-id-42']
    >>> split_words("{ $.a = 1 }")
    []
    """
    tree = parse(pattern)
    if not isinstance(tree, TermPattern):
        return []
    found = []
    for word in _bare_words(pattern, tree.terms):
        first, last = word[0].span, word[-1].span
        if len(word) >= 2 and first is not None and last is not None:
            found.append(
                pattern[first.start + prefix_length(pattern[first.start : first.end]) : last.end]
            )
    return found


def _bare_words(text: str, terms: Sequence[Term]) -> list[list[Term]]:
    """Unquoted terms, grouped into the words they were written as: a ``-`` inside a bare word
    starts a new term whose span touches the previous one (a detached ``-``, D4, does not)."""
    words: list[list[Term]] = []
    for term in terms:
        if term.quoted or term.span is None:
            continue
        previous = words[-1][-1] if words else None
        touching = (
            previous is not None
            and previous.span is not None
            and previous.span.end == term.span.start
            and term.kind is TermKind.EXCLUDED
            and prefix_length(text[term.span.start : term.span.end]) == 1
        )
        if touching:
            words[-1].append(term)
        else:
            words.append([term])
    return words


# --------------------------------------------------------------------------- metric rules


def lint_metric(
    pattern: Pattern,
    metric_value: str | None,
    dimensions: Sequence[tuple[str, str | None]] = (),
    default_value: float | None = None,
) -> list[Diagnostic]:
    """Problems of a metric transformation with this pattern. ``None`` stands for a value
    computed at deploy time (not checked). Diagnostics have a ``target``.

    >>> from cwquery import parse
    >>> [d.code for d in lint_metric(parse("ERROR"), "1", [("level", "$.level")])]
    ['dimensions-on-term-pattern']
    >>> [d.message for d in lint_metric(parse("[ip, bytes]"), "$size")]
    ["'$size' names no field of the pattern (fields: ip, bytes)"]
    """
    found: list[Diagnostic] = []
    structured = isinstance(pattern, JsonPattern | DelimitedPattern)
    if dimensions and not structured:
        found.append(
            Diagnostic(
                "dimensions-on-term-pattern",
                f"{DIMENSIONS_NOT_SUPPORTED} (dimensions need a JSON or space-delimited pattern)",
                hint="remove the dimensions, or match the events with a JSON or "
                "space-delimited pattern whose fields the dimensions name",
                target=f"dimension:{dimensions[0][0]}",
            )
        )
    if metric_value is not None:
        found += _reference(pattern, metric_value, "metric value", "metricValue")
    if structured:
        for name, reference in dimensions:
            if reference is not None:
                found += _reference(pattern, reference, f"dimension {name!r}", f"dimension:{name}")
    if not any(d.severity is Severity.ERROR for d in found):
        transformation = MetricTransformation(
            "metric",
            "namespace",
            metric_value if metric_value is not None else "1",
            default_value,
            {name: "1" if reference is None else reference for name, reference in dimensions},
        )
        try:
            check_transformation(pattern, transformation)
        except MetricFilterError as err:
            found.append(
                Diagnostic("invalid-metric-transformation", str(err), target="transformation")
            )
    return found


def _reference(pattern: Pattern, written: str, what: str, target: str) -> list[Diagnostic]:
    """The problems of one reference, each unresolvable one with the rewrite that fixes it."""
    from cwquery.iac.rules_metric_value import metric_value_fix

    return [
        replace(d, hint=metric_value_fix(pattern, written))
        if d.code == "unresolvable-reference"
        else d
        for d in _reference_form(pattern, written, what, target)
    ]


def _reference_form(pattern: Pattern, written: str, what: str, target: str) -> list[Diagnostic]:
    text = written.strip()
    if NUMBER_SYNTAX.fullmatch(text):
        return []  # a constant, as metrics.MetricFilter reads it
    not_in_pattern = (
        "metric-value-not-in-pattern" if target == "metricValue" else ("dimension-not-in-pattern")
    )
    field = _FIELD_REFERENCE.fullmatch(text)
    if isinstance(pattern, JsonPattern) and text.startswith("$"):
        try:
            selector = parse_selector(text)
        except PatternError as err:
            return [
                _unresolvable(f"{what} {written!r} is not a JSON selector: {err.message}", target)
            ]
        if selector not in {node for node in walk(pattern) if isinstance(node, Selector)}:
            return [
                Diagnostic(
                    not_in_pattern,
                    f"the pattern does not mention {text}, the {what}; matching events without "
                    "it publish nothing",
                    hint=f"add {text} = * to the pattern (e.g. {{ ... && {text} = * }}) so that "
                    "only events that have it match",
                    target=target,
                )
            ]
        return []
    if isinstance(pattern, DelimitedPattern) and field:
        names = [f.name for f in pattern.fields if not isinstance(f, EllipsisField) and f.name]
        if field.group(1) in names:
            return []
        if field.group(1).isdigit():
            from cwquery.iac.rules_metric_value import positional_problem

            problem = positional_problem(pattern, int(field.group(1)))
            return [] if problem is None else [_unresolvable(problem, target)]
        return [
            _unresolvable(
                f"{written!r} names no field of the pattern (fields: {', '.join(names) or 'none'})",
                target,
            )
        ]
    if isinstance(pattern, JsonPattern):
        return [
            _unresolvable(f"a JSON pattern fills $.selector references, not {written!r}", target)
        ]
    if isinstance(pattern, DelimitedPattern):
        return [
            _unresolvable(
                f"a space-delimited pattern fills $field references, not {written!r}", target
            )
        ]
    if what != "metric value":
        return []  # dimensions on term patterns are reported once, above
    return [
        _unresolvable(
            f"a {_kind(pattern)} extracts no values; the metric value {written!r} must be a "
            "number such as 1",
            target,
        )
    ]


def _unresolvable(message: str, target: str) -> Diagnostic:
    return Diagnostic(
        "unresolvable-reference",
        message,
        hint="a metric value is a number, $.selector (JSON patterns) or $field "
        "(space-delimited patterns)",
        target=target,
    )


def _kind(pattern: Pattern) -> str:
    if isinstance(pattern, TermPattern):
        return "term pattern"
    return "regex pattern" if isinstance(pattern, RegexPattern) else "match-all pattern"

"""cwquery in the AWS CDK (extra ``[cdk]``): checked patterns for ``MetricFilter`` and
``SubscriptionFilter``, and an Aspect that fails ``cdk synth`` on invalid patterns.

:class:`FilterPattern` has the names of ``aws_cdk.aws_logs.FilterPattern``, so swapping the
import is enough. Every pattern is parsed and checked when it is built, and renders the text CDK
would render, so a template does not change when you switch (``cdk diff`` stays empty).

>>> from cwquery.cdk import FilterPattern
>>> pattern = FilterPattern.all(FilterPattern.string_value("$.level", "=", "ERROR"),
...                             FilterPattern.number_value("$.latency", ">", 1000.0))
>>> pattern.log_pattern_string        # what goes into the template: CDK's text
'{ ($.level = "ERROR") && ($.latency > 1000) }'
>>> pattern.canonical_text            # the same pattern in canonical form
'{ $.level = "ERROR" && $.latency > 1000 }'
>>> FilterPattern.string_value("level", "=", "ERROR")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cwquery.errors.PatternSyntaxError: unexpected 'level'...

Patterns written with CDK's own ``FilterPattern`` or as plain strings are checked by
:class:`PatternCheck`: ``Aspects.of(app).add(PatternCheck())`` adds an error annotation, with
the caret view, to every metric or subscription filter whose pattern is invalid (``cdk synth``
then fails) and a warning for every lint finding.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Annotations, IAspect, Token
from aws_cdk import aws_logs as logs
from constructs import IConstruct

from cwquery import builder
from cwquery.ast import JsonPattern, Pattern
from cwquery.conditions import number_literal
from cwquery.errors import PatternError
from cwquery.iac.lint import RULES, Severity, lint_metric, lint_pattern
from cwquery.parser import parse
from cwquery.renderer import render

__all__ = ["CwPattern", "FilterPattern", "PatternCheck", "SpaceDelimitedTextPattern"]


@jsii.implements(logs.IFilterPattern)
class CwPattern:
    """Any cwquery pattern where CDK takes an ``IFilterPattern``.

    ``log_pattern_string`` (what the template holds) is ``cdk_text``: the text CDK's
    ``FilterPattern`` renders for patterns built with :class:`FilterPattern`, else the canonical
    text. :meth:`canonical` gives the same pattern with its canonical text in the template.

    >>> CwPattern("{$.a=1}").log_pattern_string
    '{ $.a = 1 }'
    >>> FilterPattern.all_terms("ERROR", "timed out").canonical().log_pattern_string
    'ERROR "timed out"'
    """

    def __init__(self, pattern: Pattern | str, cdk_text: str | None = None) -> None:
        self.pattern: Pattern = parse(pattern) if isinstance(pattern, str) else pattern
        self.canonical_text: str = render(self.pattern)
        self.cdk_text: str = self.canonical_text if cdk_text is None else cdk_text

    @property
    def log_pattern_string(self) -> str:
        """The text that goes into the template."""
        return self.cdk_text

    def canonical(self) -> CwPattern:
        """The same pattern, written in canonical form in the template."""
        return CwPattern(self.pattern)

    def __str__(self) -> str:
        return self.cdk_text

    def __repr__(self) -> str:
        return f"CwPattern({self.cdk_text!r})"


class FilterPattern:
    """CDK's ``FilterPattern`` names, each returning a checked :class:`CwPattern` whose
    ``log_pattern_string`` is CDK's text for the same call.

    >>> FilterPattern.any_term("ERROR", "WARN").log_pattern_string
    '?"ERROR" ?"WARN"'
    >>> FilterPattern.any_term("ERROR", "WARN").canonical_text
    '?ERROR ?WARN'
    """

    @staticmethod
    def literal(log_pattern_string: str) -> CwPattern:
        """A pattern written as text, parsed (so checked) now; the template keeps the text."""
        return CwPattern(parse(log_pattern_string), log_pattern_string)

    @staticmethod
    def all_events() -> CwPattern:
        """Every event: the empty pattern."""
        return CwPattern(builder.all_events(), "")

    @staticmethod
    def all_terms(*terms: str) -> CwPattern:
        """Events containing every term (CDK quotes each one)."""
        return CwPattern(builder.all_terms(*terms), _clauses([list(terms)]))

    @staticmethod
    def any_term(*terms: str) -> CwPattern:
        """Events containing at least one term. With no terms CDK writes the empty pattern,
        which matches every event; so does this, with a ``UserWarning``.

        >>> import warnings
        >>> with warnings.catch_warnings(record=True):
        ...     warnings.simplefilter("always")
        ...     FilterPattern.any_term().log_pattern_string
        ''
        """
        if not terms:
            warnings.warn(
                "any_term() with no terms is the empty pattern, which matches every event "
                "(as CDK renders it); use all_events() to say so",
                UserWarning,
                stacklevel=2,
            )
            return FilterPattern.all_events()
        return CwPattern(builder.any_term(*terms), _clauses([[term] for term in terms]))

    @staticmethod
    def any_term_group(*term_groups: Sequence[str]) -> CwPattern:
        """CDK's ``anyTermGroup``; warns as :func:`cwquery.builder.any_term_group` does when
        CloudWatch will ignore the ``?`` terms (D3)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tree = builder.any_term_group(*term_groups)
        for warning in caught:
            warnings.warn(warning.message, warning.category, stacklevel=2)
        return CwPattern(tree, _clauses([list(group) for group in term_groups]))

    @staticmethod
    def string_value(json_field: str, comparison: str, value: str) -> CwPattern:
        """``{ $.field = "value" }``."""
        tree = builder.string_value(json_field, comparison, value)
        return _json(tree, f"{json_field} {_operator(comparison)} {_quote(value)}")

    @staticmethod
    def number_value(json_field: str, comparison: str, value: float) -> CwPattern:
        """``{ $.field > 1000 }``; floats are written as CDK writes them (``5.0`` is ``5``)."""
        tree = builder.number_value(json_field, comparison, value)
        number = number_literal(value).text
        return _json(tree, f"{json_field} {_operator(comparison)} {number}")

    @staticmethod
    def regex_value(json_field: str, comparison: str, value: str) -> CwPattern:
        """``{ $.field = %regex% }``, with the regex checked against CloudWatch's dialect."""
        tree = builder.regex_value(json_field, comparison, value)
        return _json(tree, f"{json_field} {comparison} %{value}%")

    @staticmethod
    def boolean_value(json_field: str, value: bool) -> CwPattern:
        """``{ $.field IS TRUE }`` or ``IS FALSE``."""
        tree = builder.boolean_value(json_field, value)
        return _json(tree, f"{json_field} {'IS TRUE' if value else 'IS FALSE'}")

    @staticmethod
    def is_null(json_field: str) -> CwPattern:
        """``{ $.field IS NULL }``."""
        return _json(builder.is_null(json_field), f"{json_field} IS NULL")

    @staticmethod
    def exists(json_field: str) -> CwPattern:
        """``{ $.field = "*" }``."""
        return _json(builder.exists(json_field), f'{json_field} = "*"')

    @staticmethod
    def not_exists(json_field: str) -> CwPattern:
        """``{ $.field NOT EXISTS }``."""
        return _json(builder.not_exists(json_field), f"{json_field} NOT EXISTS")

    @staticmethod
    def all(*patterns: CwPattern) -> CwPattern:
        """Every JSON pattern holds; CDK puts each operand in parentheses."""
        return _aggregate("&&", builder.all_, patterns)

    @staticmethod
    def any(*patterns: CwPattern) -> CwPattern:
        """At least one JSON pattern holds."""
        return _aggregate("||", builder.any_, patterns)

    @staticmethod
    def space_delimited(*columns: str) -> SpaceDelimitedTextPattern:
        """A space-delimited pattern; restrict columns with ``where_string``/``where_number``."""
        return SpaceDelimitedTextPattern(builder.space_delimited(*columns), ())


@jsii.implements(logs.IFilterPattern)
class SpaceDelimitedTextPattern(CwPattern):
    """CDK's ``SpaceDelimitedTextPattern``: immutable, each ``where_*`` returns a new one.

    >>> p = FilterPattern.space_delimited("ip", "...", "status").where_number("status", ">=", 500)
    >>> p.log_pattern_string, p.canonical_text
    ('[ip, ..., status >= 500]', '[ip, ..., status >= 500]')
    """

    def __init__(
        self, built: builder.SpaceDelimited, restrictions: tuple[tuple[str, str], ...]
    ) -> None:
        self._built = built
        self._restrictions = restrictions
        rendered: dict[str, list[str]] = {}
        for column, text in restrictions:
            rendered.setdefault(column, []).append(text)
        columns = (" && ".join(rendered.get(name, [name])) for name in built.columns)
        super().__init__(built.pattern, "[" + ", ".join(columns) + "]")

    def where_string(
        self, column_name: str, comparison: str, value: str
    ) -> SpaceDelimitedTextPattern:
        """Restrict a column to a string (``=`` or ``!=``; ``*`` at an end is a wildcard)."""
        built = self._built.where_string(column_name, comparison, value)
        text = f"{column_name} {_operator(comparison)} {_quote(value)}"
        return SpaceDelimitedTextPattern(built, (*self._restrictions, (column_name, text)))

    def where_number(
        self, column_name: str, comparison: str, value: float
    ) -> SpaceDelimitedTextPattern:
        """Restrict a column to a number, with any operator."""
        built = self._built.where_number(column_name, comparison, value)
        text = f"{column_name} {_operator(comparison)} {number_literal(value).text}"
        return SpaceDelimitedTextPattern(built, (*self._restrictions, (column_name, text)))


def _quote(term: str) -> str:
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _operator(comparison: str) -> str:
    return "=" if comparison == "==" else comparison


def _clauses(clauses: list[list[str]]) -> str:
    quoted = [" ".join(_quote(term) for term in clause) for clause in clauses]
    return quoted[0] if len(quoted) == 1 else " ".join("?" + clause for clause in quoted)


def _json(tree: JsonPattern, inner: str) -> CwPattern:
    return CwPattern(tree, "{ " + inner + " }")


def _aggregate(operator: str, combine: Any, patterns: Sequence[CwPattern]) -> CwPattern:
    for pattern in patterns:
        if not isinstance(pattern, CwPattern) or not isinstance(pattern.pattern, JsonPattern):
            raise TypeError(f"{operator} combines JSON patterns only, not {pattern!r}")
    tree = combine(*(pattern.pattern for pattern in patterns))
    if len(patterns) == 1:
        return CwPattern(tree, patterns[0].cdk_text)
    inner = [_json_inner(pattern.cdk_text) for pattern in patterns]
    return _json(tree, f" {operator} ".join(f"({text})" for text in inner))


def _json_inner(text: str) -> str:
    stripped = text.strip()
    return stripped[1:-1].strip() if stripped.startswith("{") else stripped


# --------------------------------------------------------------------------- the Aspect


@jsii.implements(IAspect)
class PatternCheck:
    """An Aspect that checks the filter pattern of every ``CfnMetricFilter`` and
    ``CfnSubscriptionFilter`` (and so every L2 ``MetricFilter``/``SubscriptionFilter``), and of
    subscription filter ``CfnAccountPolicy`` documents, at synth: an invalid pattern gets an
    error annotation with the caret view, which fails ``cdk synth``; lint findings and metric
    transformation problems get warnings (errors for the ones the service refuses). Patterns
    computed at deploy time (tokens) are skipped.

    ``Aspects.of(app).add(PatternCheck())``; ``PatternCheck(warnings=False)`` reports errors
    only.
    """

    def __init__(self, *, warnings: bool = True) -> None:
        self.warnings = warnings

    def visit(self, node: IConstruct) -> None:
        """Check ``node`` when it is a metric or subscription filter."""
        transformations = None
        text: str | None
        if isinstance(node, logs.CfnMetricFilter):
            transformations = node.metric_transformations
            text = node.filter_pattern
        elif isinstance(node, logs.CfnSubscriptionFilter):
            text = node.filter_pattern
        elif isinstance(node, logs.CfnAccountPolicy):
            text = _policy_pattern(node)
        else:
            return
        if not isinstance(text, str) or Token.is_unresolved(text):
            return
        annotations = Annotations.of(node)
        try:
            tree = parse(text)
        except PatternError as err:
            annotations.add_error(f"cwquery [{err.code}] invalid filter pattern\n{err.format()}")
            return
        findings = [(d.code, d.message, d.hint) for d in lint_pattern(text)]
        if isinstance(transformations, list) and transformations:
            findings += _metric_findings(tree, transformations[0])
        for code, message, hint in findings:
            full = f"cwquery [{code}] {message}" + (f"\nhint: {hint}" if hint else "")
            if _is_error(code):
                annotations.add_error(full)
            elif self.warnings:
                annotations.add_warning_v2(f"cwquery:{code}", full)


def _policy_pattern(node: logs.CfnAccountPolicy) -> str | None:
    """The ``FilterPattern`` of a subscription filter account policy's JSON document."""
    document = node.policy_document
    if node.policy_type != "SUBSCRIPTION_FILTER_POLICY" or Token.is_unresolved(document):
        return None
    try:
        policy = json.loads(document)
    except ValueError:
        return None
    pattern = policy.get("FilterPattern") if isinstance(policy, dict) else None
    return pattern if isinstance(pattern, str) else None


def _metric_findings(tree: Pattern, transformation: Any) -> list[tuple[str, str, str | None]]:
    value = getattr(transformation, "metric_value", None)
    dimensions = getattr(transformation, "dimensions", None) or []
    pairs: list[tuple[str, str | None]] = []
    if isinstance(dimensions, list):
        for dimension in dimensions:
            key, text = getattr(dimension, "key", None), getattr(dimension, "value", None)
            if isinstance(key, str):
                plain = isinstance(text, str) and not Token.is_unresolved(text)
                pairs.append((key, text if plain else None))
    if not isinstance(value, str) or Token.is_unresolved(value):
        value = None
    default = getattr(transformation, "default_value", None)
    found = lint_metric(tree, value, pairs, default if isinstance(default, int | float) else None)
    return [(d.code, d.message, d.hint) for d in found]


def _is_error(code: str) -> bool:
    return RULES[code].severity is Severity.ERROR

"""cfn-lint rules for filter patterns (extra ``[cfnlint]``):
``cfn-lint --append-rules cwquery.cfnlint template.yaml``.

=======  ==============================================================  ======================
id       what                                                            cwquery codes
=======  ==============================================================  ======================
E9101    the filter pattern is invalid (caret view in the message)       syntax, invalid-regex,
                                                                         limit, unsupported
E9102    the metric transformation is refused or cannot be filled        dimensions-on-term-
                                                                         pattern, unresolvable-
                                                                         reference, invalid-
                                                                         metric-transformation
W9101    the pattern does not do what it seems to                        ignored-optional-terms,
                                                                         unquoted-punctuation,
                                                                         detached-prefix,
                                                                         unanchored-regex-
                                                                         wildcard, regex-cost
W9102    the metric value or a dimension is not in the pattern           metric-value-not-in-
                                                                         pattern, dimension-not-
                                                                         in-pattern
W9103    more regex filters on one log group than CloudWatch allows      too-many-regex-filters
E9103    PutTransformer refuses the transformer configuration            invalid-transformer
=======  ==============================================================  ======================

Metric and subscription filters, log anomaly detectors, and SAM functions' ``CloudWatchLogs``
events are checked (cfn-lint validates SAM templates untransformed), and the
``TransformerConfig`` of ``AWS::Logs::Transformer`` resources (skipped when a value in it is
computed at deploy time). A pattern computed at
deploy time (``!Ref``, ``!Sub`` with ``${…}``) is skipped; ``!Sub`` without substitutions and
``!Join`` of strings are read. Each message ends with the cwquery code in brackets, as
``cwquery check`` reports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from cwquery.ast import Pattern, contains_regex
from cwquery.errors import PatternError
from cwquery.iac.lint import Diagnostic, lint_metric, lint_pattern
from cwquery.iac.report import HOME_URL
from cwquery.limits import MAX_REGEX_FILTERS_PER_LOG_GROUP, regex_filter_quota
from cwquery.parser import parse

__all__ = [
    "FilterPatternInvalid",
    "MetricFieldNotInPattern",
    "MetricTransformationInvalid",
    "PatternMisleading",
    "TooManyRegexFilters",
    "TransformerInvalid",
    "filter_pattern_text",
]

_FILTERS = [
    "AWS::Logs::MetricFilter",
    "AWS::Logs::SubscriptionFilter",
    "AWS::Logs::LogAnomalyDetector",
]
_SAM_FUNCTION = "AWS::Serverless::Function"
_PATTERN_ERRORS = ("syntax", "invalid-regex", "limit", "unsupported")
_SOURCE = HOME_URL

#: (rule id, cwquery code, path below the resource, message)
_Found = tuple[str, str, list[str | int], str]


def filter_pattern_text(value: Any) -> str | None:
    """The text of a ``FilterPattern`` value, or ``None`` when it is computed at deploy time.

    >>> filter_pattern_text({"Fn::Sub": "%ERR(OR)?%"}), filter_pattern_text({"Ref": "P"})
    ('%ERR(OR)?%', None)
    >>> filter_pattern_text({"Fn::Join": ["", ["{ $.a = ", "1 }"]]})
    '{ $.a = 1 }'
    """
    if isinstance(value, str):
        return value
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((function, argument),) = value.items()
    if function == "Fn::Sub":
        if isinstance(argument, list) and len(argument) == 2 and not argument[1]:
            argument = argument[0]
        return (
            argument
            if isinstance(argument, str) and "${" not in argument.replace("${!", "")
            else None
        )
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
        separator, parts = argument
        if isinstance(separator, str) and isinstance(parts, list):
            texts = [filter_pattern_text(part) for part in parts]
            if all(isinstance(text, str) for text in texts):
                return separator.join(text for text in texts if text is not None)
    return None


_MISLEADING = frozenset(
    (
        "ignored-optional-terms",
        "unquoted-punctuation",
        "detached-prefix",
        "unanchored-regex-wildcard",
        "regex-cost",
    )
)


def _rule_of(diagnostic: Diagnostic) -> str:
    code = diagnostic.code
    if code in _PATTERN_ERRORS:
        return "E9101"
    if code in _MISLEADING:
        return "W9101"
    if code in ("metric-value-not-in-pattern", "dimension-not-in-pattern"):
        return "W9102"
    return "E9102"


def _resource_findings(properties: dict[str, Any]) -> tuple[Pattern | None, list[_Found]]:
    text = filter_pattern_text(properties.get("FilterPattern"))
    if text is None:
        return None, []
    at: list[str | int] = ["FilterPattern"]
    try:
        tree = parse(text)
    except PatternError as err:
        return None, [("E9101", err.code, at, f"{err.format()} [{err.code}]")]
    found: list[_Found] = []
    for d in lint_pattern(text):
        found.append((_rule_of(d), d.code, at, f"{d.message} (column {d.offset + 1}) [{d.code}]"))
    transformations = properties.get("MetricTransformations")
    if isinstance(transformations, list) and transformations:
        first = transformations[0]
        if isinstance(first, dict):
            for d in _metric(tree, first):
                where: list[str | int] = ["MetricTransformations", 0, *_target(first, d)]
                found.append((_rule_of(d), d.code, where, f"{d.message} [{d.code}]"))
    return tree, found


def _metric(tree: Pattern, transformation: dict[str, Any]) -> list[Diagnostic]:
    value = transformation.get("MetricValue")
    dimensions = transformation.get("Dimensions")
    pairs: list[tuple[str, str | None]] = []
    if isinstance(dimensions, list):
        for dimension in dimensions:
            if isinstance(dimension, dict) and isinstance(dimension.get("Key"), str):
                text = dimension.get("Value")
                pairs.append((dimension["Key"], text if isinstance(text, str) else None))
    default = transformation.get("DefaultValue")
    try:
        default_value = None if default is None else float(default)
    except (TypeError, ValueError):
        default_value = None
    return lint_metric(tree, value if isinstance(value, str) else None, pairs, default_value)


def _target(transformation: dict[str, Any], diagnostic: Diagnostic) -> list[str | int]:
    target = diagnostic.target or ""
    if target in ("metricValue", "transformation") and "MetricValue" in transformation:
        return ["MetricValue"]
    if target.startswith("dimension:"):
        name = target.removeprefix("dimension:")
        for index, dimension in enumerate(transformation.get("Dimensions") or []):
            if isinstance(dimension, dict) and dimension.get("Key") == name:
                return ["Dimensions", index, "Value"]
        return ["Dimensions"]
    return []


def _filters(cfn: Any) -> Iterator[tuple[str, list[str | int], dict[str, Any]]]:
    """(name, path of the properties, properties) of every metric and subscription filter,
    and of SAM functions' CloudWatchLogs events (cfn-lint validates SAM untransformed)."""
    for name, resource in cfn.get_resources(_FILTERS).items():
        properties = resource.get("Properties")
        if isinstance(properties, dict):
            yield name, ["Resources", name, "Properties"], properties
    for name, resource in cfn.get_resources([_SAM_FUNCTION]).items():
        events = (resource.get("Properties") or {}).get("Events")
        if not isinstance(events, dict):
            continue
        for event_name, event in events.items():
            if not isinstance(event, dict) or event.get("Type") != "CloudWatchLogs":
                continue
            properties = event.get("Properties")
            if isinstance(properties, dict):
                path: list[str | int] = ["Resources", name, "Properties", "Events", event_name]
                yield f"{name}.{event_name}", [*path, "Properties"], properties


def _template_findings(cfn: Any) -> Iterator[tuple[str, str, list[str | int], str]]:
    regex_filters: dict[str, list[tuple[str, list[str | int]]]] = {}
    labels: dict[str, str] = {}
    for name, base, properties in _filters(cfn):
        tree, found = _resource_findings(properties)
        for rule, code, at, message in found:
            yield rule, code, [*base, *at], message
        if tree is not None and contains_regex(tree) and "LogGroupName" in properties:
            written = properties["LogGroupName"]
            group = json.dumps(written, sort_keys=True, default=str)
            labels[group] = written if isinstance(written, str) else group
            regex_filters.setdefault(group, []).append((name, [*base, "FilterPattern"]))
    for group, filters in regex_filters.items():
        refused, message = regex_filter_quota(filters, labels[group])
        names = ", ".join(name for name, _ in filters)
        for _name, path in refused:
            text = f"{message}; the filters with a regex: {names} [too-many-regex-filters]"
            yield "W9103", "too-many-regex-filters", path, text


class _Computed(Exception):
    """A value resolved at deploy time."""


def _api_shape(value: Any) -> Any:
    """A ``TransformerConfig`` value in the API's shape (``ParseJSON`` -> ``parseJSON``);
    :class:`_Computed` for an intrinsic function."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith(("Ref", "Fn::")):
            raise _Computed
        return {key[:1].lower() + key[1:]: _api_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_api_shape(item) for item in value]
    return value


def _transformer_findings(cfn: Any) -> Iterator[tuple[str, str, list[str | int], str]]:
    from cwquery.transformers import TransformerError, validate

    for name, resource in cfn.get_resources(["AWS::Logs::Transformer"]).items():
        properties = resource.get("Properties")
        config = properties.get("TransformerConfig") if isinstance(properties, dict) else None
        if not isinstance(config, list):
            continue
        try:
            validate(_api_shape(config))
        except _Computed:
            continue
        except TransformerError as err:
            path: list[str | int] = ["Resources", name, "Properties", "TransformerConfig"]
            if err.processor is not None:
                path.append(err.processor)
            yield "E9103", "invalid-transformer", path, f"{err} [invalid-transformer]"


class _PatternRule:
    """What the rules share (not itself a rule: cfn-lint instantiates every rule class here)."""

    id = ""
    tags: ClassVar[list[str]] = ["cwquery", "logs", "filter-pattern"]
    source_url = _SOURCE

    def match(self, cfn: Any) -> list[RuleMatch]:
        """The matches of this rule's id in the template."""
        return [
            RuleMatch(path, message)
            for rule, _code, path, message in (
                _transformer_findings(cfn) if self.id == "E9103" else _template_findings(cfn)
            )
            if rule == self.id
        ]


class FilterPatternInvalid(_PatternRule, CloudFormationLintRule):  # type: ignore[misc]
    """E9101: CloudWatch refuses the filter pattern."""

    id = "E9101"
    shortdesc = "Filter pattern is invalid"
    description = "The FilterPattern of a metric or subscription filter cannot be parsed, or "
    description += "leaves CloudWatch's regex dialect or quotas (checked by cwquery)."


class MetricTransformationInvalid(_PatternRule, CloudFormationLintRule):  # type: ignore[misc]
    """E9102: the metric transformation is refused or cannot be filled."""

    id = "E9102"
    shortdesc = "Metric transformation does not fit the filter pattern"
    description = "Dimensions on a term pattern, a metric value or dimension naming a field "
    description += "the pattern cannot fill, or a transformation the service refuses."


class PatternMisleading(_PatternRule, CloudFormationLintRule):  # type: ignore[misc]
    """W9101: the pattern does not do what it seems to."""

    id = "W9101"
    shortdesc = "Filter pattern does not do what it seems to"
    description = "?-terms that CloudWatch ignores next to plain terms, a '-' inside an "
    description += "unquoted term that starts an exclusion, or an unanchored .* or .+ at an end "
    description += "of a regex."


class MetricFieldNotInPattern(_PatternRule, CloudFormationLintRule):  # type: ignore[misc]
    """W9102: the metric value or a dimension is not in the pattern."""

    id = "W9102"
    shortdesc = "Metric value or dimension selector not in the filter pattern"
    description = "The metric value's or a dimension's JSON selector does not appear in the "
    description += "filter pattern, so events without the field publish nothing for it."


class TooManyRegexFilters(_PatternRule, CloudFormationLintRule):  # type: ignore[misc]
    """W9103: more regex filters on one log group than CloudWatch allows."""

    id = "W9103"
    shortdesc = "Too many filters with a regex on one log group"
    description = f"CloudWatch allows {MAX_REGEX_FILTERS_PER_LOG_GROUP} metric and subscription "
    description += "filters with a regex per log group."


class TransformerInvalid(_PatternRule, CloudFormationLintRule):  # type: ignore[misc]
    """E9103: PutTransformer refuses the transformer configuration."""

    id = "E9103"
    shortdesc = "Log transformer configuration is invalid"
    description = "The TransformerConfig of an AWS::Logs::Transformer breaks a rule of "
    description += "PutTransformer: processor order, counts, required or conflicting fields."
    tags: ClassVar[list[str]] = ["cwquery", "logs", "transformer"]

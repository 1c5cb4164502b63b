"""Filter patterns in CloudFormation and SAM templates (YAML or JSON, ``cdk.out`` included) and
in ``serverless.yml``: metric and subscription filters, SAM functions' ``CloudWatchLogs``
events, subscription filter account policies, log anomaly detectors, and serverless
``cloudwatchLog`` events.

>>> from cwquery.iac.locate import SourceText, read_yaml
>>> text = ("Resources:\\n  F:\\n    Type: AWS::Logs::MetricFilter\\n    Properties:\\n"
...         "      LogGroupName: /app\\n      FilterPattern: ERROR\\n")
>>> [(s.kind, s.name, s.text, s.log_group) for s in
...  template_sites(Source("t.yaml", SourceText(text)), read_yaml(text)[0])]
[('AWS::Logs::MetricFilter', 'F', 'ERROR', ('name', '/app'))]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator

from cwquery.iac.documents import ACCOUNT_POLICY, account_policy_site
from cwquery.iac.intrinsics import (
    TemplateContext,
    cfn_resources,
    resolve_string,
    resolve_values,
    scalar_text,
)
from cwquery.iac.locate import Doc, DocList, DocMap, DocScalar
from cwquery.iac.sites import Metric, PatternSite, Reference, Source, metric_number

__all__ = [
    "ANOMALY_DETECTOR",
    "METRIC_FILTER",
    "SAM_FUNCTION",
    "SUBSCRIPTION_FILTER",
    "node_label",
    "template_sites",
]

METRIC_FILTER = "AWS::Logs::MetricFilter"
SUBSCRIPTION_FILTER = "AWS::Logs::SubscriptionFilter"
SAM_FUNCTION = "AWS::Serverless::Function"
ANOMALY_DETECTOR = "AWS::Logs::LogAnomalyDetector"


def template_sites(source: Source, document: DocMap) -> list[PatternSite]:
    """The patterns of a CloudFormation template, or of a serverless.yml (its functions' events
    and the CloudFormation under ``resources``)."""
    sites: list[PatternSite] = []
    resources = document.items.get("Resources")
    context = TemplateContext.of(document)
    if isinstance(resources, DocMap):
        sites += _resources(source, resources, context)
    functions = document.items.get("functions")
    if "service" in document.items and isinstance(functions, DocMap):
        sites += _serverless(source, functions)
        extra = document.items.get("resources")
        if isinstance(extra, DocMap) and isinstance(extra.items.get("Resources"), DocMap):
            sites += _resources(source, extra.items["Resources"], context)  # type: ignore[arg-type]
    return sites


def _resources(
    source: Source, resources: DocMap, context: TemplateContext
) -> Iterator[PatternSite]:
    for logical_id, kind, properties in cfn_resources(resources):
        if kind in (METRIC_FILTER, SUBSCRIPTION_FILTER, ANOMALY_DETECTOR):
            metric = _cfn_metric(properties, context) if kind == METRIC_FILTER else None
            yield from _cfn_sites(source, kind, logical_id, properties, metric, context)
        elif kind == SAM_FUNCTION:
            yield from _sam_events(source, logical_id, properties, context)
        elif kind == ACCOUNT_POLICY:
            policy = account_policy_site(source, logical_id, properties)
            if policy:
                yield policy


def _sam_events(
    source: Source, function: str, properties: DocMap, context: TemplateContext
) -> Iterator[PatternSite]:
    events = properties.items.get("Events")
    if not isinstance(events, DocMap):
        return
    for name, event in events.items.items():
        if (
            not isinstance(event, DocMap)
            or scalar_text(event.items.get("Type")) != "CloudWatchLogs"
        ):
            continue
        event_properties = event.items.get("Properties")
        if isinstance(event_properties, DocMap):
            kind = f"{SAM_FUNCTION} CloudWatchLogs event"
            name = f"{function}.Events.{name}"
            yield from _cfn_sites(source, kind, name, event_properties, None, context)


def _cfn_sites(
    source: Source,
    kind: str,
    name: str,
    properties: DocMap,
    metric: Metric | None,
    context: TemplateContext,
) -> Iterator[PatternSite]:
    """The pattern of a filter: one site per value it can take (each literal branch of
    ``Fn::If``), with what it was resolved with as notes."""
    node = properties.items.get("FilterPattern")
    if node is None:
        return
    group, label = _log_group(source, properties.items.get("LogGroupName"))
    for value in resolve_values(node, "FilterPattern", context):
        yield PatternSite(
            source, kind, name, value.text, value.located, value.unresolved, metric, group,
            label, notes=value.notes,
        )  # fmt: skip


def _cfn_metric(properties: DocMap, context: TemplateContext) -> Metric | None:
    transformations = properties.items.get("MetricTransformations")
    if not isinstance(transformations, DocList) or not transformations.items:
        return None
    first = transformations.items[0]
    if not isinstance(first, DocMap):
        return None
    value = first.items.get("MetricValue")
    dimensions = []
    listed = first.items.get("Dimensions")
    for item in listed.items if isinstance(listed, DocList) else []:
        if isinstance(item, DocMap):
            key = scalar_text(item.items.get("Key"))
            reference = item.items.get("Value")
            if key is not None and reference is not None:
                dimensions.append((key, _reference(reference)))
    return Metric(
        _reference(value) if value is not None else None,
        tuple(dimensions),
        metric_number(scalar_text(first.items.get("DefaultValue"))),
        _name(first.items.get("MetricName"), "MetricName", context),
        _name(first.items.get("MetricNamespace"), "MetricNamespace", context),
        _name(first.items.get("Unit"), "Unit", context),
    )


def _name(node: Doc | None, what: str, context: TemplateContext) -> Reference | None:
    """A metric's name or namespace: a literal, or one value resolved as a pattern is (``Ref``
    to a parameter's default, ``Fn::Sub``, ``Fn::Join``, ``Fn::FindInMap``); a property that
    can take several values (``Fn::If``) or is known only at deploy time has no text."""
    if node is None:
        return None
    values = resolve_values(node, what, context)
    if len(values) != 1 or values[0].text is None:
        return Reference(None, None)
    return Reference(values[0].text, values[0].located)


def _reference(node: Doc) -> Reference:
    text, located, _ = resolve_string(node, "value")
    return Reference(text, located)


def _log_group(source: Source, node: Doc | None) -> tuple[Hashable | None, str | None]:
    if node is None:
        return None, None
    text, _, _ = resolve_string(node, "LogGroupName")
    if text is not None:
        return ("name", text), text
    label = node_label(node)
    return ("expr", source.path, label), label


def node_label(node: Doc) -> str:
    """A document node as compact text, for naming a log group given as an expression.

    >>> from cwquery.iac.locate import read_yaml
    >>> node_label(read_yaml("!Join ['', [/aws/lambda/, !Ref F]]")[0])
    '!Join [, [/aws/lambda/, !Ref F]]'
    """
    if isinstance(node, DocScalar):
        return f"{node.tag} {node.value}" if node.tag else node.value
    if isinstance(node, DocList):
        items = ", ".join(node_label(item) for item in node.items)
        return f"{node.tag} [{items}]" if node.tag else f"[{items}]"
    items = ", ".join(f"{key}: {node_label(value)}" for key, value in node.items.items())
    return f"{node.tag} {{{items}}}" if node.tag else f"{{{items}}}"


# --------------------------------------------------------------------------- serverless


def _serverless(source: Source, functions: DocMap) -> Iterator[PatternSite]:
    for function, definition in functions.items.items():
        events = definition.items.get("events") if isinstance(definition, DocMap) else None
        for index, event in enumerate(events.items if isinstance(events, DocList) else []):
            settings = event.items.get("cloudwatchLog") if isinstance(event, DocMap) else None
            if not isinstance(settings, DocMap) or "filter" not in settings.items:
                continue
            text, located, unresolved = resolve_string(settings.items["filter"], "filter")
            if text is not None and "${" in text:
                text, unresolved = None, "serverless variables ${…} are resolved at deploy time"
            group, label = _log_group(source, settings.items.get("logGroup"))
            name = f"functions.{function}.events[{index}].cloudwatchLog"
            kind = "serverless cloudwatchLog event"
            yield PatternSite(source, kind, name, text, located, unresolved, None, group, label)

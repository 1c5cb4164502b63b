"""Metric filters and the alarms on their metrics, found in infrastructure code: CloudFormation
and SAM templates (YAML or JSON, ``cdk.out/*.template.json`` included), Terraform ``.tf``
(filters as :mod:`cwquery.iac.scan` resolves them, alarms by :mod:`cwquery.iac.tfalarms`: per
``for_each``/``count`` instance, through local modules), Terraform JSON and plans. Metric
names and namespaces written with ``Ref``/``Fn::Sub``/``Fn::Join``/``Fn::FindInMap`` are
resolved as filter patterns are (parameter defaults).

A filter or alarm whose needed values are computed at deploy time (``!GetAtt``, a resource's
attribute, a data source) is reported in ``skipped`` with the reason, and an alarm also in
``unread``; so is an alarm the backtest cannot replay (E16). Nothing is guessed: an alarm is on
a filter when both name the same namespace and metric name.

>>> found = scan_text('''
... Resources:
...   Errors:
...     Type: AWS::Logs::MetricFilter
...     Properties:
...       LogGroupName: /app
...       FilterPattern: ERROR
...       MetricTransformations:
...         - {MetricName: Errors, MetricNamespace: App, MetricValue: "1"}
...   ErrorAlarm:
...     Type: AWS::CloudWatch::Alarm
...     Properties:
...       MetricName: Errors
...       Namespace: App
...       Statistic: Sum
...       Period: 60
...       EvaluationPeriods: 1
...       Threshold: 1
...       ComparisonOperator: GreaterThanOrEqualToThreshold
... ''', "t.yaml")
>>> [(f.name, f.pattern, [a.name for a in f.alarms]) for f in found.filters]
[('Errors', 'ERROR', ['ErrorAlarm'])]
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cwquery.backtest.alarms import Alarm, AlarmError
from cwquery.iac.documents import is_terraform_json, terraform_json_resources
from cwquery.iac.hcl import read_hcl_blocks
from cwquery.iac.hclfunctions import reading_under
from cwquery.iac.intrinsics import TemplateContext, resolve_values
from cwquery.iac.locate import Doc, DocList, DocMap, DocumentError, SourceText, read_json, read_yaml
from cwquery.iac.scan import folder_files, format_of
from cwquery.iac.scan import scan_text as scan_sites
from cwquery.iac.sites import PatternSite, Source
from cwquery.iac.tfalarms import ALARM_ARGUMENTS, TfAlarm, folder_alarms, without_repeats
from cwquery.iac.tfmodule import TfFile
from cwquery.iac.tfresolve import without_repeats as without_repeated_sites
from cwquery.metrics import MetricTransformation

CFN_ALARM = "AWS::CloudWatch::Alarm"
CFN_METRIC_FILTER = "AWS::Logs::MetricFilter"
TF_ALARM = "aws_cloudwatch_metric_alarm"
TF_METRIC_FILTER = "aws_cloudwatch_log_metric_filter"
_UNRESOLVED = object()


@dataclass
class FoundFilter:
    """A metric filter from a file, and the alarms watching its metric."""

    path: str
    name: str
    pattern: str
    transformation: MetricTransformation
    log_group: str | None
    alarms: list[Alarm] = field(default_factory=list)


@dataclass
class Found:
    """Everything found; ``skipped`` holds ``(path, resource, reason)``."""

    filters: list[FoundFilter] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    #: every alarm read, with its file, whether or not a filter found here publishes its metric
    alarms: list[tuple[str, Alarm]] = field(default_factory=list)
    #: ``(path, alarm, reason)`` of the alarms that could not be read (also in ``skipped``)
    unread: list[tuple[str, str, str]] = field(default_factory=list)
    #: Terraform folders (modules) whose alarms are read once every file is scanned, each with
    #: the file already read when the text was given rather than read from the disk
    pending: dict[str, TfFile | None] = field(default_factory=dict, repr=False)
    #: whether Terraform metric filters are read
    terraform_filters: bool = field(default=True, repr=False)
    #: Terraform metric filter sites, read once every file is scanned
    tf_sites: list[PatternSite] = field(default_factory=list, repr=False)


def scan_paths(paths: list[str], *, terraform_filters: bool = True) -> Found:
    """Scan files and folders (recursively) for metric filters and alarms; alarms are attached
    to the filters of their namespace and metric name. ``terraform_filters=False`` leaves out
    the Terraform filters (for a caller that has the sites already: ``found.alarms`` holds
    every alarm)."""
    found = Found(terraform_filters=terraform_filters)
    alarms: list[tuple[str, Alarm]] = []
    with reading_under(paths):
        for path in paths:
            files = folder_files(path) if os.path.isdir(path) else [path]
            for file in files:
                text = Path(file).read_text(encoding="utf-8-sig", errors="replace")
                _scan(text, file, found, alarms)
    _attach(found, alarms)
    return found


def scan_text(text: str, path: str) -> Found:
    """Scan one file's text (the kind comes from the file name)."""
    found = Found()
    alarms: list[tuple[str, Alarm]] = []
    _scan(text, path, found, alarms)
    _attach(found, alarms)
    return found


def _attach(found: Found, alarms: list[tuple[str, Alarm]]) -> None:
    for site in without_repeated_sites(found.tf_sites):
        _site_filter(site, found)
    found.tf_sites.clear()
    resolved: list[TfAlarm] = []
    for folder, given in found.pending.items():
        resolved += folder_alarms("" if given else folder, given)
    found.pending.clear()
    for tf_alarm in without_repeats(resolved):
        if tf_alarm.properties is None:
            _skip(found, tf_alarm.path, tf_alarm.address, tf_alarm.unresolved or "not known")
        else:
            _alarm(tf_alarm.path, tf_alarm.address, tf_alarm.properties, found, alarms)
    found.alarms += alarms
    for _, alarm in alarms:
        for metric_filter in found.filters:
            transformation = metric_filter.transformation
            if (alarm.metric_name, alarm.namespace) == (
                transformation.metric_name,
                transformation.metric_namespace,
            ):
                metric_filter.alarms.append(alarm)


def _skip(found: Found, path: str, name: str, reason: str) -> None:
    """An alarm that cannot be read, with why."""
    found.skipped.append((path, name, reason))
    found.unread.append((path, name, reason))


def _scan(text: str, path: str, found: Found, alarms: list[tuple[str, Alarm]]) -> None:
    kind = format_of(path)
    if kind == "terraform":
        if found.terraform_filters and (TF_METRIC_FILTER in text or "module" in text):
            _terraform(text, path, found)
        if TF_ALARM in text or "module" in text:
            _pending(text, path, found)
        return
    if kind not in ("yaml", "json", "template") or ("AWS::" not in text and TF_ALARM not in text):
        return
    try:
        documents = [read_json(text)] if text.lstrip().startswith("{") else read_yaml(text)
    except DocumentError:
        return  # the pattern checker (cwquery check) reports unreadable templates
    for document in documents:
        if not isinstance(document, DocMap):
            continue
        if is_terraform_json(document):
            _terraform_json(document, path, found, alarms)
            continue
        context = TemplateContext.of(document)
        resources = document.items.get("Resources")
        for name, resource in (resources.items if isinstance(resources, DocMap) else {}).items():
            plain = _plain(resource)
            if isinstance(plain, dict) and isinstance(plain.get("Properties"), dict):
                _names(resource, plain["Properties"], context)
                _cfn_resource(path, name, plain, found, alarms)


def _pending(text: str, path: str, found: Found) -> None:
    """Note the folder of a Terraform file for its alarms to be read with the module's other
    files (a file not on the disk is read alone)."""
    if os.path.isfile(path):
        found.pending.setdefault(os.path.dirname(os.path.abspath(path)), None)
        return
    try:
        root = read_hcl_blocks(text)
    except DocumentError:
        return
    found.pending[f"\0{path}"] = TfFile(Source(path, SourceText(text)), root)


#: Properties holding a metric's name and namespace, resolved as filter patterns are.
_NAMES = ("MetricName", "Namespace", "MetricNamespace")


def _names(resource: Doc, properties: dict[str, Any], context: TemplateContext) -> None:
    """The metric name and namespace of an alarm or of a filter's first transformation, when
    written with ``Ref`` to a parameter default, ``Fn::Sub``, ``Fn::Join`` or
    ``Fn::FindInMap`` that resolve to one value: replaced by that value."""
    written = resource.items.get("Properties") if isinstance(resource, DocMap) else None
    places: list[tuple[DocMap, dict[str, Any]]] = []
    if isinstance(written, DocMap):
        places.append((written, properties))
        listed = written.items.get("MetricTransformations")
        plain = properties.get("MetricTransformations")
        if isinstance(listed, DocList) and listed.items and isinstance(plain, list) and plain:
            first = listed.items[0]
            if isinstance(first, DocMap) and isinstance(plain[0], dict):
                places.append((first, plain[0]))
    for node, values in places:
        for key in _NAMES:
            if key in node.items and _unresolved(values.get(key)):
                resolved = resolve_values(node.items[key], key, context)
                if len(resolved) == 1 and resolved[0].text is not None:
                    values[key] = resolved[0].text


def _plain(doc: Doc) -> Any:
    """A YAML document as plain values; a tagged node (``!Ref x``) becomes unresolved."""
    if doc.tag:
        return _UNRESOLVED
    if isinstance(doc, DocMap):
        return {key: _plain(value) for key, value in doc.items.items()}
    if isinstance(doc, DocList):
        return [_plain(item) for item in doc.items]
    if doc.kind == "number":
        return float(doc.value)
    if doc.kind == "null":
        return None
    return doc.value


def _unresolved(value: Any) -> bool:
    if value is _UNRESOLVED:
        return True
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref")):
            return True
        return any(_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(_unresolved(v) for v in value)
    return isinstance(value, str) and "${" in value


def _cfn_resource(
    path: str, name: str, resource: dict[str, Any], found: Found, alarms: list[tuple[str, Alarm]]
) -> None:
    kind, properties = resource.get("Type"), resource["Properties"]
    if kind == CFN_METRIC_FILTER:
        transformations = properties.get("MetricTransformations") or [{}]
        first = transformations[0] if isinstance(transformations, list) else {}
        needed = [properties.get("FilterPattern"), first]
        if _unresolved(needed) or not isinstance(first, dict):
            found.skipped.append((path, name, "a value is resolved at deploy time"))
            return
        try:
            transformation = MetricTransformation(
                str(first["MetricName"]),
                str(first["MetricNamespace"]),
                _text(first["MetricValue"]),
                first.get("DefaultValue"),
                {str(d["Key"]): str(d["Value"]) for d in first.get("Dimensions") or []},
                first.get("Unit"),
            )
        except (KeyError, TypeError) as err:
            found.skipped.append((path, name, f"incomplete metric transformation: {err}"))
            return
        group = properties.get("LogGroupName")
        found.filters.append(
            FoundFilter(
                path,
                name,
                str(properties.get("FilterPattern") or ""),
                transformation,
                group if isinstance(group, str) else None,
            )
        )
    elif kind == CFN_ALARM:
        _alarm(path, name, {"AlarmName": name, **properties}, found, alarms)


def _alarm(
    path: str, name: str, properties: dict[str, Any], found: Found, alarms: list[tuple[str, Alarm]]
) -> None:
    if _unresolved(
        {
            k: v
            for k, v in properties.items()
            if k not in ("AlarmActions", "OKActions", "InsufficientDataActions", "AlarmDescription")
        }
    ):
        _skip(found, path, name, "a value is resolved at deploy time")
        return
    if not properties.get("MetricName") and not properties.get("Metrics"):
        return
    try:
        alarms.append((path, Alarm.from_api(properties)))
    except AlarmError as err:
        _skip(found, path, name, str(err))


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _terraform(text: str, path: str, found: Found) -> None:
    """The metric filters of a Terraform file as ``cwquery check`` reads them: one per
    ``for_each`` key or ``count`` index, and those of the local modules it calls (kept until
    every file is read, for the module's own to be kept once)."""
    for site in scan_sites(text, path, "terraform").sites:
        if site.kind == TF_METRIC_FILTER:
            found.tf_sites.append(site)


def _site_filter(site: PatternSite, found: Found) -> None:
    """A filter to replay, when its pattern and every value of its metric are known."""
    path, metric = site.source.path or "", site.metric
    if site.text is None:
        found.skipped.append((path, site.name, site.unresolved or "computed at deploy time"))
        return
    if metric is None or metric.key is None:
        what = "no metric transformation" if metric is None else "its metric name or namespace"
        found.skipped.append((path, site.name, f"{what} is computed at deploy time"))
        return
    references = [metric.value, metric.unit, *(ref for _, ref in metric.dimensions)]
    if metric.value is None or any(r is not None and r.text is None for r in references):
        found.skipped.append((path, site.name, "a metric value is computed at deploy time"))
        return
    namespace, name = metric.key
    transformation = MetricTransformation(
        name,
        namespace,
        metric.value.text or "",
        metric.default_value,
        {key: ref.text or "" for key, ref in metric.dimensions},
        metric.unit.text if metric.unit else None,
    )
    group = site.log_group
    log_group = group[1] if isinstance(group, tuple) and group[0] == "name" else None
    found.filters.append(FoundFilter(path, site.name, site.text, transformation, log_group))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


#: A ``.tf.json`` value naming a metric filter of the same file: ``${KIND.NAME.id}``,
#: ``${KIND.NAME.name}`` or ``${KIND.NAME.metric_transformation[0].name|namespace}``.
_JSON_REFERENCE = re.compile(
    r"^\$\{aws_cloudwatch_log_metric_filter\.([\w-]+)\."
    r"(id|name|metric_transformation\[0\]\.(?:name|namespace))\}$"
)


def _terraform_json(
    document: DocMap, path: str, found: Found, alarms: list[tuple[str, Alarm]]
) -> None:
    """The alarms of a ``.tf.json`` configuration (literal values, and references to a metric
    filter of the same file whose values are literal) or of a plan or state (values as
    planned; a value known only after apply leaves the alarm unread)."""
    filters: dict[str, Any] = {}
    for _, name, body, planned in terraform_json_resources(document, {TF_METRIC_FILTER}):
        if not planned:
            filters[name.split(".", 1)[1]] = _plain(body)
    for _, name, body, _planned in terraform_json_resources(document, {TF_ALARM}):
        values = _plain(body)
        if not isinstance(values, dict):
            continue
        properties: dict[str, Any] = {"AlarmName": name}
        reason = None
        for key, api in ALARM_ARGUMENTS.items():
            value = values.get(key)
            if key in ("metric_name", "namespace") and key in values and value is None:
                reason = f"{key} is known only after apply"
            if isinstance(value, str):
                value = _json_reference(value, filters)
            if value is None:
                continue
            properties[api] = value
        queries = values.get("metric_query")
        if queries:
            properties["Metrics"] = queries if isinstance(queries, list) else [queries]
        dimensions = values.get("dimensions")
        if isinstance(dimensions, dict):
            properties["Dimensions"] = [{"Name": k, "Value": v} for k, v in dimensions.items()]
        if reason is not None:
            _skip(found, path, name, reason)
            continue
        _alarm(path, name, properties, found, alarms)


def _json_reference(value: str, filters: dict[str, Any]) -> Any:
    """A reference to a metric filter of the same file, replaced by its literal value."""
    match = _JSON_REFERENCE.match(value)
    body = filters.get(match.group(1)) if match else None
    if match is None or not isinstance(body, dict):
        return value
    what = match.group(2)
    if what in ("id", "name"):
        found = body.get("name")
    else:
        found = _first(body.get("metric_transformation"))
        found = found.get(what.rsplit(".", 1)[1]) if isinstance(found, dict) else None
    return found if isinstance(found, str) and "${" not in found else value

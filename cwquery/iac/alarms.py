"""Metric filters and the alarms on their metrics, found in infrastructure code: CloudFormation
and SAM templates (YAML or JSON, ``cdk.out/*.template.json`` included) and Terraform.

A filter or alarm whose needed values are computed at deploy time (``!Ref``, ``${…}``) is
reported in ``skipped`` with the reason; so is an alarm the backtest cannot replay (E16).

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

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cwquery.backtest.alarms import Alarm, AlarmError
from cwquery.iac.locate import Doc, DocList, DocMap, DocumentError, read_yaml
from cwquery.iac.scan import folder_files, format_of
from cwquery.iac.terraform import hcl_load
from cwquery.metrics import MetricTransformation

CFN_ALARM = "AWS::CloudWatch::Alarm"
CFN_METRIC_FILTER = "AWS::Logs::MetricFilter"
TF_ALARM = "aws_cloudwatch_metric_alarm"
TF_METRIC_FILTER = "aws_cloudwatch_log_metric_filter"
_TF_REFERENCE = re.compile(
    r"^\$\{aws_cloudwatch_log_metric_filter\.([\w-]+)\.metric_transformation\[0\]\.(\w+)\}$"
)
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
    #: Terraform alarms read but not yet resolved, as ``(path, name, body)``: a reference to a
    #: filter's metric may name a filter in another file of the same folder (module)
    pending: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list, repr=False)
    #: Terraform metric filters by ``(folder, label)``, for those references
    tf_filters: dict[tuple[str, str], FoundFilter] = field(default_factory=dict, repr=False)


def scan_paths(paths: list[str]) -> Found:
    """Scan files and folders (recursively) for metric filters and alarms; alarms are attached
    to the filters of their namespace and metric name."""
    found = Found()
    alarms: list[tuple[str, Alarm]] = []
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
    for path, name, body in found.pending:
        folder = os.path.dirname(os.path.abspath(path))
        properties = _tf_alarm_properties(name, body, folder, found.tf_filters)
        _alarm(path, f"{TF_ALARM}.{name}", properties, found, alarms)
    found.pending.clear()
    for _, alarm in alarms:
        for metric_filter in found.filters:
            transformation = metric_filter.transformation
            if (alarm.metric_name, alarm.namespace) == (
                transformation.metric_name,
                transformation.metric_namespace,
            ):
                metric_filter.alarms.append(alarm)


def _scan(text: str, path: str, found: Found, alarms: list[tuple[str, Alarm]]) -> None:
    kind = format_of(path)
    if kind == "terraform":
        if TF_METRIC_FILTER in text or TF_ALARM in text:
            _terraform(text, path, found, alarms)
        return
    if kind not in ("yaml", "json", "template") or "AWS::" not in text:
        return
    try:
        documents = (
            [json.loads(text)]
            if text.lstrip().startswith("{")
            else [_plain(doc) for doc in read_yaml(text)]
        )
    except (ValueError, DocumentError):
        return  # the pattern checker (cwquery check) reports unreadable templates
    for document in documents:
        resources = document.get("Resources") if isinstance(document, dict) else None
        for name, resource in (resources or {}).items():
            if isinstance(resource, dict) and isinstance(resource.get("Properties"), dict):
                _cfn_resource(path, name, resource, found, alarms)


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
        found.skipped.append((path, name, "a value is resolved at deploy time"))
        return
    if not properties.get("MetricName") and not properties.get("Metrics"):
        return
    try:
        alarms.append((path, Alarm.from_api(properties)))
    except AlarmError as err:
        found.skipped.append((path, name, str(err)))


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _terraform(text: str, path: str, found: Found, alarms: list[tuple[str, Alarm]]) -> None:
    try:
        data = hcl_load(text)
    except Exception:  # python-hcl2 raises Lark's errors; cwquery check reports the file
        return
    folder = os.path.dirname(os.path.abspath(path))
    for entry in data.get("resource", []):
        for kind, resources in entry.items():
            for name, body in resources.items():
                if kind == TF_METRIC_FILTER:
                    made = _tf_filter(path, name, body, found)
                    if made:
                        found.tf_filters[(folder, name)] = made
                        found.filters.append(made)
                elif kind == TF_ALARM:
                    found.pending.append((path, name, body))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _tf_filter(path: str, name: str, body: dict[str, Any], found: Found) -> FoundFilter | None:
    values = _first(body.get("metric_transformation"))
    pattern = body.get("pattern")
    if not isinstance(values, dict) or _unresolved([pattern, values]):
        found.skipped.append((path, f"{TF_METRIC_FILTER}.{name}", "values resolved at plan time"))
        return None
    default = values.get("default_value")
    transformation = MetricTransformation(
        str(values.get("name")),
        str(values.get("namespace")),
        _text(values.get("value")),
        None if default in (None, "") else float(default),
        {k: str(v) for k, v in (values.get("dimensions") or {}).items() if not k.startswith("__")},
        values.get("unit"),
    )
    group = body.get("log_group_name")
    return FoundFilter(
        path,
        f"{TF_METRIC_FILTER}.{name}",
        str(pattern or ""),
        transformation,
        group if isinstance(group, str) and "${" not in group else None,
    )


_TF_ALARM_KEYS = {
    "alarm_name": "AlarmName",
    "metric_name": "MetricName",
    "namespace": "Namespace",
    "statistic": "Statistic",
    "extended_statistic": "ExtendedStatistic",
    "period": "Period",
    "evaluation_periods": "EvaluationPeriods",
    "datapoints_to_alarm": "DatapointsToAlarm",
    "threshold": "Threshold",
    "comparison_operator": "ComparisonOperator",
    "treat_missing_data": "TreatMissingData",
    "unit": "Unit",
    "evaluate_low_sample_count_percentiles": "EvaluateLowSampleCountPercentile",
    "threshold_metric_id": "ThresholdMetricId",
    "metric_query": "Metrics",
}


def _tf_alarm_properties(
    name: str, body: dict[str, Any], folder: str, filters: dict[tuple[str, str], FoundFilter]
) -> dict[str, Any]:
    properties: dict[str, Any] = {"AlarmName": name}
    for key, value in body.items():
        if key not in _TF_ALARM_KEYS:
            continue
        reference = _TF_REFERENCE.match(value) if isinstance(value, str) else None
        if reference and (folder, reference.group(1)) in filters:
            transformation = filters[(folder, reference.group(1))].transformation
            value = {
                "name": transformation.metric_name,
                "namespace": transformation.metric_namespace,
            }.get(reference.group(2), value)
        properties[_TF_ALARM_KEYS[key]] = value
    dimensions = body.get("dimensions")
    if isinstance(dimensions, dict):
        properties["Dimensions"] = [
            {"Name": k, "Value": v} for k, v in dimensions.items() if not k.startswith("__")
        ]
    return properties

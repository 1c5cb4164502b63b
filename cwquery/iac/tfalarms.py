"""Terraform ``aws_cloudwatch_metric_alarm`` resources evaluated as the filters are
(:mod:`cwquery.iac.tfmodule`): one alarm per ``for_each`` key or ``count`` index, through the
modules of the same repository a file calls, with references to a metric filter of the same
module (``aws_cloudwatch_log_metric_filter.x[each.key].id``,
``….metric_transformation[0].name``) read from that filter's own values. What cannot be known
without deploying leaves the alarm unresolved, with the reason.

>>> import tempfile, pathlib
>>> folder = tempfile.mkdtemp()
>>> _ = pathlib.Path(folder, "main.tf").write_text(
...     'locals {\\n  m = { A = "x" }\\n}\\n'
...     'resource "aws_cloudwatch_log_metric_filter" "f" {\\n  for_each = local.m\\n'
...     '  name = each.key\\n  pattern = each.value\\n  log_group_name = "g"\\n'
...     '  metric_transformation {\\n    name = each.key\\n    namespace = "N"\\n'
...     '    value = 1\\n  }\\n}\\n'
...     'resource "aws_cloudwatch_metric_alarm" "a" {\\n  for_each = local.m\\n'
...     '  metric_name = aws_cloudwatch_log_metric_filter.f[each.key].id\\n'
...     '  namespace = "N"\\n}\\n')
>>> [(a.address, a.properties) for a in folder_alarms(folder)]
[('aws_cloudwatch_metric_alarm.a["A"]', {'AlarmName': 'aws_cloudwatch_metric_alarm.a["A"]', \
'MetricName': 'A', 'Namespace': 'N'})]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cwquery.iac.hcl import HclBlock
from cwquery.iac.hcleval import EvalError, Unknown, evaluate
from cwquery.iac.hclexpr import Node, parse_expression
from cwquery.iac.locate import DocumentError
from cwquery.iac.tfmodule import (
    MAX_COUNT,
    Instance,
    ModuleScope,
    TfFile,
    TfModule,
    assumed_note,
    block_instances,
    evaluate_attribute,
    load_module,
    local_module_calls,
)

__all__ = [
    "ALARM_ARGUMENTS",
    "TF_ALARM",
    "TfAlarm",
    "folder_alarms",
    "module_alarms",
    "too_many",
    "without_repeats",
]

TF_ALARM = "aws_cloudwatch_metric_alarm"
_TF_METRIC_FILTER = "aws_cloudwatch_log_metric_filter"

#: Terraform arguments and the ``PutMetricAlarm`` properties they set.
ALARM_ARGUMENTS = _KEYS = {
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
}
_MODULE_PREFIX = re.compile(r"^(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)+")


@dataclass(frozen=True)
class TfAlarm:
    """One alarm instance: its file, address and ``PutMetricAlarm`` properties, or why they
    cannot be known (``properties`` ``None``); ``notes`` name the variable defaults used."""

    path: str
    address: str
    properties: dict[str, Any] | None
    unresolved: str | None = None
    notes: tuple[str, ...] = ()
    #: the offset of the resource block in its file (alarms repeated through calls share it)
    start: int = 0


class _AlarmScope(ModuleScope):
    """A module's scope in which ``aws_cloudwatch_log_metric_filter.NAME`` is the filter's
    values as written (``name``, ``id`` and ``metric_transformation``), per instance."""

    def __init__(self, module: TfModule, **options: Any) -> None:
        super().__init__(module, **options)
        #: filters being read (shared by the scopes made from this one): a filter whose
        #: values refer back to itself is unknown
        self.reading: set[str] = set()
        #: filters read, by name, with the variables whose defaults they used (one read per
        #: module, however many alarms refer to them)
        self.read: dict[str, tuple[Any, frozenset[str]]] = {}

    def reference(self, root: str, attribute: str, node: Node) -> Any:
        if root != _TF_METRIC_FILTER:
            return super().reference(root, attribute, node)
        found = [
            (file, block)
            for file, block in self.module.resources()
            if block.labels == (root, attribute)
        ]
        if len(found) != 1:
            return Unknown(f"{root}.{attribute} is not a resource of this module")
        if attribute in self.read:
            value, assumed = self.read[attribute]
            self.assumed |= assumed
            return value
        if attribute in self.reading:
            return Unknown(f"{root}.{attribute} refers to itself")
        file, block = found[0]
        self.reading.add(attribute)
        outer, self.assumed = self.assumed, set()
        try:
            value = _filter_value(file, block, self)
        finally:
            self.reading.discard(attribute)
            assumed, self.assumed = frozenset(self.assumed), outer | self.assumed
        if not self.reading:  # a value read inside a cycle is not kept
            self.read[attribute] = (value, assumed)
        return value


def too_many(file: TfFile, block: HclBlock, scope: ModuleScope) -> str | None:
    """Why a resource's instances are not expanded: a ``count`` above :data:`MAX_COUNT`."""
    place = block.attributes.get("count")
    if place is None or "for_each" in block.attributes:
        return None
    try:
        node = parse_expression(file.source.text.text, place.start, place.end)
        value = evaluate(node, scope.fresh(file.source))
    except (DocumentError, EvalError, RecursionError):
        return None  # block_instances says why
    if isinstance(value, int | float) and not isinstance(value, bool) and value > MAX_COUNT:
        return f"count is above {MAX_COUNT}: its instances are not expanded"
    return None


def _filter_value(file: TfFile, block: HclBlock, scope: ModuleScope) -> Any:
    """The filter resource as references see it: one object, a list (``count``) or a map
    (``for_each``) of objects."""
    reason = too_many(file, block, scope)
    if reason is not None:
        return Unknown(f"{block.labels[0]}.{block.labels[1]}: {reason}")
    meta = "for_each" if "for_each" in block.attributes else None
    meta = meta or ("count" if "count" in block.attributes else None)
    by_key: dict[Any, dict[str, Any]] = {}
    for instance in block_instances(file, block, scope):
        if instance.unresolved is not None:
            return Unknown(f"{instance.address}: {instance.unresolved}")
        if meta == "for_each":
            assert instance.scope.each is not None
            key: Any = str(instance.scope.each[0])
        else:
            key = instance.scope.count or 0
        value = _filter_object(instance, scope)
        if key in by_key and by_key[key] != value:
            return Unknown(f"{instance.address} differs between the branches of a condition")
        by_key[key] = value
    if meta == "for_each":
        return by_key
    if meta == "count":
        return [by_key[index] for index in sorted(by_key)]
    return by_key.get(0, Unknown(f"{block.labels[0]}.{block.labels[1]} is not made"))


def _filter_object(instance: Instance, scope: ModuleScope) -> dict[str, Any]:
    name, assumed = evaluate_attribute(instance, "name")
    scope.assumed |= assumed
    found: dict[str, Any] = {"name": name, "id": name}  # a metric filter's id is its name
    transformations = [b for b in instance.block.blocks if b.type == "metric_transformation"]
    if transformations:
        values = {}
        for attribute in ("name", "namespace", "value", "default_value", "unit"):
            value, assumed = evaluate_attribute(instance, attribute, transformations[0])
            scope.assumed |= assumed
            values[attribute] = value
        found["metric_transformation"] = [values]
    return found


def _alarm(instance: Instance) -> TfAlarm:
    path = instance.file.source.path or ""
    start = instance.block.start
    properties: dict[str, Any] = {}
    assumed: set[str] = set()
    for key, name in _KEYS.items():
        value, used = evaluate_attribute(instance, key)
        if value is None:
            continue
        if isinstance(value, Unknown):
            reason = f"{key} is computed at deploy time: {value.reason}"
            return TfAlarm(path, instance.address, None, reason, instance.notes, start)
        assumed |= used
        properties[name] = str(value) if isinstance(value, str) else value
    dimensions, used = evaluate_attribute(instance, "dimensions")
    if isinstance(dimensions, Unknown) or not isinstance(dimensions, dict | type(None)):
        reason = "dimensions are computed at deploy time"
        return TfAlarm(path, instance.address, None, reason, instance.notes, start)
    if dimensions:
        assumed |= used
        properties["Dimensions"] = [{"Name": k, "Value": str(v)} for k, v in dimensions.items()]
    queries = [b for b in instance.block.blocks if b.type == "metric_query"]
    if queries:  # metric math: named for what it is; the backtest refuses it (E16)
        properties["Metrics"] = [{"Id": str(i)} for i in range(len(queries))]
    properties.setdefault("AlarmName", instance.address)
    properties = {"AlarmName": properties.pop("AlarmName"), **properties}
    notes = instance.notes + ((assumed_note(assumed),) if assumed else ())
    return TfAlarm(path, instance.address, properties, None, notes, start)


def module_alarms(module: TfModule, scope: ModuleScope) -> Iterator[TfAlarm]:
    """The alarms of a module in ``scope``, then those of the local modules it calls."""
    alarm_scope = _AlarmScope(
        module,
        inputs=scope.inputs,
        root_folder=scope.root_folder,
        address=scope.address,
        depth=scope.depth,
    )
    for file, block in module.resources():
        if block.labels[0] == TF_ALARM:
            reason = too_many(file, block, alarm_scope)
            if reason is not None:
                address = f"{alarm_scope.address}{TF_ALARM}.{block.labels[1]}"
                path = file.source.path or ""
                yield TfAlarm(path, address, None, reason, (), block.start)
                continue
            for instance in block_instances(file, block, alarm_scope):
                if instance.unresolved is not None:
                    path = file.source.path or ""
                    yield TfAlarm(
                        path, instance.address, None, instance.unresolved, instance.notes,
                        block.start,
                    )  # fmt: skip
                else:
                    yield _alarm(instance)
    for _, callee, callee_scope in local_module_calls(module, alarm_scope):
        yield from module_alarms(callee, callee_scope)


def folder_alarms(folder: str, given: TfFile | None = None) -> list[TfAlarm]:
    """The alarms of the module in ``folder`` (``given``: a file already read, its text as
    given) and of the modules it calls."""
    module = load_module(folder, given)
    return list(module_alarms(module, ModuleScope(module)))


def without_repeats(alarms: list[TfAlarm]) -> list[TfAlarm]:
    """Alarms reached through a module call that repeat the module's own alarm (same block,
    same values) are left out: the module's alarm is kept once, under its own address."""
    own = {_signature(alarm) for alarm in alarms if not _MODULE_PREFIX.match(alarm.address)}
    kept, seen = [], set()
    for alarm in alarms:
        signature = _signature(alarm)
        if signature in seen or (_MODULE_PREFIX.match(alarm.address) and signature in own):
            continue
        seen.add(signature)
        kept.append(alarm)
    return kept


def _signature(alarm: TfAlarm) -> tuple[object, ...]:
    return (
        os.path.realpath(alarm.path) if alarm.path else "",
        alarm.start,
        _MODULE_PREFIX.sub("", alarm.address),
        repr(alarm.properties),
        alarm.unresolved,
    )

"""What happens after PutLogEvents: metric filters publish, subscription filters forward.

Metric filters publish into moto's CloudWatch backend, in the log group's account and Region:

* every matching event publishes one datapoint, timestamped with the event's timestamp, with the
  transformation's ``metricValue`` (a number, ``$.selector`` or ``$field``), its ``dimensions``
  and ``unit``; an event whose value or dimension cannot be read publishes nothing;
* ``defaultValue``: a minute of event time that received events but no match publishes the
  default value once; if a matching event for that minute arrives later, the default is
  withdrawn, as the service reports the default only for minutes without matches.

Subscription filters forward only the matching events of each batch, and nothing when none
match.

The functions here read moto's stored filters (plain dictionaries for metric filters,
``SubscriptionFilter`` objects for subscriptions). Filters stored before the emulator was
installed were never validated: one whose pattern does not compile matches nothing.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from cwquery.ast import contains_regex
from cwquery.compiler import Matcher, compile
from cwquery.emulator.transformers import as_seen
from cwquery.errors import PatternError
from cwquery.metrics import MetricFilter, MetricFilterError, MetricTransformation
from cwquery.subscriptions import metric_dimensions

#: Metric filters per log group (spec §6.1).
MAX_METRIC_FILTERS_PER_LOG_GROUP = 100

_DEFAULTS_ATTRIBUTE = "_cwquery_default_datapoints"
_MATCHED = object()
_LOCK = threading.Lock()
_MINUTE_MS = 60_000


def regex_filters(
    metric_filters: Iterable[Mapping[str, Any]],
    subscription_filters: Iterable[Any],
    group_name: str,
    *,
    replacing: tuple[str, str] | None = None,
) -> list[tuple[str, str]]:
    """``(kind, name)`` of a group's metric and subscription filters that use a regex, leaving
    out the filter ``replacing`` = ``("metric" | "subscription", name)`` that a put is about to
    replace."""
    found = []
    for stored in metric_filters:
        if stored.get("logGroupName") != group_name:
            continue
        if replacing == ("metric", stored.get("filterName")):
            continue
        if _uses_regex(stored.get("filterPattern")):
            found.append(("metric", str(stored.get("filterName"))))
    for subscription in subscription_filters:
        if replacing == ("subscription", subscription.name):
            continue
        if _uses_regex(subscription.filter_pattern):
            found.append(("subscription", str(subscription.name)))
    return found


def _uses_regex(text: Any) -> bool:
    matcher = _matcher_or_none(text)
    return matcher is not None and contains_regex(matcher.pattern)


def _matcher_or_none(text: Any) -> Matcher | None:
    try:
        return compile(text if isinstance(text, str) else "")
    except PatternError:
        return None


def matching_events(pattern: Any, log_events: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The events of a subscription delivery that ``pattern`` matches (none if it is invalid).

    >>> matching_events("ERROR", [{"message": "ERROR a"}, {"message": "INFO b"}])
    [{'message': 'ERROR a'}]
    """
    matcher = _matcher_or_none(pattern)
    if matcher is None:
        return []
    matches = matcher.matches
    return [event for event in log_events if matches(event["message"])]


@functools.lru_cache(maxsize=256)
def _metric_filter(pattern: str, transformation: str) -> MetricFilter | None:
    try:
        return MetricFilter(pattern, MetricTransformation.from_api(json.loads(transformation)))
    except (PatternError, MetricFilterError, KeyError, TypeError, ValueError):
        return None


def metric_filter(stored: Mapping[str, Any]) -> MetricFilter | None:
    """The compiled form of one of moto's stored metric filters (``None`` if it is unusable)."""
    transformations = stored.get("metricTransformations") or []
    if not transformations:
        return None
    pattern = stored.get("filterPattern")
    text = json.dumps(transformations[0], sort_keys=True, default=str)
    return _metric_filter(pattern if isinstance(pattern, str) else "", text)


def publish_metrics(
    logs_backend: Any, cloudwatch_backend: Any, group_name: str, events: Sequence[Any]
) -> None:
    """Publish the datapoints of ``group_name``'s metric filters for newly put moto events."""
    if not events:
        return
    stored_filters = [
        stored
        for stored in logs_backend.filters.metric_filters
        if stored.get("logGroupName") == group_name
    ]
    group = logs_backend.groups.get(group_name)
    for stored in stored_filters:
        compiled = metric_filter(stored)
        extra = _system_dimensions(logs_backend, stored)
        if compiled is not None and extra is not None:
            seen = as_seen(group, stored, events)  # applyOnTransformedLogs (spec §1.2)
            _publish_one(
                logs_backend, cloudwatch_backend, group_name, stored, compiled, seen, extra
            )


def _system_dimensions(logs_backend: Any, stored: Mapping[str, Any]) -> dict[str, str] | None:
    """The filter's emitted system-field dimensions, or ``None`` when its
    ``fieldSelectionCriteria`` leaves the group's events out (§3.3)."""
    try:
        return metric_dimensions(
            stored.get("fieldSelectionCriteria"),
            stored.get("emitSystemFieldDimensions") or [],
            owner=logs_backend.account_id,
            region=logs_backend.region_name,
        )
    except ValueError:  # stored before install without the checks: it processes nothing
        return None


def _publish_one(
    logs_backend: Any,
    cloudwatch_backend: Any,
    group_name: str,
    stored: Mapping[str, Any],
    compiled: MetricFilter,
    events: Sequence[Any],
    extra: Mapping[str, str],
) -> None:
    transformation = compiled.transformation
    tracks_default = transformation.default_value is not None
    data: list[dict[str, Any]] = []
    matched_minutes: set[int] = set()  # minutes of event time with a match (default only)
    quiet_minutes: set[int] = set()  # minutes of event time with an event that did not match
    for event in events:
        if tracks_default:
            minute = event.timestamp // _MINUTE_MS
            if not compiled.matcher.matches(event.message):
                quiet_minutes.add(minute)
                continue
            matched_minutes.add(minute)
        point = compiled.datapoint(event.message)
        if point is not None:
            dimensions = {**point.dimensions, **extra}
            data.append(_datum(transformation, point.value, dimensions, event.timestamp))
    if data:
        cloudwatch_backend.put_metric_data(transformation.metric_namespace, data)
    if tracks_default:
        _settle_defaults(
            logs_backend,
            cloudwatch_backend,
            (group_name, str(stored.get("filterName"))),
            transformation,
            matched_minutes,
            quiet_minutes - matched_minutes,
        )


def _settle_defaults(
    logs_backend: Any,
    cloudwatch_backend: Any,
    filter_key: tuple[str, str],
    transformation: MetricTransformation,
    matched: set[int],
    quiet: set[int],
) -> None:
    with _LOCK:
        state: dict[tuple[str, str, int], Any] = logs_backend.__dict__.setdefault(
            _DEFAULTS_ATTRIBUTE, {}
        )
        for minute in matched:
            previous = state.get((filter_key[0], filter_key[1], minute))
            if previous is not None and previous is not _MATCHED:
                _withdraw(cloudwatch_backend, previous)
            state[(filter_key[0], filter_key[1], minute)] = _MATCHED
        for minute in sorted(quiet):
            if (filter_key[0], filter_key[1], minute) in state:
                continue
            assert transformation.default_value is not None
            datum = _datum(transformation, transformation.default_value, {}, minute * _MINUTE_MS)
            cloudwatch_backend.put_metric_data(transformation.metric_namespace, [datum])
            state[(filter_key[0], filter_key[1], minute)] = cloudwatch_backend.metric_data[-1]


def _withdraw(cloudwatch_backend: Any, datum: Any) -> None:
    stored = cloudwatch_backend.metric_data
    for position, candidate in enumerate(stored):
        if candidate is datum:
            del stored[position]
            return


def _datum(
    transformation: MetricTransformation,
    value: float,
    dimensions: Mapping[str, str],
    timestamp_ms: int,
) -> dict[str, Any]:
    datum: dict[str, Any] = {
        "MetricName": transformation.metric_name,
        "Value": float(value),
        "Timestamp": _utc(timestamp_ms),
        "Dimensions": [{"Name": name, "Value": text} for name, text in dimensions.items()],
    }
    if transformation.unit:
        datum["Unit"] = transformation.unit
    return datum


def _utc(timestamp_ms: int) -> datetime:
    """moto's CloudWatch keeps naive UTC datetimes."""
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc).replace(tzinfo=None)

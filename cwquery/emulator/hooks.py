"""The functions :mod:`cwquery.emulator.patch` puts into moto's classes: exact filtering, the
metric and subscription filter checks, publishing on ``PutLogEvents``, the service's batch limits
and request checks. Each calls moto's own method, kept in :data:`ORIGINALS` while installed.

>>> batch_size([{"message": "a"}])
27
"""

from __future__ import annotations

import re
import time
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.logs.exceptions import LogsClientError
from moto.logs.models import LogGroup, LogsBackend, LogStream, logs_backends
from moto.logs.responses import LogsResponse

from cwquery.ast import contains_regex
from cwquery.aws.putlogs import MAX_BATCH_BYTES, event_size
from cwquery.emulator import handlers, policies, publishing, requests
from cwquery.emulator.errors import (
    FILTER,
    METRIC_FILTER,
    SUBSCRIPTION_FILTER,
    InvalidParameterException,
    ResourceNotFoundException,
    compile_pattern,
    limit_exceeded,
    validation_error,
)
from cwquery.emulator.filtering import MAX_LIMIT, FilterQuery, filter_page
from cwquery.limits import regex_filter_quota
from cwquery.metrics import MetricFilter, MetricFilterError, MetricTransformation

#: moto's own attributes, by patch target name, while the hooks are installed.
ORIGINALS: dict[str, Any] = {}


class PatternFilter:
    """Drop-in for moto's ``EventMessageFilter``: exact matching, and
    ``InvalidParameterException`` for a pattern the service refuses.

    >>> PatternFilter('{ $.level = "ERROR" }').matches('{"level": "ERROR"}')
    True
    >>> PatternFilter("?WARN ?ERROR").matches("INFO fine")
    False
    """

    def __init__(self, pattern: str | None) -> None:
        self.matcher = compile_pattern(pattern, FILTER)

    def matches(self, message: str) -> bool:
        """Does ``message`` match?"""
        return self.matcher.matches(message)


def backend_filter_log_events(
    self: LogsBackend,
    log_group_name: str,
    log_stream_names: list[str],
    start_time: int,
    end_time: int,
    limit: int | None,
    next_token: str | None,
    filter_pattern: str,
    interleaved: bool,
) -> tuple[list[dict[str, Any]], str | None, list[dict[str, Any]]]:
    """``LogsBackend.filter_log_events`` by the exact engine (for moto's callers: exports)."""
    handlers.check_limit(limit)
    group = handlers.find_group(self, log_group_name, None)
    query = FilterQuery(
        pattern=filter_pattern or "",
        stream_names=frozenset(log_stream_names) if log_stream_names else None,
        start_time=start_time if start_time else None,
        end_time=end_time if end_time else None,
    )
    page = filter_page(group, query, limit=limit or MAX_LIMIT, next_token=next_token)
    return page.events, page.next_token, []


def backend_put_metric_filter(
    self: LogsBackend,
    filter_name: str,
    filter_pattern: str,
    log_group_name: str,
    metric_transformations: Any,
) -> None:
    """``LogsBackend.put_metric_filter``: pattern, transformation and quota checks; a filter
    of the same name is replaced."""
    group = self.groups.get(log_group_name)
    if group is None:
        raise ResourceNotFoundException()
    matcher = compile_pattern(filter_pattern, METRIC_FILTER)
    try:
        transformation = MetricTransformation.from_api(metric_transformations[0])
        MetricFilter(matcher.pattern, transformation)
    except MetricFilterError as err:
        raise InvalidParameterException(str(err)) from err
    except (KeyError, IndexError, TypeError) as err:
        raise InvalidParameterException("metricTransformations is incomplete") from err
    stored = self.filters.metric_filters
    same = [
        f for f in stored if f["filterName"] == filter_name and f["logGroupName"] == log_group_name
    ]
    in_group = sum(1 for f in stored if f["logGroupName"] == log_group_name)
    if not same and in_group >= publishing.MAX_METRIC_FILTERS_PER_LOG_GROUP:
        raise limit_exceeded("Resource limit exceeded.")
    _check_regex_quota(self, group, matcher.pattern, ("metric", filter_name))
    stored[:] = [f for f in stored if not any(f is twin for twin in same)]
    ORIGINALS["LogsBackend.put_metric_filter"](
        self, filter_name, filter_pattern, log_group_name, metric_transformations
    )


def backend_put_subscription_filter(
    self: LogsBackend,
    log_group_name: str,
    filter_name: str,
    filter_pattern: str,
    destination_arn: str,
    role_arn: str,
) -> None:
    """``LogsBackend.put_subscription_filter``: pattern and regex-quota checks first."""
    group = self.groups.get(log_group_name)
    if group is not None:
        matcher = compile_pattern(filter_pattern, SUBSCRIPTION_FILTER)
        _check_regex_quota(self, group, matcher.pattern, ("subscription", filter_name))
    ORIGINALS["LogsBackend.put_subscription_filter"](
        self, log_group_name, filter_name, filter_pattern, destination_arn, role_arn
    )


def _check_regex_quota(
    backend: LogsBackend, group: LogGroup, pattern: Any, replacing: tuple[str, str]
) -> None:
    if not contains_regex(pattern):
        return
    others = publishing.regex_filters(
        backend.filters.metric_filters,
        group.subscription_filters.values(),
        group.name,
        replacing=replacing,
    )
    refused, message = regex_filter_quota([*others, replacing], group.name)
    if refused:
        raise limit_exceeded(message)


def stream_put_log_events(self: LogStream, log_events: list[dict[str, Any]]) -> str:
    """``LogStream.put_log_events``: moto's, then metric filters and account policies."""
    before = len(self.events)
    token: str = ORIGINALS["LogStream.put_log_events"](self, log_events)
    added = self.events[before:]
    if added:
        publishing.publish_metrics(
            logs_backends[self.account_id][self.region],
            cloudwatch_backends[self.account_id][self.region],
            self.log_group.name,
            added,
        )
        policies.deliver_account_policies(self, added)
    return token


def stream_get_log_events(
    self: LogStream,
    start_time: Any,
    end_time: Any,
    limit: int,
    next_token: str | None,
    start_from_head: Any,
) -> Any:
    """``LogStream.get_log_events`` with ``endTime`` exclusive (D20)."""
    if end_time is not None:
        # moto keeps events up to endTime inclusive; the service stops before it (D20).
        end_time = end_time - 1 if end_time - 1 > 0 else -1
    return ORIGINALS["LogStream.get_log_events"](
        self, start_time, end_time, limit, next_token, start_from_head
    )


def backend_live_tail_group(self: LogsBackend, log_group_identifier: str) -> LogGroup:
    """``LogsBackend._find_live_tail_log_group``: the group StartLiveTail names (moto's search
    kept the Region's last group, whatever the ARN); an identifier ending in ``*`` is refused."""
    if not re.fullmatch(r"[\w#+=/:,.@-]*", log_group_identifier):  # the model's (no "*")
        raise validation_error(
            "logGroupIdentifier",
            log_group_identifier,
            "Member must satisfy regular expression pattern: [\\w#+=/:,.@-]*",
        )
    group: LogGroup = handlers.find_group(self, None, log_group_identifier)
    return group


def group_describe_dict(self: LogGroup) -> dict[str, Any]:
    """``LogGroup.to_describe_dict`` with the real ``metricFilterCount``."""
    described: dict[str, Any] = ORIGINALS["LogGroup.to_describe_dict"](self)
    backend = logs_backends[self.account_id][self.region]
    described["metricFilterCount"] = sum(
        1 for f in backend.filters.metric_filters if f["logGroupName"] == self.name
    )
    return described


def checked_dispatch(
    self: LogsResponse, request: Any, full_url: str | None = None, headers: Any = None
) -> Any:
    """``LogsResponse._dispatch``: the request checked first (the service's 400, not a 500)."""
    try:
        cleaned = requests.check_request(request.headers.get("X-Amz-Target"), request.get_data())
    except LogsClientError as err:
        return err.code, dict(err.get_headers()), err.get_body()
    if cleaned is not None:
        request._cached_data = cleaned  # what moto reads as the body (werkzeug's cache)
    dispatch: Any = super(LogsResponse, self)._dispatch  # moto's BaseResponse._dispatch
    return dispatch(request, full_url, headers)


def batch_size(log_events: list[dict[str, Any]]) -> int:
    """A PutLogEvents batch's size as the service counts it: the UTF-8 bytes of its messages plus
    26 per event (refused above :data:`~cwquery.aws.putlogs.MAX_BATCH_BYTES`, 1,048,576).

    >>> batch_size([{"message": "é"}, {"message": "ab"}])
    56
    """
    return sum(event_size(str(event.get("message") or ""), "surrogatepass") for event in log_events)


def backend_put_log_events(
    self: LogsBackend,
    log_group_name: str,
    log_stream_name: str,
    log_events: list[dict[str, Any]],
) -> Any:
    """``LogsBackend.put_log_events``: the batch size limit, then ``rejectedLogEventsInfo``
    with the service's indexes."""
    size = batch_size(log_events)
    if size > MAX_BATCH_BYTES:
        raise InvalidParameterException(
            f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )
    token, _moto_info = ORIGINALS["LogsBackend.put_log_events"](
        self, log_group_name, log_stream_name, log_events
    )
    now = int(time.time() * 1000)
    oldest, newest = now - 14 * 86_400_000, now + 2 * 3_600_000
    info: dict[str, int] = {}
    too_old = [i for i, event in enumerate(log_events) if event["timestamp"] < oldest]
    too_new = [i for i, event in enumerate(log_events) if event["timestamp"] > newest]
    if too_old:
        info["tooOldLogEventEndIndex"] = too_old[-1] + 1
    if too_new:
        info["tooNewLogEventStartIndex"] = too_new[0]
    return token, info

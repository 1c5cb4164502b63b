"""Request handlers that replace or add to moto's ``LogsResponse``: FilterLogEvents and
TestMetricFilter, with the service's parameter checks (spec §7.1, §6.2, §8).

Each handler is a plain function taking the ``LogsResponse`` instance; :mod:`cwquery.emulator.patch`
sets them on the class.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from cwquery.emulator.errors import (
    FILTER,
    InvalidParameterException,
    ResourceNotFoundException,
    compile_pattern,
    validation_error,
)
from cwquery.emulator.filtering import MAX_LIMIT, MIN_LIMIT, FilterQuery, filter_page

#: TestMetricFilter takes 1..50 messages (spec §6.2).
MAX_TEST_MESSAGES = 50
MAX_STREAM_NAMES = 100
#: ``startFromHead=false`` needs a ``startTime`` on or after this instant (service model).
NEWEST_FIRST_EARLIEST_MS = int(datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)

BOTH_GROUP_PARAMETERS = "Provide either logGroupName or logGroupIdentifier, not both."
NO_GROUP_PARAMETER = "Either logGroupName or logGroupIdentifier must be provided."
BOTH_STREAM_PARAMETERS = "logStreamNames and logStreamNamePrefix cannot both be specified."
NEWEST_FIRST_TOO_EARLY = (
    "startFromHead=false requires a startTime on or after Jan 1, 2024 00:00:00 UTC."
)


def filter_log_events(response: Any) -> str:
    """``FilterLogEvents``: every request member honoured, exact matching, O(page) paging."""
    param = request_reader(response)
    name = param("logGroupName")
    identifier = param("logGroupIdentifier")
    stream_names = param("logStreamNames")
    prefix = param("logStreamNamePrefix")
    limit = param("limit")
    start_time = param("startTime")
    end_time = param("endTime")
    start_from_head = param("startFromHead")
    next_token = param("nextToken")
    pattern = param("filterPattern")

    if name and identifier:
        raise InvalidParameterException(BOTH_GROUP_PARAMETERS)
    if not name and not identifier:
        raise InvalidParameterException(NO_GROUP_PARAMETER)
    if stream_names is not None and prefix is not None:
        raise InvalidParameterException(BOTH_STREAM_PARAMETERS)
    if stream_names is not None:
        check_length("logStreamNames", stream_names, 1, MAX_STREAM_NAMES)
    check_limit(limit)
    compile_pattern(pattern, FILTER)  # also the 1024-character limit, with the service's text
    for member, value in (("startTime", start_time), ("endTime", end_time)):
        if value is not None and value < 0:
            raise validation_error(
                member, value, "Member must have value greater than or equal to 0"
            )
    if (
        start_from_head is False
        and start_time is not None
        and start_time < NEWEST_FIRST_EARLIEST_MS
    ):
        raise InvalidParameterException(NEWEST_FIRST_TOO_EARLY)

    group = find_group(response.logs_backend, name, identifier)
    query = FilterQuery(
        pattern=pattern or "",
        stream_names=frozenset(stream_names) if stream_names is not None else None,
        stream_prefix=prefix,
        start_time=start_time,
        end_time=end_time,
        start_from_head=start_from_head is not False,
    )
    page = filter_page(group, query, limit=limit or MAX_LIMIT, next_token=next_token)
    body: dict[str, Any] = {"events": page.events, "searchedLogStreams": []}
    if page.next_token is not None:
        body["nextToken"] = page.next_token
    return json.dumps(body)


def test_metric_filter(response: Any) -> str:
    """``TestMetricFilter``: what :func:`cwquery.test_metric_filter` answers, after the service's
    checks (pattern 0..1024 characters, 1..50 messages of at least one character)."""
    param = request_reader(response)
    pattern = param("filterPattern")
    messages = param("logEventMessages")
    if pattern is None:
        raise validation_error("filterPattern", None, "Member must not be null")
    if messages is None:
        raise validation_error("logEventMessages", None, "Member must not be null")
    check_length("logEventMessages", messages, 1, MAX_TEST_MESSAGES)
    for number, message in enumerate(messages, 1):
        check_length(f"logEventMessages.{number}.member", message, 1, None)
    matcher = compile_pattern(pattern, FILTER)
    return json.dumps(matcher.test(messages))


test_metric_filter.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def request_reader(response: Any) -> Callable[[str], Any]:
    """Read request members from the JSON body parsed once (moto's ``_get_param`` parses it
    again for every member), falling back to moto's reader for other request shapes."""
    body = response.body
    if body:
        try:
            members = json.loads(body)
        except (ValueError, TypeError):
            members = None
        if isinstance(members, dict):
            return members.get
    reader: Callable[[str], Any] = response._get_param
    return reader


def check_limit(limit: Any) -> None:
    """``limit`` must be 1..10000 (spec §8 text)."""
    if limit is None:
        return
    if limit < MIN_LIMIT:
        raise validation_error(
            "limit", limit, f"Member must have value greater than or equal to {MIN_LIMIT}"
        )
    if limit > MAX_LIMIT:
        raise validation_error(
            "limit", limit, f"Member must have value less than or equal to {MAX_LIMIT}"
        )


def check_length(member: str, value: Any, low: int, high: int | None) -> None:
    """A string or list member must hold ``low..high`` characters or items."""
    if len(value) < low:
        raise validation_error(
            member, value, f"Member must have length greater than or equal to {low}"
        )
    if high is not None and len(value) > high:
        raise validation_error(
            member, value, f"Member must have length less than or equal to {high}"
        )


def find_group(backend: Any, name: str | None, identifier: str | None) -> Any:
    """The moto ``LogGroup`` named by ``logGroupName``, or by ``logGroupIdentifier`` (a name or an
    ARN, with or without the trailing ``:*``; an ARN may point at another account or Region).

    Raises:
        ResourceNotFoundException: no such log group.
    """
    groups: Mapping[str, Any] = backend.groups
    if name:
        group = groups.get(name)
    elif identifier and identifier.startswith("arn:"):
        group = _group_by_arn(identifier)
    else:
        group = groups.get(identifier or "")
    if group is None:
        raise ResourceNotFoundException()
    return group


def _group_by_arn(arn: str) -> Any:
    from moto.logs.models import logs_backends

    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    region, account, name = parts[3], parts[4], parts[6]
    if name.endswith(":*"):
        name = name[:-2]
    if account not in logs_backends or region not in logs_backends[account]:
        return None
    return logs_backends[account][region].groups.get(name)

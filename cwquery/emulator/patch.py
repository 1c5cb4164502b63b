"""Where cwquery hooks into moto, and how the hooks are put in and taken out.

:func:`install` replaces these attributes (and :func:`uninstall` restores moto's own):

* ``EventMessageFilter`` in ``moto.logs.models`` and ``moto.logs.utils``: cwquery matching
  (StartLiveTail and ``LogStream.filter_log_events`` use it);
* ``LogsResponse.filter_log_events``: :func:`cwquery.emulator.handlers.filter_log_events`;
* ``LogsResponse.test_metric_filter`` (added): :func:`cwquery.emulator.handlers.test_metric_filter`;
* ``LogsBackend.filter_log_events``: the same engine, for moto's own callers (export tasks);
* ``LogsBackend.put_metric_filter``: pattern, transformation and quota checks; a filter of the
  same name is replaced instead of stored twice;
* ``LogsBackend.put_subscription_filter``: pattern and regex-quota checks first;
* ``LogStream.put_log_events``: moto's, then the group's metric filters publish;
* ``LogStream._send_log_events``: the exact deliveries of :mod:`cwquery.emulator.subscriptions`
  (which also hooks ``LogsResponse.put_subscription_filter``, ``LogGroup.put_subscription_filter``
  and ``SubscriptionFilter.to_json``); account policies: :mod:`cwquery.emulator.policies`;
  ``LogsResponse.put_metric_filter``: :mod:`cwquery.emulator.metric_options`;
* ``LogStream.get_log_events``: ``endTime`` exclusive (D20);
* ``LogGroup.to_describe_dict``: the real ``metricFilterCount``.
* ``LogsBackend._find_live_tail_log_group``: StartLiveTail finds each group it names (moto's
  search kept the last group of the Region, whatever the ARN).
* ``LogsResponse._dispatch``: every request checked at the edge first
  (:mod:`cwquery.emulator.requests`), so a malformed one gets the service's 400, not a 500;
* ``LogsBackend.put_log_events``: a batch over 1,048,576 bytes refused as the service refuses it
  (``Upload too large: ...``), then ``rejectedLogEventsInfo`` with the service's indexes (the
  end of the too-old run exclusive, the start of the too-new run inclusive).
* ``LogsResponse.start_query``, ``get_query_results``, ``describe_queries`` and (added)
  ``stop_query`` and the query definition operations: Logs Insights run by cwquery
  (:mod:`cwquery.emulator.insights`).
* ``LogsResponse.put_transformer``, ``get_transformer``, ``delete_transformer`` and
  ``test_transformer`` (added), and ``create_log_group`` (wrapped):
  log transformers (:mod:`cwquery.emulator.transformers`).

Before patching, :func:`check_moto` verifies that every one of them exists with the parameters the
hooks expect, and :func:`install` refuses (:class:`MotoCompatibilityError`) if moto moved them.

>>> install(); is_installed()
True
>>> uninstall(); is_installed()
False
"""

from __future__ import annotations

import contextlib
import inspect
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import moto
from moto.cloudwatch.models import CloudWatchBackend
from moto.logs import models as logs_models
from moto.logs import utils as logs_utils
from moto.logs.metric_filters import MetricFilters
from moto.logs.models import (
    LogEvent,
    LogGroup,
    LogsBackend,
    LogStream,
    SubscriptionFilter,
)
from moto.logs.responses import LogsResponse

from cwquery.emulator import (
    handlers,
    insights,
    metric_options,
    policies,
    subscriptions,
    transformers,
)
from cwquery.emulator.errors import MotoCompatibilityError
from cwquery.emulator.hooks import (
    ORIGINALS,
    PatternFilter,
    backend_filter_log_events,
    backend_live_tail_group,
    backend_put_log_events,
    backend_put_metric_filter,
    backend_put_subscription_filter,
    checked_dispatch,
    group_describe_dict,
    stream_get_log_events,
    stream_put_log_events,
)

#: moto releases the hooks were written against and tested with (5.2.0 and 5.2.5).
SUPPORTED_MOTO = ">=5.2.0,<5.3"
_TESTED_SERIES = (5, 2)


# ------------------------------------------------------------------ the patch table


@dataclass(frozen=True)
class _Target:
    name: str
    owner: Any
    attribute: str
    replacement: Any
    parameters: tuple[str, ...] | None  # expected parameter names, None: not a function check
    required: bool = True  # False: added by cwquery, absence is fine


_TARGETS = (
    _Target(
        "LogsResponse._dispatch",
        LogsResponse,
        "_dispatch",
        checked_dispatch,
        ("self", "request", "full_url", "headers"),
    ),
    _Target(
        "LogsBackend.put_log_events",
        LogsBackend,
        "put_log_events",
        backend_put_log_events,
        ("self", "log_group_name", "log_stream_name", "log_events"),
    ),
    _Target("EventMessageFilter", logs_models, "EventMessageFilter", PatternFilter, None),
    _Target("utils.EventMessageFilter", logs_utils, "EventMessageFilter", PatternFilter, None),
    _Target(
        "LogsResponse.filter_log_events",
        LogsResponse,
        "filter_log_events",
        handlers.filter_log_events,
        ("self",),
    ),
    _Target(
        "LogsResponse.test_metric_filter",
        LogsResponse,
        "test_metric_filter",
        handlers.test_metric_filter,
        None,
        required=False,
    ),
    _Target(
        "LogsBackend.filter_log_events",
        LogsBackend,
        "filter_log_events",
        backend_filter_log_events,
        (
            "self",
            "log_group_name",
            "log_stream_names",
            "start_time",
            "end_time",
            "limit",
            "next_token",
            "filter_pattern",
            "interleaved",
        ),
    ),
    _Target(
        "LogsBackend.put_metric_filter",
        LogsBackend,
        "put_metric_filter",
        backend_put_metric_filter,
        ("self", "filter_name", "filter_pattern", "log_group_name", "metric_transformations"),
    ),
    _Target(
        "LogsBackend.put_subscription_filter",
        LogsBackend,
        "put_subscription_filter",
        backend_put_subscription_filter,
        ("self", "log_group_name", "filter_name", "filter_pattern", "destination_arn", "role_arn"),
    ),
    _Target(
        "LogStream.put_log_events",
        LogStream,
        "put_log_events",
        stream_put_log_events,
        ("self", "log_events"),
    ),
    _Target(
        "LogStream._send_log_events",
        LogStream,
        "_send_log_events",
        subscriptions.send_log_events,
        ("self", "service", "destination_arn", "filter_name", "log_events"),
    ),
    _Target(
        "LogStream.get_log_events",
        LogStream,
        "get_log_events",
        stream_get_log_events,
        ("self", "start_time", "end_time", "limit", "next_token", "start_from_head"),
    ),
    _Target(
        "LogsBackend._find_live_tail_log_group",
        LogsBackend,
        "_find_live_tail_log_group",
        backend_live_tail_group,
        ("self", "log_group_identifier"),
    ),
    _Target(
        "LogGroup.to_describe_dict",
        LogGroup,
        "to_describe_dict",
        group_describe_dict,
        ("self",),
    ),
    _Target(
        "LogsResponse.put_subscription_filter",
        LogsResponse,
        "put_subscription_filter",
        subscriptions.put_subscription_filter,
        ("self",),
    ),
    _Target(
        "LogGroup.put_subscription_filter",
        LogGroup,
        "put_subscription_filter",
        subscriptions.group_put_subscription_filter,
        ("self", "filter_name", "filter_pattern", "destination_arn", "role_arn"),
    ),
    _Target(
        "SubscriptionFilter.to_json",
        SubscriptionFilter,
        "to_json",
        subscriptions.subscription_to_json,
        ("self",),
    ),
    _Target(
        "LogsResponse.put_metric_filter",
        LogsResponse,
        "put_metric_filter",
        metric_options.put_metric_filter,
        ("self",),
    ),
    *(
        _Target(f"LogsResponse.{name}", LogsResponse, name, getattr(policies, name), None, False)
        for name in ("put_account_policy", "describe_account_policies", "delete_account_policy")
    ),
    *(
        _Target(
            f"LogsResponse.{attribute}",
            LogsResponse,
            attribute,
            handler,
            ("self",) if attribute in insights.MOTO_HANDLERS else None,
            required=attribute in insights.MOTO_HANDLERS,
        )
        for attribute, handler in insights.HANDLERS.items()
    ),
    *(  # log transformers (cwquery.emulator.transformers)
        _Target(f"LogsResponse.{name}", LogsResponse, name, handler, None, required=False)
        for name, handler in transformers.HANDLERS.items()
    ),
    *(
        _Target(f"LogsResponse.{name}", LogsResponse, name, handler, ("self",))
        for name, handler in transformers.WRAPPED.items()
    ),
)

#: Instance attributes the hooks read, by the class whose ``__init__`` sets them.
_INSTANCE_ATTRIBUTES: tuple[tuple[type, str], ...] = (
    (LogStream, "events"),
    (LogStream, "log_group"),
    (LogGroup, "streams"),
    (LogGroup, "subscription_filters"),
    (LogsBackend, "groups"),
    (LogsBackend, "filters"),
    (MetricFilters, "metric_filters"),
    (CloudWatchBackend, "metric_data"),
)

_MISSING = object()
_LOCK = threading.RLock()


def check_moto() -> list[str]:
    """Problems that stop the emulator from patching this moto (an empty list: none).

    >>> check_moto()
    []
    """
    problems = []
    for target in _TARGETS:
        inherited = getattr(target.owner, target.attribute, _MISSING)  # e.g. from BaseResponse
        current = ORIGINALS.get(target.name, target.owner.__dict__.get(target.attribute, inherited))
        if current is _MISSING:
            if target.required:
                problems.append(f"{_where(target)} is missing")
            continue
        if target.parameters is not None:
            found = _parameter_names(current)
            if found != target.parameters:
                problems.append(
                    f"{_where(target)} takes {found}, the emulator expects {target.parameters}"
                )
    class_attributes: tuple[tuple[type, str], ...] = (
        (LogEvent, "_event_id"),
        (LogsResponse, "_get_param"),
        (CloudWatchBackend, "put_metric_data"),
    )
    for owner, attribute in class_attributes:
        if not hasattr(owner, attribute):
            problems.append(f"{owner.__module__}.{owner.__name__}.{attribute} is missing")
    if '"Dimensions.member"' in _source(CloudWatchBackend.put_metric_data):
        problems.append(
            "moto.cloudwatch.models.CloudWatchBackend.put_metric_data takes the older "
            "query-protocol shape (moto before 5.2)"
        )
    for owner, attribute in _INSTANCE_ATTRIBUTES:
        if not _assigned_in_init(owner, attribute):
            problems.append(f"{owner.__module__}.{owner.__name__} no longer sets self.{attribute}")
    return problems


def install() -> None:
    """Patch moto's logs backend to use cwquery (idempotent).

    Raises:
        MotoCompatibilityError: moto's internals are not where the emulator expects them.
    """
    with _LOCK:
        if ORIGINALS:
            return
        problems = check_moto()
        if problems:
            raise MotoCompatibilityError(
                f"cwquery's emulator supports moto {SUPPORTED_MOTO}; moto {moto.__version__} "
                "differs: " + "; ".join(problems)
            )
        if _series(moto.__version__) != _TESTED_SERIES:
            warnings.warn(
                f"cwquery's emulator is tested with moto {SUPPORTED_MOTO}, not "
                f"{moto.__version__}; its internals passed the checks",
                stacklevel=2,
            )
        for target in _TARGETS:
            ORIGINALS[target.name] = target.owner.__dict__.get(target.attribute, _MISSING)
            setattr(target.owner, target.attribute, target.replacement)


def uninstall() -> None:
    """Restore moto's own code (a no-op when not installed)."""
    with _LOCK:
        for target in _TARGETS:
            if target.name not in ORIGINALS:
                continue
            original = ORIGINALS.pop(target.name)
            if original is _MISSING:
                delattr(target.owner, target.attribute)
            else:
                setattr(target.owner, target.attribute, original)


def is_installed() -> bool:
    """Is moto currently patched?"""
    return bool(ORIGINALS)


@contextlib.contextmanager
def mock_logs(**mock_aws_options: Any) -> Iterator[None]:
    """``moto.mock_aws`` with the exact emulator installed for its duration (also a decorator).

    Keyword arguments go to ``mock_aws``. If the emulator was already installed it stays
    installed afterwards.
    """
    installed_here = not is_installed()
    if installed_here:
        install()
    try:
        with moto.mock_aws(**mock_aws_options):
            yield
    finally:
        if installed_here:
            uninstall()


def _where(target: _Target) -> str:
    owner = target.owner
    if inspect.ismodule(owner):
        return f"{owner.__name__}.{target.attribute}"
    return f"{owner.__module__}.{owner.__qualname__}.{target.attribute}"


def _parameter_names(function: Callable[..., Any]) -> tuple[str, ...]:
    try:
        return tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return ()


def _assigned_in_init(owner: type, attribute: str) -> bool:
    """Does ``owner.__init__`` still assign ``self.<attribute>``? (True when there is no source
    to read, e.g. a zipped install: the tests speak instead.)"""
    source = _source(owner.__init__)  # type: ignore[misc]
    return not source or f"self.{attribute}" in source


def _source(function: Any) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _series(version: str) -> tuple[int, ...]:
    """``(major, minor)`` of a version string.

    >>> _series("5.2.5"), _series("5.3.0.dev1")
    ((5, 2), (5, 3))
    """
    return tuple(int(part) for part in re.findall(r"\d+", version)[:2])

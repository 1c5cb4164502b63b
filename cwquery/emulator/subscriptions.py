"""Subscription filters that deliver exactly (spec §3) to moto's Lambda, Kinesis and Firehose.

* ``PutSubscriptionFilter`` takes every member of the service model: ``distribution``
  (``ByLogStream`` or ``Random``, Kinesis only), ``applyOnTransformedLogs`` (stored as given,
  T34), ``fieldSelectionCriteria`` (checked, then honoured) and ``emitSystemFields``; a third
  filter name on a group is ``LimitExceededException``, while putting an existing name again
  replaces it (moto refuses that too when the group has two). The destination first receives
  the health-check ``CONTROL_MESSAGE``.
* Each ``PutLogEvents`` batch yields, per filter, one delivery holding its matching events (none
  when nothing matches): the envelope of :func:`cwquery.subscriptions.payload`, with ids built
  from the event time, the ingestion time and moto's event counter (T23), in its wire form:
  a Lambda invocation ``{"awslogs": {"data": ...}}``, a Kinesis record whose data is the gzip
  bytes (partition key: the stream name, or random), a Firehose record appended to the delivery
  stream's current S3 object (gzip members back to back, a new object when the buffer's size
  hint is reached or its interval has passed).
* Lambda functions run where moto runs them (Docker, or moto's no-Docker backend); a Python
  handler registered with :func:`on_lambda` runs in process instead. A delivery that fails is
  kept with its error (the service retries; PutLogEvents does not fail).
* A subscription whose destination is its own log group, or a chain that comes back to a group
  already delivering, is not followed (moto recursed without end).

Every delivery is recorded: :func:`deliveries` lists them by destination.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cwquery.emulator.errors import InvalidParameterException, limit_exceeded
from cwquery.emulator.handlers import request_reader
from cwquery.emulator.transformers import transformer_in_force
from cwquery.selection import FIELD_SELECTION, SelectionError, parse_criteria
from cwquery.subscriptions import (
    EMITTABLE_FIELDS,
    control_message,
    encode,
    event_id,
    payload,
)

#: Subscription filters per log group (§3.2).
MAX_SUBSCRIPTION_FILTERS = 2
DISTRIBUTIONS = ("ByLogStream", "Random")
THIRD_FILTER = "Resource limit exceeded."
_OPTIONS = "_cwquery_subscription"
_DELIVERIES = "_cwquery_deliveries"
_HANDLERS = "_cwquery_lambda_handlers"
_BUFFERS = "_cwquery_firehose_buffers"
_LOCK = threading.RLock()
_ACTIVE = threading.local()
_MB = 1024 * 1024


@dataclass(frozen=True)
class Delivery:
    """One delivery: where it went, the decoded envelope, the wire form, and the error the
    destination answered (``None``: delivered)."""

    destination_arn: str
    kind: str
    envelope: dict[str, Any]
    wire: dict[str, Any] | bytes
    error: str | None = None


@dataclass(frozen=True)
class Options:
    """The members moto does not store."""

    distribution: str = "ByLogStream"
    apply_on_transformed_logs: bool = False
    field_selection_criteria: str | None = None
    emit_system_fields: tuple[str, ...] = ()


# ------------------------------------------------------------------ PutSubscriptionFilter


def put_subscription_filter(response: Any) -> str:
    """``PutSubscriptionFilter`` with its newer members, the quota, and the health check."""
    param = request_reader(response)
    backend = response.logs_backend
    group_name = param("logGroupName")
    name = param("filterName")
    options = Options(
        distribution=param("distribution") or "ByLogStream",
        apply_on_transformed_logs=bool(param("applyOnTransformedLogs") or False),
        field_selection_criteria=param("fieldSelectionCriteria"),
        emit_system_fields=tuple(param("emitSystemFields") or ()),
    )
    check_options(options)
    backend.put_subscription_filter(
        group_name, name, param("filterPattern"), param("destinationArn"), param("roleArn")
    )
    subscription = backend.groups[group_name].subscription_filters[name]
    subscription.__dict__[_OPTIONS] = options
    kind = subscription.destination_arn.split(":")[2]
    if kind in ("lambda", "kinesis", "firehose"):
        health = control_message(kind, int(time.time() * 1000))
        _deliver(backend, subscription.destination_arn, kind, health, group_name, options)
    return ""


def group_put_subscription_filter(
    group: Any, filter_name: str, filter_pattern: str, destination_arn: str, role_arn: str
) -> None:
    """moto's ``LogGroup.put_subscription_filter`` counting names: a third name is refused, an
    existing one is replaced whatever the count (the hook on that method)."""
    from moto.logs.models import SubscriptionFilter

    existing = group.subscription_filters.get(filter_name)
    if existing is not None:
        existing.update(filter_pattern, destination_arn, role_arn)
        return
    if len(group.subscription_filters) >= MAX_SUBSCRIPTION_FILTERS:
        raise limit_exceeded(THIRD_FILTER)
    group.subscription_filters[filter_name] = SubscriptionFilter(
        name=filter_name,
        log_group_name=group.name,
        filter_pattern=filter_pattern,
        destination_arn=destination_arn,
        role_arn=role_arn,
    )


def check_options(options: Options) -> None:
    """``InvalidParameterException`` for a member the service refuses."""
    if options.distribution not in DISTRIBUTIONS:
        raise InvalidParameterException(
            f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {options.distribution!r}"
        )
    try:
        parse_criteria(options.field_selection_criteria, FIELD_SELECTION)
    except SelectionError as err:
        raise InvalidParameterException(f"fieldSelectionCriteria: {err.message}") from None
    for field in options.emit_system_fields:
        if field not in EMITTABLE_FIELDS:
            raise InvalidParameterException(
                f"emitSystemFields: {field!r} is not one of {', '.join(EMITTABLE_FIELDS)}"
            )


def options_of(subscription: Any) -> Options:
    """The stored members of a moto ``SubscriptionFilter`` (defaults if put before install)."""
    stored = subscription.__dict__.get(_OPTIONS)
    return stored if isinstance(stored, Options) else Options()


def subscription_to_json(subscription: Any) -> dict[str, Any]:
    """``DescribeSubscriptionFilters``' entry for a moto ``SubscriptionFilter``, with the
    members moto does not keep (the hook on ``SubscriptionFilter.to_json``)."""
    from moto.core.utils import unix_time_millis

    options = options_of(subscription)
    described: dict[str, Any] = {
        "filterName": subscription.name,
        "logGroupName": subscription.log_group_name,
        "filterPattern": subscription.filter_pattern,
        "destinationArn": subscription.destination_arn,
        "roleArn": subscription.role_arn,
        "distribution": options.distribution,
        "creationTime": int(unix_time_millis(subscription.creation_time)),
    }
    described["applyOnTransformedLogs"] = options.apply_on_transformed_logs
    if options.field_selection_criteria is not None:
        described["fieldSelectionCriteria"] = options.field_selection_criteria
    if options.emit_system_fields:
        described["emitSystemFields"] = list(options.emit_system_fields)
    return described


# ------------------------------------------------------------------ delivery


def send_log_events(
    stream: Any, service: str, destination_arn: str, filter_name: str, log_events: list[Any]
) -> None:
    """One group-level filter's delivery of a batch (the hook on ``LogStream._send_log_events``)."""
    subscription = stream.log_group.subscription_filters.get(filter_name)
    if subscription is None:
        return
    deliver_batch(
        stream,
        log_events,
        pattern=subscription.filter_pattern,
        destination_arn=destination_arn,
        filter_name=filter_name,
        options=options_of(subscription),
        policy_level=None,
    )


def deliver_batch(
    stream: Any,
    log_events: Sequence[Mapping[str, Any]],
    *,
    pattern: str | None,
    destination_arn: str,
    filter_name: str,
    options: Options,
    policy_level: str | None,
) -> None:
    """Build and send one filter's delivery of moto's newly put events (``{"id": <moto's
    counter>, "timestamp", "message"}``)."""
    from moto.logs.models import logs_backends

    group = stream.log_group
    ingestion = _ingestion_ms(stream, log_events)
    events = [
        {
            "id": event_id(int(e["timestamp"]), ingestion, int(e["id"])),
            "timestamp": e["timestamp"],
            "message": e["message"],
        }
        for e in log_events
    ]
    transformer = transformer_in_force(group) if options.apply_on_transformed_logs else None
    if transformer is not None:  # T18: the filter matches and delivers the transformed event
        for event in events:
            event["transformed"] = transformer.transform(event["message"])
    try:
        envelope = payload(
            pattern or "",
            events,
            log_group=group.name,
            log_stream=stream.log_stream_name,
            owner=stream.account_id,
            filter_name=filter_name,
            region=stream.region,
            field_selection_criteria=options.field_selection_criteria,
            emit_system_fields=options.emit_system_fields,
            policy_level=policy_level,
            apply_on_transformed_logs=transformer is not None,
        )
    except ValueError:  # a filter stored before install that the service would have refused
        return
    if envelope is None:
        return
    kind = destination_arn.split(":")[2] if destination_arn.count(":") >= 2 else ""
    backend = logs_backends[stream.account_id][stream.region]
    if kind == "logs":
        _deliver_to_group(stream, destination_arn, envelope["logEvents"])
        return
    _deliver(backend, destination_arn, kind, envelope, group.name, options)


def _ingestion_ms(stream: Any, log_events: Sequence[Mapping[str, Any]]) -> int:
    moment = getattr(stream, "last_ingestion_time", None)
    if moment is not None:
        from moto.core.utils import unix_time_millis

        return int(unix_time_millis(moment))
    return max(int(e["timestamp"]) for e in log_events)


@contextlib.contextmanager
def _delivering(group_arn: str) -> Iterator[bool]:
    """``True`` while ``group_arn`` is not already delivering in this thread."""
    active: set[str] = _ACTIVE.__dict__.setdefault("groups", set())
    if group_arn in active:
        yield False
        return
    active.add(group_arn)
    try:
        yield True
    finally:
        active.discard(group_arn)


def _deliver_to_group(stream: Any, destination_arn: str, log_events: Sequence[Any]) -> None:
    """moto's log-group destination, without following a chain back to a delivering group."""
    from moto.logs.models import logs_backends
    from moto.utilities.arns import parse_arn

    target = parse_arn(destination_arn)
    target_name = target.resource_id.split(":")[0]
    target_arn = f"{target.account}:{target.region}:{target_name}"
    source_arn = f"{stream.account_id}:{stream.region}:{stream.log_group.name}"
    if target_arn == source_arn:
        return  # a group subscribed to itself: the service prevents the loop
    with _delivering(source_arn) as first, _delivering(target_arn) as fresh:
        if not (first and fresh):
            return
        backend = logs_backends[target.account][target.region]
        group = backend.groups.get(target_name)
        if group is None:
            return
        events = [{"timestamp": e["timestamp"], "message": e["message"]} for e in log_events]
        with contextlib.suppress(Exception):  # no such stream there: nothing is written
            group.put_log_events(stream.log_stream_name, log_events=events)


def _deliver(
    logs_backend: Any,
    destination_arn: str,
    kind: str,
    envelope: dict[str, Any],
    group_name: str,
    options: Options,
) -> None:
    wire = encode(envelope, kind) if kind in ("lambda", "kinesis", "firehose") else b""
    error: str | None = None
    try:
        if kind == "lambda":
            assert isinstance(wire, dict)
            _invoke(destination_arn, wire)
        elif kind == "kinesis":
            assert isinstance(wire, bytes)
            key = (
                str(uuid.uuid4())
                if options.distribution == "Random"
                else str(envelope.get("logStream") or group_name)
            )
            _put_kinesis(destination_arn, key, wire)
        elif kind == "firehose":
            assert isinstance(wire, bytes)
            _put_firehose(destination_arn, wire)
    except Exception as err:  # the destination's failure is the delivery's result
        error = f"{type(err).__name__}: {err}"
    _record(Delivery(destination_arn, kind, envelope, wire, error))


def _backend_of(arn: str, backends: Any) -> Any:
    parts = arn.split(":")
    return backends[parts[4]][parts[3]]


def _record(delivery: Delivery) -> None:
    from moto.logs.models import logs_backends

    backend = _backend_of(delivery.destination_arn, logs_backends)
    with _LOCK:
        backend.__dict__.setdefault(_DELIVERIES, []).append(delivery)


def _invoke(function_arn: str, event: dict[str, Any]) -> None:
    from moto.awslambda.utils import get_backend
    from moto.logs.models import logs_backends

    logs = _backend_of(function_arn, logs_backends)
    handler = logs.__dict__.get(_HANDLERS, {}).get(_function_name(function_arn))
    parts = function_arn.split(":")
    lambdas = get_backend(parts[4], parts[3])
    lambdas.get_function(function_arn)  # ResourceNotFound when it was deleted
    if handler is not None:
        handler(json.loads(json.dumps(event)), None)
        return
    lambdas.invoke(function_arn, None, json.dumps(event), {"x-amz-invocation-type": "Event"}, {})


def _function_name(arn_or_name: str) -> str:
    parts = arn_or_name.split(":")
    return parts[6] if len(parts) >= 7 and parts[5] == "function" else arn_or_name


def _put_kinesis(stream_arn: str, partition_key: str, data: bytes) -> None:
    from moto.kinesis.models import kinesis_backends

    _backend_of(stream_arn, kinesis_backends).put_record(stream_arn, None, partition_key, "", data)


def _put_firehose(stream_arn: str, data: bytes) -> None:
    from moto.firehose.models import firehose_backends
    from moto.s3.models import s3_backends

    firehose = _backend_of(stream_arn, firehose_backends)
    stream = firehose.lookup_name_from_arn(stream_arn)
    if stream is None:
        raise LookupError(f"no delivery stream {stream_arn}")
    config = next(
        (d.get("ExtendedS3") or d.get("S3") for d in stream.destinations if "S3" in d), None
    )
    if config is None:
        return  # a destination moto does not write anywhere (HTTP, Redshift...): recorded only
    hints = config.get("BufferingHints") or {}
    size_limit = int(hints.get("SizeInMBs", 5)) * _MB
    interval = int(hints.get("IntervalInSeconds", 300))
    bucket = config["BucketARN"].split(":")[-1]
    now = time.monotonic()
    with _LOCK:
        buffers: dict[str, list[Any]] = firehose.__dict__.setdefault(_BUFFERS, {})
        current = buffers.get(stream_arn)
        if (
            current is None
            or len(current[1]) + len(data) > size_limit
            or now - current[2] >= interval
        ):
            key = firehose._format_s3_object_path(
                stream.delivery_stream_name, stream.version_id, config.get("Prefix", "")
            )
            current = [key, b"", now]
            buffers[stream_arn] = current
        current[1] += data
        partition = stream_arn.split(":")[1]
        s3_backends[firehose.account_id][partition].put_object(bucket, current[0], current[1])


# ------------------------------------------------------------------ public helpers


def deliveries(
    destination_arn: str | None = None,
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
) -> list[Delivery]:
    """The deliveries so far, to ``destination_arn`` (its account and Region) or to every
    destination of ``account_id`` in ``region``, in order (control messages included)."""
    from moto.logs.models import logs_backends

    if destination_arn is not None:
        backend = _backend_of(destination_arn, logs_backends)
    else:
        backend = logs_backends[account_id][region]
    with _LOCK:
        found = list(backend.__dict__.get(_DELIVERIES, []))
    return [d for d in found if destination_arn is None or d.destination_arn == destination_arn]


def on_lambda(function_arn: str, handler: Callable[[dict[str, Any], Any], Any] | None) -> None:
    """Run ``handler(event, context)`` in process for deliveries to the function (``None``:
    give them back to moto's Lambda). The context is ``None``."""
    from moto.logs.models import logs_backends

    backend = _backend_of(function_arn, logs_backends)
    with _LOCK:
        handlers = backend.__dict__.setdefault(_HANDLERS, {})
        if handler is None:
            handlers.pop(_function_name(function_arn), None)
        else:
            handlers[_function_name(function_arn)] = handler

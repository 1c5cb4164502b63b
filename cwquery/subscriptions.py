"""What a subscription filter delivers, exactly (spec §3): the envelope and its wire forms.

:func:`payload` is the decoded ``DATA_MESSAGE`` one ``PutLogEvents`` batch yields for one filter
(``None`` when nothing matches, T27); :func:`encode` turns an envelope into what Lambda, Kinesis
or Firehose receives, :func:`decode` reads any of those back.

>>> envelope = payload("5xx", [{"timestamp": 1000, "message": "GET / 200"},
...                            {"timestamp": 1001, "message": "GET /x 5xx"}],
...                    log_group="/app/api", log_stream="web-1")
>>> [event["message"] for event in envelope["logEvents"]]
['GET /x 5xx']
>>> int(envelope["logEvents"][0]["id"]) >> 144
1001
>>> sorted(encode(envelope, "lambda")["awslogs"])
['data']
>>> encode(envelope, "kinesis")[:2]
b'\\x1f\\x8b'
>>> decode(encode(envelope, "lambda")) == envelope
True
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import io
import json
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cwquery.aws.putlogs import InvalidEventError, plan_batches
from cwquery.aws.timeparse import TimeFormatError, to_millis
from cwquery.errors import CWQueryError
from cwquery.plan import plan_for
from cwquery.selection import FIELD_SELECTION, parse_criteria

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"
ACCOUNT_LEVEL_POLICY = "ACCOUNT_LEVEL_POLICY"
#: The destination kinds :func:`encode` knows.
DESTINATIONS = ("lambda", "kinesis", "firehose")
#: The fields ``emitSystemFields`` may name (§3.3).
EMITTABLE_FIELDS = ("@aws.account", "@aws.region", "@source.log")
#: CloudWatch Logs compresses deliveries at gzip level 6 (S1).
GZIP_LEVEL = 6
#: :func:`decode` reads at most this much JSON in all: a delivery is one ``PutLogEvents`` batch
#: (1 MiB of messages, each at most six times longer once JSON-escaped, with ids and fields),
#: and a Firehose S3 object many of them; more is refused, not decompressed (a gzip bomb).
MAX_DECODED_BYTES = 256 * 1024 * 1024
#: An id is this many decimal digits (T23).
ID_DIGITS = 56
#: The control message's owner and text, per destination kind (§3.1, O2).
CONTROL_OWNER = "CloudwatchLogs"
_CONTROL_TARGET = {"lambda": "Lambda", "kinesis": "Kinesis stream", "firehose": "Firehose"}


class SubscriptionError(CWQueryError, ValueError):
    """A payload that cannot be built or read: a bad event, destination kind or system field,
    or wire data that is not a delivery."""


def event_id(timestamp: int, ingestion_ms: int, sequence: int) -> str:
    """The 56-digit id of an event (T23): its time above bit 144, the ingestion time in bits
    80-143, a sequence number below.

    >>> identifier = event_id(1001, 1005, 3)
    >>> len(identifier), int(identifier) >> 144, (int(identifier) >> 80) & (2**64 - 1)
    (56, 1001, 1005)
    """
    value = (timestamp << 144) | ((ingestion_ms & (2**64 - 1)) << 80) | (sequence & (2**80 - 1))
    return str(value).zfill(ID_DIGITS)


def payload(
    filter_pattern: str,
    events: Sequence[Mapping[str, Any]],
    *,
    log_group: str,
    log_stream: str,
    owner: str = "123456789012",
    filter_name: str = "f",
    region: str = "us-east-1",
    field_selection_criteria: str | None = None,
    emit_system_fields: Iterable[str] = (),
    policy_level: str | None = None,
    ingestion_time: int | None = None,
    first_sequence: int = 0,
    apply_on_transformed_logs: bool = False,
) -> dict[str, Any] | None:
    """The decoded ``DATA_MESSAGE`` that one ``PutLogEvents`` batch of ``events`` (``{"timestamp":
    ms, "message": str}`` in put order) delivers for one filter, or ``None`` when no event is
    delivered (T27).

    ``field_selection_criteria`` is read against the group's own system fields (``@aws.account``
    = ``owner``, ``@aws.region`` = ``region``, T29); ``emit_system_fields`` adds those fields
    to every event (T28); ``policy_level`` is ``"ACCOUNT_LEVEL_POLICY"`` for an account-level
    policy (T24). Ids follow T23 with ``ingestion_time`` (default: the batch's latest
    timestamp) and sequence numbers counted from ``first_sequence`` over the whole batch; an
    event that carries an ``id`` keeps it. With ``apply_on_transformed_logs``, an event's
    ``transformed`` member (its transformer's JSON text) is matched and delivered instead of its
    message (T18); an event without one is read as its message (T19).

    >>> envelope = payload("ERROR", [{"timestamp": 5, "message": "ERROR x"},
    ...     {"timestamp": 6, "message": "ok"}], log_group="/app", log_stream="s")
    >>> envelope["messageType"], [e["message"] for e in envelope["logEvents"]]
    ('DATA_MESSAGE', ['ERROR x'])
    >>> payload("ERROR", [{"timestamp": 6, "message": "ok"}], log_group="/app", log_stream="s")

    Raises:
        PatternError: the filter pattern is not valid.
        SelectionError: ``field_selection_criteria`` is not valid.
        SubscriptionError: an event or system field name is not valid.
    """
    plan = plan_for(filter_pattern or "")
    criteria = parse_criteria(field_selection_criteria, FIELD_SELECTION)
    emitted = _emitted_fields(emit_system_fields, owner, region, log_group)
    checked = [
        _checked_event(event, index, apply_on_transformed_logs)
        for index, event in enumerate(events)
    ]
    system = {"@aws.account": owner, "@aws.region": region}
    if not checked or not criteria.matches(system):
        return None
    ingestion = ingestion_time if ingestion_time is not None else max(t for t, _ in checked)
    delivered = []
    for index, (timestamp, message) in enumerate(checked):
        if plan.verdict(message) is not True:
            continue
        given = events[index].get("id")
        identifier = (
            given
            if isinstance(given, str)
            else event_id(timestamp, ingestion, first_sequence + index)
        )
        item: dict[str, Any] = {"id": identifier, "timestamp": timestamp, "message": message}
        item.update(emitted)
        delivered.append(item)
    if not delivered:
        return None
    envelope: dict[str, Any] = {
        "messageType": DATA_MESSAGE,
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": [filter_name],
        "logEvents": delivered,
    }
    if policy_level is not None:
        envelope["policyLevel"] = policy_level
    return envelope


def payloads(
    filter_pattern: str, events: Iterable[Mapping[str, Any]], **options: Any
) -> list[dict[str, Any]]:
    """The deliveries of many events: cut (sorted by time, stably) into the batches
    ``PutLogEvents`` accepts (10,000 events, 1,048,576 bytes, 24 hours), one :func:`payload`
    per batch that has a match. Sequence numbers run on across batches. Options are
    :func:`payload`'s; each event keeps its other members (``transformed``, ``id``).

    >>> events = [{"timestamp": t, "message": f"ERROR {t}"} for t in (3, 1, 2)]
    >>> [[e["message"] for e in p["logEvents"]] for p in payloads("ERROR", events,
    ...     log_group="g", log_stream="s")]
    [['ERROR 1', 'ERROR 2', 'ERROR 3']]

    Raises:
        PatternError, SelectionError: as :func:`payload`, even when there is no event.
        SubscriptionError: an event ``PutLogEvents`` would refuse (an empty or oversized
            message, a time before 1970).
    """
    sequence = int(options.pop("first_sequence", 0))
    payload(filter_pattern, [], first_sequence=sequence, **options)  # the arguments checked
    envelopes = []
    for batch in _batches([dict(event) for event in events]):
        envelope = payload(filter_pattern, batch, first_sequence=sequence, **options)
        sequence += len(batch)
        if envelope is not None:
            envelopes.append(envelope)
    return envelopes


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``events`` cut as :func:`~cwquery.aws.putlogs.plan_batches` cuts them, each event whole
    (its time in epoch ms): that function sorts stably by time and keeps only the time and the
    message, so the batches are mapped back onto the events in the same stable order."""
    for index, event in enumerate(events):
        if not isinstance(event.get("message"), str) or "timestamp" not in event:
            raise SubscriptionError(f"event {index}: an event has a timestamp and a str message")
    try:
        planned = plan_batches(
            {"timestamp": e["timestamp"], "message": e["message"]} for e in events
        )
    except (InvalidEventError, TimeFormatError) as err:
        raise SubscriptionError(str(err)) from None
    times = [event["timestamp"] for batch in planned for event in batch]
    order = sorted(range(len(events)), key=lambda i: to_millis(events[i]["timestamp"]))
    whole = [{**events[i], "timestamp": times[n]} for n, i in enumerate(order)]
    batches, start = [], 0
    for batch in planned:
        batches.append(whole[start : start + len(batch)])
        start += len(batch)
    return batches


def control_message(destination_kind: str, timestamp: int) -> dict[str, Any]:
    """The health check a destination receives when a filter is put on it (§3.1, example 40).

    >>> control_message("firehose", 7)["logEvents"][0]["message"]
    'CWL CONTROL MESSAGE: Checking health of destination Firehose.'
    """
    target = _CONTROL_TARGET[_kind(destination_kind)]
    return {
        "messageType": CONTROL_MESSAGE,
        "owner": CONTROL_OWNER,
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [
            {
                "id": "",
                "timestamp": timestamp,
                "message": f"CWL CONTROL MESSAGE: Checking health of destination {target}.",
            }
        ],
    }


def encode(envelope: Mapping[str, Any], destination_kind: str) -> dict[str, Any] | bytes:
    """The wire form (§3.2): ``lambda`` -> ``{"awslogs": {"data": base64(gzip(json))}}``;
    ``kinesis`` / ``firehose`` -> the gzip bytes of the record (never base64 text, I1).

    >>> envelope = control_message("lambda", 1)
    >>> list(encode(envelope, "lambda")), encode(envelope, "kinesis")[:2]
    (['awslogs'], b'\\x1f\\x8b')
    >>> decode(encode(envelope, "firehose")) == envelope
    True
    """
    kind = _kind(destination_kind)
    if not isinstance(envelope, Mapping) or "messageType" not in envelope:
        raise SubscriptionError("an envelope is a mapping with a messageType")
    text = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise SubscriptionError(
            f"the envelope holds a lone surrogate at {err.start}, which no event can hold"
        ) from None
    compressed = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    if kind == "lambda":
        return {"awslogs": {"data": base64.b64encode(compressed).decode("ascii")}}
    return compressed


def decode(wire: Mapping[str, Any] | bytes | str) -> dict[str, Any]:
    """The envelope inside a Lambda event, a record's gzip bytes, or base64 text of them (as
    the Kinesis ``GetRecords`` JSON and Firehose's transformation events carry them).

    Raises:
        SubscriptionError: ``wire`` is none of these, or holds more than one envelope.
    """
    envelopes = decode_all(wire)
    if len(envelopes) != 1:
        raise SubscriptionError(f"expected one envelope, found {len(envelopes)}")
    return envelopes[0]


def decode_all(wire: Mapping[str, Any] | bytes | str) -> list[dict[str, Any]]:
    """Every envelope in ``wire``: an S3 object that Firehose filled holds gzip members back to
    back, with no separator (example 39)."""
    if isinstance(wire, Mapping):
        awslogs = wire.get("awslogs")
        data = awslogs.get("data") if isinstance(awslogs, dict) else None
        if not isinstance(data, str):
            raise SubscriptionError('a Lambda event is {"awslogs": {"data": "<base64>"}}')
        wire = data
    if isinstance(wire, str):
        try:
            wire = base64.b64decode(wire, validate=True)
        except (binascii.Error, ValueError) as err:
            raise SubscriptionError(f"not base64: {err}") from None
    if not isinstance(wire, bytes | bytearray | memoryview):
        raise SubscriptionError("wire data is a Lambda event, bytes or base64 text")
    return _members(bytes(wire))


def consumer_events(
    envelopes: Iterable[Mapping[str, Any]],
    destination_kind: str,
    *,
    destination_name: str = "test",
    region: str = "us-east-1",
    owner: str = "123456789012",
) -> list[dict[str, Any]]:
    """The events a Lambda function receives from the deliveries ``envelopes``:

    * ``lambda``: the subscription's own invocation, ``{"awslogs": {"data": ...}}``, one per
      delivery;
    * ``kinesis``: one Kinesis event-source event whose ``Records`` hold one record per delivery
      (``kinesis.data`` is base64 of the gzip bytes, the partition key the log stream, T26);
    * ``firehose``: one Firehose data-transformation event with one record per delivery.

    ``destination_name`` names the function, stream or delivery stream in ARNs. Kinesis and
    Firehose give an empty list when there is no delivery. Ids and arrival times derive from the
    deliveries, so the same input gives the same events.

    >>> envelope = control_message("kinesis", 1)
    >>> (event,) = consumer_events([envelope], "kinesis", destination_name="s")
    >>> record = event["Records"][0]
    >>> record["eventSourceARN"], decode(record["kinesis"]["data"]) == envelope
    ('arn:aws:kinesis:us-east-1:123456789012:stream/s', True)
    """
    kind = _kind(destination_kind)
    listed = list(envelopes)
    if kind == "lambda":
        return [_lambda_event(envelope) for envelope in listed]
    if not listed:
        return []
    records: list[dict[str, Any]] = []
    for number, envelope in enumerate(listed, 1):
        data = base64.b64encode(_record(envelope)).decode("ascii")
        arrival = max(
            (int(e.get("timestamp", 0)) for e in envelope.get("logEvents", [])), default=0
        )
        sequence = str(number).zfill(56)
        if kind == "kinesis":
            records.append(
                {
                    "kinesis": {
                        "kinesisSchemaVersion": "1.0",
                        "partitionKey": str(envelope.get("logStream", "")),
                        "sequenceNumber": sequence,
                        "data": data,
                        "approximateArrivalTimestamp": arrival / 1000,
                    },
                    "eventSource": "aws:kinesis",
                    "eventVersion": "1.0",
                    "eventID": f"shardId-000000000000:{sequence}",
                    "eventName": "aws:kinesis:record",
                    "invokeIdentityArn": f"arn:aws:iam::{owner}:role/{destination_name}-consumer",
                    "awsRegion": region,
                    "eventSourceARN": f"arn:aws:kinesis:{region}:{owner}:stream/{destination_name}",
                }
            )
        else:
            records.append(
                {"recordId": sequence, "approximateArrivalTimestamp": arrival, "data": data}
            )
    if kind == "kinesis":
        return [{"Records": records}]
    joined = "".join(str(record["data"]) for record in records)
    digest = hashlib.sha256(joined.encode("ascii")).hexdigest()
    return [
        {
            "invocationId": str(uuid.UUID(digest[:32], version=4)),
            "deliveryStreamArn": (
                f"arn:aws:firehose:{region}:{owner}:deliverystream/{destination_name}"
            ),
            "region": region,
            "records": records,
        }
    ]


def _lambda_event(envelope: Mapping[str, Any]) -> dict[str, Any]:
    event = encode(envelope, "lambda")
    assert isinstance(event, dict)
    return event


def _record(envelope: Mapping[str, Any]) -> bytes:
    record = encode(envelope, "kinesis")
    assert isinstance(record, bytes)
    return record


def _members(data: bytes) -> list[dict[str, Any]]:
    envelopes = []
    stream = io.BytesIO(data)
    budget = MAX_DECODED_BYTES
    while stream.tell() < len(data):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunks = []
        try:
            while not decompressor.eof:
                block = decompressor.unconsumed_tail or stream.read(65536)
                if not block:
                    raise SubscriptionError("truncated gzip data")
                chunk = decompressor.decompress(block, budget + 1)
                budget -= len(chunk)
                if budget < 0:
                    raise SubscriptionError(
                        f"the gzip data holds more than {MAX_DECODED_BYTES} bytes of JSON"
                    )
                chunks.append(chunk)
        except zlib.error as err:
            raise SubscriptionError(f"not gzip data: {err}") from None
        stream.seek(stream.tell() - len(decompressor.unused_data))
        try:
            document = json.loads(b"".join(chunks).decode("utf-8"))
        except ValueError as err:
            raise SubscriptionError(f"a gzip member that is not JSON: {err}") from None
        if not isinstance(document, dict):
            raise SubscriptionError("a gzip member that is not a JSON object")
        envelopes.append(document)
    return envelopes


def _kind(destination_kind: str) -> str:
    if destination_kind not in DESTINATIONS:
        raise SubscriptionError(
            f"unknown destination kind {destination_kind!r}; expected one of "
            + ", ".join(DESTINATIONS)
        )
    return destination_kind


def _checked_event(event: Mapping[str, Any], index: int, transformed: bool) -> tuple[int, str]:
    if not isinstance(event, Mapping):
        raise SubscriptionError(f"event {index} is not a mapping")
    timestamp, message = event.get("timestamp"), event.get("message")
    other = event.get("transformed")
    if other is not None and not isinstance(other, str):
        raise SubscriptionError(f"event {index}: transformed must be a str")
    if isinstance(message, str):
        message = filter_text(message, other, transformed)
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise SubscriptionError(f"event {index}: timestamp must be epoch milliseconds (int >= 0)")
    if not isinstance(message, str):
        raise SubscriptionError(f"event {index}: message must be a str")
    return timestamp, message


def system_fields(owner: str, region: str, log_group: str) -> dict[str, str]:
    """The system fields of a group's own events (T28, T29).

    >>> system_fields("1", "us-east-1", "/g")["@source.log"]
    '1:us-east-1:/g'
    """
    return {
        "@aws.account": owner,
        "@aws.region": region,
        "@source.log": f"{owner}:{region}:{log_group}",
    }


def filter_text(message: str, transformed: str | None, apply_on_transformed_logs: bool) -> str:
    """The text a metric or subscription filter reads, and a subscription delivers: the
    transformed event with ``applyOnTransformedLogs`` (T18), else, or when the transformer
    produced nothing (``transformed`` None, T19) or none applies (T34), the original.

    >>> filter_text("a", '{"a":1}', True), filter_text("a", '{"a":1}', False)
    ('{"a":1}', 'a')
    """
    if apply_on_transformed_logs and transformed is not None:
        return transformed
    return message


def metric_dimensions(
    field_selection_criteria: str | None,
    emit_system_field_dimensions: Iterable[str],
    *,
    owner: str,
    region: str,
) -> dict[str, str] | None:
    """The extra dimensions a metric filter adds from ``emitSystemFieldDimensions``, or ``None``
    when its ``fieldSelectionCriteria`` leaves the group's events out (§3.3, T29).

    >>> metric_dimensions('@aws.region = "us-east-1"', ["@aws.region"], owner="1",
    ...                   region="us-east-1")
    {'@aws.region': 'us-east-1'}

    Raises:
        SelectionError: the criteria is not valid.
        SubscriptionError: a dimension is not ``@aws.account`` or ``@aws.region``.
    """
    system = {"@aws.account": owner, "@aws.region": region}
    if not parse_criteria(field_selection_criteria, FIELD_SELECTION).matches(system):
        return None
    dimensions = {}
    if isinstance(emit_system_field_dimensions, str):
        raise SubscriptionError("emitSystemFieldDimensions is a list of field names")
    for name in emit_system_field_dimensions:
        if name not in system:
            raise SubscriptionError(
                f"emitSystemFieldDimensions cannot name {name!r}; expected @aws.account, "
                "@aws.region"
            )
        dimensions[name] = system[name]
    return dimensions


def _emitted_fields(
    names: Iterable[str], owner: str, region: str, log_group: str
) -> dict[str, str]:
    values = system_fields(owner, region, log_group)
    if isinstance(names, str):
        raise SubscriptionError("emit_system_fields is a list of field names, not one string")
    emitted = {}
    for name in names:
        if name not in values:
            raise SubscriptionError(
                f"emitSystemFields cannot name {name!r}; expected " + ", ".join(EMITTABLE_FIELDS)
            )
        emitted[name] = values[name]
    return emitted

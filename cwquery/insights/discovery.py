"""Field discovery (spec §8, §9; I47-I53): the system fields of an event and the fields found
in its message (JSON, embedded JSON, Lambda START/END/REPORT lines, VPC flow logs, Route 53
query logs).

>>> discover('{"a": {"b": 1, "c": [true, null]}, "@x": "y"}')
{'a.b': '1', 'a.c.0': 'true', '@@x': 'y'}
>>> discover("REPORT RequestId: r-1\\tDuration: 2.5 ms\\tMemory Size: 128 MB\\t")["@memorySize"]
128000000
"""

from __future__ import annotations

import json
import re
from typing import Any

from cwquery.insights.values import Timestamp

__all__ = ["ACCOUNT_ID", "MAX_JSON_FIELDS", "discover"]

#: I47: the account id of ``@log`` locally
ACCOUNT_ID = "123456789012"
#: §9.3 (I51): fields taken from one JSON event
MAX_JSON_FIELDS = 200
#: how many ``{`` of a non-JSON line are tried as the start of an embedded object (I50)
_EMBEDDED_TRIES = 16

_DECODER = json.JSONDecoder(parse_float=str, parse_int=str, parse_constant=str)

_VPC = [
    "version",
    "accountId",
    "interfaceId",
    "srcAddr",
    "dstAddr",
    "srcPort",
    "dstPort",
    "protocol",
    "packets",
    "bytes",
    "startTime",
    "endTime",
    "action",
    "logStatus",
]
_ROUTE53 = [
    "version",
    "queryTimestamp",
    "hostZoneId",
    "queryName",
    "queryType",
    "responseCode",
    "protocol",
    "edgeLocation",
    "resolverIp",
    "ednsClientSubnet",
]
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
#: §9.4: REPORT segments, name → (field, factor to the unit the field holds)
_REPORT = {
    "Duration": ("@duration", None),
    "Billed Duration": ("@billedDuration", None),
    "Init Duration": ("@initDuration", None),
    "Memory Size": ("@memorySize", 1_000_000),
    "Max Memory Used": ("@maxMemoryUsed", 1_000_000),
}
_LAMBDA = re.compile(r"(START|END|REPORT) RequestId: (\S+)")
_XRAY = re.compile(r"XRAY TraceId: (\S+)\s+SegmentId: (\S+)")


def discover(message: str) -> dict[str, Any]:
    """The discovered fields of one message (§9), in discovery order."""
    stripped = message.lstrip()
    if stripped.startswith("{"):
        document = _object_at(stripped, 0)
        if document is not None:
            return _flatten(document)
    if message.startswith(("START ", "END ", "REPORT ", "XRAY ")):
        found = _lambda(message)
        if found:
            return found
    if " " in message:
        tokens = message.split()
        if (
            len(tokens) == 14
            and tokens[0] == "2"
            and tokens[2].startswith("eni-")
            and tokens[12] in ("ACCEPT", "REJECT", "-")
        ):
            return dict(zip(_VPC, tokens, strict=True))
        if (
            len(tokens) >= 9
            and tokens[0] == "1.0"
            and _ISO.match(tokens[1])
            and tokens[2].startswith("Z")
        ):
            return dict(zip(_ROUTE53, tokens, strict=False))
    start = message.find("{")
    tries = 0
    while start >= 0 and tries < _EMBEDDED_TRIES:  # I50: the first embedded object
        document = _object_at(message, start)
        if document is not None:
            return _flatten(document)
        start = message.find("{", start + 1)
        tries += 1
    return {}


def _object_at(text: str, start: int) -> dict[str, Any] | None:
    try:
        document, _ = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _flatten(document: dict[str, Any]) -> dict[str, Any]:
    """Scalars at their dotted paths, depth first, the first 200 (I49, I51); ``null`` is
    absent; booleans as ``true``/``false``; numbers as their source text (I19)."""
    found: dict[str, Any] = {}
    try:
        _walk(document, "", found)
    except _Full:
        pass
    except RecursionError:  # nesting deeper than the stack: walk it with a list instead
        found.clear()
        _walk_deep(document, found)
    return found


class _Full(Exception):
    """The 200th field is found."""


def _walk(value: Any, prefix: str, found: dict[str, Any]) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(item, str):
            _add(found, f"{prefix}{key}", item)
        elif isinstance(item, dict | list):
            _walk(item, f"{prefix}{key}.", found)
        elif item is not None:
            _add(found, f"{prefix}{key}", "true" if item else "false")


def _add(found: dict[str, Any], name: str, value: Any) -> None:
    if name.startswith("@"):
        name = "@" + name
    found[name] = value
    if len(found) >= MAX_JSON_FIELDS:
        raise _Full


def _walk_deep(document: dict[str, Any], found: dict[str, Any]) -> None:
    pending: list[tuple[str, Any]] = [("", document)]
    while pending and len(found) < MAX_JSON_FIELDS:
        prefix, value = pending.pop()
        if isinstance(value, dict):
            pending += reversed([(f"{prefix}{key}.", item) for key, item in value.items()])
        elif isinstance(value, list):
            pending += reversed([(f"{prefix}{index}.", item) for index, item in enumerate(value)])
        elif value is not None:
            name = prefix[:-1]
            if name.startswith("@"):
                name = "@" + name
            found[name] = ("true" if value else "false") if isinstance(value, bool) else value


def _lambda(message: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    head = _LAMBDA.match(message)
    if head:
        found["@type"], found["@requestId"] = head.group(1), head.group(2)
        if head.group(1) == "REPORT":
            for segment in message.split("\t")[1:]:
                name, _, rest = segment.partition(": ")
                if name.strip() in _REPORT and rest:
                    field, factor = _REPORT[name.strip()]
                    amount = rest.split()[0]
                    found[field] = _scaled(amount, factor) if factor else amount
    trace = _XRAY.search(message)
    if trace:
        found["@xrayTraceId"], found["@xraySegmentId"] = trace.group(1), trace.group(2)
    return found


def _scaled(amount: str, factor: int) -> Any:
    try:
        value = float(amount) * factor
    except ValueError:
        return amount
    return int(value) if value.is_integer() else value


def system_fields(event: Any, log_group: str | None) -> dict[str, Any]:
    """The system fields of an event (§8) other than ``@ptr``."""
    get = event.get
    fields: dict[str, Any] = {"@message": get("message", "")}
    moment = get("timestamp")
    if moment is not None:
        fields["@timestamp"] = Timestamp(moment)
    ingested = get("ingestionTime")
    if ingested is not None:
        fields["@ingestionTime"] = Timestamp(ingested)
    stream = get("logStreamName")
    if stream is not None:
        fields["@logStream"] = stream
    group = get("logGroupName") or log_group
    if group:
        fields["@log"] = f"{ACCOUNT_ID}:{group}"
    return fields


def event_int(event: Any, key: str) -> int:
    """An event's epoch-ms member as an int (0 when missing)."""
    value = event.get(key)
    return int(value) if value is not None else 0

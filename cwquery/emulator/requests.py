"""The emulator's edge: every request is checked against the service's own model first.

moto trusts its input: a string where a number goes, a missing member, a body that is not
UTF-8 or not JSON, or an unknown action reach its code and come back as HTTP 500. Here the
request is checked before moto sees it, using botocore's model of CloudWatch Logs (types,
required members, lengths, ranges, enums and name patterns, such as the log group name rule),
and answered as the service answers: HTTP 400 with ``SerializationException`` for a body that
cannot be read as the operation's shape; for values that break a constraint, "1 validation error
detected: ..." as the exception the operation's model declares (``InvalidParameterException``,
or ``ValidationException`` for the newer operations), quoting each value whole;
``UnknownOperationException`` for an action the service does not have.

>>> check_request("Logs_20140328.CreateLogGroup", b'{"logGroupName": "/app"}')
>>> check_request("Logs_20140328.DescribeLogGroups", b'{"limit": null}')
b'{}'
>>> try:
...     check_request("Logs_20140328.FilterLogEvents", b'{"logGroupName": "a", "limit": "x"}')
... except LogsClientError as err:
...     print(err.error_type, "-", err.message)
SerializationException - STRING_VALUE can not be converted to an Integer
>>> try:
...     check_request("Logs_20140328.CreateLogGroup", b'{"logGroupName": "a b"}')
... except LogsClientError as err:
...     print(err.message)
1 validation error detected: Value 'a b' at 'logGroupName' failed to satisfy constraint: \
Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from moto.logs.exceptions import LogsClientError

from cwquery.emulator.errors import value_at
from cwquery.semantics import json_depth

#: The JSON nesting the edge accepts; a request body deeper than this is not a Logs request.
MAX_DEPTH = 64
_TARGET_PREFIX = "Logs_20140328."
#: Shapes whose model pattern is enforced: the name rules. Other model patterns are looser or
#: stricter than the service (an ARN ending in ``:*`` is accepted), so they are left to moto.
NAME_SHAPES = frozenset({"LogGroupName", "LogStreamName"})
_JAVA_TYPES = {
    "integer": "an Integer",
    "long": "a Long",
    "double": "a Double",
    "float": "a Float",
    "boolean": "a Boolean",
}


#: The service's answer when a log group or stream name is longer than 512 characters (recorded
#: from the service for CreateLogGroup and DeleteMetricFilter), instead of the model's text.
NAME_TOO_LONG = "Invalid LogGroup or LogStream, both must have length less than or equal to 512."
#: What a failed check raises when the operation's model declares neither exception.
DEFAULT_VALIDATION_ERROR = "InvalidParameterException"


@functools.lru_cache(maxsize=256)
def validation_error_type(operation: str) -> str:
    """The exception an operation answers a failed check with: the one its model declares.

    Older operations declare ``InvalidParameterException``; newer ones (deliveries, scheduled
    queries, ...) declare only ``ValidationException``.

    >>> validation_error_type("CreateLogGroup"), validation_error_type("PutDeliverySource")
    ('InvalidParameterException', 'ValidationException')
    """
    declared = {shape.name for shape in _service_model().operation_model(operation).error_shapes}
    for name in ("InvalidParameterException", "ValidationException"):
        if name in declared:
            return name
    return DEFAULT_VALIDATION_ERROR


def serialization_error(message: str) -> LogsClientError:
    """A ``SerializationException`` (HTTP 400)."""
    return LogsClientError("SerializationException", message)


@functools.lru_cache(maxsize=1)
def _service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("logs")


def check_request(target: str | None, body: bytes | str | None) -> bytes | None:
    """Raise the service's 400 error for a request it would refuse before running it.

    Returns the body without its ``null`` members (the service reads them as absent; moto
    would take them as values) when it had any, else None.

    Raises:
        LogsClientError: ``UnknownOperationException``, ``SerializationException``, or the
            operation's validation exception (:func:`validation_error_type`).
    """
    model = _service_model()
    operation = (target or "").removeprefix(_TARGET_PREFIX)
    if not target or operation not in model.operation_names:
        raise LogsClientError("UnknownOperationException", f"Unknown operation: {operation!r:.80}")
    document = _document(body)
    shape = model.operation_model(operation).input_shape
    problems: list[str] = []
    if shape is not None:
        _check(shape, document, "", problems)
    if problems:
        if NAME_TOO_LONG in problems:
            raise LogsClientError("InvalidParameterException", NAME_TOO_LONG)
        count = len(problems)
        head = f"{count} validation error{'s' if count > 1 else ''} detected: "
        raise LogsClientError(validation_error_type(operation), head + "; ".join(problems))
    cleaned = _without_nulls(document)
    return None if cleaned == document else json.dumps(cleaned).encode("utf-8")


def _without_nulls(value: Any) -> Any:
    """``value`` with the ``null`` members of its objects left out, at every depth.

    >>> _without_nulls({"a": None, "b": [{"c": None, "d": 1}]})
    {'b': [{'d': 1}]}
    """
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _document(body: bytes | str | None) -> dict[str, Any]:
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as err:
            raise serialization_error(
                f"Invalid UTF-8 in the request body at byte {err.start}"
            ) from None
    if not body or not body.strip():
        return {}
    if json_depth(body) > MAX_DEPTH:
        raise serialization_error(f"The request body nests deeper than {MAX_DEPTH} levels")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise serialization_error(f"The request body is not valid JSON: {err}") from None
    if not isinstance(document, dict):
        raise serialization_error("Start of structure or map found where not expected")
    return document


def _check(shape: Any, value: Any, where: str, problems: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise serialization_error("Start of structure or map found where not expected")
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append(_constraint(None, _join(where, name), "Member must not be null"))
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _join(where, name), problems)
        return
    if kind == "list":
        if not isinstance(value, list):
            raise serialization_error("Expected list or null")
        _check_length(shape, value, where, problems)
        for number, item in enumerate(value, 1):
            if item is not None:
                _check(shape.member, item, f"{where}.{number}.member", problems)
        return
    if kind == "map":
        if not isinstance(value, dict):
            raise serialization_error("Start of structure or map found where not expected")
        for key, item in value.items():
            _check(shape.key, key, f"{where}.key", problems)
            if item is not None:
                _check(shape.value, item, f"{where}.{key}", problems)
        return
    if kind == "string":
        if not isinstance(value, str):
            raise serialization_error(f"{_json_kind(value)} can not be converted to a String")
        _check_string(shape, value, where, problems)
        return
    if kind in ("integer", "long", "double", "float"):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if not numeric or (kind in ("integer", "long") and isinstance(value, float)):
            raise serialization_error(
                f"{_json_kind(value)} can not be converted to {_JAVA_TYPES[kind]}"
            )
        _check_range(shape, value, where, problems)
        return
    if kind == "boolean" and not isinstance(value, bool):
        raise serialization_error(f"{_json_kind(value)} can not be converted to a Boolean")
    if kind == "timestamp" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise serialization_error(f"{_json_kind(value)} can not be converted to a Timestamp")
    if kind == "blob" and not isinstance(value, str):
        raise serialization_error(f"{_json_kind(value)} can not be converted to a Blob")


def _check_string(shape: Any, value: str, where: str, problems: list[str]) -> None:
    _check_length(shape, value, where, problems)
    enum = shape.enum
    if enum and value not in enum:
        problems.append(
            _constraint(
                value, where, f"Member must satisfy enum value set: [{', '.join(enum)}]", shape
            )
        )
    pattern = shape.metadata.get("pattern") if shape.name in NAME_SHAPES else None
    compiled = _pattern(pattern) if pattern else None
    if compiled is not None and not compiled.fullmatch(value):
        problems.append(
            _constraint(
                value, where, f"Member must satisfy regular expression pattern: {pattern}", shape
            )
        )


def _check_length(shape: Any, value: Any, where: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        constraint = f"Member must have length greater than or equal to {low}"
        problems.append(_constraint(value, where, constraint, shape))
    elif high is not None and len(value) > high:
        if shape.name in NAME_SHAPES:
            problems.append(NAME_TOO_LONG)
            return
        constraint = f"Member must have length less than or equal to {high}"
        problems.append(_constraint(value, where, constraint, shape))


def _check_range(shape: Any, value: float, where: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(
            _constraint(
                value, where, f"Member must have value greater than or equal to {low}", shape
            )
        )
    elif high is not None and value > high:
        problems.append(
            _constraint(value, where, f"Member must have value less than or equal to {high}", shape)
        )


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's pattern as a Python regex; None for Java-only syntax the edge cannot read."""
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def _constraint(value: Any, where: str, constraint: str, shape: Any = None) -> str:
    return f"{value_at(value, where, shape)} failed to satisfy constraint: {constraint}"


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _json_kind(value: Any) -> str:
    if isinstance(value, str):
        return "STRING_VALUE"
    if isinstance(value, bool):
        return "BOOLEAN_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    if isinstance(value, list):
        return "START_ARRAY"
    return "START_OBJECT"

"""Service errors the emulator raises, with CloudWatch Logs' own texts (spec §8).

Every API that takes a pattern compiles it here: a pattern the service would refuse becomes
``InvalidParameterException`` with the service's message, never a filter that matches everything.

>>> compile_pattern("{ $.level = ERROR }").matches('{"level": "ERROR"}')
True
>>> try:
...     compile_pattern("{ $.level = ", METRIC_FILTER)
... except InvalidParameterException as err:
...     print(err.message)
If a filter pattern starts with '{' it must end with '}'
>>> try:
...     compile_pattern("{ $.a == 1 }", SUBSCRIPTION_FILTER)
... except InvalidParameterException as err:
...     print(err.message)
Invalid subscription filter pattern
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moto.logs.exceptions import (
    InvalidParameterException,
    LimitExceededException,
    LogsClientError,
    ResourceNotFoundException,
)

from cwquery.compiler import Matcher, compile
from cwquery.errors import (
    GENERIC_SERVICE_MESSAGE,
    CWQueryError,
    PatternError,
    UnsupportedPatternError,
)

__all__ = [
    "FILTER",
    "METRIC_FILTER",
    "SUBSCRIPTION_FILTER",
    "EmulatorError",
    "InvalidParameterException",
    "LimitExceededException",
    "MotoCompatibilityError",
    "ResourceNotFoundException",
    "compile_pattern",
    "invalid_token",
    "java_text",
    "limit_exceeded",
    "validation_error",
    "value_at",
]

#: The generic syntax-error text of each API family (spec §8).
FILTER = "Invalid filter pattern"
METRIC_FILTER = "Invalid metric filter pattern"
SUBSCRIPTION_FILTER = "Invalid subscription filter pattern"

INVALID_TOKEN = "The specified nextToken is invalid."


class EmulatorError(CWQueryError, RuntimeError):
    """The emulator cannot run as asked (moto missing, or a server that will not start)."""


class MotoCompatibilityError(EmulatorError):
    """The moto internals the emulator patches are not where it expects them."""


def compile_pattern(text: str | None, generic: str = FILTER) -> Matcher:
    """Compile ``text`` or raise ``InvalidParameterException`` with the service's message.

    ``generic`` replaces the service's generic text, which differs between APIs
    (:data:`FILTER`, :data:`METRIC_FILTER`, :data:`SUBSCRIPTION_FILTER`).
    """
    try:
        return compile(text or "")
    except UnsupportedPatternError as err:
        raise InvalidParameterException(
            f"cwquery cannot evaluate this pattern exactly: {err.message}"
        ) from err
    except PatternError as err:
        message = err.service_message
        if message == GENERIC_SERVICE_MESSAGE:
            message = generic
        raise InvalidParameterException(message) from err


def validation_error(parameter: str, value: Any, constraint: str) -> InvalidParameterException:
    """The service's "1 validation error detected" text for one request member.

    >>> validation_error("limit", 0, "Member must have value greater than or equal to 1").message
    "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
Member must have value greater than or equal to 1"
    >>> validation_error("filterPattern", None, "Member must not be null").message
    "1 validation error detected: Value null at 'filterPattern' failed to satisfy constraint: \
Member must not be null"
    """
    return InvalidParameterException(
        f"1 validation error detected: {value_at(value, parameter)} failed to satisfy "
        f"constraint: {constraint}"
    )


def value_at(value: Any, where: str, shape: Any = None) -> str:
    """``Value '<value>' at '<where>'`` as the service writes it: the whole value, never cut;
    ``Value null at`` for a missing member; lists as ``[a, b]``; a structure as
    ``ShapeName(member=value, ...)``; ``Value at`` (no value) for a sensitive member.

    >>> value_at(["a", "b"], "logGroupIdentifiers")
    "Value '[a, b]' at 'logGroupIdentifiers'"
    >>> value_at(None, "logEvents")
    "Value null at 'logEvents'"
    >>> import botocore.session  # SSM's parameter values are sensitive in its model
    >>> ssm = botocore.session.get_session().get_service_model("ssm")
    >>> value_at("s3cret", "value", ssm.shape_for("PSParameterValue"))
    "Value at 'value'"
    """
    if value is None:
        return f"Value null at '{where}'"
    if shape is not None and shape.metadata.get("sensitive"):
        return f"Value at '{where}'"
    return f"Value '{java_text(value, shape)}' at '{where}'"


def java_text(value: Any, shape: Any = None) -> str:
    """How the service (a Java service) prints a value: lists as ``[a, b]``, maps as
    ``{k=v}``, booleans in lower case, a structure as ``ShapeName(member=value, ...)`` with every
    member of its model shape (``null`` when absent). Without a ``shape`` a dict prints as a map.

    >>> java_text([1.0, True, None, {"k": "v"}])
    '[1.0, true, null, {k=v}]'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    kind = getattr(shape, "type_name", None)
    if isinstance(value, dict):
        if kind == "structure":
            members = ", ".join(
                f"{name}={java_text(value.get(name), member)}"
                for name, member in shape.members.items()
            )
            return f"{shape.name}({members})"
        item = shape.value if kind == "map" else None
        return "{" + ", ".join(f"{k}={java_text(v, item)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        item = shape.member if kind == "list" else None
        return "[" + ", ".join(java_text(entry, item) for entry in value) + "]"
    return str(value)


def invalid_token() -> InvalidParameterException:
    """``The specified nextToken is invalid.``"""
    return InvalidParameterException(INVALID_TOKEN)


def limit_exceeded(message: str) -> LogsClientError:
    """A ``LimitExceededException`` carrying ``message`` (moto's class has a fixed text)."""
    return LogsClientError("LimitExceededException", message)

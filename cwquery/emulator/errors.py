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
from cwquery.errors import GENERIC_SERVICE_MESSAGE, PatternError, UnsupportedPatternError

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
    "limit_exceeded",
    "validation_error",
]

#: The generic syntax-error text of each API family (spec §8).
FILTER = "Invalid filter pattern"
METRIC_FILTER = "Invalid metric filter pattern"
SUBSCRIPTION_FILTER = "Invalid subscription filter pattern"

INVALID_TOKEN = "The specified nextToken is invalid."


class EmulatorError(RuntimeError):
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
    """
    shown = _java_text(value)
    return InvalidParameterException(
        f"1 validation error detected: Value '{shown}' at '{parameter}' failed to satisfy "
        f"constraint: {constraint}"
    )


def invalid_token() -> InvalidParameterException:
    """``The specified nextToken is invalid.``"""
    return InvalidParameterException(INVALID_TOKEN)


def limit_exceeded(message: str) -> LogsClientError:
    """A ``LimitExceededException`` carrying ``message`` (moto's class has a fixed text)."""
    return LogsClientError("LimitExceededException", message)


def _java_text(value: Any) -> str:
    """How the service prints a rejected value: lists as ``[a, b]``, booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    return str(value)

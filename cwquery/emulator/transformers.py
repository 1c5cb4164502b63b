"""Log transformers in the emulator: ``PutTransformer``, ``GetTransformer``,
``DeleteTransformer`` and ``TestTransformer`` (spec §2.7, §7), the log group class they need
(T33), and what a metric filter with ``applyOnTransformedLogs`` sees (spec §1.2, T18, T19, T34).

A log group's transformer lives on moto's ``LogGroup`` object, so it goes when the group goes.
The request's shape (types, lengths, enums, required members) is checked at the edge
(:mod:`cwquery.emulator.requests`); the rules beyond the model are
:func:`cwquery.transformers.validate`'s, answered as ``InvalidParameterException``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moto.logs.exceptions import LogsClientError
from moto.logs.responses import LogsResponse

from cwquery.emulator.errors import InvalidParameterException, ResourceNotFoundException
from cwquery.emulator.handlers import find_group, request_reader
from cwquery.transformers import Transformer, TransformerError, test_transformer

#: Where a group's transformer and its class are kept on moto's ``LogGroup``.
_TRANSFORMER = "_cwquery_transformer"
_CLASS = "_cwquery_log_group_class"
STANDARD = "STANDARD"
#: T33: cwquery's wording for a transformer on a group of another class.
NOT_STANDARD = "Transformers can only be created for log groups in the Standard log class"
NO_TRANSFORMER = "The specified transformer does not exist."

#: moto's own handlers, wrapped here (read before :mod:`cwquery.emulator.patch` installs).
_MOTO_CREATE_LOG_GROUP = LogsResponse.__dict__["create_log_group"]


@dataclass
class _Stored:
    config: list[dict[str, Any]]
    transformer: Transformer
    created: int
    modified: int


def transformer_of(group: Any) -> Transformer | None:
    """The log-group transformer in force on a moto ``LogGroup``, or ``None``."""
    stored: _Stored | None = getattr(group, _TRANSFORMER, None)
    return stored.transformer if stored is not None else None


def transformer_in_force(group: Any) -> Transformer | None:
    """The transformer a moto ``LogGroup``'s events pass through: its own, else the account
    transformer policy's whose selection criteria pick the group (spec §4), else ``None``."""
    own = transformer_of(group)
    if own is not None:
        return own
    # policies imports the subscription delivery, which imports this module: read it late
    from moto.logs.models import logs_backends

    from cwquery.emulator.policies import transformer_policy_for

    backend = logs_backends[group.account_id][group.region]
    config = transformer_policy_for(backend, group.name)
    if config is None:
        return None
    try:
        return Transformer(config)
    except TransformerError:  # a policy stored before the checks were installed
        return None


def _backend(response: Any) -> Any:
    return response.logs_backend


def _invalid(err: TransformerError) -> InvalidParameterException:
    return InvalidParameterException(str(err))


def put_transformer(response: Any) -> str:
    """``PutTransformer``: validate, then store (replacing any earlier one)."""
    param = request_reader(response)
    group = find_group(_backend(response), None, param("logGroupIdentifier"))
    if getattr(group, _CLASS, STANDARD) != STANDARD:
        raise LogsClientError("InvalidOperationException", NOT_STANDARD)
    config = param("transformerConfig")
    try:
        transformer = Transformer(config)
    except TransformerError as err:
        raise _invalid(err) from None
    now = int(time.time() * 1000)
    previous: _Stored | None = getattr(group, _TRANSFORMER, None)
    created = previous.created if previous is not None else now
    setattr(group, _TRANSFORMER, _Stored(config, transformer, created, now))
    return ""


def get_transformer(response: Any) -> str:
    """``GetTransformer``: the log group's own transformer, as stored."""
    group = find_group(_backend(response), None, request_reader(response)("logGroupIdentifier"))
    stored: _Stored | None = getattr(group, _TRANSFORMER, None)
    if stored is None:
        raise ResourceNotFoundException(NO_TRANSFORMER)
    return json.dumps(
        {
            "logGroupIdentifier": group.arn,
            "creationTime": stored.created,
            "lastModifiedTime": stored.modified,
            "transformerConfig": stored.config,
        }
    )


def delete_transformer(response: Any) -> str:
    """``DeleteTransformer``."""
    group = find_group(_backend(response), None, request_reader(response)("logGroupIdentifier"))
    if getattr(group, _TRANSFORMER, None) is None:
        raise ResourceNotFoundException(NO_TRANSFORMER)
    delattr(group, _TRANSFORMER)
    return ""


def test_transformer_handler(response: Any) -> str:
    """``TestTransformer``: :func:`cwquery.transformers.test_transformer`'s answer."""
    param = request_reader(response)
    try:
        answer = test_transformer(param("transformerConfig"), param("logEventMessages") or [])
    except TransformerError as err:
        raise _invalid(err) from None
    return json.dumps(answer, ensure_ascii=False)


test_transformer_handler.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def create_log_group(response: Any) -> str:
    """moto's ``CreateLogGroup``, then the group's ``logGroupClass`` kept (moto drops it)."""
    answer: str = _MOTO_CREATE_LOG_GROUP(response)
    param = request_reader(response)
    group = _backend(response).groups.get(param("logGroupName"))
    if group is not None:
        setattr(group, _CLASS, param("logGroupClass") or STANDARD)
    return answer


@dataclass(frozen=True)
class SeenEvent:
    """An event as a filter sees it: the text it matches, the event's own time."""

    message: str
    timestamp: int


def as_seen(group: Any, stored_filter: Any, events: Sequence[Any]) -> Sequence[Any]:
    """``events`` as a metric filter sees them: transformed when the filter has
    ``applyOnTransformedLogs`` and the group a transformer (T18, T19, T34), else unchanged."""
    if group is None or not stored_filter.get("applyOnTransformedLogs"):
        return events
    transformer = transformer_in_force(group)
    if transformer is None:
        return events
    return [SeenEvent(transformer.seen(event.message), event.timestamp) for event in events]


#: Handlers added to moto's ``LogsResponse`` (attribute -> function).
HANDLERS = {
    "put_transformer": put_transformer,
    "get_transformer": get_transformer,
    "delete_transformer": delete_transformer,
    "test_transformer": test_transformer_handler,
}
#: moto handlers replaced by wrappers here (attribute -> function).
WRAPPED = {
    "create_log_group": create_log_group,
}

"""Running a validated transformer over messages, and the TestTransformer response (§7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from cwquery.transformers import converters, mutators, parsers, vended
from cwquery.transformers.errors import LIMIT, SYNTAX, TransformerError
from cwquery.transformers.event import Event
from cwquery.transformers.validation import validate

#: TestTransformer takes 1 to 50 messages (service model).
MAX_TEST_MESSAGES: Final = 50

_STEPS: Final[dict[str, Callable[[dict[str, Any], Event], None]]] = {
    "parseJSON": parsers.parse_json,
    "grok": parsers.grok,
    "csv": parsers.csv,
    "parseKeyValue": parsers.parse_key_value,
    "parseToOCSF": parsers.parse_to_ocsf,
    "parseVPC": vended.parse_vpc,
    "parseRoute53": vended.parse_route53,
    "parseCloudfront": vended.parse_cloudfront,
    "parsePostgres": vended.parse_postgres,
    "parseWAF": vended.parse_waf,
    "lowerCaseString": mutators.lower_case,
    "upperCaseString": mutators.upper_case,
    "trimString": mutators.trim,
    "splitString": mutators.split_string,
    "substituteString": mutators.substitute,
    "addKeys": mutators.add_keys,
    "deleteKeys": mutators.delete_keys,
    "moveKeys": mutators.move_keys,
    "renameKeys": mutators.rename_keys,
    "copyValue": mutators.copy_value,
    "listToMap": mutators.list_to_map,
    "typeConverter": converters.type_converter,
    "dateTimeConverter": converters.date_time_converter,
}


def _metadata(
    log_group: str | None, log_stream: str | None, account_id: str | None, region: str | None
) -> dict[str, str]:
    given = {
        "@logGroupName": log_group,
        "@logGroupStream": log_stream,
        "@accountId": account_id,
        "@regionName": region,
    }
    return {key: value for key, value in given.items() if value is not None}


class Transformer:
    """A validated configuration, ready to transform messages."""

    def __init__(
        self,
        config: list[dict[str, Any]],
        *,
        log_group: str | None = None,
        log_stream: str | None = None,
        account_id: str | None = None,
        region: str | None = None,
    ) -> None:
        validate(config)
        self.config = config
        self.steps = [
            (index, _STEPS[kind], body)
            for index, element in enumerate(config)
            for kind, body in element.items()
            if body is not None and kind in _STEPS
        ]
        self.metadata = _metadata(log_group, log_stream, account_id, region)

    def event(self, message: str) -> Event:
        """The event after every step (T3: a step that does not apply changes nothing)."""
        event = Event(message, metadata=self.metadata)
        for index, step, body in self.steps:
            try:
                step(body, event)
            except TransformerError as err:
                raise TransformerError(err.code, err.message, index) from None
        return event

    def transform(self, message: str) -> str:
        """``transformedEventMessage`` for one message."""
        return self.event(message).rendered()

    def seen(self, message: str) -> str:
        """What a filter with ``applyOnTransformedLogs`` matches (T18, T19)."""
        return self.transform(message)

    def fields(self, message: str) -> dict[str, Any] | None:
        """The transformed event as an object, or ``None`` when it stayed unstructured (T19)."""
        event = self.event(message)
        return event.fields if event.structured else None


def seen_by_filter(
    transformer: Transformer | None, message: str, *, apply_on_transformed_logs: bool
) -> str:
    """The text a metric or subscription filter matches (spec §1.2): the transformed JSON with
    ``applyOnTransformedLogs`` and a transformer in force, else the original (T18, T19, T34).

    >>> transformer = Transformer([{"parseKeyValue": {}}])
    >>> seen_by_filter(transformer, "a=1", apply_on_transformed_logs=True)
    '{"a":"1"}'
    >>> seen_by_filter(transformer, "a=1", apply_on_transformed_logs=False)
    'a=1'
    """
    if transformer is None or not apply_on_transformed_logs:
        return message
    return transformer.transform(message)


def test_transformer(
    config: list[dict[str, Any]],
    messages: Iterable[str],
    *,
    log_group: str | None = None,
    log_stream: str | None = None,
    account_id: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """TestTransformer: validate, then ``{"transformedLogs": [...]}`` for 1-50 messages.

    >>> test_transformer([{"parseJSON": {}}], ["no json"])["transformedLogs"]
    [{'eventNumber': 1, 'eventMessage': 'no json', 'transformedEventMessage': 'no json'}]
    """
    transformer = Transformer(
        config, log_group=log_group, log_stream=log_stream, account_id=account_id, region=region
    )
    texts = list(messages)
    if not 1 <= len(texts) <= MAX_TEST_MESSAGES:
        raise TransformerError(
            LIMIT, f"TestTransformer takes 1 to {MAX_TEST_MESSAGES} messages, not {len(texts)}"
        )
    for text in texts:
        if not isinstance(text, str) or not text:
            raise TransformerError(SYNTAX, "every message must be a non-empty string")
    return {
        "transformedLogs": [
            {
                "eventNumber": number,
                "eventMessage": text,
                "transformedEventMessage": transformer.transform(text),
            }
            for number, text in enumerate(texts, start=1)
        ]
    }


test_transformer.__test__ = False  # type: ignore[attr-defined]

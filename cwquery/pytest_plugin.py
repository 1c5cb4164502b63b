"""pytest plugin: test log pipelines against the exact emulator.

Fixtures:

* ``cwlogs``: a boto3 CloudWatch Logs client inside :func:`cwquery.emulator.mock_logs`;
* ``cwmetrics``: a boto3 CloudWatch client in the same mock (metric filters publish there);
* ``cwlogs_region``: the Region both use (``us-east-1``; override the fixture to change it);
* ``assert_matches``: the function below, for tests that prefer fixtures to imports;
* ``subscription_event``: :func:`subscription_event`, the event a subscription's consumer
  receives (docs/subscriptions.md).

:func:`assert_matches` and :func:`assert_no_match` check one message against a pattern and, on
failure, show why: the text of :func:`cwquery.explain`.

moto and boto3 are imported only when a fixture is used, so the plugin costs nothing in test
runs that do not use it.

>>> assert_matches('{ $.status >= 500 }', '{"status": 503}')
>>> assert_no_match("ERROR -timeout", "ERROR timeout after 3s")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

import cwquery


@pytest.fixture
def cwlogs_region() -> str:
    """The Region of the ``cwlogs`` and ``cwmetrics`` clients."""
    return "us-east-1"


#: AWS settings that would send the fixtures' clients elsewhere (a running server, a real
#: account) or make them read a user's files; the fixtures set them aside unless asked.
AWS_ENVIRONMENT = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_LOGS",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


@pytest.fixture
def cwlogs_keep_environment() -> bool:
    """Override to return True to let the AWS environment (``AWS_ENDPOINT_URL``, profiles…)
    reach the ``cwlogs`` client; by default the fixtures ignore it."""
    return False


@pytest.fixture
def cwlogs(cwlogs_region: str, cwlogs_keep_environment: bool) -> Iterator[Any]:
    """A boto3 ``logs`` client talking to the exact emulator (fresh state for each test),
    whatever AWS settings the environment holds."""
    import boto3

    from cwquery.emulator import mock_logs

    with pytest.MonkeyPatch.context() as patch:
        if not cwlogs_keep_environment:
            for name in AWS_ENVIRONMENT:
                patch.delenv(name, raising=False)
            patch.setenv("AWS_ACCESS_KEY_ID", "testing")
            patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with mock_logs():
            yield boto3.client("logs", region_name=cwlogs_region)


@pytest.fixture
def cwmetrics(cwlogs: Any, cwlogs_region: str) -> Any:
    """A boto3 ``cloudwatch`` client in the same mock as ``cwlogs``."""
    import boto3

    return boto3.client("cloudwatch", region_name=cwlogs_region)


def assert_matches(pattern: str, message: str) -> None:
    """Fail, with an explanation, unless ``message`` matches ``pattern``."""
    __tracebackhide__ = True
    if not cwquery.matches(pattern, message):
        raise AssertionError(_failure(pattern, message, "does not match"))


def assert_no_match(pattern: str, message: str) -> None:
    """Fail, with an explanation, if ``message`` matches ``pattern``."""
    __tracebackhide__ = True
    if cwquery.matches(pattern, message):
        raise AssertionError(_failure(pattern, message, "matches"))


@pytest.fixture(name="assert_matches")
def _assert_matches_fixture() -> Callable[[str, str], None]:
    return assert_matches


#: The time given to messages passed as plain strings (2023-11-14T22:13:20Z): fixed, so a test
#: gets the same event every day.
DEFAULT_TIMESTAMP = 1_700_000_000_000


def subscription_event(
    pattern: str,
    events: Sequence[str | Mapping[str, Any]],
    *,
    destination: str = "lambda",
    log_group: str = "/test/group",
    log_stream: str = "test-stream",
    timestamp: int = DEFAULT_TIMESTAMP,
    destination_name: str = "test",
    **options: Any,
) -> dict[str, Any] | None:
    """The event a Lambda function consuming a subscription filter with ``pattern`` receives
    when ``events`` (messages, or ``{"timestamp", "message"}`` mappings, in put order) are put
    in one batch; ``None`` when nothing is delivered.

    ``destination``: ``lambda`` (the function is the filter's destination), ``kinesis`` or
    ``firehose`` (the function reads the stream, or transforms the delivery stream's records).
    Other keywords go to :func:`cwquery.subscriptions.payload` (``owner``, ``region``,
    ``filter_name``, ``field_selection_criteria``, ``emit_system_fields``...).

    >>> event = subscription_event("ERROR", ["INFO ok", "ERROR boom"])
    >>> from cwquery.subscriptions import decode
    >>> [e["message"] for e in decode(event)["logEvents"]]
    ['ERROR boom']
    >>> subscription_event("ERROR", ["INFO ok"]) is None
    True
    """
    from cwquery.subscriptions import consumer_events, payload

    batch = [
        {"timestamp": timestamp, "message": event} if isinstance(event, str) else dict(event)
        for event in events
    ]
    envelope = payload(pattern, batch, log_group=log_group, log_stream=log_stream, **options)
    if envelope is None:
        return None
    (event,) = consumer_events(
        [envelope],
        destination,
        destination_name=destination_name,
        region=options.get("region", "us-east-1"),
        owner=options.get("owner", "123456789012"),
    )
    return event


@pytest.fixture(name="subscription_event")
def _subscription_event_fixture() -> Callable[..., dict[str, Any] | None]:
    """:func:`subscription_event`, for tests that prefer fixtures to imports."""
    return subscription_event


def _failure(pattern: str, message: str, verdict: str) -> str:
    explanation = cwquery.explain(pattern, message)
    return f"pattern {pattern!r} {verdict} message {message!r}\n{explanation}"

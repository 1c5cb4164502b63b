"""pytest plugin: test log pipelines against the exact emulator.

Fixtures:

* ``cwlogs``: a boto3 CloudWatch Logs client inside :func:`cwquery.emulator.mock_logs`;
* ``cwmetrics``: a boto3 CloudWatch client in the same mock (metric filters publish there);
* ``cwlogs_region``: the Region both use (``us-east-1``; override the fixture to change it);
* ``assert_matches``: the function below, for tests that prefer fixtures to imports.

:func:`assert_matches` and :func:`assert_no_match` check one message against a pattern and, on
failure, show why: the text of :func:`cwquery.explain`.

moto and boto3 are imported only when a fixture is used, so the plugin costs nothing in test
runs that do not use it.

>>> assert_matches('{ $.status >= 500 }', '{"status": 503}')
>>> assert_no_match("ERROR -timeout", "ERROR timeout after 3s")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


def _failure(pattern: str, message: str, verdict: str) -> str:
    explanation = cwquery.explain(pattern, message)
    return f"pattern {pattern!r} {verdict} message {message!r}\n{explanation}"

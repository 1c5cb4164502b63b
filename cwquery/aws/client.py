"""Calls to the CloudWatch Logs API: the client, retries with back-off, one error type, and
creating groups and streams.

boto3 is imported only when a client is made or a call fails, never when this module is imported.

>>> err = AwsQueryError("put_log_events failed: ThrottlingException", code="ThrottlingException",
...                     operation="put_log_events", attempts=8)
>>> isinstance(err, CWQueryError), err.code
(True, 'ThrottlingException')
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cwquery.errors import CWQueryError

logging.getLogger("cwquery").addHandler(logging.NullHandler())
log = logging.getLogger(__name__)

#: Error codes worth retrying: throttling and transient service trouble.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class RequestError(CWQueryError, ValueError):
    """Arguments refused before any call is made: no log group, a start after the end, a
    wildcard that names no group, nothing to ship."""


class AwsQueryError(CWQueryError):
    """A CloudWatch Logs call failed, after retries where retrying made sense.

    Attributes:
        code: the AWS error code (``ThrottlingException``, ``ResourceNotFoundException``, …), or
            the botocore exception name for a transport failure.
        operation: the client method that failed, e.g. ``filter_log_events``.
        attempts: how many times it was tried.
    """

    def __init__(self, message: str, *, code: str, operation: str, attempts: int = 1) -> None:
        self.code = code
        self.operation = operation
        self.attempts = attempts
        super().__init__(message)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with full jitter: before attempt *n + 1* wait a random time in
    ``[0, min(max_delay, base_delay * 2 ** (n - 1))]`` seconds, for at most ``max_attempts`` tries.

    >>> policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=lambda: 1.0)
    >>> [policy.delay(n) for n in range(1, 6)]
    [1.0, 2.0, 4.0, 5.0, 5.0]
    """

    max_attempts: int = 8
    base_delay: float = 0.25
    max_delay: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed attempt."""
        return self.jitter() * min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))


DEFAULT_RETRY = RetryPolicy()


def make_client(
    *,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    session: Any = None,
) -> Any:
    """A boto3 ``logs`` client.

    When the user configures retries (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS``, or
    ``retry_mode``/``max_attempts`` in the profile), botocore retries as configured and
    :func:`call_aws` does not retry the same errors again. Otherwise botocore's retries are
    turned off and :func:`call_aws` retries with jitter, so attempts never multiply.

    An endpoint on this machine (``endpoint_url`` or ``AWS_ENDPOINT_URL`` naming 127.0.0.1,
    localhost or ::1: an emulator) needs no AWS configuration: without configured credentials
    the client signs with dummy ones, and without a Region it uses us-east-1, and no host
    prefix is put in front of it.
    """
    import boto3
    from botocore.config import Config

    from cwquery import __version__

    own_session = session is None
    if session is None:
        session = boto3.session.Session(profile_name=profile, region_name=region)
    retries = configured_retries(session) or {"mode": "standard", "total_max_attempts": 1}
    loopback = is_loopback(endpoint_url or _configured_endpoint())
    config = Config(
        retries=retries,
        user_agent_extra=f"cwquery/{__version__}",
        # no "stream-" host prefix (StartLiveTail): stream-127.0.0.1 names no host
        inject_host_prefix=not loopback,
    )
    local: dict[str, str] = {}
    if loopback:
        local = _loopback_defaults(session, region, own_session)
    return session.client(
        "logs",
        region_name=local.pop("region_name", region),
        endpoint_url=endpoint_url,
        config=config,
        **local,
    )


#: What a client of an endpoint on this machine (an emulator) gets when the AWS configuration
#: has no credentials or no Region: such an endpoint checks neither.
LOOPBACK_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LOOPBACK_REGION = "us-east-1"


def is_loopback(url: str | None) -> bool:
    """Whether ``url`` names this machine: ``localhost``, ``127.0.0.0/8`` or ``::1``.

    >>> [is_loopback(u) for u in ("http://127.0.0.1:4566", "http://[::1]:5000", "http://localhost")]
    [True, True, True]
    >>> [is_loopback(u) for u in ("https://logs.eu-west-1.amazonaws.com", "http://10.0.0.1", None)]
    [False, False, False]
    """
    import ipaddress
    from urllib.parse import urlsplit

    if not url:
        return False
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return False
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _configured_endpoint() -> str | None:
    """The endpoint botocore takes from the environment when none is given."""
    import os

    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true":
        return None
    return os.environ.get("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") or os.environ.get("AWS_ENDPOINT_URL")


def _loopback_defaults(session: Any, region: str | None, own_session: bool) -> dict[str, str]:
    """The dummy credentials and Region a loopback endpoint gets where the configuration has
    none; configured ones are kept. Instance and container credentials are not looked up for
    a session made here (no metadata-service wait on a machine without credentials)."""
    defaults: dict[str, str] = {}
    if region is None and not session.region_name:
        defaults["region_name"] = LOOPBACK_REGION
    core = getattr(session, "_session", None)
    if own_session and core is not None:
        resolver = core.get_component("credential_provider")
        for name in ("iam-role", "container-role"):
            with contextlib.suppress(Exception):
                resolver.remove(name)
    if session.get_credentials() is None:
        defaults.update(LOOPBACK_CREDENTIALS)
    return defaults


#: botocore's attempts per retry mode when only the mode is configured
_MODE_ATTEMPTS = {"legacy": 5, "standard": 3, "adaptive": 3}


def configured_retries(session: Any) -> dict[str, Any] | None:
    """The retry settings the user configured for ``session`` (environment first, then the
    profile), as botocore's ``retries`` option, or ``None`` when there are none.

    >>> import boto3, os
    >>> os.environ["AWS_MAX_ATTEMPTS"] = "4"
    >>> configured_retries(boto3.session.Session(region_name="eu-west-1"))
    {'mode': 'standard', 'total_max_attempts': 4}
    >>> del os.environ["AWS_MAX_ATTEMPTS"]
    """
    import os

    core = getattr(session, "_session", session)
    try:
        scoped = core.get_scoped_config()
    except Exception:  # a missing profile is reported when the client is made
        scoped = {}
    mode = os.environ.get("AWS_RETRY_MODE") or scoped.get("retry_mode")
    attempts = os.environ.get("AWS_MAX_ATTEMPTS") or scoped.get("max_attempts")
    if not mode and not attempts:
        return None
    mode = mode or "standard"
    total = int(attempts) if attempts else _MODE_ATTEMPTS.get(mode, 3)
    return {"mode": mode, "total_max_attempts": total}


def _botocore_retries(client: Any) -> bool:
    """Whether the client's botocore config already retries (more than one attempt)."""
    config = getattr(getattr(client, "meta", None), "config", None)
    retries = getattr(config, "retries", None) or {}
    attempts = retries.get("total_max_attempts")
    return isinstance(attempts, int) and attempts > 1


def client_or_default(client: Any) -> Any:
    """``client``, or a new default one when it is ``None``."""
    return make_client() if client is None else client


def call_aws(
    client: Any,
    operation: str,
    params: Mapping[str, Any],
    *,
    retry: RetryPolicy | None = None,
    also_retry: Iterable[str] = (),
) -> dict[str, Any]:
    """Call ``client.<operation>(**params)``, retrying throttling and transient errors.

    Every failure comes out as :class:`AwsQueryError` carrying the AWS error code. Codes listed
    in ``also_retry`` are retried too (e.g. a stream that is not visible yet). A client whose
    botocore config allows several attempts has retried throttling and transient errors itself:
    they are not retried again here.
    """
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
    )

    policy = retry or DEFAULT_RETRY
    extra = frozenset(also_retry)
    botocore_retries = _botocore_retries(client)
    method = getattr(client, operation)
    attempt = 0
    while True:
        attempt += 1
        try:
            response: dict[str, Any] = method(**params)
            return response
        except ClientError as err:
            error = err.response.get("Error", {})
            code = str(error.get("Code") or "Unknown")
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            transient = code in RETRYABLE_CODES or status in _RETRYABLE_STATUS
            retryable = code in extra or (transient and not botocore_retries)
            if not retryable or attempt >= policy.max_attempts:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                detail = error.get("Message")
                message = f"{operation} failed{tries}: {code}" + (f": {detail}" if detail else "")
                raise AwsQueryError(
                    message, code=code, operation=operation, attempts=attempt
                ) from err
        except (ConnectionError, HTTPClientError) as err:
            code = type(err).__name__
            unreachable = _unreachable(err)
            if unreachable:  # nothing listens there, or no such host: retrying cannot help
                raise AwsQueryError(
                    f"{operation} failed: cannot connect to {unreachable}; check the endpoint "
                    "URL (--endpoint-url, AWS_ENDPOINT_URL) and the Region",
                    code=code,
                    operation=operation,
                    attempts=attempt,
                ) from err
            if botocore_retries or attempt >= policy.max_attempts:
                raise AwsQueryError(
                    f"{operation} failed after {attempt} attempts: {err}",
                    code=code,
                    operation=operation,
                    attempts=attempt,
                ) from err
        pause = policy.delay(attempt)
        log.debug("%s: %s, retrying in %.2f s (attempt %d)", operation, code, pause, attempt)
        policy.sleep(pause)


def _unreachable(err: Exception) -> str | None:
    """``<endpoint> (why)`` when a connection failed for good (refused, unknown host), else
    None (timeouts and resets are worth retrying)."""
    kwargs = getattr(err, "kwargs", {}) or {}
    text = str(kwargs.get("error", "")) + " " + str(err)
    for marker, why in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("Temporary failure in name resolution", "unknown host"),
    ):
        if marker in text:
            return f"{kwargs.get('endpoint_url', 'the endpoint')} ({why})"
    return None


@dataclass(frozen=True)
class Ensured:
    """What :func:`ensure_log_stream` had to create."""

    group_created: bool
    stream_created: bool


def ensure_log_group(group: str, *, client: Any = None, retry: RetryPolicy | None = None) -> bool:
    """Create ``group`` unless it exists; ``True`` if this call created it."""
    try:
        call_aws(
            client_or_default(client), "create_log_group", {"logGroupName": group}, retry=retry
        )
    except AwsQueryError as err:
        if err.code == "ResourceAlreadyExistsException":
            return False
        raise
    return True


def ensure_log_stream(
    group: str, stream: str, *, client: Any = None, retry: RetryPolicy | None = None
) -> Ensured:
    """Create whatever is missing of ``group`` and ``stream``, tolerating creation races.

    One call when the stream exists or only the stream is missing, three when the group is
    missing too (stream, group, stream). Needs ``logs:CreateLogStream`` (and
    ``logs:CreateLogGroup`` when the group may be missing).
    """
    c = client_or_default(client)
    params = {"logGroupName": group, "logStreamName": stream}
    try:
        call_aws(c, "create_log_stream", params, retry=retry)
        return Ensured(group_created=False, stream_created=True)
    except AwsQueryError as err:
        if err.code == "ResourceAlreadyExistsException":
            return Ensured(group_created=False, stream_created=False)
        if err.code != "ResourceNotFoundException":
            raise
    group_created = ensure_log_group(group, client=c, retry=retry)
    try:
        # a group created a moment ago may not be visible yet: retry "not found" too
        call_aws(
            c, "create_log_stream", params, retry=retry, also_retry=("ResourceNotFoundException",)
        )
    except AwsQueryError as err:
        if err.code != "ResourceAlreadyExistsException":
            raise
        return Ensured(group_created=group_created, stream_created=False)
    return Ensured(group_created=group_created, stream_created=True)

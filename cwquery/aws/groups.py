"""Log groups named with a ``*`` wildcard, resolved with DescribeLogGroups.

>>> has_wildcard("/app/*"), has_wildcard("/app/prod")
(True, False)
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from cwquery.aws.client import RequestError, call_aws, client_or_default

__all__ = ["has_wildcard", "resolve_log_groups"]


def has_wildcard(name: str) -> bool:
    """Whether a log group argument is a pattern: log group names cannot contain ``*``."""
    return "*" in name


def resolve_log_groups(names: Iterable[str], *, client: Any = None) -> list[str]:
    """The log groups ``names`` stand for, in order and without repeats: plain names as they
    are, and for a name with ``*`` (``/app/*``, ``/app/*/errors``, ``*lambda*``) every existing
    group it matches, found with DescribeLogGroups (by the prefix before the first ``*``).
    A wildcard matching no group raises :class:`~cwquery.aws.client.RequestError`."""
    resolved: list[str] = []
    c = None
    for name in names:
        if not has_wildcard(name):
            found = [name]
        else:
            c = c or client_or_default(client)
            found = sorted(
                group
                for group in _groups(c, name.split("*", 1)[0])
                if fnmatch.fnmatchcase(group, name)
            )
            if not found:
                raise RequestError(f"no log group matches {name!r}")
        resolved += [group for group in found if group not in resolved]
    return resolved


def _groups(client: Any, prefix: str) -> Iterable[str]:
    request: dict[str, Any] = {"logGroupNamePrefix": prefix} if prefix else {}
    seen: set[str] = set()
    while True:
        response = call_aws(client, "describe_log_groups", request)
        for group in response.get("logGroups", []):
            yield group["logGroupName"]
        token = response.get("nextToken")
        if not token or token in seen:
            return
        seen.add(token)
        request = {**request, "nextToken": token}

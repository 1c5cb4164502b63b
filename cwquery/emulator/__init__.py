"""An exact local CloudWatch Logs: moto's logs backend with cwquery's filter patterns.

Install the extra (``pip install 'cwquery[emulator]'``), then either wrap code in
:func:`mock_logs` (moto's ``mock_aws`` with the patch installed), call :func:`install` /
:func:`uninstall` around your own ``mock_aws``, or run the server (``cwquery emulator``).

>>> import boto3
>>> with mock_logs():
...     logs = boto3.client("logs", region_name="us-east-1")
...     _ = logs.create_log_group(logGroupName="app")
...     _ = logs.create_log_stream(logGroupName="app", logStreamName="s")
...     _ = logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
...         {"timestamp": now_ms(), "message": '{"level": "ERROR", "code": 500}'},
...         {"timestamp": now_ms(), "message": "level ERROR code 500"}])
...     found = logs.filter_log_events(logGroupName="app",
...                                    filterPattern='{ $.level = "ERROR" && $.code >= 500 }')
>>> [event["message"] for event in found["events"]]
['{"level": "ERROR", "code": 500}']
"""

from __future__ import annotations

import time

try:
    import moto as _moto  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the installed extras
    raise ImportError("cwquery.emulator needs moto: pip install 'cwquery[emulator]'") from err

from cwquery.emulator.errors import EmulatorError, MotoCompatibilityError
from cwquery.emulator.filtering import FilterQuery, Page, filter_page
from cwquery.emulator.hooks import PatternFilter
from cwquery.emulator.loader import load_events, read_sample
from cwquery.emulator.patch import (
    SUPPORTED_MOTO,
    check_moto,
    install,
    is_installed,
    mock_logs,
    uninstall,
)
from cwquery.emulator.server import EmulatorServer

__all__ = [
    "SUPPORTED_MOTO",
    "EmulatorError",
    "EmulatorServer",
    "FilterQuery",
    "MotoCompatibilityError",
    "Page",
    "PatternFilter",
    "check_moto",
    "filter_page",
    "install",
    "is_installed",
    "load_events",
    "mock_logs",
    "now_ms",
    "read_sample",
    "uninstall",
]


def now_ms() -> int:
    """The current time in epoch milliseconds, as PutLogEvents timestamps are written."""
    return int(time.time() * 1000)

"""Shared data and helpers for the emulator tests (no tests here).

The walkthrough data set: 20 JSON documents (``i`` = 5..100, ``iEven``, ``nest.big``, ``values``,
``uuidname``; the last has ``iEven: null`` and no ``nest``) and 9 text lines, spread over many
streams of the log group ``/myapp/test/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from walkthrough import TEXT_LINES, walkthrough_document

GROUP = "/myapp/test/"
REGION = "us-east-1"
STREAMS = 7

#: The 20 reference patterns and their counts on the walkthrough data (emulators.md §2.1).
REFERENCE_COUNTS = [
    ("{ $.i > 90 }", 2),
    ("{ $.i = 90 }", 1),
    ("{ $.i <= 90 }", 18),
    ("{ $.i != 90 }", 19),
    ('{ $.uuidname = "aa" }', 3),
    ("{ $.iEven IS TRUE }", 9),
    ("{ $.iEven IS FALSE }", 10),
    ("{ $.iEven IS NULL }", 1),
    ('{ $.nest.big = "bird" }', 16),
    ("{ $.values[0] < 0.1 }", 3),
    ('{ $.uuidname = "a*" }', 8),
    ('{ $.i != 95 && ($.uuidname = "aa" || $.uuidname = "ab") }', 5),
    ("{ $.missingValue NOT EXISTS }", 20),
    ("{ $.missingValue IS NULL }", 0),
    ("ERROR", 4),
    ("?ERROR ?WARN", 5),
    ("ERROR -failed", 3),
    ('"ERROR something"', 1),
    ("[ip, user, username, timestamp, request, status_code = 404, bytes]", 1),
    ("%ERR.R%", 4),
]

_COMPLIANCE = Path(__file__).parent / "compliance" / "json_walkthrough.json"


def walkthrough_documents() -> list[dict[str, Any]]:
    return [walkthrough_document(k) for k in range(20)]


def walkthrough_messages() -> list[str]:
    return [json.dumps(document) for document in walkthrough_documents()] + TEXT_LINES


def walkthrough_patterns() -> list[str]:
    """The reference patterns, plus every pattern of the walkthrough compliance file."""
    patterns = [pattern for pattern, _ in REFERENCE_COUNTS]
    if _COMPLIANCE.exists():
        for group in json.loads(_COMPLIANCE.read_text(encoding="utf-8"))["groups"]:
            for case in group["cases"]:
                if "matches" in case and case["pattern"] not in patterns:
                    patterns.append(case["pattern"])
    return patterns


def now_ms() -> int:
    return int(time.time() * 1000)


def populate(
    logs: Any,
    messages: list[str],
    *,
    group: str = GROUP,
    streams: int = STREAMS,
    base: int | None = None,
    create: bool = True,
) -> int:
    """Create ``group`` and spread ``messages`` round-robin over ``streams`` streams, message k at
    ``base + k``, one PutLogEvents per stream, so the service order is the message order only if
    events are merged across streams by timestamp. ``create=False``: the group exists already.
    Returns ``base``."""
    base = now_ms() - 10 * len(messages) if base is None else base
    if create:
        logs.create_log_group(logGroupName=group)
    for s in range(streams):
        name = f"stream-{s:02d}"
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        batch = [
            {"timestamp": base + k, "message": message}
            for k, message in enumerate(messages)
            if k % streams == s
        ]
        if batch:
            logs.put_log_events(logGroupName=group, logStreamName=name, logEvents=batch)
    return base


def read_all(logs: Any, **request: Any) -> tuple[list[dict[str, Any]], int]:
    """Every event of a FilterLogEvents query, paging by hand; checks the token rules on the way:
    a token is never the one just sent and the last page has none. Returns (events, pages)."""
    events: list[dict[str, Any]] = []
    pages = 0
    sent = None
    while True:
        kwargs = dict(request)
        if sent is not None:
            kwargs["nextToken"] = sent
        page = logs.filter_log_events(**kwargs)
        pages += 1
        events.extend(page["events"])
        token = page.get("nextToken")
        if token is None:
            return events, pages
        assert token != sent, "the token just sent came back"
        assert pages < 100_000
        sent = token

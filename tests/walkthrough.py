"""The walkthrough's data set, shared by the emulator and AWS tests: 20 JSON documents in the
blog's shape (i, iEven, nest.big, values[0], uuidname) and some text lines."""

from __future__ import annotations

from typing import Any

UUIDS = ["aa", "ab", "a3", "0f", "aa", "ff", "1b", "ab", "c4", "a0",
         "d2", "aa", "3e", "b7", "9c", "5a", "e1", "c0", "ab", "f0"]  # fmt: skip
TEXT_LINES = [
    "ERROR something failed",
    "ERROR disk full",
    "WARN low memory",
    "INFO all good",
    "ERRORS were found",
    "error lowercase only",
    "WARN ERROR mixed",
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 200 2326',
]


def walkthrough_document(k: int) -> dict[str, Any]:
    """Document ``k`` (0..19): i = 5(k+1); k = 19 has a null iEven and no nest."""
    i = 5 * (k + 1)
    document: dict[str, Any] = {"i": i, "iEven": None if k == 19 else i % 2 == 0}
    if k != 19:
        document["nest"] = {"big": "cat" if k in (4, 9, 14) else "bird"}
    first = ((k * 37) % 100) / 100
    document["values"] = [first, round(first / 2, 3), 1.5]
    document["uuidname"] = UUIDS[k]
    return document

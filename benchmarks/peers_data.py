"""The peers' data, written by every benchmark that times pattern kinds on it: 1M compact JSON
events and 1M access-log lines, 997 ms apart, seeded (the shapes of
``peers-2026-12.md`` §1.1), so each benchmark's figures are on the same files.

    from peers_data import json_lines, text_log   # the benchmarks folder is on sys.path
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import orjson

#: INFO 70 %, WARN 15 %, ERROR 10 %, DEBUG 5 %.
LEVELS = ("INFO",) * 14 + ("WARN",) * 3 + ("ERROR",) * 2 + ("DEBUG",)
START_MS = 1_714_521_600_000  # 2024-05-01T00:00:00Z
STEP_MS = 997


def _stamp(k: int) -> str:
    millis = START_MS + k * STEP_MS
    seconds, fraction = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:03d}Z"


def json_lines(path: Path, count: int) -> None:
    """Compact JSON events of about 145 bytes, 997 ms apart: a time, ``i`` (0-99), a level, a
    latency (0-999), a nested object, an array and a two-character ``uuidname`` (one in 256 is
    "ff")."""
    rnd = random.Random(count)
    with path.open("wb") as out:
        batch = []
        for k in range(count):
            doc = {
                "timestamp": _stamp(k),
                "i": k % 100,
                "level": rnd.choice(LEVELS),
                "latency": rnd.randrange(1000),
                "nest": {"big": "cat" if k % 7 == 0 else "bird"},
                "values": [round(rnd.uniform(0, 30), 3) for _ in range(3)],
                "uuidname": f"{rnd.randrange(256):02x}",
            }
            batch.append(orjson.dumps(doc))
            if len(batch) == 10_000:
                out.write(b"\n".join(batch) + b"\n")
                batch = []
        if batch:
            out.write(b"\n".join(batch) + b"\n")


def text_log(path: Path, count: int) -> None:
    """Access-log lines, 997 ms apart: time, address, level, method, path, status, bytes, then
    free text; levels as in the JSON file, one status in ten a 5xx."""
    rnd = random.Random(count)
    statuses = ("200",) * 6 + ("201", "404", "302", "503", "500", "200")
    paths = ("/api/users", "/api/items", "/health", "/api/orders/7", "/login")
    with path.open("w", encoding="utf-8") as out:
        for k in range(count):
            out.write(
                f"{_stamp(k)} 10.0.{rnd.randrange(256)}.{rnd.randrange(256)} "
                f"{rnd.choice(LEVELS)} {rnd.choice(('GET', 'GET', 'POST', 'PUT'))} "
                f"{rnd.choice(paths)} {rnd.choice(statuses)} {rnd.randrange(5000)} "
                f"request handled in {rnd.randrange(1000)} ms\n"
            )

"""Events per second of ``cwquery.insights.run`` for four typical queries over generated events
(text lines and JSON lines), and the peak memory of a stats query, which stays bounded by its
groups however many events stream through. Each figure comes with a baseline measured in the
same run (a plain Python loop that splits every message), because this machine is shared.

    python benchmarks/insights.py [EVENTS]     # default 1,000,000
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

from cwquery.insights import run

LEVELS = ("INFO", "WARN", "ERROR")
START = 1_709_287_200_000


def text_events(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        message = f"2024-03-01 [{LEVELS[i % 3]}] user=u{i % 50} action=pay latency={i % 1000}"
        yield {"timestamp": START + i * 100, "message": message}


def json_events(count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        document = {"level": LEVELS[i % 3], "user": {"id": i % 50}, "latency": i % 1000}
        yield {"timestamp": START + i * 100, "message": json.dumps(document)}


QUERIES: list[tuple[str, Callable[[int], Iterator[dict[str, Any]]], str]] = [
    ("text: filter, stats by bin", text_events, "filter @message like /ERROR/ | stats count(*) as n by bin(5m)"),
    ("text: parse, stats by", text_events, 'parse @message "user=* action=* latency=*" as u, a, l | stats avg(l), count(*) by u'),
    ("json: stats by", json_events, "stats count(*) as n, avg(latency) by level"),
    ("json: sort, limit", json_events, "fields @timestamp, latency | sort latency desc | limit 20"),
]  # fmt: skip


def baseline(events: Iterator[dict[str, Any]]) -> int:
    return sum(len(event["message"].split()) for event in events)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    started = time.perf_counter()
    baseline(text_events(count))
    floor = time.perf_counter() - started
    print(f"baseline (generate and split {count:,} messages): {count / floor:,.0f} events/s")
    for name, events, query in QUERIES:
        started = time.perf_counter()
        result = run(query, events(count))
        took = time.perf_counter() - started
        rows = len(result["results"])
        print(f"{name}: {count / took:,.0f} events/s ({took:.1f} s, {rows} rows)")
    tracemalloc.start()
    run("stats count(*) as n by bin(5m)", text_events(count // 10))
    peak = tracemalloc.get_traced_memory()[1]
    print(f"peak memory of a stats query over {count // 10:,} streamed events: {peak / 1e3:.0f} kB")


if __name__ == "__main__":
    main()

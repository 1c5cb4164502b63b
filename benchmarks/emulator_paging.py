"""Paging FilterLogEvents through a whole log group: plain moto against cwquery's emulator.

Both run in this process, through boto3, under moto's in-process mock: the same events, the same
paginator (``PageSize`` = limit), one log group with one stream, events put 10,000 at a time.
Plain moto rebuilds and rescans the whole group for every page; the emulator resumes from its
index, so its time grows with the number of pages, not with pages x group size.

Run:  python benchmarks/emulator_paging.py            # about two minutes, most of it plain moto
      python benchmarks/emulator_paging.py --quick    # skips plain moto at 100k events, limit 100
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import boto3
import moto
from moto import mock_aws

from cwquery.emulator import mock_logs

REGION = "us-east-1"
GROUP = "bench"
CASES = [(25_000, 100), (25_000, 1000), (100_000, 100), (100_000, 1000)]
SLOW_CASE = (100_000, 100)


def run(
    mock: Callable[[], AbstractContextManager[Any]], events: int, limit: int
) -> tuple[int, int, float]:
    """Put ``events`` events and page through them; return (pages, events read, seconds)."""
    with mock():
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName=GROUP)
        logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
        start = int(time.time() * 1000) - events
        batch: list[dict[str, Any]] = []
        for n in range(events):
            batch.append(
                {"timestamp": start + n, "message": f"{'ERROR' if n % 2 else 'INFO'} event {n}"}
            )
            if len(batch) == 10_000:
                logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=batch)
                batch = []
        if batch:
            logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=batch)
        paginator = logs.get_paginator("filter_log_events")
        pages = read = 0
        began = time.perf_counter()
        for page in paginator.paginate(logGroupName=GROUP, PaginationConfig={"PageSize": limit}):
            pages += 1
            read += len(page["events"])
        return pages, read, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip plain moto at 100k/limit 100")
    options = parser.parse_args()
    print(f"moto {moto.__version__}, boto3 {boto3.__version__}")
    print()
    print(
        f"| {'events':>7} | {'limit':>5} | {'pages':>5} | {'plain moto':>10} | {'cwquery':>8} | {'ratio':>7} |"
    )
    print(f"|{'-' * 9}|{'-' * 7}|{'-' * 7}|{'-' * 12}|{'-' * 10}|{'-' * 9}|")
    for events, limit in CASES:
        pages, read, exact = run(mock_logs, events, limit)
        assert read == events, (read, events)
        if options.quick and (events, limit) == SLOW_CASE:
            plain_text, ratio = "skipped", "-"
        else:
            plain_pages, plain_read, plain = run(mock_aws, events, limit)
            assert (plain_pages, plain_read) == (pages, read), (plain_pages, plain_read)
            plain_text, ratio = f"{plain:.2f} s", f"{plain / exact:.0f}x"
        print(
            f"| {events:>7} | {limit:>5} | {pages:>5} | {plain_text:>10} | {exact:>6.2f} s | "
            f"{ratio:>7} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

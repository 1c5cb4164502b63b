"""Evaluation speed: cwquery against a hand-written predicate doing the same test, and against
moto's EventMessageFilter where moto supports the pattern (terms and phrases).

Data: 200,000 events in the walkthrough's shape (JSON documents with i, iEven, nest.big,
values[0], uuidname), one in ten a text line (log words and Apache access lines). Every row checks
that the three implementations agree on the count before it reports speed.

Targets: geometric mean >= 1.0x the hand-written predicate; >= 3x on selective patterns (a
literal that few events contain), thanks to raw-text rejection. Also reported: a pathological
regex on a 1 MB message (target < 50 ms), and peak memory while filtering a generator.

    python benchmarks/eval.py [--events N]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
import tracemalloc
from collections.abc import Callable

import orjson

import cwquery

UUIDS = [
    "aa",
    "ab",
    "a3",
    "0f",
    "ff",
    "1b",
    "c4",
    "a0",
    "d2",
    "3e",
    "b7",
    "9c",
    "5a",
    "e1",
    "c0",
    "f0",
]
TEXT = [
    "ERROR something failed",
    "ERROR disk full",
    "WARN low memory",
    "INFO all good",
    "ERRORS were found",
    "WARN ERROR mixed",
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 200 2326',
]


def make_events(count: int) -> list[str]:
    rnd = random.Random(42)
    events = []
    for k in range(count):
        if k % 10 == 9:
            events.append(TEXT[rnd.randrange(len(TEXT))])
            continue
        i = 5 * (k % 20 + 1)
        doc: dict[str, object] = {"i": i, "iEven": None if k % 20 == 19 else i % 2 == 0}
        if k % 20 != 19:
            doc["nest"] = {"big": "cat" if k % 20 in (4, 9, 14) else "bird"}
        v0 = ((k * 37) % 100) / 100
        doc["values"] = [v0, round(v0 / 2, 3), 1.5]
        doc["uuidname"] = rnd.choice(UUIDS)
        events.append(json.dumps(doc))
    return events


def json_predicate(test: Callable[[dict], bool]) -> Callable[[str], bool]:  # type: ignore[type-arg]
    def predicate(message: str) -> bool:
        try:
            doc = orjson.loads(message)
        except orjson.JSONDecodeError:
            return False
        return type(doc) is dict and test(doc)

    return predicate


def num(value: object) -> bool:
    return type(value) in (int, float)


_FIELDS = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')


def apache_404(message: str) -> bool:
    fields = _FIELDS.findall(message)
    return len(fields) == 7 and fields[5] == "404"


# (pattern, hand-written predicate, selective?)
CASES: list[tuple[str, Callable[[str], bool], bool]] = [
    ("{ $.i > 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] > 90), False),
    ("{ $.i = 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] == 90), False),
    ("{ $.i <= 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] <= 90), False),
    ("{ $.i != 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] != 90), False),
    ('{ $.uuidname = "aa" }', json_predicate(lambda d: d.get("uuidname") == "aa"), True),
    ("{ $.iEven IS TRUE }", json_predicate(lambda d: d.get("iEven") is True), False),
    ("{ $.iEven IS FALSE }", json_predicate(lambda d: d.get("iEven") is False), False),
    ("{ $.iEven IS NULL }", json_predicate(lambda d: "iEven" in d and d["iEven"] is None), False),
    (
        '{ $.nest.big = "bird" }',
        json_predicate(lambda d: type(d.get("nest")) is dict and d["nest"].get("big") == "bird"),
        False,
    ),
    (
        '{ $.nest.big = "cat" }',
        json_predicate(lambda d: type(d.get("nest")) is dict and d["nest"].get("big") == "cat"),
        True,
    ),
    (
        "{ $.values[0] < 0.1 }",
        json_predicate(
            lambda d: type(d.get("values")) is list and num(d["values"][0]) and d["values"][0] < 0.1
        ),
        False,
    ),
    (
        '{ $.uuidname = "a*" }',
        json_predicate(lambda d: type(d.get("uuidname")) is str and d["uuidname"].startswith("a")),
        False,
    ),
    (
        '{ $.i != 95 && ($.uuidname = "aa" || $.uuidname = "ab") }',
        json_predicate(
            lambda d: num(d.get("i")) and d["i"] != 95 and d.get("uuidname") in ("aa", "ab")
        ),
        False,
    ),
    ("{ $.missingValue NOT EXISTS }", json_predicate(lambda d: "missingValue" not in d), False),
    ("{ $.missingValue = * }", json_predicate(lambda d: d.get("missingValue") is not None), True),
    (
        '{ $.uuidname = "ff" && $.i > 50 }',
        json_predicate(lambda d: d.get("uuidname") == "ff" and num(d.get("i")) and d["i"] > 50),
        True,
    ),
    ("ERROR", lambda m: "ERROR" in m, True),
    ("?ERROR ?WARN", lambda m: "ERROR" in m or "WARN" in m, True),
    ("ERROR -failed", lambda m: "ERROR" in m and "failed" not in m, True),
    ('"ERROR something"', lambda m: "ERROR something" in m, True),
    ("[ip, user, username, timestamp, request, status_code = 404, bytes]", apache_404, True),
]


def events_per_second(predicate: Callable[[str], bool], events: list[str]) -> tuple[float, int]:
    best = math.inf
    found = 0
    for _ in range(3):
        start = time.perf_counter()
        found = sum(1 for message in events if predicate(message))
        best = min(best, time.perf_counter() - start)
    return len(events) / best, found


def moto_predicate(pattern: str) -> Callable[[str], bool] | None:
    try:
        from moto.logs.utils import EventMessageFilter
    except ImportError:
        return None
    if not (pattern[:1].isalpha() or pattern.startswith('"')) or " -" in pattern or "?" in pattern:
        return None  # moto answers every other pattern with "match everything"
    matcher = EventMessageFilter(pattern)
    return matcher.matches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    events = make_events(parser.parse_args().events)
    print(f"{len(events):,} events; best of 3 runs each; events per second (k/s)\n")
    header = f"{'pattern':60} {'matches':>8} {'cwquery':>9} {'by hand':>9} {'ratio':>6} {'moto':>8}"
    print(header)
    print("-" * len(header))
    ratios, selective = [], []
    for pattern, by_hand, is_selective in CASES:
        matcher = cwquery.compile(pattern)
        ours, count = events_per_second(matcher.matches, events)
        theirs, expected = events_per_second(by_hand, events)
        assert count == expected, f"{pattern}: cwquery {count} != by hand {expected}"
        moto = moto_predicate(pattern)
        moto_text = "-"
        if moto is not None:
            moto_rate, moto_count = events_per_second(moto, events)
            moto_text = f"{moto_rate / 1000:7.0f}" + ("" if moto_count == count else "!")
        ratio = ours / theirs
        ratios.append(ratio)
        if is_selective:
            selective.append(ratio)
        mark = "*" if is_selective else " "
        print(
            f"{pattern[:58]:58}{mark} {count:8} {ours / 1000:9.0f} {theirs / 1000:9.0f} "
            f"{ratio:5.2f}x {moto_text:>8}"
        )
    geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
    geo_selective = math.exp(sum(map(math.log, selective)) / len(selective))
    json_selective = [
        r for (p, _, s), r in zip(CASES, ratios, strict=True) if s and p.startswith("{")
    ]
    geo_json = math.exp(sum(map(math.log, json_selective)) / len(json_selective))
    print("\n* selective: a literal that few events contain ('!' after moto: a different count)")
    print(f"geometric mean vs hand-written:            {geo:.2f}x  (target >= 1.0x)")
    print(f"geometric mean, selective patterns:        {geo_selective:.2f}x")
    print(f"geometric mean, selective JSON patterns:   {geo_json:.2f}x  (target >= 3x)")
    pathological_regex()
    flat_memory()


def pathological_regex() -> None:
    message = "a" * 1_000_000
    for pattern in ("%a*a*a*a*a*a*a*a*a*a*b%", "%^.*.*.*.*.*=.*$%", "%[a-z]+[a-z]+[a-z]+[0-9]%"):
        matcher = cwquery.compile(pattern)
        start = time.perf_counter()
        matcher.matches(message)
        elapsed = (time.perf_counter() - start) * 1000
        print(f"pathological regex {pattern} on 1 MB: {elapsed:.1f} ms  (target < 50 ms)")


def flat_memory() -> None:
    matcher = cwquery.compile('{ $.uuidname = "aa" }')
    for count in (100_000, 400_000):
        generated = (json.dumps({"uuidname": UUIDS[n % len(UUIDS)], "n": n}) for n in range(count))
        tracemalloc.start()
        found = sum(1 for _ in matcher.filter(generated))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"filtering a generator of {count:,} events: {found:,} matches, peak {peak / 1024:.0f} KiB"
        )


if __name__ == "__main__":
    main()

"""Evaluation speed: cwquery against two hand-written predicates doing the same test, and
against moto's EventMessageFilter where moto supports the pattern (terms and phrases).

The two baselines: *plain* parses every JSON event and tests the document; *guarded* first checks
`literal in message` for a literal the event must contain (the value compared with `=`, else the
key), as a person writing the filter by hand would, and parses only then. The guards are sound
for this data (ASCII, no escapes, one spelling per number); cwquery's own raw-text rejection is
sound for every spelling JSON allows, which is part of what it pays for. Term patterns have one
baseline: the plain `in` test is already the guard.

Data: 200,000 events in the walkthrough's shape (JSON documents with i, iEven, nest.big,
values[0], uuidname), one in ten a text line (log words and Apache access lines). Every row checks
that all implementations agree on the count before it reports speed.

Targets are stated against the stronger baseline (for each pattern, the faster of the two):
geometric mean >= 0.5x over all patterns, and >= 1.0x on selective JSON patterns (a literal that
few events contain), where raw-text rejection should at least match the hand-written guard. The
run says whether each is met. Also reported: a pathological regex on a 1 MB message (target
< 50 ms), and peak memory while filtering a generator.

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
from dataclasses import dataclass
from typing import Any

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


def json_predicate(test: Callable[[dict[str, Any]], bool]) -> Callable[[str], bool]:
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


@dataclass(frozen=True)
class Case:
    """A pattern and two hand-written predicates for it: ``plain`` parses every JSON event;
    ``guarded`` first asks ``any(literal in message for literal in guard)``, the one-line check
    a person adds before parsing. Without a guard (an absence cannot be guarded) the two are the
    same predicate."""

    pattern: str
    plain: Callable[[str], bool]
    guard: tuple[str, ...] = ()
    selective: bool = False

    @property
    def guarded(self) -> Callable[[str], bool]:
        if not self.guard:
            return self.plain
        plain, guard = self.plain, self.guard
        if len(guard) == 1:
            (literal,) = guard
            return lambda message: literal in message and plain(message)
        return lambda message: any(g in message for g in guard) and plain(message)


# Targets, against the stronger (faster) of the two baselines for each pattern.
TARGET_ALL = 0.5
TARGET_SELECTIVE_JSON = 1.0

CASES: list[Case] = [
    Case("{ $.i > 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] > 90), ('"i"',)),
    Case("{ $.i = 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] == 90), ("90",)),
    Case("{ $.i <= 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] <= 90), ('"i"',)),
    Case("{ $.i != 90 }", json_predicate(lambda d: num(d.get("i")) and d["i"] != 90), ('"i"',)),
    Case(
        '{ $.uuidname = "aa" }',
        json_predicate(lambda d: d.get("uuidname") == "aa"),
        ('"aa"',),
        True,
    ),
    Case("{ $.iEven IS TRUE }", json_predicate(lambda d: d.get("iEven") is True), ("true",)),
    Case("{ $.iEven IS FALSE }", json_predicate(lambda d: d.get("iEven") is False), ("false",)),
    Case(
        "{ $.iEven IS NULL }",
        json_predicate(lambda d: "iEven" in d and d["iEven"] is None),
        ("null",),
    ),
    Case(
        '{ $.nest.big = "bird" }',
        json_predicate(lambda d: type(d.get("nest")) is dict and d["nest"].get("big") == "bird"),
        ('"bird"',),
    ),
    Case(
        '{ $.nest.big = "cat" }',
        json_predicate(lambda d: type(d.get("nest")) is dict and d["nest"].get("big") == "cat"),
        ('"cat"',),
        True,
    ),
    Case(
        "{ $.values[0] < 0.1 }",
        json_predicate(
            lambda d: type(d.get("values")) is list and num(d["values"][0]) and d["values"][0] < 0.1
        ),
        ('"values"',),
    ),
    Case(
        '{ $.uuidname = "a*" }',
        json_predicate(lambda d: type(d.get("uuidname")) is str and d["uuidname"].startswith("a")),
        ('"a',),
    ),
    Case(
        '{ $.i != 95 && ($.uuidname = "aa" || $.uuidname = "ab") }',
        json_predicate(
            lambda d: num(d.get("i")) and d["i"] != 95 and d.get("uuidname") in ("aa", "ab")
        ),
        ('"aa"', '"ab"'),
    ),
    Case("{ $.missingValue NOT EXISTS }", json_predicate(lambda d: "missingValue" not in d)),
    Case(
        "{ $.missingValue = * }",
        json_predicate(lambda d: d.get("missingValue") is not None),
        ('"missingValue"',),
        True,
    ),
    Case(
        '{ $.uuidname = "ff" && $.i > 50 }',
        json_predicate(lambda d: d.get("uuidname") == "ff" and num(d.get("i")) and d["i"] > 50),
        ('"ff"',),
        True,
    ),
    Case("ERROR", lambda m: "ERROR" in m, selective=True),
    Case("?ERROR ?WARN", lambda m: "ERROR" in m or "WARN" in m, selective=True),
    Case("ERROR -failed", lambda m: "ERROR" in m and "failed" not in m, selective=True),
    Case('"ERROR something"', lambda m: "ERROR something" in m, selective=True),
    Case(
        "[ip, user, username, timestamp, request, status_code = 404, bytes]",
        apache_404,
        (" 404 ",),
        True,
    ),
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


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    events = make_events(parser.parse_args().events)
    print(f"{len(events):,} events; best of 3 runs each; events per second (k/s)")
    print("plain: parses every JSON event; guarded: `literal in message` first, then parses\n")
    header = (
        f"{'pattern':60} {'matches':>7} {'cwquery':>8} {'plain':>7} {'guarded':>8}"
        f" {'vs plain':>8} {'vs guard':>8} {'moto':>6}"
    )
    print(header)
    print("-" * len(header))
    rows: list[tuple[Case, float, float]] = []
    for case in CASES:
        matcher = cwquery.compile(case.pattern)
        ours, count = events_per_second(matcher.matches, events)
        plain, plain_count = events_per_second(case.plain, events)
        if case.guard:
            guarded, guarded_count = events_per_second(case.guarded, events)
        else:
            guarded, guarded_count = plain, plain_count
        assert count == plain_count == guarded_count, (
            f"{case.pattern}: cwquery {count}, plain {plain_count}, guarded {guarded_count}"
        )
        moto = moto_predicate(case.pattern)
        moto_text = "-"
        if moto is not None:
            moto_rate, moto_count = events_per_second(moto, events)
            moto_text = f"{moto_rate / 1000:5.0f}" + ("" if moto_count == count else "!")
        rows.append((case, ours / plain, ours / max(plain, guarded)))
        mark = "*" if case.selective else " "
        guard_text = f"{guarded / 1000:8.0f}" if case.guard else f"{'=':>8}"
        print(
            f"{case.pattern[:58]:58}{mark} {count:8} {ours / 1000:8.0f} {plain / 1000:7.0f} "
            f"{guard_text} {ours / plain:7.2f}x {ours / max(plain, guarded):7.2f}x {moto_text:>6}"
        )

    def summary(label: str, chosen: list[tuple[Case, float, float]], target: float | None) -> None:
        vs_plain = geometric_mean([r[1] for r in chosen])
        vs_strong = geometric_mean([r[2] for r in chosen])
        verdict = ""
        if target is not None:
            verdict = f"target >= {target}x: " + ("met" if vs_strong >= target else "NOT met")
        print(
            f"{label:26} vs plain {vs_plain:5.2f}x   vs the stronger {vs_strong:5.2f}x   {verdict}"
        )

    print("\n* selective: a literal that few events contain ('!' after moto: a different count)")
    print("'=' under guarded: no sound guard exists (an absence), so the plain predicate stands")
    print("geometric means; targets are stated against the stronger of the two baselines:")
    summary("all patterns", rows, TARGET_ALL)
    summary("selective patterns", [r for r in rows if r[0].selective], None)
    summary(
        "selective JSON patterns",
        [r for r in rows if r[0].selective and r[0].pattern.startswith("{")],
        TARGET_SELECTIVE_JSON,
    )
    long_delimited(len(events))
    pathological_regex()
    flat_memory()


def long_lines(count: int) -> list[str]:
    """Space-delimited lines of 40 fields: a user, a status, a quoted request and a bracketed
    time among plain words, separated by single spaces, runs of spaces or tabs."""
    rnd = random.Random(7)
    lines = []
    for k in range(count):
        user = rnd.choice(["frank", "alice", "bob", "fred"])
        status = rnd.choice(["200", "200", "200", "404", "500"])
        words = [f"w{n}-{rnd.randrange(1000)}" for n in range(34)]
        fields = [f"10.0.0.{k % 250}", user, "[10/Oct/2000:13:25:15 -0700]", *words[:17]]
        fields += ['"GET /index.html HTTP/1.0"', *words[17:], status, str(rnd.randrange(9999))]
        lines.append(rnd.choice([" ", "  ", "\t"]).join(fields))
    return lines


#: Long lines: a pattern, a hand-written predicate that splits the whole line (as the plain
#: baseline) and one that stops after the fields it needs (``str.split`` with ``maxsplit``, sound
#: here because the fields it reads come before any quoted or bracketed group).
LONG_CASES: list[tuple[str, Callable[[str], bool], Callable[[str], bool]]] = [
    (
        "[ip, user = fr*, ...]",
        lambda m: _FIELDS.findall(m)[1].startswith("fr"),
        lambda m: m.split(None, 2)[1].startswith("fr"),
    ),
    (
        "[ip, user = frank, ...]",
        lambda m: _FIELDS.findall(m)[1] == "frank",
        lambda m: m.split(None, 2)[1] == "frank",
    ),
    (
        "[ip, user, ..., status = 404, bytes]",
        lambda m: _FIELDS.findall(m)[-2] == "404",
        lambda m: m.rsplit(None, 2)[1] == "404",
    ),
]


def long_delimited(count: int) -> None:
    """Space-delimited patterns on 40-field lines: a pattern needing only the first fields can
    stop reading early."""
    lines = long_lines(count // 4)
    print(f"\n{len(lines):,} lines of 40 fields; events per second (k/s)")
    header = f"{'pattern':40} {'matches':>7} {'cwquery':>8} {'plain':>7} {'lazy':>7} "
    print(header + f"{'vs plain':>8} {'vs lazy':>8}")
    for pattern, plain, lazy in LONG_CASES:
        ours, count_ours = events_per_second(cwquery.compile(pattern).matches, lines)
        full, count_full = events_per_second(plain, lines)
        short, count_short = events_per_second(lazy, lines)
        assert count_ours == count_full == count_short, (pattern, count_ours, count_full)
        print(
            f"{pattern:40} {count_ours:7} {ours / 1000:8.0f} {full / 1000:7.0f} {short / 1000:7.0f}"
            f" {ours / full:7.2f}x {ours / short:7.2f}x"
        )


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

"""In-process speed of the candidate pass over a block (``cwquery.candidates``) against today's
block scanner and a hand-written, type-guarded orjson loop, on broad JSON comparisons.

Data: compact JSON lines as in the December 2026 peer comparison, written by a seeded
generator, ``{"timestamp": …, "i": n % 100, "level": INFO 70 % / WARN 15 % / ERROR 10 % /
DEBUG 5 %, "latency": 0 to 999, "nest": …, "values": […], "uuidname": two hex digits}``.

Paths timed, in one process, best of ``--rounds`` (interleaved), each reading the same file in
1 MiB blocks of whole lines (the loop reads it line by line, as its users would):

- ``loop``: ``orjson.loads`` per line, a dict check and the comparison with type guards;
- ``scanner``: ``cwquery.logs.blocks.BlockScanner(pattern).scan(block)``, summing ``matched``;
- ``candidates``: ``CandidateSearch`` over the first of ``json_candidate_searches(pattern)``
  (by ``bytes.find`` of its literal when it has one, else by its regex over the block), then
  the plan's verdict (``Plan.verdict``) on the candidate lines only;
- ``cand+and``: the same with every search (the first over the block, the others per line);
- ``cand-regex``: the first search by its regex even when it has a literal.

Every path must give the same count; ratios are loop time / path time (> 1: faster than the
loop). Targets (issue 20): ``{ $.i > 90 }`` >= 1.5x, the conjunction >= 3x.

    python benchmarks/candidates.py [--lines 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from peers_data import json_lines

from cwquery import compile
from cwquery.ast import JsonPattern
from cwquery.candidates import CandidateSearch, json_candidate_regexes, json_candidate_searches
from cwquery.logs.blocks import BlockScanner
from cwquery.plan import plan_for

BLOCK = 1 << 20
NUMBERS = (int, float)

GT = "{ $.i > 90 }"
CONJUNCTION = '{ $.level = "ERROR" && $.latency > 500 }'
SELECTIVE = '{ $.uuidname = "ff" }'


def blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of about 1 MiB that end at a line end."""
    with path.open("rb") as stream:
        rest = b""
        while chunk := stream.read(BLOCK):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                rest = chunk
                continue
            rest = chunk[cut:]
            yield chunk[:cut]
        if rest:
            yield rest


def loop_count(path: Path, which: str) -> int:
    """The hand-written loop, as in ``benchmarks/cli.py``."""
    loads, count = orjson.loads, 0
    with path.open("rb") as stream:
        for line in stream:
            try:
                doc = loads(line)
            except orjson.JSONDecodeError:
                continue
            if type(doc) is not dict:
                continue
            if which == GT:
                value: Any = doc.get("i")
                if type(value) in NUMBERS and value > 90:
                    count += 1
            elif which == CONJUNCTION:
                latency: Any = doc.get("latency")
                if doc.get("level") == "ERROR" and type(latency) in NUMBERS and latency > 500:
                    count += 1
            elif doc.get("uuidname") == "ff":
                count += 1
    return count


def scanner_count(path: Path, pattern: str) -> int:
    scan = BlockScanner(pattern).scan
    return sum(scan(block).matched for block in blocks(path))


def candidate_count(path: Path, pattern: str, searches: int, *, literal: bool = True) -> int:
    """The prototype reader: candidate lines from the block search (by the first search's
    literal, when it has one and ``literal`` is set; else by its regex), the per-line tests of
    up to ``searches - 1`` more searches, then the full verdict."""
    matcher = compile(pattern)
    assert isinstance(matcher.pattern, JsonPattern)
    found = json_candidate_searches(matcher.pattern)[:searches]
    sources = [search.source for search in found]
    judge = plan_for(matcher.pattern).verdict
    if not sources:  # no search: every line is judged
        return sum(
            judge(line) is True for block in blocks(path) for line in block.split(b"\n") if line
        )
    lines = CandidateSearch(sources, literal=found[0].literal if literal else None).lines
    count = 0
    for block in blocks(path):
        for line in lines(block):
            if judge(line) is True:
                count += 1
    return count


def best(rounds: int, runs: dict[str, Callable[[], int]]) -> dict[str, tuple[float, int]]:
    """The best time and the answer of each run, rounds interleaved (load hits all alike)."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    answers: dict[str, set[int]] = {name: set() for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            answers[name].add(run())
            times[name].append(time.perf_counter() - start)
    assert all(len(found) == 1 for found in answers.values()), answers
    return {name: (min(times[name]), answers[name].pop()) for name in runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "app.jsonl"
        json_lines(path, args.lines)
        size = os.path.getsize(path)
        print(f"{args.lines} lines, {size / 1e6:.1f} MB, best of {args.rounds}")
        for pattern in (GT, CONJUNCTION, SELECTIVE):
            tree = compile(pattern).pattern
            assert isinstance(tree, JsonPattern)
            print(f"\n{pattern}  searches: {json_candidate_regexes(tree)}")
            paths: dict[str, Callable[[], int]] = {
                "loop": lambda p=pattern: loop_count(path, p),  # type: ignore[misc]
                "scanner": lambda p=pattern: scanner_count(path, p),  # type: ignore[misc]
                "candidates": lambda p=pattern: candidate_count(path, p, 1),  # type: ignore[misc]
                "cand+and": lambda p=pattern: candidate_count(path, p, 3),  # type: ignore[misc]
                "cand-regex": lambda p=pattern: candidate_count(path, p, 1, literal=False),  # type: ignore[misc]
            }
            results = best(args.rounds, paths)
            counts = {answer for _, answer in results.values()}
            assert len(counts) == 1, results
            loop_time = results["loop"][0]
            for name, (seconds, answer) in results.items():
                print(
                    f"  {name:<11} {seconds:7.3f} s  count {answer:>7}  {loop_time / seconds:5.2f}x"
                )


if __name__ == "__main__":
    main()

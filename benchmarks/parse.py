"""Parse time for every valid worked example of the spec (§9), and `import cwquery` time.

Targets: median uncached parse <= 100 us per pattern (grammar built once); import <= 150 ms.
Each figure is printed with a baseline measured in the same run, because this machine is shared:
parsing is compared with CPython's own parser reading a string literal of the same length, and
the import with starting an interpreter that imports nothing.

    python benchmarks/parse.py
"""

from __future__ import annotations

import ast
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cwquery
from cwquery.parser import _parser

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 300


def spec_patterns() -> list[str]:
    found: dict[str, None] = {}
    for path in sorted((ROOT / "tests" / "compliance").glob("*.json")):
        if path.name == "schema.json":
            continue
        for group in json.loads(path.read_text(encoding="utf-8"))["groups"]:
            for case in group["cases"]:
                if "§9 #" in case.get("comment", "") and "error" not in case:
                    found[case["pattern"]] = None
    return list(found)


def median_seconds(function: Callable[[str], object], argument: str) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_seconds(code: str, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    _parser()
    print(f"grammar built once in {(time.perf_counter() - start) * 1000:.1f} ms")
    patterns = spec_patterns()
    parse_times, baseline_times = [], []
    for pattern in patterns:
        parse_times.append(median_seconds(cwquery.parse, pattern))
        baseline_times.append(median_seconds(ast.parse, repr(pattern)))
    parse_median = statistics.median(parse_times)
    baseline_median = statistics.median(baseline_times)
    print(f"spec §9 patterns: {len(patterns)}")
    print(f"median parse time:   {parse_median * 1e6:7.1f} us   (target <= 100 us)")
    print(f"slowest pattern:     {max(parse_times) * 1e6:7.1f} us")
    print(
        f"baseline ast.parse:  {baseline_median * 1e6:7.1f} us   ratio {parse_median / baseline_median:.2f}x"
    )
    bare = import_seconds("pass")
    loaded = import_seconds("import cwquery")
    print(f"interpreter start:   {bare * 1000:7.1f} ms")
    print(
        f"... + import cwquery {loaded * 1000:7.1f} ms   import cost {(loaded - bare) * 1000:.1f} ms "
        "(target <= 150 ms)"
    )


if __name__ == "__main__":
    main()

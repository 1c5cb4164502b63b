"""One keystroke of the playground over 10,000 sample lines: the whole ``/api/match`` request
(JSON in, pattern check, lint, every line matched, lines that are not JSON counted, JSON out)
against what ``cwquery test --count`` does in-process over the same lines in a file (read them,
match them, count the lines that are not JSON), measured in the same run. The target is at most
2x for every kind of pattern: a keystroke costs about one run of ``cwquery test``.

Run:  python benchmarks/playground.py
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson

import cwquery
from cwquery.ast import JsonPattern
from cwquery.logs.sources import read_events
from cwquery.playground.server import create_app
from cwquery.semantics import NOT_JSON, load_json_event

LOGS = Path(__file__).parent.parent / "examples" / "logs"
LINES = 10_000
PATTERNS = [
    "ERROR",
    "%GET|POST%",
    "{ $.latency > 1000 && $.level = ERROR }",
    "[ip, id, user, timestamp, request, status = 5*, bytes]",
]
TARGET = 2.0


def best(run: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    sources = [e.message for name in ("app.jsonl", "access.log") for e in read_events(LOGS / name)]
    lines = list(itertools.islice(itertools.cycle(sources), LINES))
    client = create_app().test_client()
    folder = tempfile.TemporaryDirectory()
    sample = Path(folder.name) / "sample.log"
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{LINES:,} lines; best of 5 runs")
    print(f"{'pattern':58} {'cli test':>9} {'request':>9} {'ratio':>6}")
    worst = 0.0
    for pattern in PATTERNS:
        matcher = cwquery.compile(pattern)
        body = orjson.dumps({"pattern": pattern, "lines": lines})

        def cli_count(
            matches: Callable[[str], bool] = matcher.matches,
            json_pattern: bool = isinstance(matcher.pattern, JsonPattern),
        ) -> object:
            matched = not_json = 0
            for event in read_events(sample):
                if matches(event.message):
                    matched += 1
                elif json_pattern and load_json_event(event.message) is NOT_JSON:
                    not_json += 1
            return matched, not_json

        def request(body: bytes = body) -> object:
            answer = client.post("/api/match", data=body, content_type="application/json")
            assert answer.status_code == 200
            return answer.data

        baseline, full = best(cli_count), best(request)
        ratio = full / baseline
        worst = max(worst, ratio)
        print(f"{pattern:58} {baseline * 1000:7.1f}ms {full * 1000:7.1f}ms {ratio:5.2f}x")
    folder.cleanup()
    print(f"worst ratio {worst:.2f}x (target {TARGET:.1f}x): {'ok' if worst <= TARGET else 'SLOW'}")


if __name__ == "__main__":
    main()

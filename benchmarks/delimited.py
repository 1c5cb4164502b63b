"""Space-delimited patterns on a text log: the block tester of :mod:`cwquery.delimited_bytes`
against a hand-written ``split()`` loop and against today's per-line matcher, in one process.

Data: the peers' text log (``2024-05-01T00:00:00.000Z 10.0.44.216 WARN GET /api/users 404 767
request handled in 114 ms``), events 997 ms apart, written by a seeded generator: level INFO 70 %,
WARN 15 %, ERROR 10 %, DEBUG 5 %; status codes mixed (12 % 5xx); bytes uniform 0-4999.

Each row times, best of ``--rounds`` and interleaved: the loop a person would write (``for line
in file: parts = line.split() ...``), ``cwquery.compile(p).matches`` on each decoded line, and
the block tester on 1 MiB blocks of whole lines (reading included in every column). Every row
checks that the three counts agree. Ratios are loop time / cwquery time: above 1 is faster than
the loop. Target for the first row: block tester >= 1.0x.

    python benchmarks/delimited.py [--lines N] [--quick] [--rounds R]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from peers_data import text_log

import cwquery
from cwquery.delimited_bytes import block_tester

BLOCK_SIZE = 1 << 20


def loop_5xx_large(path: Path) -> int:
    """``[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]``, by hand."""
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) >= 7 and parts[5].startswith(b"5"):
                try:
                    if float(parts[6]) > 1000:
                        count += 1
                except ValueError:
                    pass
    return count


def loop_large(path: Path) -> int:
    """``[ts, ip, level, method, path, status, bytes > 4000, ...]``, by hand."""
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) >= 7:
                try:
                    if float(parts[6]) > 4000:
                        count += 1
                except ValueError:
                    pass
    return count


def loop_error_get(path: Path) -> int:
    """``[ts, ip, level = ERROR, method = GET, ...]``, by hand."""
    count = 0
    with path.open("rb") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) >= 4 and parts[2] == b"ERROR" and parts[3] == b"GET":
                count += 1
    return count


ROWS: list[tuple[str, Callable[[Path], int]]] = [
    ("[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]", loop_5xx_large),
    ("[ts, ip, level, method, path, status, bytes > 4000, ...]", loop_large),
    ("[ts, ip, level = ERROR, method = GET, ...]", loop_error_get),
]


def blocks(path: Path) -> Iterator[bytes]:
    """The file in blocks of about 1 MiB of whole lines."""
    with path.open("rb") as source:
        while block := source.read(BLOCK_SIZE):
            yield block + source.readline()


def per_line(pattern: str, path: Path) -> int:
    """Today's per-message path: each decoded line that is a message, through ``matches``."""
    matches = cwquery.compile(pattern).matches
    count = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            message = line.rstrip("\n")
            if message.strip() and matches(message):
                count += 1
    return count


def by_blocks(pattern: str, path: Path) -> int:
    """The block tester over 1 MiB blocks (every block of this log is plain)."""
    test = block_tester(pattern)
    count = 0
    for block in blocks(path):
        found = test(block)
        if found is None:
            raise AssertionError("a block of the benchmark log took the slow path")
        count += len(found)
    return count


def best_of(rounds: int, runs: dict[str, Callable[[], int]]) -> dict[str, tuple[float, int]]:
    """Best time and count of each run, interleaved round by round."""
    best: dict[str, tuple[float, int]] = {}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            count = run()
            took = time.perf_counter() - start
            if name not in best or took < best[name][0]:
                best[name] = (took, count)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="200,000 lines")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    lines = 200_000 if args.quick else args.lines
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "app.log"
        text_log(path, lines)
        print(f"{lines:,} lines, {path.stat().st_size / 1e6:.1f} MB, best of {args.rounds}")
        print(
            f"{'pattern':<66} {'matches':>8} {'loop µs':>8} {'line µs':>8} {'block µs':>8}"
            f" {'line x':>7} {'block x':>7}"
        )
        for pattern, loop in ROWS:
            best = best_of(
                args.rounds,
                {
                    "loop": lambda loop=loop: loop(path),  # type: ignore[misc]
                    "line": lambda pattern=pattern: per_line(pattern, path),  # type: ignore[misc]
                    "block": lambda pattern=pattern: by_blocks(pattern, path),  # type: ignore[misc]
                },
            )
            counts = {count for _, count in best.values()}
            if len(counts) != 1:
                raise SystemExit(f"counts differ for {pattern}: {best}")
            micros = {name: took / lines * 1e6 for name, (took, _) in best.items()}
            print(
                f"{pattern:<66} {counts.pop():>8} {micros['loop']:>8.3f} {micros['line']:>8.3f} "
                f"{micros['block']:>8.3f} {micros['loop'] / micros['line']:>7.2f} "
                f"{micros['loop'] / micros['block']:>7.2f}"
            )


if __name__ == "__main__":
    main()

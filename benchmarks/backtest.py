"""Backtest speed: ``cwquery backtest`` (local engine) against ``cwquery test --count`` with the
same pattern on the same file, one run each, as command lines (start-up included in both).

Data: N events (default 1,000,000) over 24 hours, text lines with an ISO 8601 time prefix, one
in five an ERROR. Target: backtest ≤ 1.5x test --count.

With ``--spark``, the Spark engine (local mode, ``local[2]``) reads the same file and its
datapoint CSV must be byte-identical to the local engine's.

    python benchmarks/backtest.py [--events N] [--spark]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATTERN = "ERROR"
START = 1_714_521_600  # 2024-05-01T00:00:00Z, seconds


def generate(path: Path, count: int) -> None:
    chance = random.Random(14)
    levels = ["INFO", "INFO", "INFO", "WARN", "ERROR"]
    step = 86_400_000 / count
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            millis = int(n * step)
            seconds, fraction = divmod(millis, 1000)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(START + seconds))
            level = chance.choice(levels)
            out.write(f"{stamp}.{fraction:03d}Z {level} request {n} took {n % 997} ms\n")


def timed(arguments: list[str], output: Path | None = None) -> tuple[float, bytes]:
    began = time.perf_counter()
    done = subprocess.run(arguments, capture_output=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(arguments)} failed: {done.stderr.decode()[-2000:]}")
    return elapsed, output.read_bytes() if output else done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--spark", action="store_true", help="also compare the Spark engine")
    options = parser.parse_args()
    cli = str(Path(sys.executable).with_name("cwquery"))
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "app.log"
        generate(data, options.events)
        size = data.stat().st_size / 1e6
        print(f"{options.events:,} events, {size:.1f} MB, pattern {PATTERN!r}")
        baseline, counted = timed([cli, "test", "--count", "-q", PATTERN, str(data)])
        local_csv = Path(folder) / "local.csv"
        backtest = [
            cli,
            "backtest",
            "-p",
            PATTERN,
            "--format",
            "csv",
            "--no-chart",
            "-q",
            "--threshold",
            "100",
            "--alarm-period",
            "300",
            "--evaluation-periods",
            "3",
            str(data),
        ]
        local, _ = timed([*backtest, "-o", str(local_csv)])
        print(f"cwquery test --count      {baseline:7.2f} s   ({counted.decode().strip()} matches)")
        print(f"cwquery backtest (local)  {local:7.2f} s")
        print(f"ratio backtest / test     {local / baseline:7.2f}x   (target <= 1.5x)")
        if options.spark:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            spark_csv = Path(folder) / "spark.csv"
            spark, _ = timed([*backtest, "--engine", "spark", "-o", str(spark_csv)])
            same = spark_csv.read_bytes() == local_csv.read_bytes()
            lines = len(local_csv.read_bytes().splitlines()) - 1
            print(f"cwquery backtest (spark)  {spark:7.2f} s   local[*] mode, start-up included")
            print(f"datapoints: {lines:,} rows; Spark output byte-identical: {same}")
            if not same:
                sys.exit(1)


if __name__ == "__main__":
    main()

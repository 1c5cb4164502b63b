"""Backtest speed: ``cwquery backtest`` (local engine) against ``cwquery test --count`` with the
same pattern on the same file, one run each, as command lines (start-up included in both).

Data: N events (default 1,000,000) over 24 hours, text lines with an ISO 8601 time prefix, one
in five an ERROR. Target: backtest ≤ 1.5x test --count.

With ``--spark``, the Spark engine (local mode, ``local[2]``) reads the same file and its
datapoint CSV must be byte-identical to the local engine's.

With ``--spark-memory``, a value-metric backtest (latency in whole milliseconds, ``p99`` alarm
and ``tm90``; ``--statistic Average``: basic statistics only) runs on the Spark engine over N and 10·N events spread over the same 24 hours,
with the driver's JVM capped (``--driver-memory``, default 1g); the peak resident memory of the
driver's Python process and of the JVM (local mode: driver and executors in one JVM) is
sampled from /proc every 0.2 s. Flat driver figures mean only per-minute rows reach it.

    python benchmarks/backtest.py [--events N] [--spark]
    python benchmarks/backtest.py --spark-memory [--events N] [--driver-memory 1g]
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


def generate_values(path: Path, count: int) -> None:
    """``count`` text lines over 24 hours with a latency in whole milliseconds (0 to 2999)."""
    chance = random.Random(21)
    step = 86_400_000 / count
    with path.open("w", encoding="utf-8") as out:
        stamp_of: dict[int, str] = {}
        for n in range(count):
            seconds, fraction = divmod(int(n * step), 1000)
            stamp = stamp_of.get(seconds)
            if stamp is None:
                stamp_of.clear()
                stamp = stamp_of[seconds] = time.strftime(
                    "%Y-%m-%dT%H:%M:%S", time.gmtime(START + seconds)
                )
            out.write(
                f"{stamp}.{fraction:03d}Z INFO took {int(chance.expovariate(0.01)) % 3000} ms\n"
            )


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as found:
            return [int(child) for child in found.read().split()]
    except OSError:
        return []


def peak_memory(arguments: list[str], environment: dict[str, str]) -> tuple[float, int, int]:
    """Seconds, and the peak RSS (kB) of the process and of its ``java`` child."""
    began = time.perf_counter()
    process = subprocess.Popen(
        arguments, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    driver = jvm = 0
    while process.poll() is None:
        driver = max(driver, _rss_kb(process.pid))
        for child in _children(process.pid):
            with open(f"/proc/{child}/comm", encoding="ascii", errors="replace") as name:
                if name.read().strip() == "java":
                    jvm = max(jvm, _rss_kb(child))
        time.sleep(0.2)
    _, errors = process.communicate()
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(arguments)} failed: {errors.decode()[-2000:]}")
    return time.perf_counter() - began, driver, jvm


def spark_memory(cli: str, events: int, driver_memory: str, statistic: str) -> None:
    environment = dict(os.environ)
    environment.setdefault("PYSPARK_PYTHON", sys.executable)
    environment["PYSPARK_SUBMIT_ARGS"] = (
        f"--master local[2] --driver-memory {driver_memory} pyspark-shell"
    )
    extended = statistic not in ("SampleCount", "Sum", "Average", "Minimum", "Maximum")
    asked = f"{statistic} alarm" + (" and tm90" if extended else "")
    print(f"driver memory {driver_memory}, local[2]; value metric, {asked}")
    print(f"{'events':>12} {'MB':>8} {'seconds':>8} {'driver RSS MB':>14} {'JVM RSS MB':>11}")
    for count in (events, 10 * events):
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / "latency.log"
            generate_values(data, count)
            arguments = [cli, "backtest", "-p", "[time, level, took, ms, unit]"]
            arguments += ["--metric-value", "$ms", "--statistic", statistic]
            arguments += ["--statistics", "tm90"] if extended else []
            arguments += ["--threshold", "500", "--alarm-period", "300", "--evaluation-periods"]
            arguments += ["3", "--format", "csv", "--no-chart", "-q", "--engine", "spark"]
            arguments += ["-o", str(Path(folder) / "out.csv"), str(data)]
            seconds, driver, jvm = peak_memory(arguments, environment)
            size = data.stat().st_size / 1e6
            print(
                f"{count:>12,} {size:>8.0f} {seconds:>8.0f} {driver / 1024:>14.0f} {jvm / 1024:>11.0f}"
            )


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
    parser.add_argument(
        "--spark-memory", action="store_true", help="driver memory over N and 10N events"
    )
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--statistic", default="p99", help="the alarm's, with --spark-memory")
    options = parser.parse_args()
    cli = str(Path(sys.executable).with_name("cwquery"))
    if options.spark_memory:
        spark_memory(cli, options.events, options.driver_memory, options.statistic)
        return
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

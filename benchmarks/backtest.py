"""Backtest speed: ``cwquery backtest`` (local engine, per-minute counts) against
``cwquery test --count`` with the same pattern on the same file, as command lines (start-up
included in both), on JSON lines and on text lines. The commands run alternately, round after
round, and each keeps its best time, so a busy machine slows both sides alike.

Data: N events (default 1,000,000) over 24 hours. JSON lines of about 150 bytes
(``{"timestamp": …, "i": …, "level": …, "latency": …, …}``) counted with
``{ $.level = "ERROR" && $.latency > 500 }``; text lines with an ISO 8601 time prefix, one in
five an ERROR, counted with ``ERROR``. ``test --count`` runs with its default jobs (every core
for inputs of 8 MiB and more) and with ``--jobs 1``; backtest with its default (one process)
and with ``--jobs 2``. Target: backtest <= 1.5x test --count.

With ``--spark``, the Spark engine (local mode, ``local[2]``) reads the text file and its
datapoint CSV must be byte-identical to the local engine's.

With ``--before DIR`` (another checkout of the repository), that
version's backtest and test --count run in the same rounds, for a before/after ratio measured
under the same load, and the two versions' datapoint CSVs must be byte-identical.

``--json FILE --text FILE`` time existing files instead (for example the 1M-line files
``benchmarks/cli.py`` writes to /tmp/cwquery-bench). Each command's best wall time is shown
with its best CPU time (user + system, its worker processes included): on a shared machine the
CPU time is the steadier view.

With ``--spark-memory``, a value-metric backtest (latency in whole milliseconds, ``p99`` alarm
and ``tm90``; ``--statistic Average``: basic statistics only) runs on the Spark engine over N
and 10·N events spread over the same 24 hours, with the driver's JVM capped
(``--driver-memory``, default 1g); the peak resident memory of the driver's Python process and
of the JVM (local mode: driver and executors in one JVM) is sampled from /proc every 0.2 s.
Flat driver figures mean only per-minute rows reach it.

    python benchmarks/backtest.py [--events N] [--rounds R] [--spark] [--before DIR]
                                  [--json FILE --text FILE]
    python benchmarks/backtest.py --spark-memory [--events N] [--driver-memory 1g]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

TEXT_PATTERN = "ERROR"
JSON_PATTERN = '{ $.level = "ERROR" && $.latency > 500 }'
START = 1_714_521_600  # 2024-05-01T00:00:00Z, seconds
LEVELS = ["INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "WARN", "WARN", "ERROR"]


def _stamp(n: int, count: int) -> str:
    millis = int(n * 86_400_000 / count)
    seconds, fraction = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(START + seconds)) + f".{fraction:03d}Z"


def generate_text(path: Path, count: int) -> None:
    chance = random.Random(14)
    levels = ["INFO", "INFO", "INFO", "WARN", "ERROR"]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            level = chance.choice(levels)
            out.write(f"{_stamp(n, count)} {level} request {n} took {n % 997} ms\n")


def generate_json(path: Path, count: int) -> None:
    chance = random.Random(42)
    with path.open("wb") as out:
        for n in range(count):
            document = {
                "timestamp": _stamp(n, count),
                "i": n % 100,
                "level": chance.choice(LEVELS),
                "latency": chance.randrange(1000),
                "nest": {"big": "bird"},
                "values": [n % 13, 2.5],
                "uuidname": f"{chance.randrange(256):02x}",
            }
            out.write(orjson.dumps(document) + b"\n")


def timed(
    arguments: list[str], output: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, bytes]:
    elapsed, _, answer = timed_cpu(arguments, output, env)
    return elapsed, answer


def timed_cpu(
    arguments: list[str], output: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, bytes]:
    """Wall time, CPU time (user + system of the command and its workers) and its output."""
    cpu = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(arguments, capture_output=True, check=False, env=env)
    elapsed = time.perf_counter() - began
    cpu = _children_cpu() - cpu
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(arguments)} failed: {done.stderr.decode()[-2000:]}")
    return elapsed, cpu, output.read_bytes() if output else done.stdout


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def backtest_command(cli: str, pattern: str, data: Path) -> list[str]:
    return [cli, "backtest", "-p", pattern, "--format", "csv", "--no-chart", "-q", str(data)]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spark", action="store_true", help="also compare the Spark engine")
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="also time backtest and test --count from another checkout (its cwquery imported "
        "through PYTHONPATH), in the same rounds",
    )
    parser.add_argument("--json", type=Path, help="an existing JSON-lines file to time")
    parser.add_argument("--text", type=Path, help="an existing text file to time")
    parser.add_argument(
        "--spark-memory", action="store_true", help="driver memory over N and 10N events"
    )
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--statistic", default="p99", help="the alarm's, with --spark-memory")
    options = parser.parse_args()
    if (options.json is None) != (options.text is None):
        parser.error("give --json and --text together")
    cli = str(Path(sys.executable).with_name("cwquery"))
    if options.spark_memory:
        spark_memory(cli, options.events, options.driver_memory, options.statistic)
        return
    with tempfile.TemporaryDirectory() as folder:
        if options.json is not None:
            inputs = {"json": options.json, "text": options.text}
        else:
            inputs = {"json": Path(folder) / "app.jsonl", "text": Path(folder) / "app.log"}
            generate_json(inputs["json"], options.events)
            generate_text(inputs["text"], options.events)
        patterns = {"json": JSON_PATTERN, "text": TEXT_PATTERN}
        commands: dict[tuple[str, str], list[str]] = {}
        outputs: dict[str, Path] = {}
        for kind, data in inputs.items():
            size = data.stat().st_size / 1e6
            print(f"{kind}: {data}, {size:.1f} MB, pattern {patterns[kind]!r}")
            count = [cli, "test", "--count", "-q", patterns[kind], str(data)]
            commands[kind, "test --count"] = count
            commands[kind, "test --count --jobs 1"] = [*count, "--jobs", "1"]
            outputs[kind] = Path(folder) / f"{kind}.csv"
            commands[kind, "backtest"] = [
                *backtest_command(cli, patterns[kind], data),
                "-o",
                str(outputs[kind]),
            ]
            commands[kind, "backtest --jobs 2"] = [*commands[kind, "backtest"], "--jobs", "2"]
            if options.before:
                commands[kind, "before: test --count"] = count
                commands[kind, "before: backtest"] = backtest_command(cli, patterns[kind], data)
        before = {**os.environ, "PYTHONPATH": str(Path(options.before or ".").resolve())}
        best: dict[tuple[str, str], float] = {}
        cpu: dict[tuple[str, str], float] = {}
        answers: dict[tuple[str, str], bytes] = {}
        for _ in range(options.rounds):
            for key, command in commands.items():
                env = before if key[1].startswith("before:") else None
                seconds, used, answer = timed_cpu(command, env=env)
                best[key] = min(best.get(key, seconds), seconds)
                cpu[key] = min(cpu.get(key, used), used)
                answers[key] = answer
        for kind in inputs:
            rows = outputs[kind].read_bytes().splitlines()[1:]
            total = sum(float(row.split(b",")[-4]) for row in rows) if rows else 0
            print(f"\n{kind}")
            matches = answers[kind, "test --count"].decode().strip()
            print(f"  {matches} matches; backtest's Sum {total:,.0f}; wall s / CPU s")
            for key in commands:
                if key[0] == kind:
                    print(f"  {key[1]:<26} {best[key]:6.2f} / {cpu[key]:5.2f}")
            for name in ("test --count", "test --count --jobs 1"):
                ratio = best[kind, "backtest"] / best[kind, name]
                ratio_cpu = cpu[kind, "backtest"] / cpu[kind, name]
                print(
                    f"  backtest / {name:<22} {ratio:5.2f}x wall, {ratio_cpu:5.2f}x CPU"
                    "   (target <= 1.5x)"
                )
            ratio = best[kind, "backtest --jobs 2"] / best[kind, "test --count"]
            print(f"  backtest --jobs 2 / test --count  {ratio:5.2f}x wall")
            if options.before:
                then = best[kind, "before: backtest"] / best[kind, "before: test --count"]
                print(f"  before: backtest / test --count  {then:5.2f}x wall")
                same = answers[kind, "before: backtest"] == outputs[kind].read_bytes()
                print(f"  datapoints byte-identical to before: {same}")
                if not same:
                    sys.exit(1)
        if options.spark:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            spark_csv = Path(folder) / "spark.csv"
            command = backtest_command(cli, TEXT_PATTERN, inputs["text"])
            spark, _ = timed([*command, "--engine", "spark", "-o", str(spark_csv)])
            same = spark_csv.read_bytes() == outputs["text"].read_bytes()
            lines = len(outputs["text"].read_bytes().splitlines()) - 1
            print(f"\ncwquery backtest (spark)  {spark:7.2f} s   local[*] mode, start-up included")
            print(f"datapoints: {lines:,} rows; Spark output byte-identical: {same}")
            if not same:
                sys.exit(1)


if __name__ == "__main__":
    main()

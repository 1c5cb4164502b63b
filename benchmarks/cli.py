"""Whole-process speed of the ``cwquery`` command against the tools people would use instead,
every baseline timed in the same run, alternating with cwquery (best of 3 wall-clock times), on
files this script writes itself (1M lines each; ``--small`` writes a tenth).

Targets (ratios are baseline time / cwquery time, so > 1 means cwquery is faster):

- ``{ $.i > 90 }`` (9 % of lines match): >= 1.5x a type-guarded orjson loop; single-threaded
  DuckDB's ratio is printed beside it, and jq's (>= 3x)
- ``{ $.level = "ERROR" && $.latency > 500 }``: >= 3x the same loop
- ``{ $.uuidname = "ff" }`` (selective): >= 5x jq
- ``[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]`` on text: >= 1.0x a
  ``split()`` loop
- ``ERROR`` on a text log: >= 0.25x ``grep -c ERROR``
- ``backtest`` per-minute counts against ``test --count`` with the same pattern, JSON and text:
  <= 1.5x
- ``--jobs 2`` against ``--jobs 1``, ``{ $.i > 90 }``: >= 1.6x (on an idle machine)
- peak RSS of ``cwquery test`` on a 1M-line file: <= 150 MB
- ``check`` on 10k CloudFormation metric filters <= 3 s, on 10k Terraform resources <= 5 s
- ``cwquery --version`` and ``test`` on an empty file: <= 80 ms

Every row first checks that the tools agree on the answer. A missing tool (jq, the duckdb
module from the ``bench`` extra) is reported and its rows skip that baseline.

    python benchmarks/cli.py [--dir DIR] [--small] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from peers_data import json_lines, text_log

ROUNDS = 3
#: The size of the big files, for the row labels (``--small`` makes it a tenth).
SIZE = "1M"
AND_PATTERN = '{ $.level = "ERROR" && $.latency > 500 }'
DELIMITED = "[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]"

#: The hand-written loops: what someone would write instead of cwquery for one question, with
#: the same type guards the pattern language has (a string "95" is not greater than 90).
LOOP = """\
import sys, orjson
loads, count, case = orjson.loads, 0, sys.argv[1]
with open(sys.argv[2], "rb") as stream:
    for line in stream:
        try:
            doc = loads(line)
        except orjson.JSONDecodeError:
            continue
        if type(doc) is not dict:
            continue
        if case == "gt":
            value = doc.get("i")
            if type(value) in (int, float) and value > 90:
                count += 1
        elif case == "and":
            latency = doc.get("latency")
            if doc.get("level") == "ERROR" and type(latency) in (int, float) and latency > 500:
                count += 1
        elif doc.get("uuidname") == "ff":
            count += 1
print(count)
"""

#: ``[ts, ip, level, method, path, status = 5*, bytes > 1000, ...]`` written by hand.
SPLIT_LOOP = """\
import sys
count = 0
with open(sys.argv[1], "rb") as stream:
    for line in stream:
        parts = line.split()
        if len(parts) >= 7 and parts[5].startswith(b"5"):
            try:
                if float(parts[6]) > 1000:
                    count += 1
            except ValueError:
                pass
print(count)
"""

DUCKDB = """\
import sys, duckdb
connection = duckdb.connect()
connection.execute("SET threads = 1")
query = "SELECT count(*) FROM read_json(?, format = 'newline_delimited') WHERE " + sys.argv[1]
print(connection.execute(query, [sys.argv[2]]).fetchone()[0])
"""


# --------------------------------------------------------------------------- data


def cloudformation(path: Path, count: int) -> None:
    """A YAML template of ``count`` metric filters (every tenth with a dimension)."""
    lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Resources:"]
    for k in range(count):
        lines += [
            f"  Filter{k}:",
            "    Type: AWS::Logs::MetricFilter",
            "    Properties:",
            f"      LogGroupName: /app/group{k % 50}",
            f"      FilterPattern: '{{ $.status = {400 + k % 100} && $.path = \"/api/{k}\" }}'",
            "      MetricTransformations:",
            f"        - MetricName: Errors{k}",
            "          MetricNamespace: App",
            "          MetricValue: '1'",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def terraform(path: Path, count: int) -> None:
    """A Terraform file of ``count`` resources: metric filters, subscription filters and log
    groups (which hold no pattern)."""
    blocks = []
    for k in range(count):
        if k % 3 == 2:
            blocks.append(
                f'resource "aws_cloudwatch_log_group" "g{k}" {{\n'
                f'  name              = "/app/group{k}"\n  retention_in_days = 14\n}}\n'
            )
        elif k % 3 == 1:
            blocks.append(
                f'resource "aws_cloudwatch_log_subscription_filter" "s{k}" {{\n'
                f'  name            = "sub{k}"\n  log_group_name  = "/app/group{k % 50}"\n'
                f'  filter_pattern  = "[ip, user, status = 5*, bytes > {k}]"\n'
                f'  destination_arn = "arn:aws:lambda:us-east-1:123456789012:function:f{k}"\n}}\n'
            )
        else:
            blocks.append(
                f'resource "aws_cloudwatch_log_metric_filter" "m{k}" {{\n'
                f'  name           = "errors{k}"\n  log_group_name = "/app/group{k % 50}"\n'
                f'  pattern        = "{{ $.level = \\"ERROR\\" && $.code = {k} }}"\n'
                f'  metric_transformation {{\n    name      = "Errors{k}"\n'
                f'    namespace = "App"\n    value     = "1"\n  }}\n}}\n'
            )
    path.write_text("\n".join(blocks), encoding="utf-8")


def lockfile(path: Path, count: int) -> None:
    """A ``package-lock.json`` shaped file with no pattern in it."""
    packages = {
        f"node_modules/pkg-{k}": {
            "version": f"1.{k % 40}.{k % 7}",
            "resolved": f"https://registry.npmjs.org/pkg-{k}/-/pkg-{k}-1.{k % 40}.{k % 7}.tgz",
            "integrity": "sha512-" + "A" * 86 + "==",
            "dependencies": {f"pkg-{(k * 7) % count}": "^1.0.0"},
        }
        for k in range(count)
    }
    document = {"name": "app", "lockfileVersion": 3, "packages": packages}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def prepare(folder: Path, small: bool) -> dict[str, Path]:
    scale = 10 if small else 1
    data: dict[str, tuple[Path, Callable[[Path], object]]] = {
        "json200k": (folder / "app-200k.jsonl", lambda p: json_lines(p, 200_000 // scale)),
        "json1m": (folder / "app-1m.jsonl", lambda p: json_lines(p, 1_000_000 // scale)),
        "text1m": (folder / "access-1m.log", lambda p: text_log(p, 1_000_000 // scale)),
        "cfn": (folder / "cfn" / "template.yaml", lambda p: cloudformation(p, 10_000 // scale)),
        "tf": (folder / "tf" / "main.tf", lambda p: terraform(p, 10_000 // scale)),
        "lock": (folder / "node" / "package-lock.json", lambda p: lockfile(p, 20_000 // scale)),
        "empty": (folder / "empty.log", lambda p: p.write_bytes(b"")),
    }
    paths = {}
    for name, (path, make) in data.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            print(f"writing {path}", file=sys.stderr)
            make(path)
        paths[name] = path
    for name, script in (("loop", LOOP), ("split", SPLIT_LOOP), ("duck", DUCKDB)):
        paths[name] = folder / f"{name}_count.py"
        paths[name].write_text(script, encoding="utf-8")
    return paths


# --------------------------------------------------------------------------- timing


def run(command: Sequence[str] | str) -> tuple[float, str, int]:
    """Wall-clock seconds, stdout and peak RSS (KiB: the largest of the process and of the
    children it waited for, such as worker processes) of one process."""
    shell = isinstance(command, str)
    start = time.perf_counter()
    process = subprocess.Popen(
        command, shell=shell, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    return elapsed, out.decode().strip(), usage.ru_maxrss


def best_of(commands: Sequence[Sequence[str] | str]) -> list[tuple[float, str, int]]:
    """Each command's best time, first answer and largest RSS over :data:`ROUNDS` rounds; the
    commands take turns in every round, so a burst of load on the shared machine falls on all
    of them alike."""
    runs: list[list[tuple[float, str, int]]] = [[] for _ in commands]
    for _ in range(ROUNDS):
        for done, command in zip(runs, commands, strict=True):
            done.append(run(command))
    return [(min(r[0] for r in done), done[0][1], max(r[2] for r in done)) for done in runs]


def cwquery_command() -> list[str]:
    """The installed command, with the package's bytecode written first: an install writes it,
    but an editable checkout under ``PYTHONDONTWRITEBYTECODE`` would compile every module on
    every start, and the startup rows would time the compiler. The parser module must be the
    one the build wrote, or the rows would time Lark building it."""
    import compileall

    import cwquery
    from cwquery.lalr import BUILT_MODULE, lalr_runtime

    if lalr_runtime().__name__ != f"cwquery.{BUILT_MODULE}":
        # every start would make the parser module in memory (cwquery.lalr): not what users run
        raise SystemExit("the parser module is missing or stale: run pip install -e . first")
    compileall.compile_dir(str(Path(cwquery.__file__).parent), quiet=1)
    script = Path(sys.executable).parent / "cwquery"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cwquery"]


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, what: str, seconds: float, baseline: str, ratio: str, target: str) -> None:
        self.rows.append((what, f"{seconds:.3f} s", baseline, ratio, target))
        print(f"  {what}: {seconds:.3f} s  {baseline}  {ratio}", file=sys.stderr)

    def print(self) -> None:
        head = ("measure", "cwquery", "baseline", "ratio", "target")
        widths = [max(len(row[i]) for row in [head, *self.rows]) for i in range(5)]
        for row in [head, tuple("-" * w for w in widths), *self.rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def available(name: str) -> bool:
    """Whether a baseline can run here: jq on the PATH, the duckdb module importable."""
    if name == "jq":
        return shutil.which("jq") is not None
    if name.startswith("duckdb"):
        probe = subprocess.run([sys.executable, "-c", "import duckdb"], capture_output=True)
        return probe.returncode == 0
    return True


def compare(
    table: Table,
    what: str,
    ours: Sequence[str],
    baselines: list[tuple[str, Sequence[str] | str, str]],
) -> float:
    """Time ``ours`` and each baseline (``(name, command, target)``), taking turns; check that
    all print the same count. The ratio is baseline time / cwquery time."""
    present = [(name, command, target) for name, command, target in baselines if available(name)]
    for name, _, target in baselines:
        if not available(name):
            table.add(what, 0.0, f"{name}: not installed", "-", target)
    timings = best_of([ours, *(command for _, command, _ in present)])
    seconds, answer, _ = timings[0]
    for (name, _, target), (other, other_answer, _) in zip(present, timings[1:], strict=True):
        if other_answer != answer:
            raise SystemExit(f"{what}: cwquery says {answer!r}, {name} says {other_answer!r}")
        table.add(what, seconds, f"{name} {other:.3f} s", f"{other / seconds:.2f}x", target)
    return seconds


def test_rows(table: Table, cw: list[str], files: dict[str, Path]) -> None:
    """``cwquery test --count`` on every kind of pattern against what a person would run."""
    loop = [sys.executable, str(files["loop"])]
    duck = [sys.executable, str(files["duck"])]
    j200k, j1m, t1m = (str(files[name]) for name in ("json200k", "json1m", "text1m"))
    compare(
        table,
        f"{{ $.i > 90 }}, {SIZE} JSON",
        [*cw, "test", "-q", "--count", "{ $.i > 90 }", j1m],
        [
            ("orjson loop", [*loop, "gt", j1m], ">= 1.5x"),
            ("duckdb 1 thread", [*duck, "i > 90", j1m], "(reported)"),
        ],
    )
    compare(
        table,
        f"{{ $.i > 90 }}, {'20k' if SIZE == '100k' else '200k'} JSON",
        [*cw, "test", "-q", "--count", "{ $.i > 90 }", j200k],
        [("jq", f"jq -c 'select(.i > 90)' {j200k} | wc -l", ">= 3x")],
    )
    compare(
        table,
        f"{AND_PATTERN}, {SIZE} JSON",
        [*cw, "test", "-q", "--count", AND_PATTERN, j1m],
        [
            ("orjson loop", [*loop, "and", j1m], ">= 3x"),
            ("duckdb 1 thread", [*duck, "level = 'ERROR' AND latency > 500", j1m], "(reported)"),
        ],
    )
    compare(
        table,
        f'{{ $.uuidname = "ff" }}, {SIZE} JSON',
        [*cw, "test", "-q", "--count", '{ $.uuidname = "ff" }', j1m],
        [
            ("jq", f"jq -c 'select(.uuidname == \"ff\")' {j1m} | wc -l", ">= 5x"),
            ("orjson loop", [*loop, "ff", j1m], "-"),
        ],
    )
    compare(
        table,
        f"{DELIMITED}, {SIZE} text",
        [*cw, "test", "-q", "--count", DELIMITED, t1m],
        [("split() loop", [sys.executable, str(files["split"]), t1m], ">= 1.0x")],
    )
    compare(
        table,
        f"ERROR, {SIZE} text",
        [*cw, "test", "-q", "--count", "ERROR", t1m],
        [("grep -c", ["grep", "-c", "ERROR", t1m], ">= 0.25x")],
    )


def backtest_rows(table: Table, cw: list[str], files: dict[str, Path]) -> None:
    """Per-minute counts (``backtest``) against ``test --count``, same pattern, same file."""
    for label, pattern, name in (
        ("JSON", AND_PATTERN, "json1m"),
        ("text", "ERROR", "text1m"),
    ):
        path = str(files[name])
        counted = [*cw, "test", "-q", "--count", pattern, path]
        backtest = [*cw, "backtest", "-q", "-p", pattern, "--format", "csv", "--no-chart", path]
        (test_time, _, _), (backtest_time, rows, _) = best_of([counted, backtest])
        minutes = max(0, len(rows.splitlines()) - 1)
        table.add(
            f"backtest per-minute counts, {SIZE} {label} ({minutes:,} rows)",
            backtest_time,
            f"test --count {test_time:.3f} s",
            f"{backtest_time / test_time:.2f}x as long",
            "<= 1.5x",
        )


def jobs_rows(table: Table, cw: list[str], files: dict[str, Path]) -> None:
    j1m = str(files["json1m"])
    one_job = [*cw, "test", "-q", "--count", "--jobs", "1", "{ $.i > 90 }", j1m]
    two_jobs = [*cw, "test", "-q", "--count", "--jobs", "2", "{ $.i > 90 }", j1m]
    (one, answer, rss_one), (two, answer_two, rss_two) = best_of([one_job, two_jobs])
    if answer != answer_two:
        raise SystemExit(f"--jobs 2 says {answer_two}, --jobs 1 says {answer}")
    table.add(
        f"--jobs 2 {{ $.i > 90 }}, {SIZE}",
        two,
        f"--jobs 1 {one:.3f} s",
        f"{one / two:.2f}x",
        ">= 1.6x",
    )
    table.add(
        f"peak RSS, {SIZE} lines, --count (--jobs 1 / 2)",
        0.0,
        f"{rss_one / 1024:.0f} MB / {rss_two / 1024:.0f} MB",
        "-",
        "<= 150 MB",
    )
    printing = " ".join([*cw, "test", "-q", "'{ $.i >= 0 }'", j1m, "> /dev/null"])
    ((seconds, _, rss_print),) = best_of([printing])
    table.add(
        f"peak RSS, {SIZE} lines, every line printed",
        seconds,
        f"{rss_print / 1024:.0f} MB",
        "-",
        "<= 150 MB",
    )


def start_rows(table: Table, cw: list[str], files: dict[str, Path]) -> None:
    bare, version, empty = best_of(
        [
            [sys.executable, "-c", "pass"],
            [*cw, "--version"],
            [*cw, "test", "-q", "ERROR", str(files["empty"])],
        ]
    )
    table.add("python -c pass (reference)", bare[0], "-", "-", "-")
    for what, (seconds, _, _) in (("--version", version), ("test, empty file", empty)):
        table.add(
            f"cwquery {what}",
            seconds,
            f"python {bare[0]:.3f} s",
            f"{seconds / bare[0]:.1f}x python",
            "<= 0.080 s",
        )


def check_rows(table: Table, cw: list[str], files: dict[str, Path]) -> None:
    for name, label, target in (
        ("cfn", "check, 10k CloudFormation metric filters", "<= 3 s"),
        ("tf", "check, 10k Terraform resources", "<= 5 s"),
        ("lock", "check, folder with a package-lock.json", "-"),
    ):
        ((seconds, _, _),) = best_of([[*cw, "check", "--format", "json", str(files[name].parent)]])
        table.add(label, seconds, "-", "-", target)


SECTIONS = {
    "start": start_rows,
    "test": test_rows,
    "backtest": backtest_rows,
    "jobs": jobs_rows,
    "check": check_rows,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cwquery-bench")
    parser.add_argument("--small", action="store_true", help="a tenth of the data, for a try")
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="these rows")
    options = parser.parse_args()
    global SIZE
    SIZE = "100k" if options.small else "1M"
    files = prepare(options.dir, options.small)
    cw = cwquery_command()
    table = Table()
    print(f"load before: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}", file=sys.stderr)
    for name, rows in SECTIONS.items():
        if not options.only or name in options.only:
            rows(table, cw, files)
    print(f"load after: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    table.print()


if __name__ == "__main__":
    main()

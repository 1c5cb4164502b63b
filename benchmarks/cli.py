"""Whole-process speed of the ``cwquery`` command against the tools people would use instead:
jq, ``grep -c`` and a hand-written guarded orjson loop, all timed in the same run (best of 3
wall-clock times), on files this script writes itself.

Targets (ratios are baseline time / cwquery time, so > 1 means cwquery is faster):

- ``test --count '{ $.i > 90 }'``, 200k JSON lines: >= 3x jq
- ``test --count '{ $.uuidname = "ff" }'`` (selective), 1M lines: >= 5x jq
- ``test --count ERROR``, 1M-line text log: >= 0.25x ``grep -c ERROR``
- ``--jobs 2`` against ``--jobs 1``, 1M lines, ``{ $.i > 90 }``: >= 1.6x
- peak RSS of ``cwquery test`` on a 1M-line file: <= 150 MB
- ``check`` on 10k CloudFormation metric filters <= 3 s, on 10k Terraform resources <= 5 s
- ``cwquery --version`` and ``test`` on an empty file: <= 80 ms

Every row first checks that the tools agree on the answer. A missing tool (jq) is reported and
its rows skip that baseline.

    python benchmarks/cli.py [--dir DIR] [--small]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import orjson

ROUNDS = 3
LEVELS = ("INFO", "INFO", "INFO", "WARN", "DEBUG", "ERROR")
#: Sixteen two-character names, f0 to ff; one event in 16 has "ff" (the selective row).
NAMES = tuple(f"{k:02x}" for k in range(0xF0, 0x100))

#: The hand-written loops: what someone would write instead of cwquery for one question.
LOOP = """\
import sys, orjson
loads, count = orjson.loads, 0
with open(sys.argv[2], "rb") as stream:
    for line in stream:
        try:
            doc = loads(line)
        except orjson.JSONDecodeError:
            continue
        if type(doc) is not dict:
            continue
        if sys.argv[1] == "gt":
            value = doc.get("i")
            if type(value) in (int, float) and value > 90:
                count += 1
        elif doc.get("uuidname") == "ff":
            count += 1
print(count)
"""


# --------------------------------------------------------------------------- data


def json_lines(path: Path, count: int) -> None:
    """JSON events of about 140 bytes: a number ``i`` (0-99), a level, a two-character
    ``uuidname`` (one in 16 is "ff"), a nested object and a message."""
    rnd = random.Random(count)
    with path.open("wb") as out:
        batch = []
        for k in range(count):
            doc = {
                "i": k % 100,
                "level": rnd.choice(LEVELS),
                "uuidname": rnd.choice(NAMES),
                "nest": {"big": "cat" if k % 7 == 0 else "bird"},
                "msg": f"request {k} handled in {rnd.randrange(2000)} ms by worker {k % 64}",
                "values": [k % 13, 1.5],
            }
            batch.append(orjson.dumps(doc))
            if len(batch) == 10_000:
                out.write(b"\n".join(batch) + b"\n")
                batch = []
        if batch:
            out.write(b"\n".join(batch) + b"\n")


def text_log(path: Path, count: int) -> None:
    """Application log lines, one in 20 an ERROR."""
    rnd = random.Random(count)
    with path.open("w", encoding="utf-8") as out:
        for k in range(count):
            level = "ERROR" if k % 20 == 7 else rnd.choice(("INFO", "INFO", "WARN", "DEBUG"))
            out.write(
                f"2024-05-01T10:{k // 60000 % 60:02d}:{k // 1000 % 60:02d}.{k % 1000:03d}Z "
                f"{level} [worker-{k % 16}] request {k} took {rnd.randrange(2000)} ms path=/api/v1/items\n"
            )


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
    files: dict[str, tuple[Path, Callable[[Path], object]]] = {
        "json200k": (folder / "events-200k.jsonl", lambda p: json_lines(p, 200_000 // scale)),
        "json1m": (folder / "events-1m.jsonl", lambda p: json_lines(p, 1_000_000 // scale)),
        "text1m": (folder / "app-1m.log", lambda p: text_log(p, 1_000_000 // scale)),
        "cfn": (folder / "cfn" / "template.yaml", lambda p: cloudformation(p, 10_000 // scale)),
        "tf": (folder / "tf" / "main.tf", lambda p: terraform(p, 10_000 // scale)),
        "lock": (folder / "node" / "package-lock.json", lambda p: lockfile(p, 20_000 // scale)),
        "empty": (folder / "empty.log", lambda p: p.write_bytes(b"")),
        "loop": (folder / "loop.py", lambda p: p.write_text(LOOP, encoding="utf-8")),
    }
    paths = {}
    for name, (path, make) in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            print(f"writing {path}", file=sys.stderr)
            make(path)
        paths[name] = path
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


def best(command: Sequence[str] | str) -> tuple[float, str, int]:
    runs = [run(command) for _ in range(ROUNDS)]
    return min(r[0] for r in runs), runs[0][1], max(r[2] for r in runs)


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


def compare(
    table: Table,
    what: str,
    ours: Sequence[str],
    baselines: list[tuple[str, Sequence[str] | str]],
    target: str,
) -> float:
    """Time ``ours`` and each baseline; check that all print the same count."""
    seconds, answer, _ = best(ours)
    for name, command in baselines:
        if name == "jq" and shutil.which("jq") is None:
            table.add(what, seconds, "jq: not installed", "-", target)
            continue
        other, other_answer, _ = best(command)
        if other_answer != answer:
            raise SystemExit(f"{what}: cwquery says {answer!r}, {name} says {other_answer!r}")
        table.add(what, seconds, f"{name} {other:.3f} s", f"{other / seconds:.2f}x", target)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "cwquery-bench")
    parser.add_argument("--small", action="store_true", help="a tenth of the data, for a try")
    options = parser.parse_args()
    files = prepare(options.dir, options.small)
    cw = cwquery_command()
    loop = [sys.executable, str(files["loop"])]
    table = Table()
    print(f"load before: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}", file=sys.stderr)

    bare, _, _ = best([sys.executable, "-c", "pass"])
    table.add("python -c pass (reference)", bare, "-", "-", "-")
    for what, args in (
        ("--version", ["--version"]),
        ("test, empty file", ["test", "-q", "ERROR", str(files["empty"])]),
    ):
        seconds, _, _ = best([*cw, *args])
        table.add(
            f"cwquery {what}",
            seconds,
            f"python {bare:.3f} s",
            f"{seconds / bare:.1f}x python",
            "<= 0.080 s",
        )

    j200k, j1m, t1m = (str(files[name]) for name in ("json200k", "json1m", "text1m"))
    compare(
        table,
        "test --count '{ $.i > 90 }', 200k",
        [*cw, "test", "--count", "{ $.i > 90 }", j200k],
        [
            ("jq", f"jq -c 'select(.i > 90)' {j200k} | wc -l"),
            ("orjson loop", [*loop, "gt", j200k]),
        ],
        ">= 3x jq",
    )
    compare(
        table,
        "test --count '{ $.uuidname = \"ff\" }', 1M",
        [*cw, "test", "--count", '{ $.uuidname = "ff" }', j1m],
        [
            ("jq", f"jq -c 'select(.uuidname == \"ff\")' {j1m} | wc -l"),
            ("orjson loop", [*loop, "ff", j1m]),
        ],
        ">= 5x jq",
    )
    compare(
        table,
        "  the same with -q (no not-JSON tally)",
        [*cw, "test", "-q", "--count", '{ $.uuidname = "ff" }', j1m],
        [("jq", f"jq -c 'select(.uuidname == \"ff\")' {j1m} | wc -l")],
        "-",
    )
    compare(
        table,
        "test --count ERROR, 1M text lines",
        [*cw, "test", "--count", "ERROR", t1m],
        [("grep -c", ["grep", "-c", "ERROR", t1m])],
        ">= 0.25x grep",
    )
    one, answer, rss_one = best([*cw, "test", "--count", "--jobs", "1", "{ $.i > 90 }", j1m])
    two, answer_two, rss_two = best([*cw, "test", "--count", "--jobs", "2", "{ $.i > 90 }", j1m])
    if answer != answer_two:
        raise SystemExit(f"--jobs 2 says {answer_two}, --jobs 1 says {answer}")
    table.add(
        "test --jobs 2 '{ $.i > 90 }', 1M",
        two,
        f"--jobs 1 {one:.3f} s",
        f"{one / two:.2f}x",
        ">= 1.6x",
    )
    table.add(
        "peak RSS, 1M lines, --count (--jobs 1 / 2)",
        0.0,
        f"{rss_one / 1024:.0f} MB / {rss_two / 1024:.0f} MB",
        "-",
        "<= 150 MB",
    )
    printing = " ".join([*cw, "test", "-q", "'{ $.i >= 0 }'", j1m, "> /dev/null"])
    seconds, _, rss_print = best(printing)
    table.add(
        "peak RSS, 1M lines, every line printed",
        seconds,
        f"{rss_print / 1024:.0f} MB",
        "-",
        "<= 150 MB",
    )
    for name, label, target in (
        ("cfn", "check, 10k CloudFormation metric filters", "<= 3 s"),
        ("tf", "check, 10k Terraform resources", "<= 5 s"),
        ("lock", "check, folder with a package-lock.json", "-"),
    ):
        seconds, _, _ = best([*cw, "check", "--format", "json", str(files[name].parent)])
        table.add(label, seconds, "-", "-", target)
    print(f"load after: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    table.print()


if __name__ == "__main__":
    main()

"""The bundled sample logs: cwquery's counts agree with hand-written predicates, and the tour
script runs."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cwquery

EXAMPLES = Path(__file__).parent.parent / "examples"
LOGS = EXAMPLES / "logs"


def lines(name: str) -> list[str]:
    return (LOGS / name).read_text(encoding="utf-8").splitlines()


def docs(name: str) -> list[tuple[str, dict[str, Any] | None]]:
    found: list[tuple[str, dict[str, Any] | None]] = []
    for line in lines(name):
        try:
            value = json.loads(line)
        except ValueError:
            value = None
        found.append((line, value if isinstance(value, dict) else None))
    return found


def count(pattern: str, messages: list[str]) -> int:
    return sum(1 for _ in cwquery.compile(pattern).filter(messages))


def test_walkthrough_patterns() -> None:
    pairs = docs("walkthrough.jsonl")
    messages = [m for m, _ in pairs]
    expected: dict[str, Callable[[dict[str, Any]], bool]] = {
        '{ $.i > 90 && $.nest.big = "bird" }': lambda d: (
            d["i"] > 90 and d.get("nest", {}).get("big") == "bird"
        ),
        "{ $.iEven IS NULL }": lambda d: "iEven" in d and d["iEven"] is None,
        "{ $.iEven IS FALSE }": lambda d: d["iEven"] is False,
        "{ $.values[0] < 0.1 }": lambda d: d["values"][0] < 0.1,
        '{ $.uuidname = "a*" }': lambda d: d["uuidname"].startswith("a"),
        "{ $.nest NOT EXISTS }": lambda d: "nest" not in d,
    }
    for pattern, predicate in expected.items():
        assert count(pattern, messages) == sum(predicate(d) for _, d in pairs if d), pattern


def test_application_log_patterns() -> None:
    pairs = docs("app.jsonl")
    messages = [m for m, _ in pairs]
    assert sum(d is None for _, d in pairs) == 1  # the one plain-text line
    slow_errors = sum(1 for _, d in pairs if d and d["level"] == "ERROR" and d["latency"] > 1000)
    assert count('{ $.level = "ERROR" && $.latency > 1000 }', messages) == slow_errors
    failing = sum(
        1
        for _, d in pairs
        if d and (d.get("error", {}).get("retryable") is True or d["status"] >= 500)
    )
    assert count("{ $.error.retryable IS TRUE || $.status >= 500 }", messages) == failing
    assert count("{ $.traceId IS NULL }", messages) == sum(
        1 for _, d in pairs if d and "traceId" in d and d["traceId"] is None
    )


def test_access_log_patterns() -> None:
    messages = lines("access.log")
    fields = [re.findall(r'"[^"]*"|\[[^\]]*\]|\S+', m) for m in messages]
    expected = sum(1 for f in fields if ".html" in f[4] and f[5].startswith("4"))
    pattern = "[ip, id, user, timestamp, request = *.html*, status_code = 4*, bytes]"
    assert count(pattern, messages) == expected > 0
    big = sum(1 for f in fields if int(f[6]) > 5000)
    assert count("[..., bytes > 5000]", messages) == big > 0


def test_lambda_and_vpc_patterns() -> None:
    messages = lines("lambda.log")
    errors = sum(1 for m in messages if len(m.split("\t")) >= 4 and m.split("\t")[2] == "ERROR")
    assert count('[timestamp = *Z, request_id = "*-*", level = ERROR, message]', messages) == errors
    assert count('?"Task timed out" ?"Invoke Error"', messages) == sum(
        "Task timed out" in m or "Invoke Error" in m for m in messages
    )
    flows = lines("vpc-flow.log")
    rejected = sum(
        1 for f in (m.split() for m in flows) if f[6] in ("22", "3389") and f[12] == "REJECT"
    )
    pattern = (
        "[version, account, eni, source, destination, srcport, destport = 22 || destport = 3389, "
        "protocol, packets, bytes, start, end, action = REJECT, status]"
    )
    assert count(pattern, flows) == rejected > 0


def test_cloudtrail_patterns() -> None:
    pairs = docs("cloudtrail.jsonl")
    messages = [m for m, _ in pairs]
    unauthorized = sum(
        1
        for _, d in pairs
        if d
        and (
            d.get("errorCode", "").endswith("UnauthorizedOperation")
            or d.get("errorCode", "").startswith("AccessDenied")
        )
    )
    pattern = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
    assert count(pattern, messages) == unauthorized > 0
    root = sum(
        1
        for _, d in pairs
        if d and d["userIdentity"]["type"] == "Root" and "invokedBy" not in d["userIdentity"]
    )
    assert (
        count('{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }', messages)
        == root
    )


def run_tour(path: str, tmp: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    scratch = tmp / "scratch"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "PATH": path, "TMPDIR": str(scratch)}
    return subprocess.run(
        ["sh", str(EXAMPLES / "tour.sh")],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=300,
    )


def with_cwquery() -> str:
    return str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]


def test_tour_runs_checks_its_steps_and_leaves_nothing(tmp_path: Path) -> None:
    done = run_tour(with_cwquery(), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 patterns valid" in done.stdout and '"$status_code": "500"' in done.stdout
    assert done.stdout.rstrip().endswith("tour: every step behaved as shown")
    assert "\033" not in done.stdout  # not a terminal: no colour codes
    assert list((tmp_path / "scratch").iterdir()) == []


def test_tour_commands_can_be_pasted(tmp_path: Path) -> None:
    done = run_tour(with_cwquery(), tmp_path)
    commands = [line[2:] for line in done.stdout.splitlines() if line.startswith("$ ")]
    assert len(commands) == 18
    assert any("duration > 2900" in command for command in commands)
    pasted = tmp_path / "pasted"
    pasted.mkdir()
    env = {**os.environ, "PATH": with_cwquery()}
    for command in commands:
        again = subprocess.run(
            ["sh", "-c", command], cwd=pasted, env=env, capture_output=True, check=False
        )
        assert again.returncode in (0, 1), (command, again.stderr)
        assert list(pasted.iterdir()) == [], command  # no stray redirection made a file


def test_tour_fails_without_cwquery(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("sh", "head", "sed", "dirname"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    done = run_tour(str(tools), tmp_path)
    assert done.returncode == 127 and "cwquery is not on PATH" in done.stderr


def test_tour_fails_when_a_step_misbehaves(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "cwquery"
    fake.write_text("#!/bin/sh\nexit 0\n")  # succeeds, prints nothing
    fake.chmod(0o755)
    done = run_tour(str(tools) + os.pathsep + os.environ["PATH"], tmp_path)
    assert done.returncode == 1
    assert "output does not contain: 4 patterns valid" in done.stderr

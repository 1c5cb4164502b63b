"""``cwquery test`` on inputs big enough to be scanned by worker processes, driven as a user
drives it (a real process, real pipes, real signals): it never hangs, whatever goes away.

The subprocess timeouts only detect a hang; nothing here asserts a speed. Each race is run
several times, since a lost race shows only now and then.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Seconds after which a run counts as hung.
HANG = 120
#: How often each race is run.
ROUNDS = 8
#: A JSON pattern whose canonical text (1,290 characters) is over the 1,024-character limit
#: that the text itself (890) is under.
LONG_PATTERN = "{" + "&&".join(f"$.k{i}=1" for i in range(100)) + "}"

Popen = subprocess.Popen[bytes]

pytestmark = pytest.mark.skipif(not Path("/proc/self").exists(), reason="reads /proc")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 9 MiB file of JSON lines (one in five is an ERROR), two of which match
    :data:`LONG_PATTERN`."""
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    line = '{"level": "%s", "n": %d, "msg": "request handled by worker %d in %d ms"}\n'
    with path.open("w", encoding="utf-8") as out:
        k = 0
        while out.tell() < 9 << 20:
            out.write(line % ("ERROR" if k % 5 == 0 else "INFO", k, k % 64, k % 997))
            k += 1
            if k in (1000, 90000):
                out.write(json.dumps({f"k{i}": 1 for i in range(100)}) + "\n")
    return path


#: ``cwquery`` in a process that has a second thread, as a threaded host would be: its
#: workers must then come from a fork server, never from a fork of it.
THREADED = """\
import sys, threading
threading.Thread(target=threading.Event().wait, daemon=True).start()
from cwquery.cli import main
sys.argv[0] = "cwquery"
main()
"""


@pytest.fixture(params=["one thread", "threads"])
def host(request: pytest.FixtureRequest) -> list[str]:
    """How ``cwquery`` is started: as the command (one thread), or from a threaded host."""
    if request.param == "threads":
        return [sys.executable, "-c", THREADED]
    return [sys.executable, "-m", "cwquery"]


def cwquery(*args: str | bytes, host: list[str] | None = None, **options: Any) -> Popen:
    """``cwquery ARGS...`` started in a session of its own (so a hung one can be killed
    with all its processes)."""
    command = host or [sys.executable, "-m", "cwquery"]
    process = subprocess.Popen([*command, *args], start_new_session=True, **options)
    _started.append(process)
    return process


_started: list[Popen] = []


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    """Whatever a failed test left running is killed."""
    yield
    while _started:
        process = _started.pop()
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def children(pid: int) -> list[int]:
    """The living children of a process, from /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += map(int, (task / "children").read_text().split())
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


def workers_of(process: Popen, threaded: bool) -> list[int]:
    """The worker processes of a running ``cwquery test``, waited for until there are two:
    the children of its fork server when it has threads, else its own children."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        found: list[int] = []
        for pid in children(process.pid):
            if not threaded:
                found.append(pid)
            elif "forkserver" in _command(pid):  # not a helper still between fork and exec
                found += children(pid)
        if len(found) >= 2:
            return found
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.01)
    raise AssertionError("no workers started")


def assert_gone(pids: list[int]) -> None:
    """Every process in ``pids`` has ended (a worker never outlives its command)."""
    deadline = time.monotonic() + HANG
    living = pids
    while living and time.monotonic() < deadline:
        living = [pid for pid in living if _alive(pid)]
        time.sleep(0.01)
    assert not living


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def ended(process: Popen) -> tuple[int, str]:
    """Exit status and stderr of a process, which must end within :data:`HANG` seconds."""
    _, err = process.communicate(timeout=HANG)
    return process.returncode, err.decode("utf-8", "replace")


# --------------------------------------------------------------------------- a closed pipe


@pytest.mark.parametrize(
    "options",
    [(), ("--json",), ("--invert",), ("--count",), ("--explain",)],
    ids=["lines", "json", "invert", "count", "explain"],
)
def test_a_closed_output_pipe_ends_the_command_quietly_with_141(
    big: Path, options: tuple[str, ...], host: list[str]
) -> None:
    rounds = ROUNDS if options in ((), ("--json",)) else 2
    for _ in range(rounds):
        process = cwquery(
            "test", "--jobs", "2", *options, "ERROR", str(big), host=host, stdout=subprocess.PIPE
        )
        assert process.stdout is not None
        if options != ("--count",):  # --count writes once, at the end
            process.stdout.read(10)
        process.stdout.close()
        assert process.wait(timeout=HANG) == 141, options


def test_a_closed_pipe_says_nothing(big: Path) -> None:
    process = cwquery(
        "test", "--jobs", "2", "ERROR", str(big), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()
    assert ended(process) == (141, "")


# --------------------------------------------------------------------------- signals


def blocked_on_output(big: Path, host: list[str]) -> tuple[Popen, list[int]]:
    """A scan printing every line into a pipe nobody reads, and its workers."""
    process = cwquery(
        "test",
        "--jobs",
        "2",
        "--invert",
        "NOTHING",
        str(big),
        host=host,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return process, workers_of(process, threaded="-c" in host)


@pytest.mark.parametrize(
    ("number", "status", "group"),
    [(signal.SIGINT, 130, False), (signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)],
    ids=["INT", "INT to the group (^C at a terminal)", "TERM"],
)
def test_a_signal_ends_the_command_and_its_workers(
    big: Path, number: signal.Signals, status: int, group: bool, host: list[str]
) -> None:
    for _ in range(ROUNDS // 2):
        process, workers = blocked_on_output(big, host)
        if group:  # every process of the command gets it, as from a terminal
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)
        code, err = ended(process)
        assert code == status, err
        assert "Traceback" not in err
        assert err.endswith("interrupted\n") if number == signal.SIGINT else err == ""
        assert_gone(workers)


def test_a_worker_killed_by_sigkill_is_an_error_naming_it(big: Path, host: list[str]) -> None:
    for _ in range(ROUNDS // 2):
        process, workers = blocked_on_output(big, host)
        os.kill(workers[0], signal.SIGKILL)
        _, err = process.communicate(timeout=HANG)  # reading lets the parent go on
        text = err.decode()
        assert process.returncode == 2, text
        assert f"error: worker process {workers[0]} was killed by SIGKILL" in text
        assert "Traceback" not in text
        assert_gone(workers)


def test_workers_do_not_outlive_a_parent_killed_by_sigkill(big: Path, host: list[str]) -> None:
    process, workers = blocked_on_output(big, host)
    process.kill()
    process.communicate(timeout=HANG)
    assert_gone(workers)


# --------------------------------------------------------------------------- what workers get


def test_a_pattern_whose_canonical_text_is_over_the_limit_runs_on_workers(
    big: Path, host: list[str]
) -> None:
    from cwquery import parse, render

    assert len(LONG_PATTERN) <= 1024 < len(render(parse(LONG_PATTERN)))
    for jobs in ("1", "2"):
        process = cwquery(
            "test",
            "--jobs",
            jobs,
            "--count",
            LONG_PATTERN,
            str(big),
            host=host,
            stdout=subprocess.PIPE,
        )
        out, _ = process.communicate(timeout=HANG)
        assert (process.returncode, out) == (0, b"2\n")


@pytest.mark.parametrize(
    "pattern", [b"\xff", b'"\xff x"', b"%\xff%", b'{ $.a = "\xff" }', b"ERROR -\xfe"]
)
@pytest.mark.parametrize("count", [True, False], ids=["count", "lines"])
def test_a_pattern_that_is_not_utf8_is_an_error(
    tmp_path: Path, pattern: bytes, count: bool
) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b'ERROR \xff x\n{"a": "\xff"}\n')
    options = ["--count"] if count else []
    process = cwquery("test", *options, pattern, str(path), stderr=subprocess.PIPE)
    code, err = ended(process)
    at = pattern.index(b"\xff" if b"\xff" in pattern else b"\xfe") + 1
    byte = f"0x{pattern[at - 1]:02x}"
    assert (code, err) == (
        2,
        f"error: the pattern is not UTF-8 text (byte {byte} at character {at})\n",
    )


def test_workers_are_forked_only_from_a_process_with_one_thread(big: Path, host: list[str]) -> None:
    process, workers = blocked_on_output(big, host)
    parents = {
        int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) for pid in workers
    }
    if "-c" in host:  # threaded: from a fork server, a child of the command
        (server,) = parents
        assert "forkserver" in _command(server)
        assert server in children(process.pid)
    else:
        assert parents == {process.pid}
    process.kill()
    process.communicate(timeout=HANG)

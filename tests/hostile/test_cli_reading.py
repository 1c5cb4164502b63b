"""What ``cwquery test`` reads: lines no CloudWatch event can be, gzip on standard input, and
summaries that say what was counted."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.cli import main
from cwquery.logs.sources import MAX_LINE_BYTES


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- over-long lines

#: A script that runs ``cwquery`` and prints its exit status, then its peak memory in KiB.
_MEASURED = """\
import resource, subprocess, sys
code = subprocess.call([sys.executable, "-m", "cwquery", *sys.argv[1:]])
print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.fixture(scope="module")
def endless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short lines, a 64 MiB line, one more short line, a 1.5 MiB line, and a 3 MiB line
    with no end."""
    path = tmp_path_factory.mktemp("long") / "endless.log"
    with path.open("wb") as out:
        out.write(b"ERROR first\r\nINFO second\n")
        mebibyte = b"ERROR " * 174762 + b"xxxx"
        assert len(mebibyte) == 1 << 20
        for _ in range(64):
            out.write(mebibyte)
        out.write(b"\nERROR after\n")
        out.write(b"ERROR " + b"z" * (3 << 19) + b"\n")  # 1.5 MiB: one range of a worker
        out.write(b"y" * (3 << 20))
    return path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_over_long_line_is_reported_and_memory_stays_flat(endless: Path, jobs: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURED, "test", "--jobs", jobs, "ERROR", str(endless)],
        capture_output=True,
        timeout=300,
    )
    *lines, last = completed.stdout.decode().splitlines()
    code, peak_kib = map(int, last.split())
    assert (code, lines) == (0, ["ERROR first", "ERROR after"])
    assert completed.stderr.decode().splitlines() == [
        f"warning: {endless}: line 3: 67,108,864 bytes, longer than 1 MiB "
        "(a CloudWatch event's limit): skipped",
        f"warning: {endless}: line 5: 1,572,870 bytes, longer than 1 MiB "
        "(a CloudWatch event's limit): skipped",
        f"warning: {endless}: line 6: 3,145,728 bytes, longer than 1 MiB "
        "(a CloudWatch event's limit): skipped",
        "2 of 3 messages matched; 3 lines were longer than 1 MiB and skipped",
    ]
    assert peak_kib < 64 * 1024  # well under the one line's 64 MiB


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_over_long_lines_are_numbered_when_the_messages_are_not_counted(
    tmp_path: Path, jobs: str
) -> None:
    """``-q --count`` counts no messages, so ranges of the file are scanned without counting
    their lines; the over-long lines after them still get their numbers (counted again)."""
    path = tmp_path / "long.log"
    short = b"ERROR a\r\nb\rINFO c\n\n" * 150_000  # over two ranges of a worker
    path.write_bytes(
        short + b"x" * (MAX_LINE_BYTES + 9) + b"\nERROR d\n" + short + b"y" * (3 << 20)
    )
    quiet = run("test", "-q", "--count", "--jobs", jobs, "ERROR", str(path))
    counted = run("test", "--count", "--jobs", jobs, "ERROR", str(path))
    assert quiet[:2] == counted[:2] == (0, "300001\n")
    warnings = counted[2].splitlines()[:-1]
    assert [w.split(": ")[2] for w in warnings] == ["line 600001", "line 1200003"]
    assert quiet[2].splitlines() == warnings


def test_a_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.log"
    path.write_bytes(b"ERROR" + b"x" * (MAX_LINE_BYTES - 5) + b"\nERROR" + b"y" * MAX_LINE_BYTES)
    code, out, err = run("test", "--count", "ERROR", str(path))
    assert (code, out) == (0, "1\n")
    assert err.endswith(
        f"line 2: {MAX_LINE_BYTES + 5:,} bytes, longer than 1 MiB (a CloudWatch event's limit):"
        " skipped\n1 of 1 message matched; 1 line was longer than 1 MiB and skipped\n"
    )


def test_over_long_lines_on_stdin_are_numbered_too() -> None:
    stdin = b"a\n" + b"z" * (MAX_LINE_BYTES + 1) + b"\r\nERROR b\n"
    code, out, err = run("test", "ERROR", stdin=stdin)
    assert (code, out) == (0, "ERROR b\n")
    assert err.startswith(f"warning: <stdin>: line 2: {MAX_LINE_BYTES + 1:,} bytes")


# --------------------------------------------------------------------------- gzip on stdin

EXPORT = b"".join(
    b'2026-01-01T00:00:%02d.000Z {"level": "%s", "n": %d}\n'
    % (k, b"ERROR" if k % 3 else b"INFO", k)
    for k in range(30)
)


def test_a_gzip_on_stdin_is_read_as_the_same_file_given_by_name(tmp_path: Path) -> None:
    path = tmp_path / "000000.gz"
    path.write_bytes(gzip.compress(EXPORT))
    pattern = '{ $.level = "ERROR" }'
    by_name = run("test", "--count", pattern, str(path))
    assert by_name[:2] == (0, "20\n")
    assert run("test", "--count", pattern, stdin=path.read_bytes()) == by_name


def test_a_gzip_of_lines_on_stdin_is_read_as_lines() -> None:
    code, out, _ = run(
        "test", "--input-format", "lines", "ERROR", stdin=gzip.compress(b"ERROR a\nINFO b\n")
    )
    assert (code, out) == (0, "ERROR a\n")


def test_a_truncated_gzip_on_stdin_is_an_error_naming_stdin() -> None:
    code, _, err = run("test", "ERROR", stdin=gzip.compress(EXPORT)[:40])
    assert code == 2
    assert err.startswith("error: <stdin>: truncated or corrupt compressed file")


# --------------------------------------------------------------------------- what was counted


def test_invert_count_and_its_summary_speak_of_the_same_messages() -> None:
    stdin = "ERROR a\nINFO b\nINFO c\n"
    assert run("test", "--invert", "--count", "ERROR", stdin=stdin) == (
        0,
        "2\n",
        "2 of 3 messages did not match\n",
    )
    assert run("test", "--invert", "ERROR", stdin=stdin)[2] == "2 of 3 messages did not match\n"
    assert run("test", "--count", "ERROR", stdin=stdin)[2] == "1 of 3 messages matched\n"


def test_over_long_lines_are_skipped_and_said_message_by_message_too(endless: Path) -> None:
    code, out, err = run("test", "--explain", "ERROR", str(endless))
    assert code == 0
    numbers = [line.split()[0] for line in out.splitlines() if line.startswith("#")]
    assert numbers == ["#1", "#2", "#3"]
    assert f"warning: {endless}: line 3: 67,108,864 bytes" in err
    assert f"warning: {endless}: line 6: 3,145,728 bytes" in err


def test_the_library_reader_refuses_an_over_long_line_naming_it() -> None:
    import io

    from cwquery.logs.sources import SourceError, read_events

    text = "a\n" + "é" * (MAX_LINE_BYTES // 2 + 1) + "\nb\n"  # under the limit in characters
    with pytest.raises(SourceError, match=r"<stream>: line 2: 1,048,578 bytes, longer than"):
        list(read_events(io.StringIO(text), input_format="lines"))
    said: list[tuple[str, int, int]] = []
    events = read_events(
        io.StringIO(text), input_format="lines", on_long_line=lambda *a: said.append(a)
    )
    assert [e.message for e in events] == ["a", "b"]
    assert said == [("<stream>", 2, MAX_LINE_BYTES + 2)]


# --------------------------------------------------------------------------- standard input


def test_check_does_not_count_standard_input_as_a_file(tmp_path: Path) -> None:
    assert run("check", "-", stdin="{ $.a = 1 }\n")[2] == "1 pattern valid\n"
    assert run("fmt", "--check", "-", stdin="x\n")[2] == "1 pattern canonical\n"
    path = tmp_path / "more.patterns"
    path.write_text("ERROR\n")
    assert run("check", "-", str(path), stdin="x\n")[2] == "2 patterns valid in 1 file\n"


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--input-format", "s3-export"), '{"level": "ERROR", "n": 4}\n'),
        (("--explain",), "4 → true"),
    ],
    ids=["s3-export", "explain"],
)
def test_a_gzip_on_stdin_is_unpacked_whatever_else_is_asked(
    options: tuple[str, ...], said: str
) -> None:
    code, out, err = run("test", *options, "{ $.n = 4 }", stdin=gzip.compress(EXPORT))
    assert (code, err) == (0, "1 of 30 messages matched\n")
    assert said in out

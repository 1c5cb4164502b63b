"""``cwquery test`` over files and standard input."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.cli import main

LOGS = Path(__file__).parent.parent / "examples" / "logs"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_prints_matches_and_a_summary() -> None:
    code, out, err = run("test", "{ $.a > 1 }", stdin='{"a": 1}\ntext\n{"a": 2}\n')
    assert code == 0
    assert out == '{"a": 2}\n'
    assert err.strip() == "1 of 3 messages matched; 1 message was not JSON"


def test_no_match_exits_1_and_error_exits_2() -> None:
    assert run("test", "ERROR", stdin="INFO\n")[0] == 1
    code, _, err = run("test", "{ $.a = ", stdin="x\n")
    assert code == 2 and err.startswith("syntax:")
    assert run("test", "ERROR", "/no/such/file")[0] == 2


def test_count_invert_and_quiet() -> None:
    stdin = "ERROR a\nINFO b\nERROR c\n"
    assert run("test", "--count", "-q", "ERROR", stdin=stdin)[1] == "2\n"
    assert run("test", "--invert", "-q", "ERROR", stdin=stdin)[1] == "INFO b\n"


def test_json_output_is_test_metric_filter_shaped() -> None:
    code, out, _ = run("test", "--json", "[a, b]", stdin="x y\nz\n")
    assert code == 0
    assert json.loads(out) == {
        "matches": [
            {"eventNumber": 1, "eventMessage": "x y", "extractedValues": {"$a": "x", "$b": "y"}}
        ]
    }


def test_explain_covers_every_message() -> None:
    code, out, _ = run("test", "--explain", "{ $.a = 1 }", stdin='{"a": 1}\n{"a": 2}\n')
    assert code == 0
    assert out.count("#1 match") == 1 and out.count("#2 no match") == 1


def test_reads_several_files_of_different_kinds(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"events": [{"message": "ERROR in export"}]}), encoding="utf-8")
    code, out, _ = run("test", "-q", "ERROR", str(export), str(LOGS / "app.jsonl"))
    assert code == 0
    assert out.splitlines()[0] == "ERROR in export"
    assert len(out.splitlines()) == sum("ERROR" in line for line in (LOGS / "app.jsonl").open()) + 1


def test_big_inputs_on_a_terminal_get_a_progress_bar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from cwquery.cli import evaluate

    seen: list[int] = []

    def wants_progress(total: int) -> bool:
        seen.append(total)
        return True

    monkeypatch.setattr(evaluate, "_wants_progress", wants_progress)
    path = tmp_path / "app.log"
    path.write_text("ERROR a\nINFO b\n" * 50, encoding="utf-8")
    code, out, err = run("test", "--count", "ERROR", str(path))
    assert code == 0 and out == "50\n"
    assert seen == [path.stat().st_size]
    assert "reading" in err  # the bar's label, on stderr only


def _generated_log(path: Path, count: int) -> list[str]:
    """JSON, text and Lambda-style lines, with blank lines and CRLF between them."""
    lines = []
    for k in range(count):
        if k % 5 == 0:
            lines.append(f'2024-05-01T10:00:00Z\tid{k}\tERROR\t{{"i": {k}}}')
        else:
            lines.append(json.dumps({"i": k % 100, "level": "ERROR" if k % 7 else "INFO"}))
    data = "".join(line + ("\r\n" if k % 3 else "\n\n") for k, line in enumerate(lines))
    path.write_bytes(data.encode("utf-8"))
    return lines


@pytest.mark.parametrize("pattern", ["{ $.i > 90 }", '{ $.level = "ERROR" }', "ERROR", "%i..9%"])
def test_jobs_keep_the_answers_and_their_order(
    tmp_path: Path, pattern: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cwquery import compile
    from cwquery.logs import parallel

    monkeypatch.setattr(parallel, "RANGE_BYTES", 2000)  # many ranges in flight at once
    monkeypatch.setattr(parallel, "BLOCK_BYTES", 3000)
    path = tmp_path / "app.log"
    lines = _generated_log(path, 3000)
    matcher = compile(pattern)
    expected = [line for line in lines if matcher.matches(line)]
    others = [line for line in lines if not matcher.matches(line)]
    for jobs in ("1", "2"):
        code, out, err = run("test", "--jobs", jobs, pattern, str(path))
        assert (code, out.splitlines()) == (0, expected)
        assert err.startswith(f"{len(expected)} of {len(lines)} messages matched")
        assert (
            run("test", "-j", jobs, "-q", "--count", pattern, str(path))[1] == f"{len(expected)}\n"
        )
        assert run("test", "-j", jobs, "-q", "-v", pattern, str(path))[1].splitlines() == others
        code, out, _ = run("test", "-j", jobs, "--json", pattern, str(path))
        numbers = [m["eventNumber"] for m in json.loads(out)["matches"]]
        assert numbers == [k + 1 for k, line in enumerate(lines) if matcher.matches(line)]


def test_the_not_json_tally_and_hint_come_from_the_one_parse(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    lines = _generated_log(path, 100)
    _, _, err = run("test", "--jobs", "2", '{ $.level = "INFO" }', str(path))
    summary, hint = err.strip().splitlines()
    matched = sum('"INFO"' in line for line in lines)
    assert summary == f"{matched} of 100 messages matched; 20 messages were not JSON"
    assert hint.startswith("hint: the message is JSON behind tab-separated fields")


def test_gzip_lines_and_stdin_bytes(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "app.log.gz"
    path.write_bytes(gzip.compress(b"ERROR a\r\n\xff ERROR b\nINFO c"))
    code, out, _ = run("test", "--input-format", "lines", "ERROR", str(path))
    assert (code, out) == (0, "ERROR a\n\ufffd ERROR b\n")
    path.write_bytes(gzip.compress(b"ERROR a\n")[:-6])
    code, _, err = run("test", "--input-format", "lines", "ERROR", str(path))
    assert code == 2 and "truncated or corrupt compressed file" in err
    result = CliRunner().invoke(main, ["test", "-q", "ERROR"], input=b"ERROR \xe9\nok\n")
    assert result.stdout == "ERROR \ufffd\n"


def test_printed_messages_are_left_as_they_were() -> None:
    coloured = "\x1b[31mERROR\x1b[0m disk full"
    assert run("test", "-q", "ERROR", stdin=f"{coloured}\nINFO ok\n")[1] == f"{coloured}\n"


def test_a_fifo_is_read_once(tmp_path: Path) -> None:
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as stream:
            stream.write(b"ERROR a\nINFO b\n")

    writer = threading.Thread(target=feed)
    writer.start()
    code, out, _ = run("test", "-q", "ERROR", str(fifo))
    writer.join()
    assert (code, out) == (0, "ERROR a\n")

"""The command line: handlers through click's runner, plus one real subprocess."""

import json
import subprocess
import sys

from click.testing import CliRunner

from cwquery.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_valid_patterns_exits_0() -> None:
    code, _, err = run("check", "{ $.a = 1 }", "?ERROR ?WARN", "[a, ..., b]")
    assert code == 0 and "3 patterns valid" in err


def test_check_invalid_pattern_exits_1_with_caret_on_stderr() -> None:
    code, out, err = run("check", "ERROR", "{ $.a == 1 }")
    assert code == 1 and out == ""
    assert err.startswith("syntax: unexpected '='")
    assert "         ^" in err and "hint:" in err


def test_check_json_format() -> None:
    code, out, _ = run("check", "--format", "json", "ERROR", "%a(b)%")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    assert report["patterns"][0] == {"pattern": "ERROR", "valid": True, "canonical": "ERROR"}
    assert report["patterns"][1]["error"]["code"] == "invalid-regex"
    assert report["patterns"][1]["error"]["offset"] == 2


def test_check_without_patterns_is_a_usage_error() -> None:
    assert run("check")[0] == 2


def test_fmt_prints_canonical_form() -> None:
    code, out, _ = run("fmt", "{($.a=1)&&($.b=x)}")
    assert code == 0 and out == '{ $.a = 1 && $.b = "x" }\n'


def test_fmt_invalid_pattern_exits_2() -> None:
    code, out, err = run("fmt", "{ $.a = ")
    assert code == 2 and out == "" and "must end with '}'" in err


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwquery", "fmt", "ERROR  -x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout == "ERROR -x\n"


def test_equal_says_which_pattern_is_invalid() -> None:
    code, out, err = run("equal", "{ $.a = ", "x")
    assert (code, out) == (2, "") and err.startswith("pattern A: syntax: ")
    code, out, err = run("equal", "x", "[a,")
    assert (code, out) == (2, "") and err.startswith("pattern B: syntax: ")
    code, _, err = run("equal", "{ $.a = ", "[a,")
    starts = [line.split(": ")[0] for line in err.splitlines() if line.startswith("pattern ")]
    assert code == 2 and starts == ["pattern A", "pattern B"]
    assert "^" in err and "hint:" in err

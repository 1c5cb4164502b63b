"""The one failure rule of the command line: exit 2 and one line, quiet on a closed pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cwquery.cli import main
from cwquery.cli.common import EXIT_ERROR, EXIT_PIPE


@pytest.fixture
def exploding_command() -> object:
    @click.command("explode")
    def explode() -> None:
        raise RecursionError("maximum recursion depth exceeded")

    main.add_command(explode)
    yield explode
    main.commands.pop("explode")


def test_an_unexpected_exception_is_one_line_and_exit_2(exploding_command: object) -> None:
    result = CliRunner().invoke(main, ["explode"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.splitlines() == [
        "error: internal error (RecursionError): maximum recursion depth exceeded; "
        "run with --debug for the traceback"
    ]


def test_debug_shows_the_traceback(exploding_command: object) -> None:
    result = CliRunner().invoke(main, ["--debug", "explode"])
    assert result.exit_code == EXIT_ERROR
    assert "Traceback (most recent call last)" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["test", "x"],
        ["test", "--jobs", "2", "x", "{file}"],
        ["fmt", "$(yes ERROR | head -100000)"],
    ],
)
def test_a_closed_pipe_ends_every_command_quietly_with_one_status(
    args: list[str], tmp_path: Path
) -> None:
    lines = "".join(f"x {n}\n" for n in range(200_000))
    (tmp_path / "x.log").write_text(lines * 5, encoding="utf-8")  # workers busy when head quits
    command = " ".join(args).replace("{file}", str(tmp_path / "x.log"))
    script = f"{sys.executable} -m cwquery {command} | head -1 >/dev/null; "
    script += 'echo "${PIPESTATUS[0]}"'
    completed = subprocess.run(
        ["bash", "-c", script], input=lines, capture_output=True, text=True, timeout=120
    )
    assert completed.stdout.strip() == str(EXIT_PIPE)
    assert completed.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["test", "--help"]])
def test_a_pipe_closed_before_the_command_line_is_read_is_the_same_status(
    args: list[str],
) -> None:
    """Help and version are printed while click reads the command line, before any command."""
    reader, writer = os.pipe()
    os.close(reader)  # every write fails: the reader has gone
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "cwquery", *args], stdout=writer, stderr=subprocess.PIPE
        )
    finally:
        os.close(writer)
    assert (completed.returncode, completed.stderr) == (EXIT_PIPE, b"")


def test_an_invalid_pattern_exits_2_in_fmt_as_everywhere() -> None:
    for command in (["fmt"], ["test"], ["equal", "a"]):  # check reports it as a finding (1)
        result = CliRunner().invoke(main, [*command, "{ $.a = "], input="x\n")
        assert result.exit_code == EXIT_ERROR, (command, result.output)


def test_each_short_option_means_one_thing_across_commands() -> None:
    meanings: dict[str, set[str]] = {}
    context = click.Context(main)
    for name in main.list_commands(context):  # commands are imported on first use
        command = main.get_command(context, name)
        assert command is not None
        for param in command.params:
            for opt in [*param.opts, *param.secondary_opts]:
                if len(opt) == 2 and opt.startswith("-") and opt not in ("-h",):
                    meanings.setdefault(opt, set()).add(str(param.name).rstrip("s"))
    shared = {opt: names for opt, names in meanings.items() if len(names) > 1}
    assert shared == {}
    assert meanings["-v"] == {"invert"}


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],
        ["no-such-command"],
        ["test"],  # a missing argument
        ["test", "--jobs", "many", "ERROR"],  # a bad option value
        ["check"],  # a UsageError raised by the command itself
        ["filter", "ERROR"],  # a missing required option
        ["backtest", "--period", "x"],
        ["conformance", "--format", "xml"],
        ["equal", "a"],
    ],
)
def test_usage_errors_say_error_as_every_other_error(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == EXIT_ERROR, result.output
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("error: "), lines
    assert lines[0].startswith("Usage: "), lines  # the usage is still shown above
    assert not any(line.startswith("Error") for line in lines), lines


def test_other_click_errors_exit_2_with_the_same_prefix() -> None:
    @click.command("raise-click")
    def raise_click() -> None:
        raise click.ClickException("something went wrong")  # click's default status is 1

    main.add_command(raise_click)
    try:
        result = CliRunner().invoke(main, ["raise-click"])
    finally:
        main.commands.pop("raise-click")
    assert (result.exit_code, result.stderr) == (EXIT_ERROR, "error: something went wrong\n")


def test_no_arguments_still_shows_the_help() -> None:
    result = CliRunner().invoke(main, [])
    assert "Commands:" in result.output and "error:" not in result.output


def test_conformance_and_fmt_errors_use_the_common_prefix(tmp_path: Path) -> None:
    missing = str(tmp_path / "no")
    result = CliRunner().invoke(main, ["conformance", "--cases", missing])
    assert (result.exit_code, result.stderr) == (
        EXIT_ERROR,
        f"error: no such file or folder: {missing}\n",
    )
    longer_once_spaced = "{" + "&&".join(["$.a=1"] * 120) + "}"  # valid, canonical form > 1024
    result = CliRunner().invoke(main, ["fmt", longer_once_spaced])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr.startswith("error: the canonical form would be 1320 characters long")

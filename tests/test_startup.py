"""Startup: ``cwquery --version`` and ``cwquery test`` load only what they use (the speed itself
is measured by ``benchmarks/cli.py``; here, which modules a fresh interpreter imports)."""

import json
import subprocess
import sys
from pathlib import Path

#: Modules that only other commands need: the AWS SDK, the template readers and the linter.
OTHER_COMMANDS = ("boto3", "botocore", "yaml", "hcl2", "cwquery.iac", "cwquery.aws", "moto")

RUN = """
import json, sys
import cwquery.cli
try:
    cwquery.cli.main(sys.argv[1:], prog_name="cwquery")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stderr.strip().splitlines()[-1])  # type: ignore[no-any-return]


def loaded(modules: list[str], prefix: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for name in modules)


def test_version_loads_no_parser_or_evaluator() -> None:
    modules = imported_by("--version")
    for name in (*OTHER_COMMANDS, "lark", "orjson", "cwquery.compiler", "cwquery.parser"):
        assert not loaded(modules, name), name


def test_test_command_loads_neither_scanner_linter_nor_aws(tmp_path: Path) -> None:
    logs = tmp_path / "app.log"
    logs.write_text('ERROR a\n{"a": 1}\n', encoding="utf-8")
    modules = imported_by("test", "-q", "ERROR", str(logs))
    assert loaded(modules, "cwquery.compiler")  # the command really ran
    for name in (*OTHER_COMMANDS, "cwquery.insights", "cwquery.backtest"):
        assert not loaded(modules, name), name


def test_test_command_loads_neither_workers_nor_explain(tmp_path: Path) -> None:
    """(That it loads no ``lark`` once the parser module is built: tests/test_lalr.py.)"""
    logs = tmp_path / "app.log"
    logs.write_text("ERROR a\n", encoding="utf-8")
    modules = imported_by("test", "-q", "{ $.a = 1 }", str(logs))
    assert loaded(modules, "cwquery.parser")
    for name in ("multiprocessing", "cwquery.explanation"):
        assert not loaded(modules, name), name


def test_help_still_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cwquery", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for command in ("check", "fmt", "equal", "test", "emulator", "filter", "ship"):
        assert f"  {command} " in done.stdout


def test_insights_command_loads_no_aws_sdk(tmp_path: Path) -> None:
    logs = tmp_path / "app.log"
    logs.write_text("2024-03-01T10:00:00Z ERROR a\n", encoding="utf-8")
    modules = imported_by("insights", "stats count(*) as n", str(logs))
    assert loaded(modules, "cwquery.insights.engine")  # the command really ran
    for name in (
        "boto3",
        "botocore",
        "yaml",
        "hcl2",
        "cwquery.iac",
        "moto",
        "cwquery.logs.parallel",
    ):
        assert not loaded(modules, name), name


def test_to_insights_loads_neither_the_evaluator_nor_aws() -> None:
    modules = imported_by("to-insights", "ERROR")
    assert loaded(modules, "cwquery.insights.translate")  # the command really ran
    for name in (*OTHER_COMMANDS, "cwquery.compiler", "cwquery.backtest"):
        assert not loaded(modules, name), name

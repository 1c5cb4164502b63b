"""What this machine can run of the suite, said before the run, and the files a run leaves out.

The tests that need the heavy extras (``slow``) or programs pip does not install (``host``) are
listed in ``NEEDS``. Before the run, the header names what is missing and what that costs; a
test that is selected and cannot run still fails the run (tests/conftest.py). A file whose marks
the ``-m`` expression deselects is not even imported, so ``-m "not slow and not host"`` works
without those extras and programs. This file sits at the root so that it also sees the doctest
modules of ``cwquery/``.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent
CORE = 'pytest -m "not slow and not host"'
INSTALL = "sh .ci/host-tools && .venv/bin/pip install -e '.[test-all]'"


@dataclass(frozen=True)
class Needs:
    """The marks of a file and what its tests need that the core loop does not install."""

    marks: tuple[str, ...]
    modules: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        absent = [name for name in self.modules if find_spec(name) is None]
        return absent + [name for name in self.programs if shutil.which(name) is None]


#: Every file whose tests need more than the ``test`` extra (tests/test_suite_setup.py checks
#: that the test files carry these marks and that no other test file imports these modules).
NEEDS = {
    "tests/test_spark.py": Needs(("slow", "host"), ("pyspark", "pyarrow", "pandas"), ("java",)),
    "cwquery/spark.py": Needs(("slow",), ("pyspark", "pyarrow")),
    "tests/test_spark_insights.py": Needs(("slow", "host"), ("pyspark",), ("java",)),
    "cwquery/spark_insights.py": Needs(("slow",), ("pyspark",)),
    "tests/test_cdk.py": Needs(("slow", "host"), ("aws_cdk", "constructs"), ("node", "cdk")),
    "cwquery/cdk.py": Needs(("slow", "host"), ("aws_cdk", "constructs"), ("node",)),
    "tests/test_playground_browser.py": Needs(
        ("host",), ("selenium",), ("chromium", "chromedriver")
    ),
}

#: Set by the clock-ahead run of .ci/run: the run refuses to start unless the clock is past it.
CLOCK_AFTER = "CWQUERY_TEST_CLOCK_AFTER"


def selected(config: pytest.Config, marks: tuple[str, ...]) -> bool:
    """Whether the ``-m`` expression keeps a test that carries exactly ``marks``."""
    expression = config.getoption("markexpr", "")
    if not expression:
        return True
    from _pytest.mark.expression import Expression

    def carries(name: str, /, **_: str | int | bool | None) -> bool:
        return name in marks

    return bool(Expression.compile(expression).evaluate(carries))


def _relative(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return ""


def pytest_configure(config: pytest.Config) -> None:
    after = os.environ.get(CLOCK_AFTER)
    if after and time.time() <= float(after):
        now = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        limit = time.strftime("%Y-%m-%d %H:%M", time.gmtime(float(after)))
        raise pytest.UsageError(
            f"{CLOCK_AFTER} asks for a clock after {limit} UTC, and Python sees {now} UTC: "
            "the clock was not moved (is libfaketime preloaded?)"
        )


_unimportable: list[tuple[str, list[str]]] = []


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    path = _relative(collection_path)
    needs = NEEDS.get(path)
    if needs is None:
        return None
    if not selected(config, needs.marks):
        return True
    absent = [name for name in needs.modules if find_spec(name) is None]
    if path.startswith("cwquery/") and absent:
        _unimportable.append((path, absent))  # its doctests cannot even be collected
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The marks of ``NEEDS`` on the doctests of ``cwquery/`` (test files carry their own)."""
    for item in items:
        path = _relative(item.path)
        if path in NEEDS and path.startswith("cwquery/"):
            for mark in NEEDS[path].marks:
                item.add_marker(mark)


def _blocked(config: pytest.Config) -> list[str]:
    """What the selected tests need and this machine lacks, said before the run."""
    lines = []
    if os.environ.get(CLOCK_AFTER):
        lines.append(f"clock moved ahead: today is {time.strftime('%Y-%m-%d', time.gmtime())}")
    blocked = {
        path: needs.missing()
        for path, needs in NEEDS.items()
        if selected(config, needs.marks) and needs.missing()
    }
    if not blocked:
        return lines
    lines.append("these selected tests cannot run here, and each fails the run:")
    for path, absent in blocked.items():
        lines.append(f"  {path} ({', '.join(NEEDS[path].marks)}): missing {', '.join(absent)}")
    lines.append(f"install what is missing with: {INSTALL}")
    lines.append(f"or leave them out with: {CORE}")
    return lines


def pytest_report_header(config: pytest.Config) -> list[str]:
    return _blocked(config)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``-q`` pytest prints no header: say the same, before the run, all the same."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and session.config.get_verbosity() < 0:
        for line in _blocked(session.config):
            reporter.write_line(line, yellow=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unimportable and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _unimportable:
        terminalreporter.section("doctest modules that could not be imported", red=True)
        for path, absent in _unimportable:
            terminalreporter.line(f"{path}: missing {', '.join(absent)}")

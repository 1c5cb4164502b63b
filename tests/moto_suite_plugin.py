"""A pytest plugin for running moto's own CloudWatch Logs tests in a subprocess.

tests/test_emulator_moto_suite.py loads it with ``-p moto_suite_plugin``. With
``CWQUERY_MOTO_SUITE_EMULATOR=1`` it installs cwquery's emulator before the first test and makes
any test that starts without it an error; ``CWQUERY_MOTO_SUITE_REPORT=<path>`` receives the
outcome of every test as JSON (``{node id: "passed" | "failed" | "skipped" | ...}``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

EMULATOR_ENV = "CWQUERY_MOTO_SUITE_EMULATOR"
REPORT_ENV = "CWQUERY_MOTO_SUITE_REPORT"
#: Worst first: a test's outcome is the worst of its setup, call and teardown.
OUTCOMES = ("collection-error", "failed", "xpassed", "xfailed", "skipped", "passed")

_outcomes: dict[str, str] = {}


def _emulated() -> bool:
    return os.environ.get(EMULATOR_ENV) == "1"


def _note(node: str, outcome: str) -> None:
    known = _outcomes.get(node)
    if known is None or OUTCOMES.index(outcome) < OUTCOMES.index(known):
        _outcomes[node] = outcome


def pytest_configure(config: pytest.Config) -> None:
    if _emulated():
        from cwquery.emulator import install

        install()


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _emulated():
        from cwquery.emulator import is_installed

        if not is_installed():
            raise RuntimeError("cwquery's emulator is not installed for this test")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _note(report.nodeid or "<collection>", "collection-error")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    expected_failure = hasattr(report, "wasxfail")
    if report.failed:
        _note(report.nodeid, "failed")
    elif report.skipped:
        _note(report.nodeid, "xfailed" if expected_failure else "skipped")
    elif report.when == "call":
        _note(report.nodeid, "xpassed" if expected_failure else "passed")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get(REPORT_ENV)
    if target:
        Path(target).write_text(json.dumps(_outcomes, indent=1, sort_keys=True), encoding="utf-8")

import fnmatch
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 CloudWatch Logs client inside plain moto, with throwaway credentials."""
    import boto3
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


# Skipped tests fail the run unless tests/allowed_skips.txt lists them with a reason.
ALLOWED_SKIPS = Path(__file__).parent / "allowed_skips.txt"
_unexpected_skips: list[tuple[str, str]] = []


def allowed_skips(text: str) -> list[tuple[str, str]]:
    """``(node id pattern, reason)`` for each entry of an allowed-skips file.

    >>> allowed_skips("# comment\\ntests/test_a.py::* | needs Windows\\n")
    [('tests/test_a.py::*', 'needs Windows')]
    """
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        node, _, reason = line.partition(" | ")
        if not node.strip() or not reason.strip():
            raise ValueError(f"allowed_skips.txt line {number}: write 'node id | reason'")
        entries.append((node.strip(), reason.strip()))
    return entries


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2])
    return str(longrepr)


def _note_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    patterns = [node for node, _ in allowed_skips(ALLOWED_SKIPS.read_text(encoding="utf-8"))]
    if not any(fnmatch.fnmatchcase(report.nodeid, node) for node in patterns):
        _unexpected_skips.append((report.nodeid, _skip_reason(report)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected_skips and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _unexpected_skips:
        terminalreporter.section("skipped tests not in tests/allowed_skips.txt", red=True)
        for node, reason in _unexpected_skips:
            terminalreporter.line(f"{node}: {reason}")

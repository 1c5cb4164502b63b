"""The pytest plugin: ``cwlogs``/``cwmetrics`` fixtures and ``assert_matches``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from emulator_support import GROUP, now_ms, populate, walkthrough_messages

from cwquery.emulator import is_installed
from cwquery.pytest_plugin import (  # noqa: F401  (fixtures are found by name in this module)
    _assert_matches_fixture,
    assert_matches,
    assert_no_match,
    cwlogs,
    cwlogs_region,
    cwmetrics,
)


def test_cwlogs_is_exact(cwlogs: Any) -> None:  # noqa: F811
    assert is_installed()
    populate(cwlogs, walkthrough_messages(), streams=3)
    page = cwlogs.filter_log_events(logGroupName=GROUP, filterPattern="{ $.iEven IS NULL }")
    assert [e["message"] for e in page["events"]] == [walkthrough_messages()[19]]


def test_cwmetrics_sees_metric_filters(cwlogs: Any, cwmetrics: Any) -> None:  # noqa: F811
    cwlogs.create_log_group(logGroupName=GROUP)
    cwlogs.put_metric_filter(
        logGroupName=GROUP,
        filterName="errors",
        filterPattern="ERROR",
        metricTransformations=[
            {"metricName": "Errors", "metricNamespace": "P", "metricValue": "1"}
        ],
    )
    cwlogs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    cwlogs.put_log_events(
        logGroupName=GROUP,
        logStreamName="s",
        logEvents=[{"timestamp": now_ms(), "message": m} for m in ("ERROR a", "INFO b", "ERROR c")],
    )
    now = datetime.now(timezone.utc)
    points = cwmetrics.get_metric_statistics(
        Namespace="P",
        MetricName="Errors",
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(p["Sum"] for p in points) == 2


def test_fixtures_end_with_the_test() -> None:
    assert not is_installed()


def test_assert_matches_passes_and_fails_with_the_reading(
    assert_matches: Callable[[str, str], None],
) -> None:
    assert_matches("{ $.i > 90 }", '{"i": 95}')
    assert_no_match("{ $.i > 90 }", '{"i": 5}')
    with pytest.raises(AssertionError) as caught:
        assert_matches("{ $.i > 90 }", '{"i": 5}')
    text = str(caught.value)
    assert "'{ $.i > 90 }' does not match message '{\"i\": 5}'" in text
    with pytest.raises(AssertionError, match="matches message"):
        assert_no_match("ERROR", "ERROR x")


def test_assert_matches_shows_the_real_explanation() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_matches("{ $.i > 90 }", '{"i": 5}')
    assert str(caught.value).splitlines() == [
        "pattern '{ $.i > 90 }' does not match message '{\"i\": 5}'",
        "no match: { $.i > 90 }",
        "  $.i > 90: 5 → false",
    ]
    with pytest.raises(AssertionError) as caught:
        assert_no_match("ERROR -timeout", "ERROR timed out")
    assert str(caught.value).splitlines() == [
        "pattern 'ERROR -timeout' matches message 'ERROR timed out'",
        "match: ERROR -timeout",
        "  ERROR: found → true",
        "  -timeout: not found → true",
    ]


def test_the_entry_point_gives_a_fresh_project_the_fixtures(tmp_path: Path) -> None:
    """A test file outside this repository, with no conftest and no imports: the fixtures come
    from the ``pytest11`` entry point, and a failure shows the real explanation."""
    (tmp_path / "test_outside.py").write_text(
        "def test_slow(assert_matches, cwlogs):\n"
        "    assert cwlogs.describe_log_groups()['logGroups'] == []\n"
        "    assert_matches('{ $.latency > 1000 }', '{\"latency\": 20}')\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_outside.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed" in done.stdout
    assert "$.latency > 1000: 20 → false" in done.stdout

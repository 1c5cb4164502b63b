"""The pytest plugin: ``cwlogs``/``cwmetrics`` fixtures and ``assert_matches``."""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from emulator_support import GROUP, now_ms, populate, walkthrough_messages

import cwquery
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


def test_assert_matches_shows_the_explanation(monkeypatch: pytest.MonkeyPatch) -> None:
    class Explanation:
        def __str__(self) -> str:
            return "$.i is 5, which is not > 90"

    monkeypatch.setattr(cwquery, "explain", lambda pattern, message: Explanation(), raising=False)
    with pytest.raises(AssertionError, match="which is not > 90"):
        assert_matches("{ $.i > 90 }", '{"i": 5}')
    module = types.ModuleType("cwquery.explanation")
    module.explain = lambda pattern, message: "from the module"  # type: ignore[attr-defined]
    monkeypatch.setattr(cwquery, "explain", module, raising=False)
    with pytest.raises(AssertionError, match="from the module"):
        assert_matches("ERROR", "INFO")

    def broken(pattern: str, message: str) -> str:
        raise RuntimeError("no")

    monkeypatch.setattr(cwquery, "explain", broken, raising=False)
    with pytest.raises(AssertionError, match=r"reads as: ERROR"):
        assert_matches("ERROR", "INFO")

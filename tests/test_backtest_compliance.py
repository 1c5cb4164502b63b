"""The backtest compliance cases (tests/compliance/backtest/*.json) through the local engine:
the worked examples of metric-alarm-semantics.md (alarms.json), the service's reason texts
(reasons.json) and the statistics (statistics.json): datapoints, counts, alarm transitions and
their reasons."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cwquery.backtest.alarms import INSUFFICIENT_DATA, Alarm, EvaluationOptions
from cwquery.backtest.engine import (
    Collected,
    Event,
    PublishOptions,
    Row,
    alarm_history,
    collect,
    datapoints,
)
from cwquery.metrics import MetricFilter, MetricTransformation

FOLDER = Path(__file__).parent / "compliance" / "backtest"
DOCUMENTS = {
    path.name: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted(FOLDER.glob("*.json"))
    if path.name != "schema.json"
}
DOCUMENT = DOCUMENTS["alarms.json"]
SOURCES = (FOLDER.parent.parent.parent / "docs" / "sources.md").read_text(encoding="utf-8")
SEMANTICS = (FOLDER.parent.parent.parent / "docs" / "semantics.md").read_text(encoding="utf-8")
SCHEMA = json.loads((FOLDER / "schema.json").read_text(encoding="utf-8"))
BASE = 1_714_521_600_000  # 2024-05-01T00:00:00Z
_TIME = re.compile(r"(?:day(\d+) )?(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?")


def base_of(case: dict[str, Any]) -> int:
    """The case's base day (epoch ms): its ``day``, else 2024-05-01."""
    if "day" not in case:
        return BASE
    day = date.fromisoformat(case["day"])
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()) * 1000


def at(text: str, base: int = BASE) -> int:
    match = _TIME.fullmatch(text)
    assert match, text
    day, hour, minute, second, fraction = match.groups()
    seconds = (int(day or 1) - 1) * 86400 + int(hour) * 3600 + int(minute) * 60 + int(second or 0)
    return base + seconds * 1000 + int((fraction or "0").ljust(3, "0"))


def clock(millis: int, base: int = BASE) -> str:
    offset = millis - base
    day, rest = divmod(offset, 86_400_000)
    seconds = rest // 1000
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    if seconds % 60:
        text += f":{seconds % 60:02d}"
    return f"day{day + 1} {text}" if day else text


def events(listed: list[dict[str, Any]], base: int = BASE) -> list[Event]:
    found: list[Event] = []
    for item in listed:
        ingestion = at(item["ingestion"], base) if "ingestion" in item else None
        for i in range(item.get("repeat", 1)):
            time = at(item["time"], base) + round(i * item.get("every", 0) * 1000)
            message = (
                item["message"].replace("{i}", str(i + 1)) if "repeat" in item else item["message"]
            )
            found.append((message, time, ingestion))
    return sorted(found, key=lambda event: event[1] or 0)


def metric_filter(spec: dict[str, Any]) -> MetricFilter:
    transformation = MetricTransformation(
        spec.get("metricName", "M"),
        spec.get("metricNamespace", "N"),
        spec["metricValue"],
        spec.get("defaultValue"),
        spec.get("dimensions", {}),
        spec.get("unit"),
    )
    return MetricFilter(spec["pattern"], transformation)


def publish_options(spec: dict[str, Any]) -> PublishOptions:
    return PublishOptions(
        default_value_mode=spec.get("defaultValueMode", "per-event"),
        enforce_cardinality_limit=spec.get("enforceCardinalityLimit", False),
        created=at(spec["created"]) if "created" in spec else None,
    )


def run(case: dict[str, Any], variant: dict[str, Any], *, aware: bool = False) -> Collected:
    filters = [metric_filter(spec) for spec in case["filters"]]
    listed = events(case["events"] + variant.get("extraEvents", []), base_of(case))
    options = publish_options({**case.get("options", {}), **variant.get("options", {})})
    if aware:  # record when each sample becomes visible (E8, no lag)
        options = PublishOptions(
            options.default_value_mode, created=options.created, ingestion_lag_ms=0
        )
    return collect(listed, filters, options)


def check_expectations(case: dict[str, Any], expected: dict[str, Any], found: Collected) -> None:
    if "datapoints" in expected:
        rows = datapoints(found, case.get("period", 60), case.get("statistics", ()))
        assert len(rows) == len(expected["datapoints"]), [r.start for r in rows]
        for row, want in zip(rows, expected["datapoints"], strict=True):
            check_row(row, want, base_of(case))
    if "metricCount" in expected:
        assert len(found.series) == expected["metricCount"]
    names = {
        "matched": found.matched,
        "noValue": found.no_value,
        "noDimension": found.no_dimension,
        "rejected": found.rejected,
        "beforeCreation": found.before_creation,
        "warnings": len(found.warnings),
    }
    for name, count in expected.get("counts", {}).items():
        assert names[name] == count, name


def check_row(row: Row, want: dict[str, Any], base: int = BASE) -> None:
    assert clock(row.start, base) == want["start"]
    assert row.key.name == want.get("metricName", row.key.name)
    assert dict(row.key.dimensions) == want.get("dimensions", {})
    assert row.key.unit == want.get("unit", "None")
    for name, value in want.items():
        if name not in ("start", "metricName", "dimensions", "unit"):
            assert (
                row.stats.get(name) == pytest.approx(value)
                if value is not None
                else (row.stats.get(name) is None)
            ), name


CASES = [case for document in DOCUMENTS.values() for case in document["cases"]]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_file_follows_its_schema(name: str) -> None:
    jsonschema.validate(DOCUMENTS[name], SCHEMA)


def test_case_ids_are_unique_and_sources_are_listed() -> None:
    assert len({case["id"] for case in CASES}) == len(CASES)
    for case in CASES:
        source = case.get("source")
        if source is None:
            continue
        if case["evidence"] == "decision":
            assert re.fullmatch(r"E\d+", source) and f"| {source} |" in SEMANTICS, case["id"]
        else:
            assert f"| **{source}** |" in SOURCES, f"{source} is not listed in docs/sources.md"


def test_every_worked_example_is_a_case() -> None:
    covered: set[int] = set()
    for case in DOCUMENT["cases"]:
        numbers = [int(n) for n in re.findall(r"X(\d+)", case["id"])]
        covered.update(range(numbers[0], numbers[-1] + 1))
    assert covered == set(range(1, 35))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    check_expectations(case, case, run(case, {}))
    for variant in case.get("variants", []):
        check_expectations(case, variant, run(case, variant))
    collected = run(case, {})
    for number, spec in enumerate(case.get("runs", [])):
        properties = {
            "AlarmName": f"{case['id']} run {number}",
            "MetricName": case["filters"][0].get("metricName", "M"),
            "Namespace": case["filters"][0].get("metricNamespace", "N"),
            **case["alarm"],
            **spec["alarm"],
        }
        alarm = Alarm.from_api(properties)
        evaluation = spec["evaluation"]
        base = base_of(case)
        initial = evaluation.get("initialState", INSUFFICIENT_DATA)
        options = EvaluationOptions(
            offset_s=evaluation.get("offset", 0),
            initial_state=initial,
            ingestion_aware=evaluation.get("ingestionAware", False),
        )
        if options.ingestion_aware:
            collected = run(case, {}, aware=True)
        history = alarm_history(
            collected, alarm, at(evaluation["start"], base), at(evaluation["end"], base), options
        )
        found = [[clock(t.time, base), t.new] for t in history]
        if "transitions" in spec:
            assert found == spec["transitions"], properties
        if "reasons" in spec:
            assert [t.reason for t in history] == spec["reasons"], properties
        if "state" in spec:
            assert (history[-1].new if history else initial) == spec["state"], properties

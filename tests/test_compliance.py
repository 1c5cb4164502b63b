"""The language-independent compliance suite (tests/compliance/*.json), run against cwquery.

Each case is checked for: the error code (and offset and service text, when given), the
canonical rendering, the indices of the messages it matches, TestMetricFilter's extracted
values, and metric filter datapoints. ``CWQUERY_COMPLIANCE=terms.json`` runs one file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import cwquery
from cwquery.metrics import MetricFilter, MetricTransformation

SUITE = Path(__file__).parent / "compliance"
SCHEMA = json.loads((SUITE / "schema.json").read_text(encoding="utf-8"))


def suite_files() -> list[Path]:
    only = os.environ.get("CWQUERY_COMPLIANCE")
    files = sorted(p for p in SUITE.glob("*.json") if p.name != "schema.json")
    return [p for p in files if only is None or p.name == only]


def _cases() -> Iterator[Any]:
    for path in suite_files():
        document = json.loads(path.read_text(encoding="utf-8"))
        for g, group in enumerate(document["groups"]):
            for c, case in enumerate(group["cases"]):
                label = case.get("comment") or case["pattern"]
                yield pytest.param(
                    group["messages"], case, id=f"{path.stem}[{g}.{c}] {label}"[:120]
                )


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: p.name)
def test_file_follows_the_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)


def test_every_worked_example_of_the_spec_is_in_the_suite() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in SUITE.glob("*.json"))
    missing = [n for n in range(1, 74) if f"#{n}" not in text.replace("#" + str(n) + "0", "")]
    assert not missing, f"spec §9 examples without a compliance case: {missing}"


@pytest.mark.parametrize(("messages", "case"), list(_cases()))
def test_case(messages: list[str], case: dict[str, Any]) -> None:
    pattern = case["pattern"]
    if "error" in case:
        with pytest.raises(cwquery.PatternError) as info:
            cwquery.parse(pattern)
        err = info.value
        assert err.code == case["error"], str(err)
        if "offset" in case:
            assert err.offset == case["offset"], str(err)
        if "serviceMessage" in case:
            assert err.service_message == case["serviceMessage"]
        return
    tree = cwquery.parse(pattern)
    assert cwquery.render(tree) == case.get("canonical", pattern)
    matcher = cwquery.compile(tree)
    assert [i for i, m in enumerate(messages) if matcher.matches(m)] == case["matches"]
    response = matcher.test(messages)
    assert [r["eventNumber"] - 1 for r in response["matches"]] == case["matches"]
    for index, values in case.get("extractedValues", {}).items():
        assert matcher.extract(messages[int(index)]) == values
    if "metric" in case:
        check_metric(pattern, messages, case["metric"])


def check_metric(pattern: str, messages: list[str], metric: dict[str, Any]) -> None:
    transformation = MetricTransformation(
        "Metric", "Compliance", metric["metricValue"], dimensions=metric.get("dimensions", {})
    )
    metric_filter = MetricFilter(pattern, transformation)
    for index, expected in metric["expected"].items():
        point = metric_filter.datapoint(messages[int(index)])
        if expected["value"] is None:
            assert point is None
            continue
        assert point is not None
        assert point.value == expected["value"]
        assert point.dimensions == expected.get("dimensions", {})

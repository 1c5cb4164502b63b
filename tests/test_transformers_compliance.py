"""The transformer compliance cases (tests/compliance/transformers) through
cwquery.transformers and the filter-pattern evaluator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cwquery import matches
from cwquery.transformers import Transformer, TransformerError, seen_by_filter, test_transformer

SUITE = Path(__file__).parent / "compliance" / "transformers"


def _cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((SUITE / name).read_text(encoding="utf-8"))["cases"]
    return cases


@pytest.mark.parametrize("case", _cases("examples.json"), ids=lambda case: case["comment"])
def test_worked_example(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(TransformerError) as caught:
            test_transformer(case["config"], ["x"])
        assert caught.value.code == case["error"]["code"]
        assert caught.value.processor == case["error"]["processor"]
        assert caught.value.service_exception == "InvalidParameterException"
        return
    response = test_transformer(case["config"], case["messages"])
    logs = response["transformedLogs"]
    assert [log["eventNumber"] for log in logs] == list(range(1, len(case["messages"]) + 1))
    assert [log["eventMessage"] for log in logs] == case["messages"]
    for log, expected in zip(logs, case["expected"], strict=True):
        if "json" in expected:
            assert json.loads(log["transformedEventMessage"]) == expected["json"]
        else:
            assert log["transformedEventMessage"] == expected["text"]


@pytest.mark.parametrize("case", _cases("filters.json"), ids=lambda case: case["comment"])
def test_filter_on_transformed_logs(case: dict[str, Any]) -> None:
    transformer = Transformer(case["config"])
    seen = seen_by_filter(
        transformer, case["message"], apply_on_transformed_logs=case["applyOnTransformedLogs"]
    )
    if "seen" in case and case["seen"].startswith("{"):
        assert json.loads(seen) == json.loads(case["seen"])
    elif "seen" in case:
        assert seen == case["seen"]
    assert matches(case["pattern"], seen) is case["matches"]


def test_every_transformer_example_has_a_case() -> None:
    text = "".join(path.read_text(encoding="utf-8") for path in SUITE.glob("*.json"))
    missing = [n for n in [*range(1, 31), 34, 42] if f'"#{n} ' not in text]
    assert missing == []


def test_files_follow_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SUITE / "schema.json").read_text(encoding="utf-8"))
    for path in SUITE.glob("*.json"):
        if path.name != "schema.json":
            jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)

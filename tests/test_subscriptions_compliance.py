"""The subscription compliance cases (tests/compliance/subscriptions/*.json) run against
cwquery.subscriptions and cwquery.selection: every worked example #31-#42 of
transformers-and-subscriptions-spec.md §5, the §3 envelope and wire rules, the §4 language."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cwquery import subscriptions
from cwquery.plan import plan_for
from cwquery.selection import SelectionError, criteria_overlap, parse_criteria

SUITE = Path(__file__).parent / "compliance" / "subscriptions"
SCHEMA = json.loads((SUITE / "schema.json").read_text(encoding="utf-8"))
FILES = sorted(p for p in SUITE.glob("*.json") if p.name != "schema.json")


def _load() -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for path in FILES:
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


CASES = _load()


def _params(section: str) -> list[Any]:
    return [pytest.param(case, id=case["comment"][:90]) for case in CASES[section]]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_follows_the_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)


def test_every_worked_example_of_sections_3_to_5_is_a_case() -> None:
    comments = [case["comment"] for section in CASES.values() for case in section]
    cited = {int(n) for text in comments for n in re.findall(r"#([0-9]+)(?![0-9])", text)}
    assert set(range(31, 43)) - cited == set()


def assert_envelope(actual: dict[str, Any] | None, expected: dict[str, Any] | None) -> None:
    """Equal, with each ``"<id>"`` standing for a T23 id of its event's timestamp."""
    if expected is None:
        assert actual is None
        return
    assert actual is not None
    ids = [event["id"] for event in actual["logEvents"]]
    assert len(set(ids)) == len(ids)
    for got, want in zip(actual["logEvents"], expected["logEvents"], strict=True):
        if want["id"] == "<id>":
            assert re.fullmatch(r"[0-9]{56}", got["id"]), got["id"]
            assert int(got["id"]) >> 144 == got["timestamp"]
    masked = json.loads(json.dumps(actual))
    for event, want in zip(masked["logEvents"], expected["logEvents"], strict=True):
        if want["id"] == "<id>":
            event["id"] = "<id>"
    assert masked == expected
    assert list(masked) == list(expected)  # the observed member order (O1)


@pytest.mark.parametrize("case", _params("payloads"))
def test_payload(case: dict[str, Any]) -> None:
    options = {
        "log_group": case["logGroup"],
        "log_stream": case["logStream"],
        "owner": case.get("owner", "123456789012"),
        "filter_name": case.get("filterName", "f"),
        "region": case.get("region", "us-east-1"),
        "field_selection_criteria": case.get("fieldSelectionCriteria"),
        "emit_system_fields": case.get("emitSystemFields", ()),
        "policy_level": case.get("policyLevel"),
        "apply_on_transformed_logs": case.get("applyOnTransformedLogs", False),
    }
    envelope = subscriptions.payload(case["pattern"], case["events"], **options)
    assert_envelope(envelope, case["envelope"])
    if envelope is None:
        return
    wire = subscriptions.encode(envelope, case["destination"])
    if case["destination"] == "lambda":
        assert isinstance(wire, dict) and list(wire) == ["awslogs"]
        assert list(wire["awslogs"]) == ["data"]
        raw = base64.b64decode(wire["awslogs"]["data"], validate=True)
    else:
        assert isinstance(wire, bytes)
        raw = wire
    assert raw[:2] == b"\x1f\x8b"  # gzip, not base64 text (I1)
    assert subscriptions.decode(wire) == envelope


@pytest.mark.parametrize("case", _params("controlMessages"))
def test_control_message(case: dict[str, Any]) -> None:
    envelope = subscriptions.control_message(case["destination"], case["timestamp"])
    assert envelope == case["envelope"]
    assert list(envelope) == list(case["envelope"])
    assert subscriptions.decode(subscriptions.encode(envelope, case["destination"])) == envelope


@pytest.mark.parametrize("case", _params("concatenated"))
def test_gzip_members_back_to_back(case: dict[str, Any]) -> None:
    envelopes = [
        subscriptions.payload(
            "", [{"timestamp": n, "message": f"batch {n}"}], log_group="/g", log_stream="s"
        )
        for n in range(case["members"])
    ]
    records = [subscriptions.encode(e, "firehose") for e in envelopes if e is not None]
    s3_object = b"".join(r for r in records if isinstance(r, bytes))
    assert subscriptions.decode_all(s3_object) == envelopes


@pytest.mark.parametrize("case", _params("selection"))
def test_selection_criteria(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(SelectionError) as caught:
            parse_criteria(case["criteria"], case["place"])
        assert (caught.value.code, caught.value.offset) == (case["error"], case["offset"])
        assert caught.value.service_exception == "InvalidParameterException"
        return
    criteria = parse_criteria(case["criteria"], case["place"])
    for group, selected in case.get("groups", {}).items():
        assert criteria.selects(group) is selected, group
    for fields, expected in case.get("fields", []):
        assert criteria.matches(fields) is expected, fields


@pytest.mark.parametrize("case", _params("overlaps"))
def test_overlap(case: dict[str, Any]) -> None:
    first = parse_criteria(case["first"], case["place"])
    second = parse_criteria(case["second"], case["place"])
    assert criteria_overlap(first, second) is case["overlap"]
    assert criteria_overlap(second, first) is case["overlap"]


@pytest.mark.parametrize("case", _params("metricFilters"))
def test_metric_filter_inputs(case: dict[str, Any]) -> None:
    plan = plan_for(case["pattern"])
    if "counts" in case:
        for flag, key in ((True, "applyOnTransformedLogs"), (False, "original")):
            text = subscriptions.filter_text(case["message"], case["transformed"], flag)
            assert int(plan.verdict(text) is True) == case["counts"][key]
    if "emitSystemFieldDimensions" in case:
        dimensions = subscriptions.metric_dimensions(
            case.get("fieldSelectionCriteria"),
            case["emitSystemFieldDimensions"],
            owner=case["owner"],
            region=case["region"],
        )
        assert dimensions == case["dimensions"]


def test_transformer_outputs_the_cases_assume() -> None:
    """The transformed texts the cases give are the transformer engine's output (T1 compares
    parsed JSON, T2)."""
    from cwquery import transformers

    given = [c for s in ("payloads", "metricFilters") for c in CASES[s] if "transformer" in c]
    assert given
    for case in given:
        messages = [e for e in case.get("events", [case])]
        for event in messages:
            result = transformers.test_transformer(case["transformer"], [event["message"]])
            produced = result["transformedLogs"][0]["transformedEventMessage"]
            assert json.loads(produced) == json.loads(event["transformed"])

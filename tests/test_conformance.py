"""``cwquery conformance`` against the real ``cwquery emulator`` server over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cwquery.cli import main
from cwquery.emulator import EmulatorServer

SUITE = Path(__file__).parent / "compliance"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with EmulatorServer(port=0) as running:
        yield running.endpoint_url


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["conformance", *args], env=CREDENTIALS)
    return result.exit_code, result.stdout, result.stderr


def test_the_emulator_agrees_with_every_compliance_case(endpoint: str) -> None:
    code, out, err = run(
        "--endpoint-url", endpoint, "--cases", str(SUITE), "--filter-log-events", "all"
    )
    assert code == 0, out + err
    assert out.strip().endswith(" disagreements") and ", 0 disagreements" in out


def _write_suite(path: Path, cases: list[dict[str, Any]], messages: list[str]) -> Path:
    document = {
        "description": "x",
        "groups": [{"comment": "x", "messages": messages, "cases": cases}],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_wrong_expectation_is_reported_as_text_and_json(endpoint: str, tmp_path: Path) -> None:
    wrong: list[dict[str, Any]] = [
        {"pattern": "ERROR", "matches": [1], "evidence": "decision", "source": "D26"},
        {"pattern": "ERROR", "matches": [0], "evidence": "decision", "source": "D26"},
        {"pattern": "{ $.a = 1 }", "error": "syntax", "evidence": "decision", "source": "D1"},
        {
            "pattern": "%a(b%",
            "error": "invalid-regex",
            "serviceMessage": "Invalid character(s) in term '%a(b%'",
            "evidence": "decision",
            "source": "D17",
        },
        {"pattern": "", "matches": [0], "evidence": "decision", "source": "D2"},
    ]
    suite = _write_suite(tmp_path / "wrong.json", wrong, ["ERROR one", "INFO two"])
    code, out, _ = run("--endpoint-url", endpoint, "--cases", str(suite))
    assert code == 1
    assert "wrong[0.0] (TestMetricFilter)" in out and 'expected: {"matches": [1]}' in out
    assert 'got:      {"matches": [0]}' in out
    assert "wrong[0.1]" not in out
    assert "wrong[0.2] (TestMetricFilter)" in out and '"accepted"' in out
    assert '"error": "Invalid character(s) in term \'(\'"' in out
    assert "wrong[0.4] (FilterLogEvents)" in out and 'got:      {"matches": [0, 1]}' in out
    assert "wrong[0.4] (TestMetricFilter)" in out
    assert out.strip().endswith("5 cases replayed, 5 disagreements")
    code, out, _ = run("--endpoint-url", endpoint, "--cases", str(suite), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["cases"] == 5
    first = report["disagreements"][0]
    assert first["pattern"] == "ERROR" and first["messages"] == ["ERROR one", "INFO two"]
    assert first["expected"] == {"matches": [1]} and first["got"] == {"matches": [0]}


def test_more_than_fifty_messages_are_sent_in_batches(endpoint: str, tmp_path: Path) -> None:
    messages = [f"line {i} {'ERROR' if i % 7 == 0 else 'ok'}" for i in range(120)]
    expected = [i for i in range(120) if i % 7 == 0]
    case = {"pattern": "ERROR", "matches": expected, "evidence": "decision", "source": "D26"}
    suite = _write_suite(tmp_path / "many.json", [case], messages)
    assert run("--endpoint-url", endpoint, "--cases", str(suite))[0] == 0


def test_unreadable_cases_are_an_error(tmp_path: Path) -> None:
    code, _, err = run("--endpoint-url", "http://127.0.0.1:9", "--cases", str(tmp_path / "no"))
    assert code == 2 and "no such file or folder" in err

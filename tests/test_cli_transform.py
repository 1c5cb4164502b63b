"""``cwquery transform``, and ``--transformer`` on ``cwquery test`` and ``cwquery backtest``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cwquery.cli import main

VPC = "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 51000 6 1 40 1700000000 1700000060 {} OK"


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def config(tmp_path: Path, processors: object) -> str:
    path = tmp_path / "transformer.json"
    path.write_text(json.dumps(processors))
    return str(path)


def test_transform_prints_one_event_per_line(tmp_path: Path) -> None:
    conf = config(tmp_path, [{"grok": {"match": "%{WORD:verb} %{INT:code}"}}])
    code, out, _ = run("transform", "--config", conf, stdin="PUT 201\nnot a match\n")
    assert code == 0
    assert out.splitlines() == ['{"verb":"PUT","code":"201"}', "not a match"]


def test_transform_reads_an_export_and_get_transformer_output(tmp_path: Path) -> None:
    conf = tmp_path / "t.json"
    conf.write_text(json.dumps({"transformerConfig": [{"parseJSON": {}}]}))
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"events": [{"message": '{"a":\n1}', "timestamp": 1}]}))
    code, out, _ = run("transform", "--config", str(conf), "--json", str(export))
    assert code == 0
    assert json.loads(out) == {
        "transformedLogs": [
            {"eventNumber": 1, "eventMessage": '{"a":\n1}', "transformedEventMessage": '{"a":1}'}
        ]
    }


def test_transform_exit_1_when_nothing_was_transformed(tmp_path: Path) -> None:
    code, out, _ = run("transform", "--config", config(tmp_path, [{"parseJSON": {}}]), stdin="x\n")
    assert (code, out) == (1, "x\n")


def test_an_invalid_configuration_is_exit_2_with_the_processor(tmp_path: Path) -> None:
    conf = config(tmp_path, [{"parseJSON": {}}, {"parseVPC": {}}])
    code, _, err = run("transform", "--config", conf, stdin="x\n")
    assert code == 2
    assert "order: processor 1: parseVPC must be the first processor" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, _, err = run("test", "--transformer", str(bad), "x", stdin="x\n")
    assert code == 2 and "not a JSON transformer configuration" in err


def test_test_matches_the_transformed_event(tmp_path: Path) -> None:
    """Worked example #34: the filter matches the parsed VPC line, not the original."""
    conf = config(tmp_path, [{"parseVPC": {}}])
    lines = VPC.format("REJECT") + "\n" + VPC.format("ACCEPT") + "\n"
    pattern = '{ $.action = "REJECT" }'
    code, out, _ = run("test", "-q", "--transformer", conf, pattern, stdin=lines)
    assert code == 0
    assert json.loads(out)["action"] == "REJECT"
    assert len(out.splitlines()) == 1
    code, _, _ = run("test", "-q", pattern, stdin=lines)
    assert code == 1


def test_test_with_a_transformer_reads_files_message_by_message(tmp_path: Path) -> None:
    conf = config(
        tmp_path, [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "team", "value": "pay"}]}}]
    )
    log = tmp_path / "app.log"
    log.write_text('{"a":1}\nplain ERROR\n')
    code, out, err = run("test", "--transformer", conf, "--count", '{ $.team = "pay" }', str(log))
    assert (code, out) == (0, "2\n")
    assert "2 of 2 messages matched" in err


def test_backtest_counts_transformed_events(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        "2024-05-01T12:00:05Z level=ERROR\n2024-05-01T12:00:50Z level=INFO\n"
        "2024-05-01T12:03:10Z level=ERROR\n"
    )
    conf = config(
        tmp_path,
        [{"grok": {"match": "%{TIMESTAMP_ISO8601:t} level=%{WORD:level}"}}],
    )
    pattern = '{ $.level = "ERROR" }'
    code, out, err = run(
        "backtest", "-p", pattern, "--transformer", conf, "--format", "csv", str(log)
    )
    assert code == 0, err
    assert "2 of 3 events matched" in err
    assert len(out.splitlines()) == 3  # a header and two minutes
    code, _, _ = run("backtest", "-p", pattern, str(log))
    assert code == 1


def test_a_configuration_nested_past_the_stack_is_an_error_not_a_crash(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run("transform", "--config", str(deep), stdin="x\n")
    assert code == 2 and "nested too deeply" in err and "internal" not in err

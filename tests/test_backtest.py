"""cwquery backtest: inputs with times, IaC discovery, the CLI's outputs, and the alarm state
machine's rules one by one."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cwquery.backtest.alarms import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    Alarm,
    AlarmError,
    decide,
    replay,
)
from cwquery.backtest.chart import sliding_points
from cwquery.backtest.inputs import InputError, open_source
from cwquery.backtest.series import MinuteSeries
from cwquery.cli import main
from cwquery.iac.alarms import scan_paths

LINES = [
    "2024-05-01T12:00:05Z ERROR a",
    "2024-05-01T12:00:50Z INFO b",
    "2024-05-01T12:03:10Z ERROR c",
    "2024-05-01T12:03:40Z ERROR d",
]
T0 = 1_714_564_800_000  # 2024-05-01T12:00:00Z


def timed(path: Path, **options: object) -> list[tuple[str, int | None]]:
    source = open_source(path, **options)  # type: ignore[arg-type]
    return [(m, t if t is not None else source.time_of(m)) for m, t, _ in source.events]


def test_inputs_of_every_kind(tmp_path: Path) -> None:
    text = tmp_path / "app.log"
    text.write_text("\n".join(LINES) + "\n")
    assert timed(text)[0] == (LINES[0], T0 + 5000)
    assert timed(text, strip_time=True)[0] == ("ERROR a", T0 + 5000)
    app = tmp_path / "app.jsonl"
    app.write_text('{"time": "2024-05-01T12:00:01Z", "level": "ERROR"}\n{"time": 1714564802}\n')
    assert [t for _, t in timed(app)] == [T0 + 1000, T0 + 2000]
    exported = tmp_path / "events.jsonl"
    exported.write_text(json.dumps({"message": "ERROR x", "timestamp": T0 + 7}) + "\n")
    assert timed(exported) == [("ERROR x", T0 + 7)]
    export = tmp_path / "000000.gz"
    export.write_bytes(gzip.compress(b"2024-05-01T12:00:03.000Z ERROR y\n"))
    assert timed(export) == [("ERROR y", T0 + 3000)]
    records = [
        {"messageType": "CONTROL_MESSAGE", "logEvents": [{"timestamp": 1, "message": "x"}]},
        {
            "messageType": "DATA_MESSAGE",
            "logGroup": "/app",
            "logEvents": [{"id": "1", "timestamp": T0 + 9, "message": "ERROR z"}],
        },
    ]
    firehose = tmp_path / "delivery.gz"
    firehose.write_bytes(gzip.compress("".join(json.dumps(r) for r in records).encode()))
    assert timed(firehose) == [("ERROR z", T0 + 9)]


def test_json_lines_without_a_time_field_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"level": "ERROR"}\n')
    with pytest.raises(InputError, match="--time-field"):
        open_source(path)


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def test_cli_csv_and_alarm_history(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    code, out, err = run("backtest", "-p", "ERROR", "--format", "csv", str(log))
    assert code == 0, err
    assert out.splitlines()[1:] == [
        "Backtest,Backtest,,None,2024-05-01T12:00:00Z,1.0,1.0,1.0,1.0,1.0",
        "Backtest,Backtest,,None,2024-05-01T12:03:00Z,2.0,2.0,1.0,1.0,1.0",
    ]
    assert "3 of 4 events matched" in err
    code, out, _ = run(
        "backtest",
        "-p",
        "ERROR",
        "--threshold",
        "2",
        "--format",
        "json",
        "--html",
        str(tmp_path / "r.html"),
        str(log),
    )
    transitions = json.loads(out)["alarms"][0]["transitions"]
    assert [(t["time"], t["to"]) for t in transitions] == [
        ("2024-05-01T12:01:00Z", OK),
        ("2024-05-01T12:04:00Z", ALARM),  # 12:03 stays the newest real datapoint in range
        ("2024-05-01T12:07:00Z", INSUFFICIENT_DATA),
    ]
    page = (tmp_path / "r.html").read_text()
    assert (
        "<svg" in page
        and "threshold 2.0" in page
        and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_cli_chart_and_exit_codes(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    code, out, _ = run("backtest", "-p", "ERROR", "--threshold", "2", "--chart", str(log))
    assert code == 0 and "threshold 2.0" in out and "state" in out
    assert run("backtest", "-p", "FATAL", str(log))[0] == 1
    code, _, err = run("backtest", "-p", '{ $.a = "', str(log))
    assert code == 2 and "syntax" in err
    code, _, err = run(
        "backtest", "-p", "ERROR", "--statistic", "tm(90)", "--threshold", "1", str(log)
    )
    assert code == 2 and "unsupported statistic 'tm(90)'" in err
    code, _, err = run(
        "backtest", "-p", "ERROR", "--statistic", "TM(90%:10%)", "--threshold", "1", str(log)
    )
    assert code == 2 and "lower bound must be below the upper bound" in err
    assert (
        run("backtest", "-p", "ERROR", "--statistic", "tm90", "--threshold", "1", str(log))[0] == 0
    )
    code, _, err = run("backtest", "-p", "ERROR", str(tmp_path / "missing.log"))
    assert code == 2 and "error:" in err


def test_alarm_options_without_a_threshold_are_named_in_the_summary(tmp_path: Path) -> None:
    """--statistic, --alarm-period (and the other alarm options) without --threshold define no
    alarm: the summary says so instead of silently reporting no alarm."""
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    code, out, err = run(
        "backtest", "-p", "ERROR", "--statistic", "p99", "--alarm-period", "300", str(log)
    )
    assert code == 0 and "state" not in out
    assert "--statistic, --alarm-period given without --threshold: no alarm was defined" in err, err
    code, _, err = run("backtest", "-p", "ERROR", "--treat-missing-data", "breaching", str(log))
    assert "--treat-missing-data given without --threshold" in err
    code, _, err = run("backtest", "-p", "ERROR", "--initial-state", "OK", str(log))
    assert "--initial-state given without --threshold" in err
    code, _, err = run(
        "backtest", "-p", "ERROR", "--statistic", "p99", "--threshold", "1", str(log)
    )
    assert code == 0 and "without --threshold" not in err
    assert "without --threshold" not in run("backtest", "-p", "ERROR", str(log))[2]


def test_the_window_chart_holds_every_datapoint_the_alarm_evaluated(tmp_path: Path) -> None:
    """--chart-windows plots the sliding windows the alarm evaluates, so each datapoint named
    in a transition is a point of the chart; the default chart's fixed buckets are not."""
    series = MinuteSeries()
    for minute, value in [(0, 1.0), (3, 2.0), (4, 5.0), (9, 1.0), (17, 4.0)]:
        series.add(T0 + minute * 60_000 + 7_000, value)
    alarm = Alarm("x", "Sum", 300, 2, 3, "GreaterThanOrEqualToThreshold", 1, "notBreaching")
    history = replay(series, alarm, T0, T0 + 40 * 60_000)
    assert len(history) >= 2
    plotted = dict(sliding_points(series, alarm))
    buckets = {start: w.stat("Sum") for start, w in series.periods(300)}
    named = [(p.start, p.value) for t in history for p in t.datapoints if p.value is not None]
    assert named and all(plotted[start] == value for start, value in named)
    assert any(buckets.get(start) != value for start, value in named)

    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    common = ["backtest", "-p", "ERROR", "--threshold", "3", "--alarm-period", "180", "--chart"]
    code, out, _ = run(*common, "--chart-windows", str(log))
    assert code == 0 and "Sum over 180 s windows" in out and "11:58:00Z" in out
    code, out, _ = run(*common, str(log))
    assert code == 0 and "Sum per 180 s" in out


TEMPLATE = """
Resources:
  Latency:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: /app
      FilterPattern: '{ $.latency = * }'
      MetricTransformations:
        - MetricName: Latency
          MetricNamespace: App
          MetricValue: $.latency
          Unit: Milliseconds
  Slow:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: Latency
      Namespace: App
      ExtendedStatistic: p90
      Period: 60
      EvaluationPeriods: 2
      DatapointsToAlarm: 1
      Threshold: 500
      ComparisonOperator: GreaterThanThreshold
  Other:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: !Ref Name
      Namespace: App
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanThreshold
  Band:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: Latency
      Namespace: App
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      ThresholdMetricId: ad1
      ComparisonOperator: LessThanLowerOrGreaterThanUpperThreshold
"""


def test_iac_filters_and_their_alarms(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(TEMPLATE)
    found = scan_paths([str(tmp_path)])
    assert [(f.name, [a.name for a in f.alarms]) for f in found.filters] == [("Latency", ["Slow"])]
    assert {name for _, name, _ in found.skipped} == {"Other", "Band"}
    log = tmp_path / "app.jsonl"
    log.write_text(
        '{"time": "2024-05-01T12:00:01Z", "latency": 900}\n'
        '{"time": "2024-05-01T12:00:02Z", "latency": 100}\n'
    )
    code, out, err = run(
        "backtest", "--iac", str(tmp_path / "t.yaml"), "--format", "json", str(log)
    )
    assert code == 0, err
    document = json.loads(out)
    assert document["datapoints"][0]["p90"] == 900.0
    assert document["datapoints"][0]["unit"] == "Milliseconds"
    assert [t["to"] for t in document["alarms"][0]["transitions"]] == [ALARM, INSUFFICIENT_DATA]


def test_terraform_alarm_naming_its_filter(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_cloudwatch_log_metric_filter" "errors" {\n'
        '  name = "errors"\n  pattern = "ERROR"\n  log_group_name = "/app"\n'
        '  metric_transformation {\n    name = "Errors"\n    namespace = "App"\n'
        '    value = "1"\n  }\n}\n'
        'resource "aws_cloudwatch_metric_alarm" "errors" {\n'
        '  alarm_name = "errors"\n'
        "  metric_name = aws_cloudwatch_log_metric_filter.errors.metric_transformation[0].name\n"
        '  namespace = "App"\n  statistic = "Sum"\n  period = 300\n  evaluation_periods = 1\n'
        '  threshold = 5\n  comparison_operator = "GreaterThanThreshold"\n}\n'
    )
    found = scan_paths([str(tmp_path)])
    assert [[a.period for a in f.alarms] for f in found.filters] == [[300]]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"ComparisonOperator": "GreaterThanUpperThreshold"}, "anomaly detection band"),
        ({"Period": 90}, "Period must be"),
        ({"DatapointsToAlarm": 3}, "DatapointsToAlarm"),
        ({"Period": 3600, "EvaluationPeriods": 200}, "at most 604800"),
        ({"Metrics": [{"Id": "m1"}]}, "metric math"),
        ({"TreatMissingData": "zero"}, "TreatMissingData"),
    ],
)
def test_alarms_the_service_or_the_backtest_refuses(
    properties: dict[str, object], message: str
) -> None:
    base = {
        "AlarmName": "a",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 2,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    with pytest.raises(AlarmError, match=message):
        Alarm.from_api({**base, **properties})


def test_the_n_most_recent_real_datapoints_decide_when_there_are_enough() -> None:
    alarm = Alarm("a", "Sum", 60, 2, 5, "GreaterThanThreshold")
    # older breaching points outside the N most recent real ones do not count
    assert decide([9.0, 9.0, None, 1.0, 1.0], alarm, ALARM) == OK
    assert decide([1.0, None, 9.0, None, 9.0], alarm, OK) == ALARM

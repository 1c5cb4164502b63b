"""``cwquery backtest``: the datapoints a metric filter would have published over past log
events, and the alarm states CloudWatch would have set."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click
from click.core import ParameterSource

from cwquery.backtest.alarms import (
    STATES,
    Alarm,
    AlarmError,
    EvaluationOptions,
    evaluation_step,
)
from cwquery.backtest.engine import (
    BacktestError,
    PublishOptions,
    alarm_series,
)
from cwquery.backtest.render import history_text, summary_text, to_csv, to_json, to_table
from cwquery.backtest.run import Result, finish, statistics_for
from cwquery.backtest.series import (
    EARLIEST_MS,
    END_OF_TIME_MS,
    StatisticError,
    check_statistic,
    parse_statistic,
)
from cwquery.cli.backtest_run import run_local, run_spark
from cwquery.cli.common import (
    EXIT_ERROR,
    EXIT_NO,
    EXIT_OK,
    LOOPBACK_HELP,
    echo_pattern_error,
)
from cwquery.cli.transform import transformer_option
from cwquery.errors import CWQueryError, PatternError
from cwquery.metrics import MetricFilter, MetricFilterError, MetricTransformation

if TYPE_CHECKING:  # charts are drawn only when shown or written
    from cwquery.backtest.chart import ChartSeries


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _time(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    from cwquery.aws.timeparse import to_millis  # the AWS layer loads only when needed

    try:
        millis = to_millis(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=name) from None
    if not EARLIEST_MS <= millis <= END_OF_TIME_MS:
        raise click.BadParameter(
            "give a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z", param_hint=name
        )
    return millis


@click.command(name="backtest")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--pattern", "-p", help="The metric filter's pattern.")
@click.option("--metric-value", default="1", show_default=True, help="metricValue.")
@click.option("--default-value", type=float, help="defaultValue.")
@click.option("--dimension", "dimensions", multiple=True, metavar="NAME=$REF", help="A dimension.")
@click.option("--unit", help="The filter's unit.")
@click.option("--metric-name", default="Backtest", show_default=True)
@click.option("--namespace", default="Backtest", show_default=True)
@click.option(
    "--iac",
    "iac_paths",
    multiple=True,
    metavar="PATH",
    help="Take every metric filter, and the alarms on its metric, from these "
    "CloudFormation/SAM/Terraform/cdk.out files or folders.",
)
@click.option("--filter-name", "filter_names", multiple=True, help="Only these --iac filters.")
@click.option("--threshold", type=float, help="Define an alarm with this threshold.")
@click.option(
    "--comparison",
    default="GreaterThanOrEqualToThreshold",
    show_default=True,
    type=click.Choice(
        [
            "GreaterThanOrEqualToThreshold",
            "GreaterThanThreshold",
            "LessThanThreshold",
            "LessThanOrEqualToThreshold",
        ]
    ),
)
@click.option(
    "--statistic",
    default="Sum",
    show_default=True,
    help="The alarm's statistic (Sum, Average, pNN, tmNN, IQM, …).",
)
@click.option("--alarm-period", type=int, help="The alarm's period in seconds [--period].")
@click.option("--evaluation-periods", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--datapoints-to-alarm", type=click.IntRange(min=1))
@click.option(
    "--treat-missing-data",
    default="missing",
    show_default=True,
    type=click.Choice(["missing", "notBreaching", "breaching", "ignore"]),
)
@click.option(
    "--low-sample",
    type=click.Choice(["evaluate", "ignore"]),
    default="evaluate",
    help="EvaluateLowSampleCountPercentile.",
)
@click.option(
    "--period",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="Seconds per datapoint in the output.",
)
@click.option(
    "--statistics",
    "extra",
    multiple=True,
    help="Extra statistics (p99, tm90, TM(10%:90%), IQM, PR(:300)…).",
)
@click.option(
    "--log-group", "-g", "group", help="Read the events of this log group (with --start/--end)."
)
@click.option("--start", help="Start: ISO 8601, epoch ms or 15m/2h/1d; also the alarm's start.")
@click.option("--end", help="End, same forms.")
@click.option("--time-field", help="The time field of JSON-lines application logs.")
@click.option(
    "--strip-time",
    is_flag=True,
    help="Text lines: the leading time is not part of the message (a decompressed S3 export).",
)
@click.option(
    "--default-value-mode",
    type=click.Choice(["per-event", "per-minute"]),
    default="per-event",
    show_default=True,
    help="E1.",
)
@click.option("--enforce-cardinality-limit", is_flag=True, help="E4: stop a filter at 1000 pairs.")
@click.option("--created", help="E6: count only events ingested from this time on.")
@click.option("--ingestion-aware", is_flag=True, help="E8: samples visible at ingestion + lag.")
@click.option("--ingestion-lag", type=int, default=0, help="Seconds, with --ingestion-aware.")
@click.option(
    "--evaluation-offset",
    type=click.IntRange(0, 3600),
    default=0,
    help="E8: seconds after each boundary.",
)
@click.option("--initial-state", type=click.Choice(STATES), default="INSUFFICIENT_DATA")
@click.option(
    "--range-extra",
    type=click.IntRange(0, 100),
    default=2,
    show_default=True,
    help="E7: the evaluation range is N + this many periods.",
)
@click.option("--format", "style", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write datapoints here.")
@click.option("--chart/--no-chart", default=None, help="A terminal chart (default: on a tty).")
@click.option(
    "--chart-windows",
    is_flag=True,
    help="Chart what the alarm evaluates: its statistic over the sliding windows of one "
    "period, one per evaluation, stamped as the reasons stamp them.",
)
@click.option("--html", "html_file", type=click.Path(dir_okay=False), help="Write an HTML page.")
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes scanning files of lines in the common case (one --pattern, a literal "
    "--metric-value, no --default-value), each reading its matched lines' minutes; default: "
    "every core for files of 8 MiB or more, as cwquery test.",
)
@click.option(
    "--input-format",
    type=click.Choice(["auto", "text", "json", "parquet"]),
    default="auto",
    show_default=True,
    help="With --engine spark: FILES are files or folders of text lines, or of JSON or Parquet "
    "records with a message column (and a timestamp column, or --time-field).",
)
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@click.option(
    "--endpoint-url", metavar="URL", help="With --log-group: send requests here. " + LOOPBACK_HELP
)
@click.option("--region", envvar="AWS_REGION", help="With --log-group: AWS Region.")
@click.option("--profile", envvar="AWS_PROFILE", help="With --log-group: AWS profile.")
@transformer_option
def backtest_command(files: tuple[str, ...], **options: Any) -> None:
    """What a metric filter would have published over past events in FILES, and when its
    alarm would have fired.

    FILES (folders too, with --engine spark): JSON lines (exported events, or application logs
    with a time field), text lines starting with a time, CloudWatch exports, S3-export .gz
    files, or Firehose-delivered subscription records (.gz); standard input when none is given,
    or for -. Exit status: 0 when something matched, 1 when nothing did, 2 on error.

    \b
    Examples:
      cwquery backtest -p ERROR --threshold 5 --alarm-period 300 app.log
      cwquery backtest --iac template.yaml --html report.html exports/*.gz
      cwquery backtest -p '{ $.latency = * }' --metric-value '$.latency' \\
          --statistic p99 --threshold 1000 --format csv app.jsonl
    """
    try:
        filters, alarms = _filters_and_alarms(options)
        for name in options["extra"]:
            check_statistic(name)
        publish = PublishOptions(
            options["default_value_mode"],
            options["enforce_cardinality_limit"],
            _time(options["created"], "--created"),
            options["ingestion_lag"] * 1000 if options["ingestion_aware"] else None,
            detail=any(
                parse_statistic(name).extended for name in statistics_for(alarms, options["extra"])
            ),
        )
        if options["engine"] == "spark":
            collected = run_spark(files, filters, publish, options)
        else:
            collected = run_local(files, filters, publish, options)
        evaluation = EvaluationOptions(
            options["range_extra"],
            options["evaluation_offset"],
            options["initial_state"],
            options["ingestion_aware"],
        )
        result = finish(
            collected,
            alarms,
            period=options["period"],
            extra=options["extra"],
            start=_time(options["start"], "--start"),
            end=_time(options["end"], "--end"),
            evaluation=evaluation,
        )
    except PatternError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    except (CWQueryError, OSError) as err:
        _fail(str(err))
    _report(result, options, _unused_alarm_options(options, bool(alarms)))
    sys.exit(EXIT_OK if collected.matched else EXIT_NO)


#: Options that only shape the alarm ``--threshold`` defines.
_FLAG_ALARM_OPTIONS = (
    "comparison",
    "statistic",
    "alarm_period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "treat_missing_data",
    "low_sample",
)
#: Options that shape the evaluation of any alarm (flags or --iac).
_EVALUATION_OPTIONS = ("initial_state", "range_extra", "evaluation_offset")


def _unused_alarm_options(options: dict[str, Any], any_alarm: bool) -> str:
    """A note for the summary naming the alarm options given to no effect: those of the flag
    alarm without ``--threshold``, and evaluation options when there is no alarm at all."""
    context = click.get_current_context()

    def given(name: str) -> bool:
        source = context.get_parameter_source(name)
        return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)

    names = []
    if options["threshold"] is None:
        names += [n for n in _FLAG_ALARM_OPTIONS if given(n)]
    if not any_alarm:
        names += [n for n in _EVALUATION_OPTIONS if given(n)]
    if not names:
        return ""
    flags = ", ".join("--" + name.replace("_", "-") for name in names)
    what = "no alarm was defined" if not any_alarm else "the --iac alarms do not use them"
    return f"{flags} given without --threshold: {what} (add --threshold to define one)"


def _filters_and_alarms(options: dict[str, Any]) -> tuple[list[MetricFilter], list[Alarm]]:
    filters: list[MetricFilter] = []
    alarms: list[Alarm] = []
    if options["iac_paths"]:
        from cwquery.iac.alarms import scan_paths

        found = scan_paths(list(options["iac_paths"]))
        wanted = set(options["filter_names"])
        for item in found.filters:
            if wanted and item.name not in wanted:
                continue
            try:
                filters.append(MetricFilter(item.pattern, item.transformation))
            except (PatternError, MetricFilterError) as err:
                click.echo(f"{item.path}: {item.name}: skipped: {err}", err=True)
                continue
            alarms += [a for a in item.alarms if a not in alarms]
        for path, name, reason in found.skipped:
            click.echo(f"{path}: {name}: skipped: {reason}", err=True)
        if not filters:
            raise BacktestError(
                "no usable metric filter found in " + ", ".join(options["iac_paths"])
            )
    if options["pattern"] is not None:
        dimensions = {}
        for item in options["dimensions"]:
            name, _, reference = item.partition("=")
            if not reference:
                raise click.BadParameter("use NAME=$REF", param_hint="--dimension")
            dimensions[name] = reference
        transformation = MetricTransformation(
            options["metric_name"],
            options["namespace"],
            options["metric_value"],
            options["default_value"],
            dimensions,
            options["unit"],
        )
        filters.append(MetricFilter(options["pattern"], transformation))
        if options["threshold"] is not None:
            alarms.append(_flag_alarm(transformation, options))
    if not filters:
        raise click.UsageError("give --pattern or --iac")
    return filters, alarms


def _flag_alarm(transformation: MetricTransformation, options: dict[str, Any]) -> Alarm:
    try:
        check_statistic(options["statistic"])
        return Alarm(
            name=f"{transformation.metric_name} {options['statistic']} {options['comparison']} "
            f"{options['threshold']:g}",
            statistic=options["statistic"],
            period=options["alarm_period"] or options["period"],
            evaluation_periods=options["evaluation_periods"],
            threshold=options["threshold"],
            comparison=options["comparison"],
            datapoints_to_alarm=options["datapoints_to_alarm"],
            treat_missing_data=options["treat_missing_data"],
            evaluate_low_sample_count_percentile=options["low_sample"],
            metric_name=transformation.metric_name,
            namespace=transformation.metric_namespace,
            dimensions={},
        )
    except StatisticError as err:
        raise AlarmError(str(err)) from None


def _report(result: Result, options: dict[str, Any], note: str = "") -> None:
    style = options["style"]
    if style == "csv":
        text = to_csv(result.rows, result.statistics)
    elif style == "json":
        text = to_json(result.rows, result.statistics, result.histories, result.collected)
    else:
        text = to_table(result.rows, result.statistics)
        text += "".join(
            history_text(alarm, history) for alarm, history in result.histories.values()
        )
    if options["output"]:
        _write(options["output"], text)
    else:
        click.echo(text, nl=False)
    show_chart = options["chart"] if options["chart"] is not None else sys.stdout.isatty()
    # the charts are drawn only where they are shown or written
    charts = _charts(result, options) if show_chart or options["html_file"] else []
    if show_chart:
        from cwquery.backtest.chart import terminal_chart

        for chart in charts[:4]:
            click.echo(
                terminal_chart(
                    chart.title,
                    chart.points,
                    threshold=chart.threshold,
                    transitions=chart.transitions,
                    initial_state=chart.initial_state,
                    period_ms=chart.period_ms,
                ),
                err=bool(options["output"] is None and style != "table"),
            )
    summary = summary_text(result.collected) + (f"; {note}" if note else "")
    if options["html_file"]:
        from cwquery.backtest.chart import html_page

        page = html_page("cwquery backtest", charts, summary)
        _write(options["html_file"], page)
    if not options["quiet"]:
        click.echo(summary, err=True)
        for warning in result.collected.warnings:
            click.echo(f"warning: {warning}", err=True)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)


def _charts(result: Result, options: dict[str, Any]) -> list[ChartSeries]:
    """One chart per alarm (its statistic over its period), else one per metric (Sum)."""
    from cwquery.backtest.chart import ChartSeries, sliding_points

    charts = []
    for alarm, history in result.histories.values():
        series = alarm_series(result.collected, alarm)
        if options["chart_windows"]:
            points = sliding_points(series, alarm)
            title = f"{alarm.name}: {alarm.statistic} over {alarm.period} s windows"
            width = evaluation_step(alarm) * 1000
        else:
            points = [
                (start, window.stat(alarm.statistic))
                for start, window in series.periods(alarm.period)
            ]
            title = f"{alarm.name}: {alarm.statistic} per {alarm.period} s"
            width = alarm.period * 1000
        charts.append(
            ChartSeries(
                title,
                points,
                width,
                alarm.threshold,
                history,
                options["initial_state"],
            )
        )
    if not charts:
        for key, series in sorted(result.collected.series.items())[:10]:
            points = [(s, w.stat("Sum")) for s, w in series.periods(options["period"])]
            charts.append(
                ChartSeries(
                    f"{key.label()}: Sum per {options['period']} s",
                    points,
                    options["period"] * 1000,
                )
            )
    return charts

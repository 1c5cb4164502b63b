"""How ``cwquery backtest`` reads its events: log files on every core (or one stream when
transformed or read from stdin), a log group, or Spark; and how the collected samples of
several inputs are merged."""

from __future__ import annotations

import io
import itertools
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

from cwquery.backtest.engine import (
    TIME_RANGE_TEXT,
    BacktestError,
    Collected,
    PublishOptions,
    collect,
)
from cwquery.backtest.inputs import Event, InputError, open_source
from cwquery.backtest.scan import collect_file
from cwquery.cli.common import (
    aws_client,
)
from cwquery.cli.transform import load_transformer, transformed
from cwquery.logs.parallel import default_jobs
from cwquery.metrics import MetricFilter

_PROGRESS_BYTES = 8 * 1024 * 1024


def run_local(
    files: Sequence[str],
    filters: list[MetricFilter],
    publish: PublishOptions,
    options: dict[str, Any],
) -> Collected:
    """The samples of ``files`` (or a log group, or stdin) for ``filters``, read locally."""
    if options["input_format"] != "auto":
        raise click.UsageError(
            f"--input-format {options['input_format']} needs --engine spark (the local engine "
            "recognises each file's kind)"
        )
    transformer = options["transformer_file"] and load_transformer(options["transformer_file"])
    if options["group"]:
        if files:
            raise click.UsageError("give FILES or --log-group, not both")
        events = _log_group_events(options)
        events = transformed(events, transformer) if transformer else events
        return _published(collect(events, filters, publish), filters)
    sources = list(files) or ["-"]
    folders = [s for s in sources if s != "-" and os.path.isdir(s)]
    if folders:
        raise click.UsageError(f"{folders[0]} is a folder: folders need --engine spark")
    total = sum(os.path.getsize(s) for s in sources if s != "-" and os.path.isfile(s))
    merged = Collected()
    for source in sources:
        found = None if transformer else _blocks(source, filters, publish, options, total)
        if found is not None:
            merged.merge(found)
            continue
        opened = open_source(
            _standard_input() if source == "-" else source,
            time_field=options["time_field"],
            strip_time=options["strip_time"],
        )
        events = opened.events
        if transformer:  # what a filter with applyOnTransformedLogs matches
            events = transformed(events, transformer, opened.time_of)
        if total >= _PROGRESS_BYTES and sys.stderr.isatty() and opened.kind == "text":
            events = _with_progress(events, total)
        merged.merge(collect(events, filters, publish, opened.time_of))
    return _published(merged, filters)


def _standard_input() -> IO[str]:
    """Standard input as a file is read: UTF-8, bytes that are not read as U+FFFD."""
    return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")


def _blocks(
    source: str,
    filters: list[MetricFilter],
    publish: PublishOptions,
    options: dict[str, Any],
    total: int,
) -> Collected | None:
    """A plain file's counts read block by block (:mod:`cwquery.backtest.scan`), or ``None``
    when that reader does not take the file or the filters."""
    if source == "-" or not os.path.isfile(source):
        return None
    how = {
        "time_field": options["time_field"],
        "strip_time": options["strip_time"],
        # the events read are said only in the summary, the JSON report and the HTML page
        "count_events": not options["quiet"]
        or options["style"] == "json"
        or bool(options["html_file"]),
        "jobs": default_jobs(os.path.getsize(source))
        if options["jobs"] is None
        else options["jobs"],
    }
    if total < _PROGRESS_BYTES or not sys.stderr.isatty():
        return collect_file(source, filters, publish, **how)
    with click.progressbar(length=total, label="reading", file=sys.stderr) as bar:
        return collect_file(source, filters, publish, progress=bar.update, **how)


def _published(collected: Collected, filters: Sequence[MetricFilter]) -> Collected:
    """``collected``, or an :class:`InputError` saying why events were read but nothing was
    published (no time, a time out of range, no value, no dimension value)."""
    if collected.series:
        return collected
    reasons = []
    if collected.no_dimension:
        names = sorted(
            {f"{name}={ref}" for f in filters for name, ref in f.transformation.dimensions.items()}
        )
        reasons.append(
            f"{_events(collected.no_dimension, 'matched event')} had no value for the "
            f"dimension{'s' * (len(names) > 1)} {', '.join(names)} (E3)"
        )
    if collected.no_value:
        values = sorted({f.transformation.metric_value for f in filters})
        reasons.append(
            f"{_events(collected.no_value, 'matched event')} had no numeric value for the "
            f"metric value {', '.join(values)} (E2)"
        )
    if collected.out_of_range:
        reasons.append(
            f"{_events(collected.out_of_range, 'event')} had a time outside {TIME_RANGE_TEXT}"
        )
    if collected.untimed:
        if not reasons:
            raise InputError("no event had a time: see --time-field and docs/backtest.md")
        reasons.append(f"{_events(collected.untimed, 'event')} had no readable time")
    if reasons:
        raise InputError("nothing was published: " + "; ".join(reasons))
    return collected


def _events(count: int, what: str) -> str:
    return f"{count} {what}{'s' * (count != 1)}"


def _with_progress(events: Iterator[Event], total: int) -> Iterator[Event]:
    with click.progressbar(length=total, label="reading", file=sys.stderr) as bar:
        for batch in iter(lambda: list(itertools.islice(events, 10_000)), []):
            bar.update(sum(len(message) + 1 for message, _, _ in batch))
            yield from batch


def _log_group_events(options: dict[str, Any]) -> Iterator[Event]:
    from cwquery.aws import filter_events

    client = aws_client(options["region"], options["profile"], options["endpoint_url"])
    for event in filter_events(
        None, options["group"], client=client, start=options["start"], end=options["end"]
    ):
        yield event["message"], event["timestamp"], event.get("ingestionTime")


def run_spark(
    files: Sequence[str],
    filters: list[MetricFilter],
    publish: PublishOptions,
    options: dict[str, Any],
) -> Collected:
    """The samples of ``files`` for ``filters``, computed on Spark (extra ``spark``)."""
    if not files or options["group"] or "-" in files:
        raise click.UsageError(
            "--engine spark reads FILES or folders (local paths or s3a:// URIs), not "
            "standard input nor --log-group"
        )
    if options["transformer_file"]:
        raise click.UsageError("--transformer needs the local engine")
    try:
        from cwquery.spark import collect_files
    except ImportError as err:
        raise BacktestError(f"--engine spark needs the [spark] extra: {err}") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local mode: workers use this Python
    return _published(
        collect_files(
            list(files),
            filters,
            publish,
            time_field=options["time_field"],
            strip_time=options["strip_time"],
            input_format=options["input_format"],
        ),
        filters,
    )

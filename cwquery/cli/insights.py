"""``cwquery insights``: run a Logs Insights query over log files, offline (docs/insights.md).

Inputs are read as ``cwquery test`` reads them (:func:`cwquery.logs.sources.read_events`): files,
standard input, ``{"events": [...]}`` exports, S3-export ``.gz`` files, and JSON lines with
``timestamp``/``message`` keys (each such line is that event). Any other line is an event whose
message is the line; its time is read as ``backtest`` reads it
(:func:`cwquery.insights_events.line_time`: a JSON line's ``timestamp``/``time``/``ts``/…
member, else an ISO 8601 or ``YYYY-MM-DD HH:MM:SS,mmm`` time the line starts with), and a line
without one has no ``@timestamp`` and keeps its place in the input (the default order, newest
first, then shows such lines last-read first).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, fail, out

__all__ = ["insights_command"]

FORMATS = ("table", "csv", "json")


def _millis(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    from cwquery.aws.timeparse import to_millis

    try:
        return to_millis(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=name) from None


def events_of(
    files: list[str], since: int | None, until: int | None, stream: str | None = None
) -> Iterator[dict[str, Any]]:
    """The events of the inputs, in input order, inside ``[since, until]`` (epoch ms; a bound
    leaves out events without a time)."""
    from cwquery.insights_events import line_time
    from cwquery.logs.sources import read_events

    for path in files:
        for event in read_events(path, event_lines=True):
            moment = event.timestamp
            if moment is None:
                moment = line_time(event.message)
            if since is not None and (moment is None or moment < since):
                continue
            if until is not None and (moment is None or moment > until):
                continue
            found: dict[str, Any] = {"message": event.message, "timestamp": moment}
            name = event.stream or stream or ("stdin" if path == "-" else path)
            found["logStreamName"] = name
            if event.ingestion is not None:
                found["ingestionTime"] = event.ingestion
            if event.group is not None:
                found["logGroupName"] = event.group
            yield found


@click.command(name="insights")
@click.argument("query")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "output",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table: aligned columns; csv: a header and rows; json: the GetQueryResults response.",
)
@click.option("--since", help="Only events at or after this time (ISO 8601, epoch s or ms).")
@click.option("--until", help="Only events at or before this time (ISO 8601, epoch s or ms).")
@click.option("--log-group", "log_group", help="The log group name @log shows.")
def insights_command(
    query: str,
    files: tuple[str, ...],
    output: str,
    since: str | None,
    until: str | None,
    log_group: str | None,
) -> None:
    """Run a CloudWatch Logs Insights QUERY over the events in FILES (standard input when
    none), as StartQuery and GetQueryResults would answer it.

    FILES are read as `cwquery test` reads them: lines (each line one event, its time read from
    the start of the line), JSON lines with timestamp/message keys, CloudWatch exports and S3
    export .gz files. Exit status: 0 when the query returned rows, 1 when it returned none,
    2 on error (an invalid query prints where it is wrong).

    \b
    Examples:
      cwquery insights 'filter @message like /ERROR/ | stats count(*) by bin(5m)' app.log
      cwquery insights --format json 'fields @timestamp, @message | limit 20' export.json
    """
    from cwquery.insights import QueryError, parse, run
    from cwquery.insights.engine import output_columns
    from cwquery.logs.sources import SourceError

    try:
        parse(query)
    except QueryError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    low, high = _millis(since, "--since"), _millis(until, "--until")
    try:
        result = run(
            query,
            events_of(list(files) or ["-"], low, high),
            log_group=log_group,
            start=None if low is None else low / 1000,
            end=None if high is None else high / 1000,
        )
    except QueryError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    except SourceError as err:
        fail(str(err))
    except OSError as err:
        fail(f"{err.filename or 'input'}: {err.strerror or err}")
    out(render(result, output, output_columns(query)), nl=False)
    sys.exit(EXIT_OK if result["results"] else EXIT_NO)


def render(result: dict[str, Any], output: str, columns: list[str]) -> str:
    """The result as ``table`` or ``csv`` text with these ``columns`` (a null is an empty
    cell), or as ``json`` (the whole response, ``@ptr`` included)."""
    if output == "json":
        return json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    rows = [{item["field"]: item["value"] for item in fields} for fields in result["results"]]
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row.get(name, "") for name in columns] for row in rows)
        return buffer.getvalue()
    cells = [[_cell(row.get(name, "")) for name in columns] for row in rows]
    widths = [max([len(name)] + [len(line[i]) for line in cells]) for i, name in enumerate(columns)]
    lines = ["  ".join(name.ljust(w) for name, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    return "\n".join(lines) + "\n" if rows else ""  # no rows, no table


def _cell(value: str) -> str:
    """One table cell on one line: line breaks and tabs shown escaped."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )

"""``cwquery filter`` and ``cwquery ship``: search CloudWatch Logs, ship JSON-lines files to it."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click

from cwquery.aws.timeparse import format_millis, to_millis
from cwquery.cli.common import (
    EXIT_ERROR,
    EXIT_NO,
    EXIT_OK,
    LOOPBACK_HELP,
    aws_client,
    echo_pattern_error,
    out,
)
from cwquery.errors import CWQueryError, PatternError

#: How ``--follow`` waits between polls (tests replace it).
_sleep: Callable[[float], None] = time.sleep


def _aws_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--endpoint-url",
        metavar="URL",
        help="Send requests here (an emulator, a VPC endpoint). " + LOOPBACK_HELP,
    )(function)
    function = click.option("--profile", envvar="AWS_PROFILE", help="AWS profile.")(function)
    function = click.option("--region", envvar="AWS_REGION", help="AWS Region.")(function)
    return function


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _time_option(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return to_millis(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=name) from None


class _Output:
    """Prints events: ``detailed`` (time, stream, message), ``short`` (time, message),
    ``message``, ``json`` (detailed, with JSON messages pretty-printed, as ``aws logs tail``
    does), ``array`` (one JSON array of records) or ``jsonl`` (a record per line)."""

    def __init__(self, style: str, show_group: bool, color: bool | None = None) -> None:
        self.style = style
        self.show_group = show_group
        self.color = color
        self.count = 0

    def event(self, event: dict[str, Any]) -> None:
        self.count += 1
        if self.style in ("detailed", "short", "message", "json"):
            text = self._text(event)
            coloured = self.color if self.color is not None else sys.stdout.isatty()
            out(text if coloured else click.unstyle(text))
            return
        record = {
            "time": format_millis(int(event["timestamp"])),
            "timestamp": event["timestamp"],
            "ingestionTime": event.get("ingestionTime"),
            "logGroupName": event.get("logGroupName"),
            "logStreamName": event.get("logStreamName"),
            "eventId": event.get("eventId"),
            "message": event["message"],
        }
        text = json.dumps(record, ensure_ascii=False)
        if self.style == "array":
            out(("[\n  " if self.count == 1 else ",\n  ") + text, nl=False)
        else:
            out(text)

    def _text(self, event: dict[str, Any]) -> str:
        message = str(event["message"]).rstrip("\n")
        if self.style == "message":
            return message
        when = click.style(format_millis(int(event["timestamp"])), fg="green")
        if self.style == "short":
            return f"{when} {message}"
        where = event.get("logStreamName", "")
        if self.show_group:
            where = f"{event['logGroupName']} {where}"
        if self.style == "json":
            with contextlib.suppress(ValueError):
                message = json.dumps(json.loads(message), indent=4, ensure_ascii=False)
        return f"{when} {click.style(where, fg='cyan')} {message}"

    def close(self) -> None:
        if self.style == "array":
            out("[]" if self.count == 0 else "\n]")


#: ``-o`` choices (cwquery's own) and the ``--format`` style each stands for
_OUTPUT_STYLES = {"text": "detailed", "json": "array", "jsonl": "jsonl"}
_COLOR = {"auto": None, "on": True, "off": False}


@click.command("filter")
@click.argument("pattern", required=False)
@click.option(
    "--filter-pattern", "filter_pattern", metavar="PATTERN", help="The pattern (aws logs' name)."
)
@click.option(
    "--group",
    "-g",
    "groups",
    multiple=True,
    required=True,
    metavar="GROUP",
    help="Log group to search, or groups with '*' (/app/*); repeat for several (results are "
    "merged in time order).",
)
@click.option(
    "--since",
    metavar="TIME",
    help="Start (inclusive): 15m, 2h30m, 1d, ISO 8601, epoch seconds or ms [default: 10m].",
)
@click.option("--until", metavar="TIME", help="End (inclusive), same forms as --since.")
@click.option("--stream-prefix", metavar="P", help="Only streams whose names start with P.")
@click.option(
    "--stream", "streams", multiple=True, metavar="NAME", help="Only this stream; repeatable."
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many events.")
@click.option("--follow", "-f", is_flag=True, help="Keep polling for new events (Ctrl-C stops).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between polls with --follow.",
)
@click.option(
    "--output",
    "-o",
    type=click.Choice(list(_OUTPUT_STYLES)),
    help="text: time, stream, message [default]; json: one array; jsonl: one per line.",
)
@click.option(
    "--format",
    "style",
    type=click.Choice(["detailed", "short", "message", "json", "jsonl"]),
    help="As aws logs tail: detailed, short (time and message), message, json (JSON messages "
    "pretty-printed); or jsonl.",
)
@click.option(
    "--color",
    type=click.Choice(list(_COLOR)),
    default="auto",
    show_default=True,
    help="Colour times and streams (auto: when writing to a terminal).",
)
@_aws_options
def filter_command(
    pattern: str | None,
    filter_pattern: str | None,
    groups: tuple[str, ...],
    since: str | None,
    until: str | None,
    stream_prefix: str | None,
    streams: tuple[str, ...],
    limit: int | None,
    follow: bool,
    interval: float,
    output: str | None,
    style: str | None,
    color: str,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> None:
    """Print the events of log GROUPs that match PATTERN (every event without one) from the
    last 10 minutes or --since (exit 1 when none match).

    The pattern is checked locally first and sent in canonical form. Paging survives empty
    pages and repeated tokens; throttling is retried with back-off.

    \b
    Examples:
      cwquery filter '{ $.level = "ERROR" }' -g /myapp/prod --since 1h
      cwquery filter '?ERROR ?WARN' -g '/myapp/*' --since 2h30m --format short
      cwquery filter ERROR -g /myapp/prod --follow
    """
    from cwquery.aws import filter_events, filter_pattern_text, follow_events

    if pattern is not None and filter_pattern is not None:
        raise click.UsageError("give the pattern once: as an argument or with --filter-pattern")
    if output is not None and style is not None:
        raise click.UsageError("use --output or --format, not both")
    try:
        text = filter_pattern_text(pattern if filter_pattern is None else filter_pattern)
    except PatternError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    if streams and stream_prefix:
        raise click.UsageError("use --stream or --stream-prefix, not both")
    if follow and until:
        raise click.UsageError("--until cannot be used with --follow")
    end = _time_option(until, "--until")
    start = _time_option(since, "--since")
    if start is None:  # aws logs tail's default: the last 10 minutes (before --until)
        start = (to_millis("now") if end is None else end) - _DEFAULT_SINCE_MS
    events: Iterator[dict[str, Any]]
    out = _Output(style or _OUTPUT_STYLES[output or "text"], False, _COLOR[color])
    previous: Any = None
    with contextlib.suppress(ValueError):  # SIGTERM ends like Ctrl-C: the output is closed
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        client = aws_client(region, profile, endpoint_url)
        groups = tuple(_resolve_groups(groups, client))
        out.show_group = len(groups) > 1
        if follow:
            events = follow_events(
                text,
                list(groups),
                client=client,
                start=start,
                streams=list(streams) or None,
                stream_prefix=stream_prefix,
                interval=interval,
                sleep=lambda seconds: _sleep(seconds),
            )
        else:
            events = filter_events(
                text,
                list(groups),
                client=client,
                start=start,
                end=end,
                streams=list(streams) or None,
                stream_prefix=stream_prefix,
                limit=limit,
            )
        for number, event in enumerate(events, 1):
            out.event(event)
            if follow and limit is not None and number >= limit:
                break
    except KeyboardInterrupt:
        pass
    except CWQueryError as err:
        out.close()
        _fail(str(err))
    except Exception as err:  # botocore: no credentials, no region, unknown profile, network
        if not _is_botocore_error(err):
            raise
        out.close()
        _fail(str(err))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    out.close()
    sys.exit(EXIT_OK if out.count else EXIT_NO)


_DEFAULT_SINCE_MS = 10 * 60 * 1000


def _resolve_groups(groups: tuple[str, ...], client: Any) -> list[str]:
    from cwquery.aws.groups import has_wildcard, resolve_log_groups

    if not any(has_wildcard(group) for group in groups):
        return list(groups)
    return resolve_log_groups(groups, client=client)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _is_botocore_error(err: Exception) -> bool:
    from botocore.exceptions import BotoCoreError

    return isinstance(err, BotoCoreError)


@click.command("ship")
@click.argument(
    "paths", nargs=-1, type=click.Path(path_type=Path), envvar="LOG_PATH", metavar="PATH..."
)
@click.option("--group", "-g", envvar="LOG_GROUP", required=True, help="Log group [LOG_GROUP].")
@click.option(
    "--stream-prefix",
    envvar="LOG_STREAM_PREFIX",
    required=True,
    help="Streams are named PREFIX_YYYYMMDD [LOG_STREAM_PREFIX].",
)
@click.option(
    "--time-field",
    default="@timestamp",
    show_default=True,
    help="JSON field holding the event time (ISO 8601).",
)
@click.option(
    "--drop-field",
    "drop_fields",
    multiple=True,
    default=("@timestamp", "logger"),
    show_default=True,
    help="Field left out of the message; repeatable (replaces the default).",
)
@click.option("--keep-all-fields", is_flag=True, help="Leave no field out of the message.")
@click.option(
    "--glob",
    "globs",
    multiple=True,
    default=("*.log", "*.json", "*.jsonl"),
    show_default=True,
    help="File names to take from a directory PATH; repeatable.",
)
@click.option(
    "--checkpoint",
    type=click.Path(path_type=Path),
    envvar="CWQUERY_CHECKPOINT",
    help="Offsets file [default: $XDG_STATE_HOME/cwquery/ship-<hash>.json].",
)
@click.option("--follow", "-f", is_flag=True, help="Keep tailing the files as they grow.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="Seconds between passes with --follow.",
)
@click.option(
    "--max-batch-events",
    type=click.IntRange(1, 10_000),
    default=10_000,
    show_default=True,
    help="Events per PutLogEvents call (fewer: smaller resends after a crash).",
)
@click.option("--verbose", is_flag=True, help="Also report file resets and retries.")
@_aws_options
def ship(
    paths: tuple[Path, ...],
    group: str,
    stream_prefix: str,
    time_field: str,
    drop_fields: tuple[str, ...],
    keep_all_fields: bool,
    globs: tuple[str, ...],
    checkpoint: Path | None,
    follow: bool,
    interval: float,
    max_batch_events: int,
    verbose: bool,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> None:
    """Ship JSON-lines files (or the files of directories) to CloudWatch Logs.

    Each line's time field is the event time; the rest of the object is the message, sent to
    stream PREFIX_YYYYMMDD (UTC), created when missing. Progress is checkpointed after each
    accepted batch: a restart resends at most one batch. Rotated files (app.log.1,
    app.log.2.gz, copytruncate copies) are found beside the watched names and read to their
    end. Lines that cannot be sent are counted by reason and kept in a dead-letter file beside
    the checkpoint (CHECKPOINT stem + .dead.jsonl), never fatal. Exit status: 0 when events were
    accepted (or nothing was new), 1 when the files held lines and none was accepted, 2 when a
    file has no line with the time field (it is left unread) or for an error. PATH can also
    come from LOG_PATH (several separated by spaces).

    \b
    Example:
      cwquery ship /var/log/app --group /myapp/prod --stream-prefix web --follow
    """
    from cwquery.aws.shipper import LineFormat, Shipper

    if not paths:
        raise click.UsageError("give at least one PATH (or set LOG_PATH)")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LowerLevelFormatter())
    library_log = logging.getLogger("cwquery")
    level = library_log.level
    library_log.addHandler(handler)
    library_log.setLevel(logging.INFO if verbose else logging.WARNING)
    stop = _StopFlag()
    previous: Any = None
    with contextlib.suppress(ValueError):  # only the main thread may set signal handlers
        previous = signal.signal(signal.SIGTERM, stop.set)
    try:
        shipper = Shipper(
            list(paths),
            group,
            stream_prefix,
            client=aws_client(region, profile, endpoint_url),
            checkpoint=checkpoint,
            line_format=LineFormat(
                time_field=time_field, drop_fields=() if keep_all_fields else drop_fields
            ),
            globs=globs,
            follow=follow,
            interval=interval,
            max_batch_events=max_batch_events,
            sleep=lambda seconds: _sleep(seconds),
            should_stop=stop.is_set,
        )
        try:
            stats = shipper.run()
        except KeyboardInterrupt:
            stats = shipper.stats
    except (CWQueryError, OSError) as err:
        _fail(str(err))
    except Exception as err:
        if not _is_botocore_error(err):
            raise
        _fail(str(err))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        library_log.removeHandler(handler)
        library_log.setLevel(level)
    click.echo(stats.summary(), err=True)
    for text in stats.report():
        click.echo(text, err=True)
    for problem in stats.problems:
        click.echo(f"error: {problem}", err=True)
    if stats.problems:
        sys.exit(EXIT_ERROR)
    if stats.shipped_nothing:
        click.echo(
            f"error: no event was accepted ({stats.lines + stats.malformed} lines read, none "
            "stored; see the reasons above)",
            err=True,
        )
        sys.exit(EXIT_NO)
    sys.exit(EXIT_OK)


class _LowerLevelFormatter(logging.Formatter):
    """``warning: message``, as every command writes its diagnostics."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


class _StopFlag:
    """Set by SIGTERM: the shipper finishes the batch in hand and stops."""

    def __init__(self) -> None:
        self.stopped = False

    def set(self, signum: int = 0, frame: FrameType | None = None) -> None:
        self.stopped = True

    def is_set(self) -> bool:
        return self.stopped

"""``cwquery tail``: Live Tail (StartLiveTail) over several log groups, filtered exactly."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from typing import Any

import click

from cwquery.aws.timeparse import format_millis, to_millis
from cwquery.cli.cloudwatch import (
    _COLOR,
    _aws_options,
    _fail,
    _interrupt,
    _is_botocore_error,
    _time_option,
)
from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, aws_client, echo_pattern_error
from cwquery.errors import CWQueryError, PatternError

#: How recent events printed with --since are remembered, so Live Tail does not repeat them.
_REMEMBERED = 10_000


class _Printer:
    """Prints events as ``aws logs tail`` does (``detailed``, ``short``, ``message``, ``json``:
    JSON messages pretty-printed) or as ``jsonl`` records with their spans; with colour, the
    time, the stream and the matched spans."""

    def __init__(self, style: str, show_group: bool, color: bool | None, plan: Any) -> None:
        self.style = style
        self.show_group = show_group
        self.color = color
        self.plan = plan
        self.count = 0

    def event(self, event: dict[str, Any]) -> None:
        """Print one event: ``timestamp``, ``group`` (a name), ``stream``, ``message``."""
        self.count += 1
        message = str(event["message"]).rstrip("\n")
        if self.style == "jsonl":
            record = {
                "time": format_millis(int(event["timestamp"])),
                "timestamp": event["timestamp"],
                "ingestionTime": event.get("ingestionTime"),
                "logGroupName": event["group"],
                "logStreamName": event["stream"],
                "message": event["message"],
                "spans": [list(span) for span in self._spans(event["message"])],
            }
            click.echo(json.dumps(record, ensure_ascii=False))
            return
        if self.style == "json":
            with contextlib.suppress(ValueError):
                message = json.dumps(json.loads(message), indent=4, ensure_ascii=False)
        if self.color is not False:  # auto: click leaves the colour out off a terminal
            message = self._coloured(message)
        if self.style == "message":
            click.echo(message, color=self.color)
            return
        when = click.style(format_millis(int(event["timestamp"])), fg="green")
        if self.style == "short":
            click.echo(f"{when} {message}", color=self.color)
            return
        where = f"{event['group']} {event['stream']}" if self.show_group else event["stream"]
        click.echo(f"{when} {click.style(where, fg='cyan')} {message}", color=self.color)

    def _spans(self, message: str) -> list[tuple[int, int]]:
        return [] if self.plan is None else list(self.plan.spans(message))

    def _coloured(self, message: str) -> str:
        pieces, at = [], 0
        for start, end in self._spans(message):
            pieces += [message[at:start], click.style(message[start:end], fg="red", bold=True)]
            at = end
        return "".join(pieces) + message[at:]


@click.command("tail")
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
    help="Log group name, ARN, or names with '*' (/app/*); repeat for several (at most 10).",
)
@click.option(
    "--log-stream-names",
    "stream_names",
    multiple=True,
    metavar="NAME",
    help="Only these streams (up to 100; one log group only); repeatable.",
)
@click.option(
    "--log-stream-name-prefixes",
    "stream_prefixes",
    multiple=True,
    metavar="PREFIX",
    help="Only streams starting with these (up to 100; one log group only); repeatable.",
)
@click.option(
    "--since",
    metavar="TIME",
    help="First print the matching events since TIME (15m, 2h30m, ISO 8601, epoch), found "
    "with FilterLogEvents, then tail.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many events.")
@click.option(
    "--restart/--no-restart",
    default=True,
    show_default=True,
    help="Start a new session when one ends after its 3 hours.",
)
@click.option(
    "--format",
    "style",
    type=click.Choice(["detailed", "short", "message", "json", "jsonl"]),
    default="detailed",
    show_default=True,
    help="As aws logs tail: detailed, short (time and message), message, json (JSON messages "
    "pretty-printed); or jsonl (one record per line, with the matched spans).",
)
@click.option(
    "--color",
    type=click.Choice(list(_COLOR)),
    default="auto",
    show_default=True,
    help="Colour times, streams and the matched parts of messages (auto: on a terminal).",
)
@_aws_options
def tail_command(
    pattern: str | None,
    filter_pattern: str | None,
    groups: tuple[str, ...],
    stream_names: tuple[str, ...],
    stream_prefixes: tuple[str, ...],
    since: str | None,
    limit: int | None,
    restart: bool,
    style: str,
    color: str,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
) -> None:
    """Show the events of log GROUPs that match PATTERN as they arrive, with Live Tail
    (StartLiveTail); Ctrl-C stops (exit 0 when something was shown, else 1).

    The pattern is checked locally, sent in canonical form, and every event the service
    sends is judged again exactly, so what is shown is exactly what the pattern matches; the
    parts of a message that the pattern's conditions matched are coloured.

    Live Tail limits: 1 to 10 log groups; stream names or prefixes (up to 100) with one group
    only; a pattern of at most 1,024 characters. The service sends at most 500 events a
    second (a sample when more match: a warning says so) and ends a session after 3 hours (a
    new one is started; events in between are missed). A connection lost mid-session is
    followed by a new session after 1, 2, 4, 8 and 16 s, at most 5 times in a row (a note says
    so; events in between are missed).

    \b
    Examples:
      cwquery tail -g /myapp/prod '{ $.level = "ERROR" }'
      cwquery tail -g /myapp/api -g /myapp/worker '?ERROR ?WARN' --since 10m
      cwquery tail -g /myapp/prod --log-stream-name-prefixes web --format short
    """
    from cwquery.aws.events import filter_pattern_text
    from cwquery.aws.livetail import (
        MAX_PATTERN_LENGTH,
        LiveTail,
        check_request,
        log_group_arns,
    )
    from cwquery.plan import plan_for

    if pattern is not None and filter_pattern is not None:
        raise click.UsageError("give the pattern once: as an argument or with --filter-pattern")
    try:
        given = pattern if filter_pattern is None else filter_pattern
        text = filter_pattern_text(given)
        if len(text) > MAX_PATTERN_LENGTH and given is not None:
            text = given  # the canonical spacing made it longer: send it as written
    except PatternError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    names, prefixes = list(stream_names), list(stream_prefixes)
    start = _time_option(since, "--since")
    plan = plan_for(text) if text else None
    out = _Printer(style, False, _COLOR[color], plan)
    previous: Any = None
    with contextlib.suppress(ValueError):  # SIGTERM ends like Ctrl-C
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        listed = [group.removesuffix(":*") for group in groups]
        if not any("*" in group for group in listed):  # before any call; wildcards: after
            check_request(listed, names, prefixes, text)
        client = aws_client(region, profile, endpoint_url)
        arns = log_group_arns(groups, client=client)
        out.show_group = len(arns) > 1
        shown: set[tuple[str, str, int, str]] = set()
        if start is not None:
            shown = _recent(text, arns, names, prefixes, start, client, out, limit)
        if limit is None or out.count < limit:
            tail = LiveTail(
                arns,
                text,
                client=client,
                stream_names=names,
                stream_prefixes=prefixes,
                restart=restart,
                skip=lambda e: (e.group_name, e.stream, e.timestamp, e.message) in shown,
            )
            try:
                for event in _live_events(tail):
                    out.event(
                        {
                            "timestamp": event.timestamp,
                            "ingestionTime": event.ingestion_time,
                            "group": event.group_name,
                            "stream": event.stream,
                            "message": event.message,
                        }
                    )
                    if limit is not None and out.count >= limit:
                        break
            finally:
                tail.close()
    except KeyboardInterrupt:
        pass
    except CWQueryError as err:
        _fail(str(err))
    except Exception as err:  # botocore: no credentials, no region, network
        if not _is_botocore_error(err):
            raise
        _fail(str(err))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(EXIT_OK if out.count else EXIT_NO)


def _live_events(tail: Any) -> Iterator[Any]:
    """The events of a :class:`~cwquery.aws.livetail.LiveTail`, with its notes on stderr: a
    sampled update, a new session after a timeout or a lost connection, a session that timed
    out."""
    from cwquery.aws.livetail import MAX_EVENTS_PER_UPDATE, Reconnect, SessionStart

    for item in tail.items():
        if isinstance(item, Reconnect):
            click.echo(
                f"note: the Live Tail connection was lost ({item.error}); a new session starts "
                f"in {item.delay:g} s (attempt {item.attempt} of {tail.max_reconnects}; events "
                "in between are not seen)",
                err=True,
            )
            continue
        if isinstance(item, SessionStart):
            if item.after == "timeout":
                click.echo(
                    "note: the Live Tail session ended after 3 hours; a new one started "
                    "(events in between were not seen)",
                    err=True,
                )
            continue
        if item.sampled:
            click.echo(
                f"warning: more than {MAX_EVENTS_PER_UPDATE} events matched in one second; "
                f"Live Tail sent a sample of {item.received}",
                err=True,
            )
        yield from item.events
    if tail.stats.ended == "timeout":
        click.echo("note: the Live Tail session ended after 3 hours (--no-restart)", err=True)


def _recent(
    text: str,
    arns: list[str],
    names: list[str],
    prefixes: list[str],
    start: int,
    client: Any,
    out: _Printer,
    limit: int | None,
) -> set[tuple[str, str, int, str]]:
    """Print the matching events since ``start`` (FilterLogEvents, as ``aws logs tail``
    does); return what was printed, for Live Tail to leave out."""
    from cwquery.aws.events import filter_events
    from cwquery.aws.livetail import group_name

    shown: set[tuple[str, str, int, str]] = set()
    events = filter_events(
        text,
        [group_name(arn) for arn in arns],
        client=client,
        start=start,
        end=to_millis("now"),
        streams=names or None,
        stream_prefix=prefixes[0] if len(prefixes) == 1 else None,
        limit=limit,
    )
    for event in events:
        if len(prefixes) > 1 and not any(event["logStreamName"].startswith(p) for p in prefixes):
            continue
        record = {
            "timestamp": event["timestamp"],
            "ingestionTime": event.get("ingestionTime"),
            "group": event.get("logGroupName") or group_name(arns[0]),
            "stream": event.get("logStreamName", ""),
            "message": event["message"],
        }
        out.event(record)
        if len(shown) < _REMEMBERED:
            shown.add((record["group"], record["stream"], record["timestamp"], record["message"]))
    return shown

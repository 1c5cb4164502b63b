"""``cwquery payload PATTERN FILE...``: the events a subscription's consumer would receive."""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any

import click

from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, fail
from cwquery.errors import PatternError
from cwquery.logs.sources import SourceError, read_events
from cwquery.selection import SelectionError
from cwquery.subscriptions import (
    DESTINATIONS,
    EMITTABLE_FIELDS,
    SubscriptionError,
    consumer_events,
    payloads,
)


@click.command("payload")
@click.argument("pattern")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--destination",
    "-d",
    type=click.Choice(DESTINATIONS),
    default="lambda",
    show_default=True,
    help="lambda: one subscription invocation per delivery; kinesis: one Kinesis event-source "
    "event; firehose: one Firehose transformation event.",
)
@click.option("--log-group", default="/test/group", show_default=True)
@click.option("--log-stream", default="test-stream", show_default=True)
@click.option("--owner", default="123456789012", show_default=True, help="The account id.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--filter-name", default="f", show_default=True)
@click.option(
    "--destination-name",
    default="test",
    show_default=True,
    help="The stream or delivery stream named in the event's ARNs.",
)
@click.option(
    "--field-selection-criteria", default=None, help="The filter's fieldSelectionCriteria."
)
@click.option(
    "--emit-system-field",
    "emitted",
    multiple=True,
    type=click.Choice(EMITTABLE_FIELDS),
    help="A system field to add to each event (repeatable).",
)
@click.option(
    "--timestamp",
    type=click.IntRange(min=0),
    default=None,
    help="Epoch ms for events that carry no time (default: now).",
)
@click.option("--decoded", is_flag=True, help="Print the decoded envelopes instead.")
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="Default: stdout."
)
def payload_command(
    pattern: str,
    files: tuple[str, ...],
    destination: str,
    log_group: str,
    log_stream: str,
    owner: str,
    region: str,
    filter_name: str,
    destination_name: str,
    field_selection_criteria: str | None,
    emitted: tuple[str, ...],
    timestamp: int | None,
    decoded: bool,
    output: IO[str],
) -> None:
    """Write the events a subscription filter with PATTERN delivers for the log events of FILE
    (text or JSON lines, CloudWatch exports, S3 exports; - is stdin), as its consumer's Lambda
    function receives them: one JSON document a line.

    Events are cut into PutLogEvents batches; each batch with a match is one delivery. Exit 0
    when something was delivered, 1 when nothing matched, 2 on an error.

    \b
    Example:
      cwquery payload '{ $.status >= 500 }' app.log --destination kinesis > event.json
    """
    now = timestamp if timestamp is not None else int(time.time() * 1000)
    events: list[dict[str, Any]] = []
    try:
        for name in files:
            for event in read_events(name, event_lines=True):
                moment = event.timestamp if event.timestamp is not None else now
                events.append({"timestamp": moment, "message": event.message})
    except SourceError as err:
        fail(str(err))
    except OSError as err:
        fail(f"{err.filename}: {err.strerror}")
    try:
        envelopes = payloads(
            pattern,
            [e for e in events if e["message"]],
            log_group=log_group,
            log_stream=log_stream,
            owner=owner,
            region=region,
            filter_name=filter_name,
            field_selection_criteria=field_selection_criteria,
            emit_system_fields=emitted,
        )
    except PatternError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    except (SelectionError, SubscriptionError) as err:
        fail(str(err))
    documents = (
        envelopes
        if decoded
        else consumer_events(
            envelopes, destination, destination_name=destination_name, region=region, owner=owner
        )
    )
    for document in documents:
        output.write(json.dumps(document, ensure_ascii=False) + "\n")
    output.flush()
    sys.exit(EXIT_OK if envelopes else EXIT_NO)

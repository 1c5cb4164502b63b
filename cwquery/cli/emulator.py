"""``cwquery emulator``: moto's server with exact CloudWatch Logs filter patterns."""

from __future__ import annotations

import logging
from typing import Any

import click

from cwquery.cli.common import EXIT_ERROR, out

#: The example ``--help`` ends with: dummy credentials and the region are required by the CLI.
AWS_CLI_EXAMPLE = (
    "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
    "aws --endpoint-url http://127.0.0.1:4566 --region us-east-1 "
    "logs filter-log-events --log-group-name app --filter-pattern ERROR"
)


@click.command(epilog=f"\b\nExample:\n  {AWS_CLI_EXAMPLE}")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=4566,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--region",
    default="us-east-1",
    show_default=True,
    help="Region that --load writes into (clients must use the same one).",
)
@click.option(
    "--load",
    "load_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, readable=True),
    help='Preload a sample file (JSON lines, plain text, or a {"events": [...]} export). '
    "Repeatable.",
)
@click.option(
    "--input-format",
    type=click.Choice(["auto", "lines", "export", "s3-export"]),
    default="auto",
    show_default=True,
    help="How --load files are read (as in 'cwquery test --input-format').",
)
@click.option("--group", help="Log group that --load writes into (created if missing).")
@click.option(
    "--stream",
    help="Log stream for --load (default: the exported logStreamName, else cwquery-load).",
)
@click.option(
    "--query-phase",
    "query_phases",
    multiple=True,
    type=click.Choice(["Scheduled", "Running"]),
    help="A status every Logs Insights query reports, one per GetQueryResults call, before "
    "Complete (default: Complete at once). Repeatable, in order.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No access line per request (the server's errors are still printed).",
)
def emulator(
    host: str,
    port: int,
    region: str,
    load_files: tuple[str, ...],
    input_format: str,
    group: str | None,
    stream: str | None,
    query_phases: tuple[str, ...],
    quiet: bool,
) -> None:
    """Run moto's AWS server with cwquery's exact filter patterns.

    FilterLogEvents, TestMetricFilter, metric filters (published to CloudWatch), subscription
    filters and live tail evaluate patterns exactly; invalid patterns get the service's
    errors; Logs Insights queries run on cwquery's engine. Point any SDK or the AWS CLI at it
    (example below). The emulator accepts any credentials, but the AWS CLI and SDKs send no
    request without some, and need a region (the one --load wrote into).

    Stops on Ctrl-C or SIGTERM.
    """
    if quiet:
        # werkzeug writes one INFO line per request; its warnings and errors stay.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if load_files and not group:
        raise click.UsageError("--load needs --group")
    if (group or stream) and not load_files:
        raise click.UsageError("--group and --stream go with --load")
    try:
        from cwquery.emulator import EmulatorError, read_sample
        from cwquery.emulator.insights import simulate_phases
        from cwquery.emulator.loader import load_events
        from cwquery.emulator.server import EmulatorServer, logs_backend, serve
    except ImportError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(EXIT_ERROR) from err

    try:
        samples = [(path, read_sample(path, input_format=input_format)) for path in load_files]
    except EmulatorError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(EXIT_ERROR) from err

    def ready(server: Any) -> None:
        for path, events in samples:
            assert group is not None
            count = load_events(logs_backend(region), group, events, stream=stream)
            out(f"loaded {count} events from {path} into {group} ({region})")
        out(f"cwquery emulator listening on {server.endpoint_url}")
        click.echo("stop with Ctrl-C or SIGTERM", err=True)

    try:
        with simulate_phases(*query_phases):
            serve(EmulatorServer(host, port), on_ready=ready)
    except EmulatorError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(EXIT_ERROR) from err
    out("cwquery emulator stopped")

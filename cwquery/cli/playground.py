"""``cwquery playground``: a local page to write a pattern against sample logs."""

from __future__ import annotations

import signal
import threading
import webbrowser
from types import FrameType

import click

from cwquery.cli.common import EXIT_ERROR, out


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--port",
    default=8642,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback shows your samples to the network.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
def playground(files: tuple[str, ...], port: int, host: str, open_browser: bool) -> None:
    """Serve a page to write a pattern and see, live, its errors, the matching lines of FILES
    (or pasted and uploaded samples), why a line matches or not, and metric values.

    FILES are read as `cwquery test` reads them: text or JSON lines, CloudWatch exports, the
    .gz files of an S3 export. The page works offline and keeps its share links in the URL
    fragment, which browsers never send. Stops on Ctrl-C or SIGTERM.

    \b
    Examples:
      cwquery playground app.jsonl --open
      cwquery playground --port 0 access.log
    """
    try:
        from cwquery.playground import api
        from cwquery.playground.server import PlaygroundServer, create_app, is_loopback_address
    except ImportError as err:
        click.echo(
            f"error: {err}; install the playground: pip install 'cwquery[playground]'", err=True
        )
        raise SystemExit(EXIT_ERROR) from err
    try:
        samples = api.read_files(files)
    except (api.ApiError, OSError) as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(EXIT_ERROR) from err
    loopback = is_loopback_address(host)
    server = PlaygroundServer(create_app(samples, loopback_only=loopback), host, port)
    try:
        server.start()
    except OSError as err:
        click.echo(f"error: cannot listen on {host}:{port}: {err}", err=True)
        raise SystemExit(EXIT_ERROR) from err
    for sample in samples:
        out(f"read {len(sample['lines'])} lines from {sample['name']}")
    if not loopback:
        click.echo(f"warning: listening on {host}: other machines can reach the page", err=True)
    out(f"cwquery playground at {server.url}")
    click.echo("stop with Ctrl-C", err=True)
    if open_browser:
        webbrowser.open(server.url)
    _wait_for_stop()
    server.stop()
    out("cwquery playground stopped")


def _wait_for_stop() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(0.2):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

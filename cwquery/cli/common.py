"""What every command shares: exit codes, error printing, and the one rule for failures.

Every command runs inside :class:`Group`, so the rule holds for commands added later too:
an unexpected exception prints one line (the traceback with ``--debug``) and exits 2; a closed
output pipe (``| head -1``) ends the command quietly with :data:`EXIT_PIPE`, output printed
through :func:`out`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from cwquery.errors import CWQueryError, PatternError, describe

#: Exit codes follow grep: 0 yes (valid, something matched), 1 no, 2 usage or input error.
EXIT_OK = 0
EXIT_NO = 1
EXIT_ERROR = 2
#: A reader closed the output pipe: the status a shell gives a program ended by SIGPIPE.
EXIT_PIPE = 141
#: The statuses a shell gives a program ended by SIGINT and by SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


#: What ``--endpoint-url`` help says of an emulator on this machine (see ``make_client``).
LOOPBACK_HELP = (
    "A loopback URL (127.0.0.1, localhost, ::1) needs no AWS setup: without configured "
    "credentials or Region, dummy credentials and us-east-1 are used."
)


def echo_pattern_error(err: PatternError, which: str = "") -> None:
    """Print a pattern error to stderr with its code in front (and ``which`` pattern it is, when
    a command takes several)."""
    click.echo(f"{which + ': ' if which else ''}{err.code}: {err}", err=True)


def out(text: str, *, nl: bool = True, flush: bool = True) -> None:
    """Print ``text`` (and a line end) on stdout, the one way commands print: UTF-8 bytes
    whatever the locale says, byte for byte (no colour codes taken out), every byte written or
    :class:`BrokenPipeError` raised while the failure rule stands. A write cut short by the
    reader's going is tried again to see why, even on an unbuffered stdout
    (``PYTHONUNBUFFERED``), whose text layer would drop the rest without a word. Without
    ``flush`` the bytes wait in the buffer until the command ends (the rule flushes it); what
    the command prints then goes through here only."""
    if nl:
        text += "\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a stream without bytes (a test's StringIO)
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
        return
    if flush:
        sys.stdout.flush()  # what the text layer holds goes first
    data = memoryview(text.encode("utf-8", "replace"))
    while data:
        data = data[buffer.write(data) or 0 :]
    if flush:
        buffer.flush()


def fail(message: str) -> NoReturn:
    """Print ``error: message`` and exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def aws_client(region: str | None, profile: str | None, endpoint_url: str | None) -> Any:
    """A CloudWatch Logs client for a command's ``--region``, ``--profile`` and
    ``--endpoint-url``. botocore refuses a malformed endpoint with a plain ``ValueError``; that
    one is an input error (exit 2), so it is shown as one."""
    from botocore.exceptions import BotoCoreError

    from cwquery.aws.client import make_client

    try:
        return make_client(region=region, profile=profile, endpoint_url=endpoint_url)
    except BotoCoreError:
        raise
    except ValueError as err:  # "Invalid endpoint: ..."
        raise click.BadParameter(str(err), param_hint="'--endpoint-url'") from None


@contextmanager
def exit_on_sigterm() -> Iterator[None]:
    """While it lasts, SIGTERM ends the command with :data:`EXIT_TERMINATED` by raising
    ``SystemExit``, so the ``with`` blocks on the way out run (worker processes are stopped).
    Only the main thread can set a signal handler; elsewhere this does nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(number: int, frame: object) -> None:
        raise SystemExit(EXIT_TERMINATED)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so the interpreter's flush at exit is
    silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


#: click 8.2+'s "no arguments: show the help" error, left as click shows it.
_NO_ARGS_IS_HELP: tuple[type[Exception], ...] = tuple(
    error for error in [vars(click.exceptions).get("NoArgsIsHelpError")] if error is not None
)


class ClickError(click.ClickException, CWQueryError):
    """A click error (a usage error, a bad option value) shown as every other error is:
    ``error: message`` on stderr, after the usage lines of a usage error, and exit 2."""

    exit_code = EXIT_ERROR

    def __init__(self, original: click.ClickException) -> None:
        super().__init__(original.format_message())
        self.original = original

    def show(self, file: Any = None) -> None:
        ctx = getattr(self.original, "ctx", None)
        if ctx is not None:
            lines = ctx.get_usage()
            if ctx.command.get_help_option(ctx) is not None:
                longest = max(ctx.command.get_help_option_names(ctx), key=len)
                lines += f"\nTry '{ctx.command_path} {longest}' for help."
            click.echo(lines + "\n", file=file, err=file is None, color=ctx.color)
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


_LEFT_AS_THEY_ARE: tuple[type[BaseException], ...] = (
    ClickError,
    *_NO_ARGS_IS_HELP,
    click.exceptions.Exit,
    click.Abort,
    SystemExit,
)


@contextmanager
def _one_rule(debug: Callable[[], bool]) -> Iterator[None]:
    """The failure rule, for parsing a command line and for running it: click's errors shown as
    :class:`ClickError` (click's "no arguments: show the help" left as it is), a closed output
    pipe exits :data:`EXIT_PIPE` quietly (stdout is flushed on the way out to see it), Ctrl-C
    :data:`EXIT_INTERRUPTED`, and any other exception prints one line (the traceback when
    ``debug()``) and exits 2."""
    try:
        try:
            yield
        except (click.exceptions.Exit, SystemExit):
            _flush_stdout()
            raise
        else:
            _flush_stdout()
    except _LEFT_AS_THEY_ARE:
        raise
    except click.ClickException as err:
        raise ClickError(err) from None
    except BrokenPipeError:
        _quiet_stdout()
        sys.exit(EXIT_PIPE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        _flush_stdout(quietly=True)
        sys.exit(EXIT_INTERRUPTED)
    except Exception as err:  # the one place that turns surprises into exit 2
        if debug():
            import traceback  # only --debug shows one

            traceback.print_exc()
        click.echo(f"error: {describe(err)}; run with --debug for the traceback", err=True)
        _flush_stdout(quietly=True)
        sys.exit(EXIT_ERROR)


def _flush_stdout(*, quietly: bool = False) -> None:
    """Write out what stdout still holds, so that a closed pipe is seen under the failure rule
    (:class:`BrokenPipeError`, exit :data:`EXIT_PIPE`), not at exit; ``quietly``, on the way out
    with another status, a closed pipe is let be."""
    if sys.stdout is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        if not quietly:
            raise
        _quiet_stdout()


class Group(click.Group):
    """A click group whose commands all follow the same failure rule."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _one_rule(lambda: "--debug" in args):
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_rule(lambda: bool(ctx.params.get("debug"))):
            return super().invoke(ctx)

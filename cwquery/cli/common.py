"""What every command shares: exit codes, error printing, and the one rule for failures.

Every command runs inside :class:`Group`, so the rule holds for commands added later too:
an unexpected exception prints one line (the traceback with ``--debug``) and exits 2; a closed
output pipe (``| head -1``) ends the command quietly with :data:`EXIT_PIPE`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from cwquery.errors import PatternError

#: Exit codes follow grep: 0 yes (valid, something matched), 1 no, 2 usage or input error.
EXIT_OK = 0
EXIT_NO = 1
EXIT_ERROR = 2
#: A reader closed the output pipe: the status a shell gives a program ended by SIGPIPE.
EXIT_PIPE = 141
#: The statuses a shell gives a program ended by SIGINT and by SIGTERM.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def echo_pattern_error(err: PatternError) -> None:
    """Print a pattern error to stderr with its code in front."""
    click.echo(f"{err.code}: {err}", err=True)


def fail(message: str) -> NoReturn:
    """Print ``error: message`` and exit 2."""
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def describe(err: BaseException) -> str:
    """One line for an exception the user was not meant to see.

    >>> describe(RecursionError("maximum recursion depth exceeded"))
    'internal error (RecursionError): maximum recursion depth exceeded'
    """
    text = " ".join(str(err).split()) or "no details"
    return f"internal error ({type(err).__name__}): {text[:300]}"


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


class Group(click.Group):
    """A click group whose commands all follow the same failure rule."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            _quiet_stdout()
            sys.exit(EXIT_PIPE)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as err:  # the one place that turns surprises into exit 2
            if debug:
                import traceback  # only --debug shows one

                traceback.print_exc()
            click.echo(f"error: {describe(err)}; run with --debug for the traceback", err=True)
            sys.exit(EXIT_ERROR)

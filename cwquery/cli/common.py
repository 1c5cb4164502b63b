"""What every command shares: exit codes and error printing."""

from __future__ import annotations

import click

from cwquery.errors import PatternError

#: Exit codes follow grep: 0 yes (valid, something matched), 1 no, 2 usage or input error.
EXIT_OK = 0
EXIT_NO = 1
EXIT_ERROR = 2


def echo_pattern_error(err: PatternError) -> None:
    """Print a pattern error to stderr with its code in front."""
    click.echo(f"{err.code}: {err}", err=True)

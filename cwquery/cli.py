"""The ``cwquery`` command line.

Exit codes follow grep: 0 success (valid, or something matched), 1 the answer is "no"
(an invalid pattern, nothing matched), 2 a usage or input error.
"""

from __future__ import annotations

import json
import sys

import click

from cwquery import __version__
from cwquery.errors import PatternError
from cwquery.parser import parse
from cwquery.render import render

EXIT_OK = 0
EXIT_NO = 1
EXIT_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cwquery")
def main() -> None:
    """Write, check, test and run CloudWatch Logs filter patterns."""


@main.command()
@click.argument("patterns", nargs=-1, required=True)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: caret errors on stderr; json: one report on stdout.",
)
def check(patterns: tuple[str, ...], output_format: str) -> None:
    """Check that each PATTERN is valid; exit 1 if one is not.

    \b
    Example:
      cwquery check '{ $.latency > 1000 }' '?ERROR ?WARN'
    """
    reports = []
    failed = False
    for pattern in patterns:
        try:
            tree = parse(pattern)
        except PatternError as err:
            failed = True
            reports.append({"pattern": pattern, "valid": False, "error": err.to_dict()})
            if output_format == "text":
                click.echo(f"{err.code}: {err}", err=True)
            continue
        reports.append({"pattern": pattern, "valid": True, "canonical": render(tree)})
    if output_format == "json":
        click.echo(json.dumps({"valid": not failed, "patterns": reports}, indent=2))
    elif not failed:
        click.echo(f"{len(patterns)} pattern{'s' if len(patterns) != 1 else ''} valid", err=True)
    sys.exit(EXIT_NO if failed else EXIT_OK)


@main.command()
@click.argument("pattern")
def fmt(pattern: str) -> None:
    """Print PATTERN in canonical form.

    \b
    Example:
      cwquery fmt '{($.a=1)&&($.b=x)}'     # prints { $.a = 1 && $.b = "x" }
    """
    try:
        click.echo(render(parse(pattern)))
    except PatternError as err:
        click.echo(f"{err.code}: {err}", err=True)
        sys.exit(EXIT_NO)

"""``cwquery check`` and ``cwquery fmt``: validate and normalise patterns."""

from __future__ import annotations

import json
import sys

import click

from cwquery.cli.common import EXIT_NO, EXIT_OK, echo_pattern_error
from cwquery.errors import PatternError
from cwquery.parser import parse
from cwquery.render import render


@click.command()
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
                echo_pattern_error(err)
            continue
        reports.append({"pattern": pattern, "valid": True, "canonical": render(tree)})
    if output_format == "json":
        click.echo(json.dumps({"valid": not failed, "patterns": reports}, indent=2))
    elif not failed:
        click.echo(f"{len(patterns)} pattern{'s' if len(patterns) != 1 else ''} valid", err=True)
    sys.exit(EXIT_NO if failed else EXIT_OK)


@click.command()
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
        echo_pattern_error(err)
        sys.exit(EXIT_NO)

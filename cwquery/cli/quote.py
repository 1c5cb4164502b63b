"""``cwquery quote``: a pattern as the literal to paste into a shell, YAML, Terraform, JSON or
TypeScript file."""

from __future__ import annotations

import sys

import click

from cwquery.cli.common import EXIT_ERROR, echo_pattern_error, fail, out
from cwquery.errors import PatternError
from cwquery.parser import parse
from cwquery.quoting import TARGETS, quote_for
from cwquery.renderer import render


@click.command("quote")
@click.argument("pattern")
@click.option(
    "--for",
    "target",
    type=click.Choice(list(TARGETS)),
    required=True,
    help="sh: a POSIX shell word; yaml: a YAML scalar; hcl: a Terraform string; json: a JSON "
    "string; ts: a TypeScript string or template literal.",
)
@click.option(
    "--canonical", is_flag=True, help="Quote the pattern's canonical form (as cwquery fmt prints)."
)
def quote_command(pattern: str, target: str, canonical: bool) -> None:
    """Print PATTERN as the literal to paste into a file of the language --for names.

    The literal reads back as exactly the pattern (or its canonical form with --canonical).
    PATTERN '-' reads the pattern from stdin (one line break at the end is dropped), which spares
    quoting it for the shell first. Exit 2 when the pattern is not valid.

    \b
    Examples:
      cwquery quote '{ $.user = "it'\\''s" }' --for yaml
      cwquery quote - --for hcl < pattern.txt
    """
    if pattern == "-":
        pattern = sys.stdin.read()
        pattern = pattern[:-2] if pattern.endswith("\r\n") else pattern.removesuffix("\n")
    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept as lone surrogates
        fail("the pattern is not UTF-8 text")
    try:
        tree = parse(pattern)
    except PatternError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    out(quote_for(render(tree) if canonical else pattern, target))

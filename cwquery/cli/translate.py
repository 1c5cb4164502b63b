"""``cwquery to-insights``: the Logs Insights query that selects exactly the events a filter
pattern matches, or why none does (docs/insights.md, "From a filter pattern")."""

from __future__ import annotations

import json
import sys

import click

from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, out
from cwquery.errors import PatternError

__all__ = ["to_insights_command"]


@click.command("to-insights")
@click.argument("pattern")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: the query on stdout (the reason on stderr); json: one object on stdout.",
)
def to_insights_command(pattern: str, output_format: str) -> None:
    """Print the Logs Insights query that selects exactly the events PATTERN matches.

    Term, phrase, ?-term, exclusion, match-all and %regex% patterns, and space-delimited
    patterns without conditions, have an exact translation; JSON patterns and space-delimited
    ones with conditions have none (Insights reads those events by other rules), and the
    reason is printed instead. Exit 0 with a query, 1 without one,
    2 when PATTERN is not valid.

    \b
    Examples:
      cwquery to-insights 'ERROR -DEBUG'
      cwquery to-insights --format json '%timed? out%'
    """
    from cwquery.insights.translate import to_insights

    try:
        translation = to_insights(pattern)
    except PatternError as err:
        echo_pattern_error(err)
        sys.exit(EXIT_ERROR)
    if output_format == "json":
        out(json.dumps(translation.as_dict(), ensure_ascii=False))
    elif translation.query is not None:
        out(translation.query)
    else:
        click.echo(f"no exact translation: {translation.reason}", err=True)
    sys.exit(EXIT_OK if translation.exact else EXIT_NO)

"""``cwquery covers A B``: does pattern A match every event pattern B matches?"""

from __future__ import annotations

import json
import sys

import click

from cwquery.ast import Pattern
from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, out
from cwquery.coverage import covers
from cwquery.errors import PatternError
from cwquery.explanation import explain
from cwquery.parser import parse

#: ``covers`` could not decide (neither a proof nor a counter-example).
EXIT_UNDECIDED = 3


@click.command("covers")
@click.argument("first", metavar="A")
@click.argument("second", metavar="B")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: an object with holds, counterexample and reason.",
)
def covers_command(first: str, second: str, output_format: str) -> None:
    """Tell whether pattern A matches every event that pattern B matches (A covers B).

    Exit 0 when it does; 1 when it does not (a message B matches and A does not is printed,
    with the conditions of A it breaks); 3 when it cannot be decided; 2 when a pattern is not
    valid.

    \b
    Example:
      cwquery covers '{ $.eventName = Delete* }' '{ $.eventName = DeleteTrail }'
    """
    trees: list[Pattern] = []
    for name, text in (("pattern A", first), ("pattern B", second)):
        try:
            trees.append(parse(text))
        except PatternError as err:
            echo_pattern_error(err, name)
    if len(trees) < 2:
        sys.exit(EXIT_ERROR)
    tree_a, tree_b = trees
    result = covers(tree_a, tree_b)
    if output_format == "json":
        out(json.dumps(result.to_dict(), ensure_ascii=False))
    elif result.holds is True:
        out(f"covers: {result.reason}")
    elif result.holds is False and result.counterexample is not None:
        out("does not cover: B matches this message and A does not:")
        out(f"  {_shown(result.counterexample)}")
        out(str(explain(tree_a, result.counterexample)))
    else:
        out(f"cannot decide: {result.reason}")
    if result.holds is None:
        sys.exit(EXIT_UNDECIDED)
    sys.exit(EXIT_OK if result.holds else EXIT_NO)


def _shown(message: str) -> str:
    """The message as it is, or as a JSON string when blanks at its ends or control
    characters would not show."""
    if message.isprintable() and message.strip() == message and message:
        return message
    return json.dumps(message, ensure_ascii=False)

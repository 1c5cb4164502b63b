"""``cwquery test``: run a pattern over sample logs, offline, with CloudWatch's answers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from cwquery.ast import JsonPattern
from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, fail
from cwquery.compiler import Matcher, compile
from cwquery.errors import PatternError
from cwquery.explanation import explain
from cwquery.hints import prefixed_json
from cwquery.semantics import EVENT_NUMBER_BASE, NOT_JSON, load_json_event
from cwquery.sources import INPUT_FORMATS, SourceError, read_events

#: Show a progress bar on a terminal when the input is at least this big.
_PROGRESS_BYTES = 8 * 1024 * 1024


@click.command(name="test")
@click.argument("pattern")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--count", is_flag=True, help="Print only the number of matching messages.")
@click.option("--json", "as_json", is_flag=True, help="Print a TestMetricFilter-shaped response.")
@click.option("--explain", "show_explanation", is_flag=True, help="Explain every message.")
@click.option("--invert", "-v", is_flag=True, help="Print the messages that do not match.")
@click.option("--quiet", "-q", is_flag=True, help="No summary on stderr.")
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help='lines: one message per line; export: a {"events": [...]} document; s3-export: '
    "'<ISO time> <message>' lines; auto: an export only when the whole file is one.",
)
def test_command(
    pattern: str,
    files: tuple[str, ...],
    count: bool,
    as_json: bool,
    show_explanation: bool,
    invert: bool,
    quiet: bool,
    input_format: str,
) -> None:
    """Match PATTERN against the messages in FILES (standard input when none).

    FILES may hold plain text or JSON lines (one message per line), a CloudWatch export
    ({"events": [...]}, as printed by `aws logs filter-log-events`), or the .gz files of an S3
    export. Exit status: 0 when something matched, 1 when nothing did, 2 on error.

    \b
    With --invert, the printed lines, --count and --json are the messages that do not match,
    and the exit status says whether any were selected.

    \b
    Examples:
      cwquery test '{ $.latency > 1000 }' app.jsonl
      cwquery test --explain '[ip, ..., status = 5*, bytes]' access.log
      aws logs filter-log-events --log-group-name /app | cwquery test --count ERROR
    """
    try:
        matcher = compile(pattern)
    except PatternError as err:
        echo_pattern_error(err)
        _hint_pattern_first(pattern)
        sys.exit(EXIT_ERROR)
    sources = list(files) or ["-"]
    try:
        tally = _run(matcher, sources, count, as_json, show_explanation, invert, input_format)
    except SourceError as err:
        fail(str(err))
    except BrokenPipeError:
        raise  # the group's rule: a closed pipe ends quietly
    except OSError as err:
        click.echo(f"error: {err.filename or 'input'}: {err.strerror or err}", err=True)
        _hint_pattern_first(pattern)
        sys.exit(EXIT_ERROR)
    if not quiet:
        click.echo(tally.summary(), err=True)
    sys.exit(EXIT_OK if tally.selected else EXIT_NO)


def _hint_pattern_first(pattern: str) -> None:
    if Path(pattern).is_file():
        click.echo(
            f"hint: {pattern!r} is a file; the pattern comes first: cwquery test PATTERN FILE...",
            err=True,
        )


class _Tally:
    def __init__(self, json_pattern: bool) -> None:
        self.json_pattern = json_pattern
        self.read = self.matched = self.not_json = self.selected = 0
        self.not_json_hint: str | None = None

    def summary(self) -> str:
        text = f"{self.matched} of {self.read} message{'s' if self.read != 1 else ''} matched"
        if self.json_pattern and self.not_json:
            were = "was" if self.not_json == 1 else "were"
            plural = "s" if self.not_json != 1 else ""
            text += f"; {self.not_json} message{plural} {were} not JSON"
            if self.not_json_hint:
                text += f"\nhint: {self.not_json_hint}"
        return text


def _run(
    matcher: Matcher,
    sources: list[str],
    count: bool,
    as_json: bool,
    show_explanation: bool,
    invert: bool,
    input_format: str = "auto",
) -> _Tally:
    tally = _Tally(isinstance(matcher.pattern, JsonPattern))
    found: list[dict[str, object]] = []
    matches = matcher.matches
    for message in _messages_with_progress(sources, input_format):
        tally.read += 1
        hit = matches(message)
        if hit:
            tally.matched += 1
        elif tally.json_pattern and load_json_event(message) is NOT_JSON:
            tally.not_json += 1
            if tally.not_json_hint is None:
                tally.not_json_hint = prefixed_json(message)
        selected = hit is not invert
        if selected:
            tally.selected += 1
        if show_explanation:
            click.echo(f"#{tally.read} {explain(matcher.pattern, message)}")
        elif as_json:
            if selected:
                number = tally.read - 1 + EVENT_NUMBER_BASE
                values = {} if invert else matcher.extract(message)
                found.append(
                    {"eventNumber": number, "eventMessage": message, "extractedValues": values}
                )
        elif not count and selected:
            click.echo(message)
    if as_json and not show_explanation:
        click.echo(json.dumps({"matches": found}, indent=2, ensure_ascii=False))
    elif count:
        click.echo(tally.selected)
    return tally


def _wants_progress(total_bytes: int) -> bool:
    """A progress bar only for big inputs, and only when stderr is a terminal."""
    return total_bytes >= _PROGRESS_BYTES and sys.stderr.isatty()


def _messages_with_progress(sources: list[str], input_format: str = "auto") -> Iterator[str]:
    total = sum(os.path.getsize(s) for s in sources if s != "-" and Path(s).is_file())
    if not _wants_progress(total):
        for source in sources:
            for event in read_events(source, input_format=input_format):
                yield event.message
        return
    with click.progressbar(length=total, label="reading", file=sys.stderr) as bar:
        for source in sources:
            for event in read_events(source, input_format=input_format):
                bar.update(len(event.message) + 1)
                yield event.message

"""``cwquery test``: run a pattern over sample logs, offline, with CloudWatch's answers.

Files of lines are read as bytes, block by block, on every core for big inputs
(:mod:`cwquery.parallel`); exports and ``--explain`` go message by message.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO

import click

from cwquery.ast import JsonPattern
from cwquery.blocks import BlockResult, Select, json_judge
from cwquery.cli.common import EXIT_ERROR, EXIT_NO, EXIT_OK, echo_pattern_error, fail
from cwquery.compiler import Matcher, compile
from cwquery.errors import PatternError
from cwquery.hints import prefixed_json
from cwquery.parallel import FileScan, default_jobs
from cwquery.semantics import EVENT_NUMBER_BASE
from cwquery.sources import INPUT_FORMATS, PEEK, SourceError, may_be_export, read_events

#: Show a progress bar on a terminal when the input is at least this big.
_PROGRESS_BYTES = 8 * 1024 * 1024
#: Bytes read to find a file's first :data:`~cwquery.sources.PEEK` characters.
_PEEK_BYTES = 4 * PEEK


@click.command(name="test")
@click.argument("pattern")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--count", is_flag=True, help="Print only the number of matching messages.")
@click.option("--json", "as_json", is_flag=True, help="Print a TestMetricFilter-shaped response.")
@click.option("--explain", "show_explanation", is_flag=True, help="Explain every message.")
@click.option("--invert", "-v", is_flag=True, help="Print the messages that do not match.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No summary on stderr (nor its not-JSON tally, so lines without the pattern's "
    "literal text are skipped unparsed).",
)
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help='lines: one message per line; export: a {"events": [...]} document; s3-export: '
    "'<ISO time> <message>' lines; auto: an export only when the whole file is one.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes scanning files of lines (default: every core for inputs of 8 MiB or "
    "more, else 1). The output keeps the input's order.",
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
    jobs: int | None,
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
    run = _Run(matcher, count, as_json, show_explanation, invert, quiet)
    try:
        run.sources(list(files) or ["-"], input_format, jobs)
    except SourceError as err:
        fail(str(err))
    except BrokenPipeError:
        raise  # the group's rule: a closed pipe ends quietly
    except OSError as err:
        click.echo(f"error: {err.filename or 'input'}: {err.strerror or err}", err=True)
        _hint_pattern_first(pattern)
        sys.exit(EXIT_ERROR)
    if not quiet:
        click.echo(run.tally.summary(), err=True)
    sys.exit(EXIT_OK if run.tally.selected else EXIT_NO)


def _hint_pattern_first(pattern: str) -> None:
    if os.path.isfile(pattern):
        click.echo(
            f"hint: {pattern!r} is a file; the pattern comes first: cwquery test PATTERN FILE...",
            err=True,
        )


@dataclass
class _Tally:
    json_pattern: bool
    read: int = 0
    matched: int = 0
    not_json: int = 0
    selected: int = 0
    first_not_json: str | None = None

    def summary(self) -> str:
        text = f"{self.matched} of {self.read} message{'s' if self.read != 1 else ''} matched"
        if self.json_pattern and self.not_json:
            were = "was" if self.not_json == 1 else "were"
            plural = "s" if self.not_json != 1 else ""
            text += f"; {self.not_json} message{plural} {were} not JSON"
            hint = prefixed_json(self.first_not_json) if self.first_not_json else None
            if hint:
                text += f"\nhint: {hint}"
        return text


@dataclass
class _Run:
    """One ``cwquery test`` run: what to print, and the tally so far."""

    matcher: Matcher
    count: bool
    as_json: bool
    show_explanation: bool
    invert: bool
    quiet: bool
    tally: _Tally = field(init=False)
    found: list[dict[str, object]] = field(default_factory=list)
    #: for a JSON pattern: match (True), no match (False) or not JSON (None), from one parse
    _judge: Callable[[str], bool | None] | None = field(init=False)
    out: _Stdout = field(init=False, default_factory=lambda: _Stdout())

    def __post_init__(self) -> None:
        is_json = isinstance(self.matcher.pattern, JsonPattern)
        self.tally = _Tally(is_json)
        self._judge = json_judge(self.matcher) if is_json else None

    def sources(self, sources: list[str], input_format: str, jobs: int | None) -> None:
        """Read every source in turn and print what was asked for."""
        total = sum(os.path.getsize(s) for s in sources if s != "-" and os.path.isfile(s))
        with ExitStack() as stack:
            scan = stack.enter_context(
                self._file_scan(default_jobs(total) if jobs is None else jobs)
            )
            advance = _progress(stack, total)
            for source in sources:
                self._source(source, input_format, scan, advance)
        if self.as_json and not self.show_explanation:
            click.echo(json.dumps({"matches": self.found}, indent=2, ensure_ascii=False))
        elif self.count:
            click.echo(self.tally.selected)

    def _file_scan(self, jobs: int) -> FileScan:
        if self.count and not self.as_json:
            select = Select.NONE
        else:
            select = Select.OTHERS if self.invert else Select.MATCHES
        return FileScan(
            self.matcher.text,  # each worker compiles it again
            select=select,
            count_not_json=not self.quiet,
            numbered=self.as_json,
            jobs=jobs,
        )

    def _source(
        self, source: str, input_format: str, scan: FileScan, advance: Callable[[int], None]
    ) -> None:
        if self.show_explanation or input_format in ("export", "s3-export"):
            self._messages(source, input_format, advance)
            return
        if source == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:  # already text (a test harness): read it as it is
                self._messages(source, input_format, advance)
            else:
                self._stream(stdin, input_format == "auto", scan, advance)
            return
        if os.path.splitext(source)[1] == ".gz":
            if input_format == "auto":  # an S3 export
                self._messages(source, input_format, advance)
                return
            with _gzip_errors(source), gzip.open(source, "rb") as stream:
                self._blocks(scan.stream(stream), advance)
            return
        if not os.path.isfile(source):  # a FIFO or a device: opened once, read through
            with open(source, "rb") as stream:
                self._stream(stream, input_format == "auto", scan, advance)
            return
        if input_format == "auto":
            with open(source, "rb") as stream:
                head = stream.read(_PEEK_BYTES)
            if _may_be_export(head):
                self._messages(source, input_format, advance)
                return
        self._blocks(scan.path(source), advance)

    def _stream(
        self, stream: IO[bytes], auto: bool, scan: FileScan, advance: Callable[[int], None]
    ) -> None:
        """A stream read once: an export when ``auto`` finds one, else lines."""
        head = stream.read(_PEEK_BYTES) if auto else b""
        if auto and _may_be_export(head):
            self._messages(io.StringIO(_text(head + stream.read())), "auto", advance)
        else:
            self._blocks(scan.stream(stream, head=head), advance)

    # ------------------------------------------------------------------ block by block

    def _blocks(
        self, results: Iterator[tuple[BlockResult, int]], advance: Callable[[int], None]
    ) -> None:
        tally, out = self.tally, self.out
        for result, size in results:
            before = tally.read
            tally.read += result.read
            tally.matched += result.matched
            tally.not_json += result.not_json
            if tally.first_not_json is None:
                tally.first_not_json = result.first_not_json
            if self.count and not self.as_json:
                tally.selected += result.read - result.matched if self.invert else result.matched
            elif self.as_json:
                tally.selected += len(result.selected)
                for index, message in result.selected:
                    self._found(before + index, message)
            elif result.selected:
                tally.selected += len(result.selected)
                out.write("".join(f"{text}\n" for _, text in result.selected))
            advance(size)

    def _found(self, index: int, message: str) -> None:
        values = {} if self.invert else self.matcher.extract(message)
        number = index + EVENT_NUMBER_BASE
        self.found.append(
            {"eventNumber": number, "eventMessage": message, "extractedValues": values}
        )

    # ------------------------------------------------------------------ message by message

    def _messages(
        self, source: str | IO[str], input_format: str, advance: Callable[[int], None]
    ) -> None:
        for event in read_events(source, input_format=input_format):
            self._message(event.message)
            advance(len(event.message) + 1)

    def _message(self, message: str) -> None:
        tally = self.tally
        tally.read += 1
        if self._judge is not None:
            verdict = self._judge(message)
            hit = bool(verdict)
            if verdict is None:
                tally.not_json += 1
                if tally.first_not_json is None:
                    tally.first_not_json = message
        else:
            hit = self.matcher.matches(message)
        if hit:
            tally.matched += 1
        selected = hit is not self.invert
        if selected:
            tally.selected += 1
        if self.show_explanation:
            from cwquery.explanation import explain  # only --explain needs it

            click.echo(f"#{tally.read} {explain(self.matcher.pattern, message)}")
        elif self.as_json:
            if selected:
                self._found(tally.read - 1, message)
        elif not self.count and selected:
            self.out.write(f"{message}\n")


class _Stdout:
    """Printed messages, as UTF-8 bytes whatever the locale says, and byte for byte as read
    (click's echo would strip colour codes when the output is not a terminal)."""

    def __init__(self) -> None:
        buffer = getattr(sys.stdout, "buffer", None)
        self._buffer: IO[bytes] | None = buffer
        if buffer is not None:
            sys.stdout.flush()

    def write(self, text: str) -> None:
        if self._buffer is None:
            sys.stdout.write(text)
        else:
            self._buffer.write(text.encode("utf-8", "replace"))


def _may_be_export(head: bytes) -> bool:
    return may_be_export(_text(head)[:PEEK])


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


@contextmanager
def _gzip_errors(name: str) -> Iterator[None]:
    """A truncated or corrupt compressed file becomes a :class:`SourceError`."""
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise SourceError(f"{name}: truncated or corrupt compressed file ({err})") from None


def _wants_progress(total_bytes: int) -> bool:
    """A progress bar only for big inputs, and only when stderr is a terminal."""
    return total_bytes >= _PROGRESS_BYTES and sys.stderr.isatty()


def _progress(stack: ExitStack, total: int) -> Callable[[int], None]:
    """``advance(bytes)`` of a progress bar on stderr, or a function that does nothing."""
    if not _wants_progress(total):
        return lambda size: None
    bar = stack.enter_context(click.progressbar(length=total, label="reading", file=sys.stderr))
    return bar.update

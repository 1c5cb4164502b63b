"""``cwquery test``: run a pattern over sample logs, offline, with CloudWatch's answers.

Files of lines are read as bytes, block by block, on every core for big inputs
(:mod:`cwquery.logs.parallel`); exports and ``--explain`` go message by message. Both ask the
pattern's one plan (:mod:`cwquery.plan`), and both results go into one tally.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import click

from cwquery.cli.common import (
    EXIT_ERROR,
    EXIT_NO,
    EXIT_OK,
    echo_pattern_error,
    exit_on_sigterm,
    fail,
    out,
)
from cwquery.cli.transform import load_transformer, transformer_option
from cwquery.errors import PatternError
from cwquery.hints import prefixed_json
from cwquery.logs.blocks import BlockResult, BlockScanner, Select
from cwquery.logs.parallel import FileScan, Readable, default_jobs, line_ends_between
from cwquery.logs.sources import (
    INPUT_FORMATS,
    MAX_LINE_BYTES,
    PEEK,
    SourceError,
    decompression_errors,
    may_be_export,
    read_events,
)
from cwquery.logs.workers import WorkerError
from cwquery.plan import Plan, plan_for
from cwquery.semantics import EVENT_NUMBER_BASE

#: Show a progress bar on a terminal when the input is at least this big.
_PROGRESS_BYTES = 8 * 1024 * 1024
#: Bytes read to find a file's first :data:`~cwquery.logs.sources.PEEK` characters.
_PEEK_BYTES = 4 * PEEK
#: How every gzip stream begins.
_GZIP_MAGIC = b"\x1f\x8b"
#: Messages of an export judged at a time.
_MESSAGE_BATCH = 1024
#: The longest line read, as the summary says it.
_LIMIT = f"{MAX_LINE_BYTES >> 20} MiB"


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
@transformer_option
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
    transformer_file: str | None,
) -> None:
    """Match PATTERN against the messages in FILES (standard input when none).

    FILES may hold plain text or JSON lines (one message per line), a CloudWatch export
    ({"events": [...]}, as printed by `aws logs filter-log-events`), or the .gz files of an S3
    export (standard input may be gzip too). A line over 1 MiB, CloudWatch's event size limit,
    is skipped and reported on stderr. Exit status: 0 when something matched, 1 when nothing
    did, 2 on error (130 on ^C, 143 on SIGTERM, 141 when the output pipe closes).

    \b
    With --invert, the printed lines, --count and --json are the messages that do not match,
    and the exit status says whether any were selected.

    \b
    Examples:
      cwquery test '{ $.latency > 1000 }' app.jsonl
      cwquery test --explain '[ip, ..., status = 5*, bytes]' access.log
      aws logs filter-log-events --log-group-name /app | cwquery test --count ERROR
    """
    _require_utf8(pattern)
    try:
        plan = plan_for(pattern)
    except PatternError as err:
        echo_pattern_error(err)
        _hint_pattern_first(pattern)
        sys.exit(EXIT_ERROR)
    run = _Run(plan, count, as_json, show_explanation, invert, quiet)
    if transformer_file:  # each message as applyOnTransformedLogs shows it, one by one
        run.transformer = load_transformer(transformer_file)
    try:
        run.sources(list(files) or ["-"], input_format, jobs)
    except (SourceError, WorkerError) as err:
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


def _require_utf8(pattern: str) -> None:
    """A pattern is UTF-8 text; bytes that are not (kept by the shell as surrogates) are an
    error, not a pattern no line can match."""
    try:
        pattern.encode("utf-8")
    except UnicodeEncodeError as err:
        code = ord(pattern[err.start])
        byte = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        fail(f"the pattern is not UTF-8 text ({byte} at character {err.start + 1})")


def _hint_pattern_first(pattern: str) -> None:
    if os.path.isfile(pattern):
        click.echo(
            f"hint: {pattern!r} is a file; the pattern comes first: cwquery test PATTERN FILE...",
            err=True,
        )


@dataclass
class _Tally:
    json_pattern: bool
    invert: bool = False
    read: int = 0
    matched: int = 0
    not_json: int = 0
    selected: int = 0
    first_not_json: str | None = None
    long_lines: int = 0

    def summary(self) -> str:
        messages = f"message{'s' if self.read != 1 else ''}"
        if self.invert:  # what was printed or counted
            text = f"{self.read - self.matched} of {self.read} {messages} did not match"
        else:
            text = f"{self.matched} of {self.read} {messages} matched"
        if self.long_lines:
            lines = "line was" if self.long_lines == 1 else "lines were"
            text += f"; {self.long_lines} {lines} longer than {_LIMIT} and skipped"
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

    plan: Plan
    count: bool
    as_json: bool
    show_explanation: bool
    invert: bool
    quiet: bool
    tally: _Tally = field(init=False)
    #: a cwquery.transformers.Transformer from --transformer, or None
    transformer: Any = None
    found: list[dict[str, object]] = field(default_factory=list)
    out: _Stdout = field(init=False, default_factory=lambda: _Stdout())
    #: judges exports' messages one by one, with the files' options
    _messages_scanner: BlockScanner = field(init=False)

    def __post_init__(self) -> None:
        self.tally = _Tally(self.plan.is_json, self.invert)

    @property
    def _by_message(self) -> bool:
        return self.show_explanation or self.transformer is not None

    def sources(self, sources: list[str], input_format: str, jobs: int | None) -> None:
        """Read every source in turn and print what was asked for."""
        total = sum(os.path.getsize(s) for s in sources if s != "-" and os.path.isfile(s))
        jobs = default_jobs(total) if jobs is None else jobs
        with ExitStack() as stack:
            if jobs > 1:  # stop the workers on the way out
                stack.enter_context(exit_on_sigterm())
            scan = stack.enter_context(self._file_scan(jobs))
            self._messages_scanner = scan.scanner
            advance = _progress(stack, total)
            for source in sources:
                self._source(source, input_format, scan, advance)
        if self.as_json and not self.show_explanation:
            self.out.write(json.dumps({"matches": self.found}, indent=2, ensure_ascii=False))
            self.out.write("\n")
        elif self.count:
            self.out.write(f"{self.tally.selected}\n")
        self.out.flush()  # a closed pipe is seen here, not at exit

    def _file_scan(self, jobs: int) -> FileScan:
        if self.count and not self.as_json:
            select = Select.NONE
        else:
            select = Select.OTHERS if self.invert else Select.MATCHES
        return FileScan(
            self.plan,  # pickled as its tree: workers parse nothing
            select=select,
            count_not_json=not self.quiet,
            numbered=self.as_json,
            values=self.as_json,  # the workers' values: no line is matched again here
            # the messages read are said only in the summary (and counted by --invert)
            count_messages=not (self.quiet and select is Select.NONE and not self.invert),
            jobs=jobs,
        )

    def _source(
        self, source: str, input_format: str, scan: FileScan, advance: Callable[[int], None]
    ) -> None:
        if source == "-":
            stdin = getattr(sys.stdin, "buffer", None)
            if stdin is None:  # already text (a test harness): read it as it is
                self._messages(source, input_format, advance)
            else:
                self._stream(stdin, "<stdin>", input_format, scan, advance)
            return
        if self._by_message or input_format in ("export", "s3-export"):
            self._messages(source, input_format, advance)
            return
        if os.path.splitext(source)[1] == ".gz":
            if input_format == "auto":  # an S3 export
                self._messages(source, input_format, advance)
                return
            import gzip

            with _gzip_errors(source), gzip.open(source, "rb") as stream:
                self._blocks(scan.stream(stream), advance, source)
            return
        if not os.path.isfile(source):  # a FIFO or a device: opened once, read through
            with open(source, "rb") as stream:
                self._stream(stream, source, input_format, scan, advance)
            return
        if input_format == "auto":
            with open(source, "rb") as stream:
                head = stream.read(_PEEK_BYTES)
            if _may_be_export(head):
                self._messages(source, input_format, advance)
                return
        self._blocks(scan.path(source), advance, source)

    def _stream(
        self,
        stream: IO[bytes],
        name: str,
        input_format: str,
        scan: FileScan,
        advance: Callable[[int], None],
    ) -> None:
        """A stream read once. One that starts as gzip does is unpacked (and read, under
        ``auto``, as an S3 export, as a ``.gz`` file is)."""
        head = stream.read(_PEEK_BYTES)
        if not head.startswith(_GZIP_MAGIC):
            self._unpacked(stream, head, name, input_format, scan, advance)
            return
        import gzip

        with _gzip_errors(name):
            unpacked = gzip.GzipFile(fileobj=_Joined(head, stream), mode="rb")
            fmt = "s3-export" if input_format == "auto" else input_format
            self._unpacked(unpacked, unpacked.read(_PEEK_BYTES), name, fmt, scan, advance)

    def _unpacked(
        self,
        stream: Readable,
        head: bytes,
        name: str,
        input_format: str,
        scan: FileScan,
        advance: Callable[[int], None],
    ) -> None:
        """A stream read once (``head`` already read from it): message by message for
        ``--explain`` and exports, a whole-file export when ``auto`` finds one, else lines."""
        if self._by_message or input_format in ("export", "s3-export"):
            joined = io.BufferedReader(_Joined(head, stream))
            text = io.TextIOWrapper(joined, encoding="utf-8", errors="replace")
            self._messages(text, input_format, advance, name)
        elif input_format == "auto" and _may_be_export(head):
            self._messages(io.StringIO(_text(head + stream.read())), "auto", advance, name)
        else:
            self._blocks(scan.stream(stream, head=head), advance, name)

    # ------------------------------------------------------------------ block by block

    def _blocks(
        self, results: Iterator[tuple[BlockResult, int]], advance: Callable[[int], None], name: str
    ) -> None:
        # line ends before the block, for the line numbers of over-long lines; None after a
        # range of a file scanned without counting them (then, should an over-long line come,
        # those after the last known count, of ``known`` line ends in ``counted`` bytes, are
        # counted in the file)
        lines: int | None = 0
        offset = counted = known = 0  # offset: the bytes before the block
        for result, size in results:
            if result.long_lines and lines is None:
                lines = known + line_ends_between(name, counted, offset)
            for line, length in result.long_lines:
                assert lines is not None
                self._long_line(name, lines + line + 1, length)
            if lines is not None:
                known, counted = lines, offset
            lines = None if lines is None or result.lines is None else lines + result.lines
            offset += size
            self._add(result)
            advance(size)

    def _add(self, result: BlockResult) -> None:
        """The one tally: a block's or a batch of messages' result counted, and its selected
        messages printed or recorded."""
        tally = self.tally
        before = tally.read
        tally.read += result.read
        tally.matched += result.matched
        tally.not_json += result.not_json
        if tally.first_not_json is None:
            tally.first_not_json = result.first_not_json
        if self.count and not self.as_json:
            tally.selected += result.read - result.matched if self.invert else result.matched
            return
        tally.selected += len(result.selected)
        if self.show_explanation:
            return
        if self.as_json:
            values = result.values if not self.invert else [{}] * len(result.selected)
            for (index, message), found in zip(result.selected, values, strict=True):
                self.found.append(
                    {
                        "eventNumber": before + index + EVENT_NUMBER_BASE,
                        "eventMessage": message,
                        "extractedValues": found,
                    }
                )
        elif result.selected:
            self.out.write("".join(f"{text}\n" for _, text in result.selected))

    def _long_line(self, name: str, number: int, length: int) -> None:
        """Say that a line was skipped for being longer than any event can be."""
        self.tally.long_lines += 1
        click.echo(
            f"warning: {name}: line {number}: {length:,} bytes, longer than {_LIMIT} "
            "(a CloudWatch event's limit): skipped",
            err=True,
        )

    # ------------------------------------------------------------------ message by message

    def _messages(
        self,
        source: str | IO[str],
        input_format: str,
        advance: Callable[[int], None],
        name: str | None = None,
    ) -> None:
        """Messages one by one (an export's may hold line ends), judged in batches by the
        scanner's :meth:`~cwquery.logs.blocks.BlockScanner.scan_messages` into the one tally."""
        events = read_events(
            source, input_format=input_format, on_long_line=self._long_line, name=name
        )
        batch: list[str] = []
        for event in events:
            message = event.message
            batch.append(message if self.transformer is None else self.transformer.seen(message))
            if len(batch) >= (1 if self.show_explanation else _MESSAGE_BATCH):
                self._batch(batch, advance)
                batch = []
        if batch:
            self._batch(batch, advance)

    def _batch(self, messages: list[str], advance: Callable[[int], None]) -> None:
        before = self.tally.read
        self._add(self._messages_scanner.scan_messages(messages))
        if self.show_explanation:
            for number, message in enumerate(messages, before + 1):
                click.echo(f"#{number} {self.plan.explain(message)}")
        advance(sum(len(message) + 1 for message in messages))


class _Stdout:
    """Printed messages through :func:`cwquery.cli.common.out`, held in the byte buffer until
    the end (or a flush); what the text layer held before goes out first."""

    def __init__(self) -> None:
        sys.stdout.flush()

    def write(self, text: str) -> None:
        out(text, nl=False, flush=False)

    def flush(self) -> None:
        getattr(sys.stdout, "buffer", sys.stdout).flush()


class _Joined(io.RawIOBase):
    """Bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._head[: len(buffer)] if self._head else self._rest.read(len(buffer))
        self._head = self._head[len(data) :]
        buffer[: len(data)] = data
        return len(data)


def _may_be_export(head: bytes) -> bool:
    return may_be_export(_text(head)[:PEEK])


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


@contextmanager
def _gzip_errors(name: str) -> Iterator[None]:
    """A truncated or corrupt compressed file becomes a :class:`SourceError`."""
    try:
        yield
    except decompression_errors() as err:
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

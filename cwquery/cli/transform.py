"""``cwquery transform``: run a log transformer over sample logs, offline; and the
``--transformer FILE`` option ``cwquery test`` and ``cwquery backtest`` share."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from cwquery.cli.common import EXIT_NO, EXIT_OK, fail, out
from cwquery.logs.sources import INPUT_FORMATS, SourceError, read_events

if TYPE_CHECKING:
    from cwquery.transformers import Transformer

#: The ``--transformer`` option of ``cwquery test`` and ``cwquery backtest``.
transformer_option = click.option(
    "--transformer",
    "transformer_file",
    type=click.Path(dir_okay=False, exists=True),
    help="A transformer configuration (JSON): match each event as a filter with "
    "applyOnTransformedLogs does (docs/transformers.md).",
)


def config_of(document: Any) -> Any:
    """The processor list of a configuration file: the list itself, or the
    ``transformerConfig`` of a PutTransformer request or GetTransformer response."""
    if isinstance(document, dict) and "transformerConfig" in document:
        return document["transformerConfig"]
    return document


def load_transformer(path: str) -> Transformer:
    """The validated transformer in ``path``; exits 2 with the reason when it is not one."""
    from cwquery.transformers import Transformer, TransformerError

    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
        return Transformer(config_of(document))
    except TransformerError as err:
        fail(f"{path}: {err.code}: {err}")
    except (ValueError, OSError) as err:
        fail(f"{path}: not a JSON transformer configuration ({err})")
    except RecursionError:
        fail(f"{path}: not a JSON transformer configuration (nested too deeply)")


def transformed(
    events: Iterable[tuple[str, int | None, int | None]],
    transformer: Transformer,
    time_of: Callable[[str], int | None] | None = None,
) -> Iterator[tuple[str, int | None, int | None]]:
    """Backtest events as a filter with ``applyOnTransformedLogs`` sees them; an event's time
    is read from the original message when the source gives none."""
    from cwquery.transformers import seen_by_filter

    for message, timestamp, ingestion in events:
        if timestamp is None and time_of is not None:
            timestamp = time_of(message)
        yield (
            seen_by_filter(transformer, message, apply_on_transformed_logs=True),
            (timestamp),
            ingestion,
        )


@click.command(name="transform")
@click.option(
    "--config",
    "config_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True),
    help="The transformer configuration: a JSON list of processors, or a document with "
    "transformerConfig (put-transformer input, get-transformer output).",
)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--json", "as_json", is_flag=True, help="Print a TestTransformer-shaped response instead."
)
@click.option(
    "--input-format",
    type=click.Choice(INPUT_FORMATS),
    default="auto",
    show_default=True,
    help="How FILES are read, as in `cwquery test`.",
)
def transform_command(
    config_file: str, files: tuple[str, ...], as_json: bool, input_format: str
) -> None:
    """Print the events of FILES (standard input when none) as the transformer in --config
    turns them: one transformedEventMessage per line, or the original message when no
    processor produced a field. Exit status: 0 when some event was transformed, 1 when none
    was, 2 on error.

    \b
    Examples:
      cwquery transform --config transformer.json app.log
      aws logs get-transformer --log-group-identifier /app > t.json
      cwquery transform --config t.json --json exported.json
    """
    from cwquery.transformers import TransformerError

    transformer = load_transformer(config_file)
    logs: list[dict[str, Any]] = []
    structured = 0
    try:
        for number, message in enumerate(_messages(files, input_format), start=1):
            event = transformer.event(message)
            structured += event.structured
            text = event.rendered()
            if as_json:
                logs.append(
                    {
                        "eventNumber": number,
                        "eventMessage": message,
                        "transformedEventMessage": text,
                    }
                )
            else:
                _write(text + "\n")
    except TransformerError as err:
        fail(f"{config_file}: {err.code}: {err}")
    except SourceError as err:
        fail(str(err))
    if as_json:
        _write(json.dumps({"transformedLogs": logs}, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    sys.exit(EXIT_OK if structured else EXIT_NO)


def _write(text: str) -> None:
    """UTF-8 whatever the locale says (bytes that are not are replaced), flushed when the
    command ends."""
    out(text, nl=False, flush=False)


def _messages(files: tuple[str, ...], input_format: str) -> Iterator[str]:
    for source in files or ("-",):
        try:
            for event in read_events(source, input_format=input_format):
                yield event.message
        except OSError as err:
            fail(f"{source}: {err.strerror or err}")

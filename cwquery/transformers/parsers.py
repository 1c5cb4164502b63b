"""The configurable parsers of spec §2.1: parseJSON, grok, csv, parseKeyValue, parseToOCSF."""

from __future__ import annotations

import json
from typing import Any

from cwquery.transformers.errors import UNSUPPORTED, TransformerError
from cwquery.transformers.event import Event
from cwquery.transformers.grok import compile_match


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def loads(text: str) -> Any:
    """Strict JSON (no ``NaN`` or ``Infinity``); raises ``ValueError``."""
    return json.loads(text, parse_constant=_reject_constant)


def parse_json(config: dict[str, Any], event: Event) -> None:
    """parseJSON: an object's keys to the root, or the whole value under ``destination``; text
    that is not JSON changes nothing (T3); a field source stays (T5)."""
    text = event.text(config.get("source"))
    if text is None:
        return
    try:
        value = loads(text)
    except (ValueError, RecursionError):
        return
    destination = config.get("destination")
    if destination:
        event.put(destination, value)
    elif isinstance(value, dict):
        event.merge(value, None, overwrite=True)


def grok(config: dict[str, Any], event: Event) -> None:
    """grok: the whole source text against the compiled match; no match changes nothing."""
    text = event.text(config.get("source"))
    if text is None:
        return
    found = compile_match(config["match"]).apply(text)
    if found is None:
        return
    event.structured = True
    for path, value in found.items():
        event.put(path, value)


def _csv_delimiter(config: dict[str, Any]) -> str:
    delimiter = str(config.get("delimiter", ","))
    return {"\\t": "\t", "\\s": " "}.get(delimiter, delimiter)


def split_csv(text: str, delimiter: str, quote: str) -> list[str]:
    """One RFC 4180 record (T7): quoted columns may hold the delimiter; a doubled quote inside
    quotes is one quote; text after a closing quote, up to the delimiter, is kept."""
    columns: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    at_start = True
    while index < len(text):
        char = text[index]
        if quoted:
            if char == quote:
                if text[index + 1 : index + 2] == quote:
                    current.append(quote)
                    index += 2
                    continue
                quoted = False
            else:
                current.append(char)
        elif char == quote and at_start:
            quoted = True
            at_start = False
        elif text.startswith(delimiter, index):
            columns.append("".join(current))
            current = []
            at_start = True
            index += len(delimiter)
            continue
        else:
            current.append(char)
            at_start = False
        index += 1
    columns.append("".join(current))
    return columns


def csv(config: dict[str, Any], event: Event) -> None:
    """csv: one record; named columns, then ``column_<n>`` (T7)."""
    text = event.text(config.get("source"))
    if text is None:
        return
    values = split_csv(text, _csv_delimiter(config), config.get("quoteCharacter", '"'))
    names = list(config.get("columns") or [])
    record = {
        (names[n] if n < len(names) else f"column_{n + 1}"): value for n, value in enumerate(values)
    }
    event.merge(record, config.get("destination"), overwrite=True)


def parse_key_value(config: dict[str, Any], event: Event) -> None:
    """parseKeyValue (T8)."""
    text = event.text(config.get("source"))
    if text is None:
        return
    field_delimiter = config.get("fieldDelimiter", "&")
    pair_delimiter = config.get("keyValueDelimiter", "=")
    prefix = config.get("keyPrefix", "")
    non_match = config.get("nonMatchValue")
    overwrite = bool(config.get("overwriteIfExists", False))
    record: dict[str, Any] = {}
    for piece in text.split(field_delimiter):
        if not piece:
            continue
        key, found, value = piece.partition(pair_delimiter)
        if not found:
            if non_match is None:
                continue
            value = non_match
        if not key:
            continue
        key = prefix + key
        if key in record and not overwrite:
            continue
        record[key] = value
    if not record:
        return
    destination = config.get("destination")
    if destination:
        event.put(destination, record)
    else:
        event.merge(record, None, overwrite=overwrite)


def parse_to_ocsf(config: dict[str, Any], event: Event) -> None:
    """parseToOCSF is validated but not emulated (T9)."""
    raise TransformerError(UNSUPPORTED, "parseToOCSF is validated but not emulated by cwquery")

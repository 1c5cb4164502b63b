"""The bundled samples with their times moved to recent ones, for tests that send them where the
date matters (CloudWatch refuses events older than 14 days, and the samples are fixed in time)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from pathlib import Path

ISO_UTC = re.compile(r"\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{3})?Z")


def _millis(stamp: str, fraction: str | None) -> int:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1000 + (int(fraction[1:]) if fraction else 0)


def _stamp(millis: int, fraction: bool) -> str:
    moment = datetime.fromtimestamp(millis // 1000, tz=timezone.utc)
    tail = f".{millis % 1000:03d}" if fraction else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + tail + "Z"


def shift_times(text: str, newest: int) -> str:
    """``text`` with every ISO 8601 UTC time moved by one offset, so that the newest is at epoch
    milliseconds ``newest``; the gaps between times and the format of each are kept.

    >>> shift_times('{"t": "2026-11-20T10:00:00.000Z"} {"t": "2026-11-20T10:00:01Z"}', 86_400_000)
    '{"t": "1970-01-01T23:59:59.000Z"} {"t": "1970-01-02T00:00:00Z"}'
    """
    found = [_millis(m.group(1), m.group(2)) for m in ISO_UTC.finditer(text)]
    if not found:
        return text
    offset = newest - max(found)

    def moved(match: re.Match[str]) -> str:
        millis = _millis(match.group(1), match.group(2)) + offset
        return _stamp(millis, match.group(2) is not None)

    return ISO_UTC.sub(moved, text)


def recent_copy(source: Path, target: Path, ago_ms: int = 3_600_000) -> Path:
    """Copy ``source`` to ``target`` with its times shifted so the newest was ``ago_ms`` ago."""
    newest = int(time.time() * 1000) - ago_ms
    target.write_text(shift_times(source.read_text(encoding="utf-8"), newest), encoding="utf-8")
    return target
